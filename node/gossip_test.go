package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testport"
)

// testPKI is a CA that issues certificates by the shared convention: the
// identity in the subject's common name, the role in its organizational
// unit, node certificates with the DNS name server.boxoffice.
type testPKI struct {
	t      *testing.T
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial atomic.Int64
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{t: t, dir: t.TempDir()}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.serial.Store(1)
	if err := os.WriteFile(p.caFile(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) caFile() string { return filepath.Join(p.dir, "ca.pem") }

// issue writes name.pem and name-key.pem for common name cn and role ou; a
// node role also gets the DNS name server.boxoffice, as does every role
// given serverName.
func (p *testPKI) issue(name, cn, ou string, serverName ...bool) (certFile, keyFile string) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial.Add(1)), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if ou == "node" || len(serverName) > 0 && serverName[0] {
		tmpl.DNSNames = []string{"server.boxoffice"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return certFile, keyFile
}

// tlsConfig loads a certificate this PKI issued as a TLS server and client
// configuration trusting the CA.
func (p *testPKI) tlsConfig(name, cn, ou string, serverName ...bool) *tls.Config {
	p.t.Helper()
	certFile, keyFile := p.issue(name, cn, ou, serverName...)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		p.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool,
		ServerName: "server.boxoffice", MinVersion: tls.VersionTLS12}
}

// writeGossipKeys writes a gossip key file holding keys, primary first.
func writeGossipKeys(t *testing.T, path string, keys ...[]byte) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test gossip keys\n")
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func gossipKey(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return k
}

// tlsServer serves TLS handshakes with cfg on a loopback port until the
// test ends, and returns its address.
func tlsServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = conn.(*tls.Conn).Handshake()
				_ = conn.Close()
			}()
		}
	}()
	return l.Addr().String()
}

// TestMemberProof: a member is proven only by both of its advertised ports
// answering with a certificate from the cluster's CA that names its id with
// the role node and carries server.boxoffice; every other answer is refused
// and counted, and a refusal is remembered for proofRetryInterval.
func TestMemberProof(t *testing.T) {
	pki := newTestPKI(t)
	other := newTestPKI(t)
	nodeCert := pki.tlsConfig("n1", "n1", "node")
	good := tlsServer(t, nodeCert)
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Close() })
	go func() {
		for {
			conn, err := plain.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "refused"})
	v := &memberVerifier{tls: pki.tlsConfig("n0", "n0", "node"), refused: refused, proofs: map[proofKey]memberProof{},
		logger: testLogger()}
	ctx := ctxT(t, 30*time.Second)
	if err := v.prove(ctx, "n1", good, good); err != nil {
		t.Fatalf("n1's own certificate on both ports: %v", err)
	}
	for _, tc := range []struct {
		name      string
		id        string
		peer, rpc string
		want      string
	}{
		{"another node's certificate", "n2", good, good, `names "n1", not "n2"`},
		{"a gateway certificate naming the id", "n3", tlsServer(t, pki.tlsConfig("gw", "n3", "gateway")), good, "server.boxoffice"},
		{"another role with the server name", "n4", tlsServer(t, pki.tlsConfig("n4op", "n4", "operator", true)), good, `roles [operator], not "node"`},
		{"another CA", "n1", tlsServer(t, other.tlsConfig("n1", "n1", "node")), good, "unknown authority"},
		{"no TLS", "n1", plain.Addr().String(), good, "peer port"},
		{"nothing listening", "n1", "127.0.0.1:1", good, "peer port"},
		{"a good peer port, a foreign gRPC port", "n1", good, tlsServer(t, other.tlsConfig("n1g", "n1", "node")), "gRPC port"},
		{"no address", "n1", good, "", "no gRPC address"},
	} {
		before := counterValue(refused)
		err := v.prove(ctx, tc.id, tc.peer, tc.rpc)
		if !errors.Is(err, errMemberUnproven) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want refused with %q", tc.name, err, tc.want)
		}
		if counterValue(refused) != before+1 {
			t.Errorf("%s: refusal not counted", tc.name)
		}
		if err2 := v.prove(ctx, tc.id, tc.peer, tc.rpc); err2 == nil || counterValue(refused) != before+1 {
			t.Errorf("%s: a second look within proofRetryInterval was not answered from the cache", tc.name)
		}
	}
	if (&memberVerifier{}).prove(ctx, "anyone", "", "") != nil {
		t.Error("a plaintext node refused a member; there is nothing to prove without TLS")
	}
}

