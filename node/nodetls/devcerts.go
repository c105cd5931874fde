package nodetls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ClientCert names a client certificate DevCerts issues: Name becomes the
// Subject CommonName, Role the Subject OrganizationalUnit.
type ClientCert struct {
	Name string
	Role Role
}

// ClientRoles are the roles a client certificate may carry (RoleNode is
// for nodes only).
var ClientRoles = []Role{RoleGateway, RoleOperator, RoleReader}

// ParseClientCerts reads "name:role,name:role" (roles: gateway, operator,
// reader). An empty string is no clients.
func ParseClientCerts(s string) ([]ClientCert, error) {
	if s == "" {
		return nil, nil
	}
	var out []ClientCert
	for _, item := range strings.Split(s, ",") {
		name, role, ok := strings.Cut(item, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("client %q: want name:role, role one of %s", item, roleNames(ClientRoles))
		}
		if !slices.Contains(ClientRoles, Role(role)) {
			return nil, fmt.Errorf("client %q: unknown role %q: one of %s", name, role, roleNames(ClientRoles))
		}
		out = append(out, ClientCert{Name: name, Role: Role(role)})
	}
	return out, nil
}

func roleNames(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// DevCerts writes a development CA (ca.pem, ca-key.pem), a certificate per
// node (<name>.pem, <name>-key.pem; CommonName the node id, OU "node") that
// names serverName, localhost and 127.0.0.1, and a certificate per client
// (CommonName its name, OU its role, no DNS names: it can call the gRPC
// methods of its role and is refused on the peer port). For tests and first
// steps; production clusters use their own PKI with the same convention.
func DevCerts(dir, serverName string, nodes []string, clients []ClientCert, valid time.Duration) error {
	// Each name is a file name: one must not overwrite another, or the CA.
	names := map[string]bool{"ca": true}
	checkName := func(name string) error {
		if name == "" || strings.ContainsAny(name, `/\`) || names[name] {
			return fmt.Errorf("certificate name %q is empty, has a path separator, is used twice or is \"ca\"", name)
		}
		names[name] = true
		return nil
	}
	for _, n := range nodes {
		if err := checkName(n); err != nil {
			return err
		}
	}
	for _, c := range clients {
		if err := checkName(c.Name); err != nil {
			return err
		}
		if !slices.Contains(ClientRoles, c.Role) {
			return fmt.Errorf("client %q: role %q is not one of %s", c.Name, c.Role, roleNames(ClientRoles))
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Boxoffice development CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(valid),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	if err := writePEM(dir, "ca", caDER, caKey); err != nil {
		return err
	}
	serial := int64(2)
	issue := func(name string, role Role, dnsNames []string, ips []net.IP) error {
		serial++
		return issueCert(dir, name, role, dnsNames, ips, serial-1, caCert, caKey, now, valid)
	}
	for _, n := range nodes {
		if err := issue(n, RoleNode, []string{serverName, n, "localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}); err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
	}
	for _, c := range clients {
		if err := issue(c.Name, c.Role, nil, nil); err != nil {
			return fmt.Errorf("client %s: %w", c.Name, err)
		}
	}
	return nil
}

// issueCert writes <name>.pem and <name>-key.pem: a certificate signed by
// the CA with CommonName name, OrganizationalUnit role (none when role is
// empty) and the given DNS and IP names.
func issueCert(dir, name string, role Role, dnsNames []string, ips []net.IP, serial int64,
	caCert *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, valid time.Duration) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	subject := pkix.Name{CommonName: name}
	if role != "" {
		subject.OrganizationalUnit = []string{string(role)}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(valid),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePEM(dir, name, der, key)
}

// DevHTTPSCert writes <name>.pem and <name>-key.pem, a server certificate
// for the gateway's HTTPS port naming hosts (DNS names or IP addresses),
// signed by the development CA in dir (ca.pem, ca-key.pem, from DevCerts).
// It carries no role: the cluster refuses it on every port, so a gateway's
// web key never doubles as a key to the cluster.
func DevHTTPSCert(dir, name string, hosts []string, valid time.Duration) error {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "ca" {
		return fmt.Errorf("certificate name %q is empty, has a path separator or is \"ca\"", name)
	}
	if len(hosts) == 0 {
		return errors.New("an HTTPS certificate needs at least one host name or address")
	}
	caCertPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return err
	}
	caKeyPEM, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		return err
	}
	certBlock, _ := pem.Decode(caCertPEM)
	keyBlock, _ := pem.Decode(caKeyPEM)
	if certBlock == nil || keyBlock == nil {
		return fmt.Errorf("%s: no PEM CA certificate and key", dir)
	}
	caCert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return fmt.Errorf("ca.pem: %w", err)
	}
	caKey, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		return fmt.Errorf("ca-key.pem: %w", err)
	}
	var dnsNames []string
	var ips []net.IP
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else {
			dnsNames = append(dnsNames, h)
		}
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	return issueCert(dir, name, "", dnsNames, ips, serial.Int64()+1<<62, caCert, caKey, time.Now(), valid)
}

func writePEM(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}
