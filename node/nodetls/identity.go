package nodetls

import (
	"crypto/x509"
	"fmt"
)

// Role is what a certificate's holder may do; it is the certificate's
// Subject OrganizationalUnit.
type Role string

// The roles. RoleNode is also the only role accepted on the peer port.
const (
	// RoleNode is a Boxoffice node: Raft and peer RPCs on the peer port.
	RoleNode Role = "node"
	// RoleOperator runs the cluster: Inventory and every Cluster RPC
	// (RemoveNode included), but not Records.
	RoleOperator Role = "operator"
	// RoleGateway is a checkout gateway: Inventory, Records,
	// Cluster.Status and Cluster.Routing.
	RoleGateway Role = "gateway"
	// RoleReader reads: the read-only Inventory calls and
	// Cluster.Status and Cluster.Routing.
	RoleReader Role = "reader"
)

// Roles lists every role a certificate may carry.
var Roles = []Role{RoleNode, RoleOperator, RoleGateway, RoleReader}

// ParseRole returns the role named s, or an error naming the known ones.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: one of %s", s, roleNames(Roles))
}

// Identity is who a certificate says its holder is.
type Identity struct {
	// Name is the Subject CommonName (a node's id for a node).
	Name string
	// Role is the one known role among the Subject OrganizationalUnits;
	// empty when the certificate names none, an unknown one or several.
	Role Role
	// OrganizationalUnits are the certificate's, for messages about an
	// empty Role.
	OrganizationalUnits []string
}

// IdentityOf reads the identity of a verified certificate.
func IdentityOf(cert *x509.Certificate) Identity {
	id := Identity{Name: cert.Subject.CommonName, OrganizationalUnits: cert.Subject.OrganizationalUnit}
	for _, ou := range cert.Subject.OrganizationalUnit {
		r, err := ParseRole(ou)
		if err != nil {
			continue
		}
		if id.Role != "" && id.Role != r {
			id.Role = "" // two roles: ambiguous, so none
			return id
		}
		id.Role = r
	}
	return id
}
