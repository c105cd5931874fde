package nodetls

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIdentityOf reads roles from Subject OU: one known role, or none.
func TestIdentityOf(t *testing.T) {
	for _, c := range []struct {
		ous  []string
		want Role
	}{
		{[]string{"gateway"}, RoleGateway},
		{[]string{"node"}, RoleNode},
		{[]string{"ticketing", "reader"}, RoleReader},
		{nil, ""},
		{[]string{"Gateway"}, ""},
		{[]string{"gateway", "operator"}, ""},
		{[]string{"reader", "reader"}, RoleReader},
	} {
		cert := &x509.Certificate{Subject: pkix.Name{CommonName: "x", OrganizationalUnit: c.ous}}
		if got := IdentityOf(cert).Role; got != c.want {
			t.Errorf("OU %q: role %q, want %q", c.ous, got, c.want)
		}
	}
}

func TestParseClientCerts(t *testing.T) {
	got, err := ParseClientCerts("app:gateway,ops:operator,ro:reader")
	if err != nil || len(got) != 3 || got[1] != (ClientCert{"ops", RoleOperator}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"app", "app:", "app:node", "app:admin", ":gateway"} {
		_, err := ParseClientCerts(bad)
		if err == nil || !mentionsAll(err.Error(), "gateway", "operator", "reader") {
			t.Errorf("%q: error %v does not name the allowed roles", bad, err)
		}
	}
}

func mentionsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestDevCertsFollowTheConvention: the dev PKI writes certificates whose
// identity IdentityOf reads back (the node id or client name and its role),
// signed by the CA it writes next to them.
func TestDevCertsFollowTheConvention(t *testing.T) {
	dir := t.TempDir()
	if err := DevCerts(dir, "server.boxoffice", []string{"n1"}, []ClientCert{{"app", RoleGateway}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Leaf)
	for _, want := range []Identity{{Name: "n1", Role: RoleNode}, {Name: "app", Role: RoleGateway}} {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, want.Name+".pem"), filepath.Join(dir, want.Name+"-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: not signed by the dev CA: %v", want.Name, err)
		}
		if got := IdentityOf(pair.Leaf); got.Name != want.Name || got.Role != want.Role {
			t.Errorf("%s: identity %+v, want %+v", want.Name, got, want)
		}
	}
}
