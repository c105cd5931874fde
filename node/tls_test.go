package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
	"github.com/boxoffice/boxoffice/node/nodetls"
)

func loadClientTLS(t *testing.T, dir, name string) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: "server.boxoffice", MinVersion: tls.VersionTLS12}
}

// TestMutualTLS runs a cluster with TLS on every port and checks who gets
// in: a CA-signed client may use the API (as its role allows, see
// TestAuthorizationByRole); only a node's certificate (naming the server,
// role node) may speak on the peer port (Raft and peer RPCs); plaintext and
// unknown CAs get nothing.
func TestMutualTLS(t *testing.T) {
	skipIfShort(t)
	certs := t.TempDir()
	if err := nodetls.DevCerts(certs, "server.boxoffice", []string{"n1", "n2", "n3"}, []nodetls.ClientCert{{Name: "app", Role: nodetls.RoleGateway}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := nodetls.DevCerts(other, "server.boxoffice", []string{"rogue"}, nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	gossipKeys := writeGossipKeys(t, filepath.Join(certs, "gossip.key"), gossipKey(1))
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.Plaintext, c.GossipKeyFile = false, gossipKeys
		name := c.NodeID
		c.TLS = &TLSConfig{CAFile: filepath.Join(certs, "ca.pem"), CertFile: filepath.Join(certs, name+".pem"), KeyFile: filepath.Join(certs, name+"-key.pem")}
	})
	_ = tc // the cluster formed over TLS: Raft, gossip-registered peers and peer RPCs work.
	ctx := ctxT(t, 30*time.Second)

	dial := func(addr string, cfg *tls.Config) *grpc.ClientConn {
		creds := insecure.NewCredentials()
		if cfg != nil {
			creds = credentials.NewTLS(cfg)
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	grpcAddr := tc.configs[0].GRPCAddr
	app := dial(grpcAddr, loadClientTLS(t, certs, "app"))
	if _, err := boxofficev1.NewInventoryClient(app).CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "c", EventId: "tls", Venue: onSaleVenueForTest()}); err != nil {
		t.Fatalf("a client certificate signed by the CA must reach the API: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := boxofficev1.NewClusterClient(dial(grpcAddr, nil)).Status(short, &boxofficev1.StatusRequest{}); err == nil {
		t.Fatal("plaintext reached a TLS node")
	}
	if _, err := boxofficev1.NewClusterClient(dial(grpcAddr, loadClientTLS(t, other, "rogue"))).Status(short, &boxofficev1.StatusRequest{}); err == nil {
		t.Fatal("a certificate from another CA reached the API")
	}

	// The peer port: speak the peer protocol with each certificate.
	peerCall := func(cfg *tls.Config) error {
		pc := newPeerClients(peerDialer{tls: cfg})
		defer pc.close()
		client, err := pc.get(tc.configs[0].PeerAddr)
		if err != nil {
			return err
		}
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		defer ccancel()
		_, err = client.LocalStatus(cctx, &nodepb.LocalStatusRequest{})
		return err
	}
	if err := peerCall(loadClientTLS(t, certs, "n2")); err != nil {
		t.Fatalf("a node certificate must be accepted on the peer port: %v", err)
	}
	if err := peerCall(loadClientTLS(t, certs, "app")); err == nil {
		t.Fatal("a client certificate (no server name) was accepted on the peer port")
	}
	if err := peerCall(loadClientTLS(t, other, "rogue")); err == nil {
		t.Fatal("a server certificate from another CA was accepted on the peer port")
	}
}
