package node

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/boxoffice/boxoffice/node/nodetls"
)

// load reads the PEM files and builds the server and client tls.Configs.
//
// The gRPC port requires a certificate the CA signed and authorizes each
// call by the certificate's role (authz.go). The peer port additionally
// requires that the certificate names ServerName and carries role node: a
// client certificate signed by the same CA must not be able to speak Raft or
// send peer RPCs (the lesson of Consul and Nomad, CVE-2021-37219 and
// CVE-2021-37218).
func (t *TLSConfig) load() error {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return fmt.Errorf("config: TLS.CertFile = %q, TLS.KeyFile = %q: %w", t.CertFile, t.KeyFile, err)
	}
	caPEM, err := os.ReadFile(t.CAFile)
	if err != nil {
		return fmt.Errorf("config: TLS.CAFile = %q: %w", t.CAFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("config: TLS.CAFile = %q: no PEM certificate found", t.CAFile)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return fmt.Errorf("config: TLS.CertFile = %q: %w", t.CertFile, err)
	}
	if !slices.Contains(leaf.DNSNames, t.ServerName) {
		return fmt.Errorf("config: TLS.CertFile = %q: certificate does not name %q among its DNS names %v; other nodes would refuse it",
			t.CertFile, t.ServerName, leaf.DNSNames)
	}
	if role := nodetls.IdentityOf(leaf).Role; role != nodetls.RoleNode {
		return fmt.Errorf("config: TLS.CertFile = %q: certificate's role (Subject OU %q) is not %q; other nodes would refuse it",
			t.CertFile, leaf.Subject.OrganizationalUnit, nodetls.RoleNode)
	}
	t.server = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	t.client = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   t.ServerName,
	}
	return nil
}

// errNotServerCert is returned when a peer presents a valid certificate that
// does not name a server or is not a node's.
var errNotServerCert = errors.New("peer certificate is not a node's")

// peerServerTLS is the peer port's server config: verified client
// certificates that also carry ServerName and role node.
func (t *TLSConfig) peerServerTLS() *tls.Config {
	c := t.server.Clone()
	name := t.ServerName
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errNotServerCert
		}
		if err := cs.PeerCertificates[0].VerifyHostname(name); err != nil {
			return fmt.Errorf("%w: %v", errNotServerCert, err)
		}
		if id := nodetls.IdentityOf(cs.PeerCertificates[0]); id.Role != nodetls.RoleNode {
			return fmt.Errorf("%w: certificate %q has role %q, not %q", errNotServerCert, id.Name, id.Role, nodetls.RoleNode)
		}
		return nil
	}
	return c
}

// ClientTLS is the tls.Config a node uses to dial other nodes' gRPC and peer
// ports (its own certificate names a server).
func (t *TLSConfig) ClientTLS() *tls.Config { return t.client.Clone() }