// rogueMember starts a bare memberlist named name that gossips meta with
// keys: what anyone with the gossip key and a copy of memberlist can do.
func rogueMember(t *testing.T, name string, meta cluster.NodeMeta, keys ...[]byte) *memberlist.Memberlist {
	t.Helper()
	mc := memberlist.DefaultLocalConfig()
	mc.Name = name
	mc.BindAddr = "127.0.0.1"
	mc.BindPort = testport.Ports(t, 1)[0]
	mc.AdvertiseAddr, mc.AdvertisePort = mc.BindAddr, mc.BindPort
	mc.ProbeInterval = 500 * time.Millisecond
	mc.GossipInterval = 100 * time.Millisecond
	mc.LogOutput = io.Discard
	b, _ := json.Marshal(meta)
	mc.Delegate = rogueMeta(b)
	if len(keys) > 0 {
		keyring, err := memberlist.NewKeyring(keys[1:], keys[0])
		if err != nil {
			t.Fatal(err)
		}
		mc.Keyring = keyring
	}
	list, err := memberlist.Create(mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = list.Shutdown() })
	return list
}

type rogueMeta []byte

func (d rogueMeta) NodeMeta(int) []byte             { return d }
func (d rogueMeta) NotifyMsg([]byte)                {}
func (d rogueMeta) GetBroadcasts(int, int) [][]byte { return nil }
func (d rogueMeta) LocalState(bool) []byte          { return nil }
func (d rogueMeta) MergeRemoteState([]byte, bool)   {}

var _ = context.Background
var _ = fmt.Sprint

// TestTLSNodeRefusesToStartWithoutGossipKey: Start on TLS without a gossip
// key fails, naming the field and the flag; a bad key file is named with
// its line and never echoes a key.
func TestTLSNodeRefusesToStartWithoutGossipKey(t *testing.T) {
	pki := newTestPKI(t)
	certFile, keyFile := pki.issue("n1", "n1", "node")
	cfg := Config{NodeID: "n1", DataDir: t.TempDir(), TLS: &TLSConfig{CAFile: pki.caFile(), CertFile: certFile, KeyFile: keyFile}}.WithDefaults()
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "GossipKeyFile") || !strings.Contains(err.Error(), "--gossip-key-file") {
		t.Fatalf("TLS without a gossip key: %v; want an error naming GossipKeyFile and --gossip-key-file", err)
	}
	if _, err := Start(cfg); err == nil {
		t.Fatal("a TLS node started without a gossip key")
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "# nothing\n\n", "no key"},
		{"not base64", "c2VjcmV0!!\n", "line 1: not standard base64"},
		{"short", "# k\n" + base64.StdEncoding.EncodeToString([]byte("0123456789")) + "\n", "line 2: a key of 10 bytes"},
		{"twice", base64.StdEncoding.EncodeToString(gossipKey(1)) + "\n" + base64.StdEncoding.EncodeToString(gossipKey(1)) + "\n", "line 2: the same key twice"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadGossipKeys(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tc.text)) && tc.text != "" && !strings.HasPrefix(tc.text, "#") {
			t.Errorf("%s: the error echoes the file's content: %v", tc.name, err)
		}
	}
	keys, err := LoadGossipKeys(writeGossipKeys(t, filepath.Join(dir, "ok"), gossipKey(1), gossipKey(2)))
	if err != nil || len(keys) != 2 || keys[0][0] != 1 {
		t.Fatalf("a valid file: %d keys, %v", len(keys), err)
	}
	fresh, err := NewGossipKey()
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := base64.StdEncoding.DecodeString(fresh); len(k) != 32 {
		t.Errorf("NewGossipKey: %d bytes; want 32", len(k))
	}
}
