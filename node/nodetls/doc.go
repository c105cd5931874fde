// Package nodetls is the certificate convention of a Boxoffice cluster and
// a development PKI that follows it.
//
// The convention: a certificate's Subject CommonName names its holder (the
// node id for a node) and its Subject OrganizationalUnit carries its Role
// (node, operator, gateway or reader). IdentityOf reads both from a
// verified certificate; a certificate with no known role, or with two,
// has none.
//
// DevCerts and DevHTTPSCert write a CA and certificates in that convention
// for tests, demos and `boxoffice certs`; production clusters bring their
// own PKI.
//
// The package must never decide what a role may do (the node's methodRoles
// in node/authz.go does), load or hold a running node's TLS configuration
// (node.TLSConfig), or verify certificates itself: it reads certificates
// crypto/tls has already verified. It imports nothing from Boxoffice.
package nodetls
