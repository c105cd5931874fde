package node

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
	"github.com/boxoffice/boxoffice/node/nodetls"
)

func soldTicketIDs(tickets []*boxofficev1.Ticket) []string {
	out := make([]string, len(tickets))
	for i, t := range tickets {
		out[i] = t.GetTicketId()
	}
	return out
}

// signWithDevCA signs a certificate with the development CA in dir (written
// by DevCerts), for identities DevCerts will not issue: no role, an unknown
// role, a client certificate that names the server.
func signWithDevCA(t *testing.T, dir, name string, ous, dnsNames []string) {
	t.Helper()
	caPair, err := tls.LoadX509KeyPair(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caPair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, OrganizationalUnit: ous},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dnsNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caPair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newMutualTLSCluster starts n nodes with mutual TLS on every port, with
// certificates from DevCerts in certs.
func newMutualTLSCluster(t *testing.T, n int, certs string) *TestCluster {
	t.Helper()
	return NewTestCluster(t, n, func(i int, c *Config) {
		c.Plaintext, c.GossipKeyFile = false, writeGossipKeys(t, filepath.Join(certs, "gossip.key"), gossipKey(1))
		c.TLS = &TLSConfig{CAFile: filepath.Join(certs, "ca.pem"),
			CertFile: filepath.Join(certs, c.NodeID+".pem"), KeyFile: filepath.Join(certs, c.NodeID+"-key.pem")}
	})
}

// dialWithCert connects to addr with the client certificate name from certs.
func dialWithCert(t *testing.T, addr, certs, name string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(loadClientTLS(t, certs, name))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// wantRoleRefused fails unless err is PERMISSION_DENIED with reason
// ROLE_NOT_ALLOWED.
func wantRoleRefused(t *testing.T, what string, err error) {
	t.Helper()
	if status.Code(err) != codes.PermissionDenied || reasonOf(err) != ReasonRoleNotAllowed {
		t.Fatalf("%s: got %v, want PERMISSION_DENIED %s", what, err, ReasonRoleNotAllowed)
	}
}

// permissionDenials sums the permission-denied counter of method over every node.
func permissionDenials(tc *TestCluster, method, role string) float64 {
	var sum float64
	for _, h := range tc.hosts {
		if h != nil {
			var m dto.Metric
			if err := h.metrics.permissionDenied.WithLabelValues(method, role).Write(&m); err == nil {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestAuthorizationByRole runs a mutual-TLS cluster and calls it with the
// certificate of each role: every attack of issue 15 that worked with any
// CA-signed certificate is refused PERMISSION_DENIED ROLE_NOT_ALLOWED,
// changes nothing and is counted; each role's own calls still work.
func TestAuthorizationByRole(t *testing.T) {
	skipIfShort(t)
	certs := t.TempDir()
	if err := nodetls.DevCerts(certs, "server.boxoffice", []string{"n1", "n2", "n3"},
		[]nodetls.ClientCert{{Name: "app", Role: nodetls.RoleGateway}, {Name: "ops", Role: nodetls.RoleOperator}, {Name: "ro", Role: nodetls.RoleReader}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	signWithDevCA(t, certs, "norole", nil, nil)
	signWithDevCA(t, certs, "stranger", []string{"janitor"}, nil)
	tc := newMutualTLSCluster(t, 3, certs)
	ctx := ctxT(t, 90*time.Second)
	addr := tc.configs[0].GRPCAddr
	gatewayConn, operatorConn, readerConn := dialWithCert(t, addr, certs, "app"), dialWithCert(t, addr, certs, "ops"), dialWithCert(t, addr, certs, "ro")

	// The gateway sets the scene: an event, a sold order, a live hold, a record.
	gwInv := boxofficev1.NewInventoryClient(gatewayConn)
	gwRecords := boxofficev1.NewRecordsClient(gatewayConn)
	if _, err := gwInv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "c", EventId: "ev", Venue: onSaleVenueForTest()}); err != nil {
		t.Fatalf("gateway CreateEvent: %v", err)
	}
	seats := func(ids ...string) *boxofficev1.HoldRequest_Seats {
		return &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: ids}}
	}
	paid, err := gwInv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev", Holder: "fan1", Selection: seats("S0-R1-1", "S0-R1-2")})
	if err != nil {
		t.Fatalf("gateway Hold: %v", err)
	}
	sold, err := gwInv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "s1", EventId: "ev", HoldId: paid.HoldId, Holder: "fan1", OrderId: "o1", Buyer: "fan1"})
	if err != nil || len(sold.Tickets) != 2 {
		t.Fatalf("gateway Sell: %v %v", sold, err)
	}
	live, err := gwInv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h2", EventId: "ev", Holder: "fan2", Selection: seats("S0-R2-1")})
	if err != nil {
		t.Fatalf("gateway Hold: %v", err)
	}
	rec, err := gwRecords.CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "r1", Key: "fan/fan1", Value: []byte("secret")})
	if err != nil {
		t.Fatalf("gateway Records.CompareAndSwap: %v", err)
	}
	if got, err := gwRecords.Scan(ctx, &boxofficev1.ScanRequest{Prefix: "fan/", Limit: 10}); err != nil || len(got.Records) != 1 {
		t.Fatalf("gateway Records.Scan: %v %v", got, err)
	}

	t.Run("records dump and forged ticket refused to reader and operator", func(t *testing.T) {
		for _, c := range []struct {
			role string
			conn *grpc.ClientConn
		}{{"reader", readerConn}, {"operator", operatorConn}} {
			records := boxofficev1.NewRecordsClient(c.conn)
			_, err := records.Scan(ctx, &boxofficev1.ScanRequest{Prefix: "", Limit: 1000})
			wantRoleRefused(t, c.role+" Records.Scan", err)
			_, err = records.Get(ctx, &boxofficev1.GetRecordRequest{Key: "fan/fan1"})
			wantRoleRefused(t, c.role+" Records.Get", err)
			_, err = records.CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "forge-" + c.role, Key: "ticket/ev/0/1", Value: []byte(`{"forged":true}`)})
			wantRoleRefused(t, c.role+" Records.CompareAndSwap", err)
			// The message names the role and the service, nothing internal.
			if st := status.Convert(err); st.Message() != `role "`+c.role+`" may not call CompareAndSwap on the boxoffice.v1.Records service` {
				t.Fatalf("message %q", st.Message())
			}
		}
		if _, err := gwRecords.Get(ctx, &boxofficev1.GetRecordRequest{Key: "ticket/ev/0/1"}); status.Code(err) != codes.NotFound {
			t.Fatalf("a refused CompareAndSwap wrote the record: %v", err)
		}
		if got, err := gwRecords.Get(ctx, &boxofficev1.GetRecordRequest{Key: "fan/fan1"}); err != nil || got.Version != rec.Version {
			t.Fatalf("gateway Records.Get after refusals: %v %v", got, err)
		}
		for _, role := range []string{"reader", "operator"} {
			for _, m := range []string{boxofficev1.Records_Scan_FullMethodName, boxofficev1.Records_Get_FullMethodName, boxofficev1.Records_CompareAndSwap_FullMethodName} {
				if n := permissionDenials(tc, m, role); n != 1 {
					t.Errorf("boxoffice_api_permission_denied_total{method=%q,role=%q} = %v, want 1", m, role, n)
				}
			}
		}
	})

	t.Run("RemoveNode refused to gateway and reader", func(t *testing.T) {
		for _, c := range []struct {
			role string
			conn *grpc.ClientConn
		}{{"gateway", gatewayConn}, {"reader", readerConn}} {
			_, err := boxofficev1.NewClusterClient(c.conn).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n3"})
			wantRoleRefused(t, c.role+" RemoveNode", err)
			if n := permissionDenials(tc, boxofficev1.Cluster_RemoveNode_FullMethodName, c.role); n != 1 {
				t.Errorf("refusals of %s RemoveNode counted %v, want 1", c.role, n)
			}
		}
		for _, g := range tc.hosts[0].groupList() {
			f := g.raft.GetConfiguration()
			if err := f.Error(); err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(f.Configuration().Servers, func(s raft.Server) bool { return string(s.ID) == "n3" }) {
				t.Fatalf("group %s lost n3 after refused RemoveNode calls", g.id)
			}
		}
	})

	t.Run("TransferLeader and Drain refused to gateway and reader", func(t *testing.T) {
		group := tc.hosts[0].catalog.GroupIDs()[0]
		before := tc.hosts[0].catalog.Group(group).Replicas
		for _, c := range []struct {
			role string
			conn *grpc.ClientConn
		}{{"gateway", gatewayConn}, {"reader", readerConn}} {
			client := boxofficev1.NewClusterClient(c.conn)
			_, err := client.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: group, NodeId: "n3"})
			wantRoleRefused(t, c.role+" TransferLeader", err)
			_, err = client.Drain(ctx, &boxofficev1.DrainRequest{NodeId: "n3", Drained: true})
			wantRoleRefused(t, c.role+" Drain", err)
			for _, m := range []string{boxofficev1.Cluster_TransferLeader_FullMethodName, boxofficev1.Cluster_Drain_FullMethodName} {
				if n := permissionDenials(tc, m, c.role); n != 1 {
					t.Errorf("refusals of %s %s counted %v, want 1", c.role, m, n)
				}
			}
		}
		if n := tc.hosts[0].catalog.Node("n3"); n == nil || n.Draining {
			t.Fatalf("n3 after refused Drain calls: %v", n)
		}
		if after := tc.hosts[0].catalog.Group(group).Replicas; !slices.Equal(after, before) {
			t.Fatalf("group %s replicas %v after refused TransferLeader calls, want %v", group, after, before)
		}
	})

	t.Run("Backup refused to gateway and reader", func(t *testing.T) {
		for _, c := range []struct {
			role string
			conn *grpc.ClientConn
		}{{"gateway", gatewayConn}, {"reader", readerConn}} {
			stream, err := boxofficev1.NewClusterClient(c.conn).Backup(ctx, &boxofficev1.BackupRequest{GroupId: cluster.MetaGroupID})
			if err == nil {
				var chunk *boxofficev1.BackupChunk
				chunk, err = stream.Recv()
				if chunk != nil {
					t.Fatalf("%s Backup received %d bytes of the catalog", c.role, len(chunk.Data))
				}
			}
			wantRoleRefused(t, c.role+" Backup", err)
			if n := permissionDenials(tc, boxofficev1.Cluster_Backup_FullMethodName, c.role); n != 1 {
				t.Errorf("refusals of %s Backup counted %v, want 1", c.role, n)
			}
		}
	})

	t.Run("reader may not refund, release or create", func(t *testing.T) {
		inv := boxofficev1.NewInventoryClient(readerConn)
		_, err := inv.Refund(ctx, &boxofficev1.RefundRequest{RequestId: "rr", EventId: "ev", OrderId: "o1", TicketIds: soldTicketIDs(sold.Tickets)})
		wantRoleRefused(t, "reader Refund", err)
		_, err = inv.Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "rl", EventId: "ev", HoldId: live.HoldId, Holder: "fan2"})
		wantRoleRefused(t, "reader Release", err)
		_, err = inv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "rc", EventId: "rogue", Venue: onSaleVenueForTest()})
		wantRoleRefused(t, "reader CreateEvent", err)
		// A Commands stream carries the same mutations: refused when it opens.
		stream, err := inv.Commands(ctx)
		if err == nil {
			_ = stream.Send(&boxofficev1.CommandsRequest{Tag: 1, Command: &boxofficev1.CommandsRequest_Release{Release: &boxofficev1.ReleaseRequest{
				RequestId: "rl2", EventId: "ev", HoldId: live.HoldId, Holder: "fan2"}}})
			_, err = stream.Recv()
		}
		wantRoleRefused(t, "reader Commands", err)

		// Nothing changed, as the reader itself can see.
		m, err := inv.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev", Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE})
		if err != nil {
			t.Fatalf("reader GetSeatMap: %v", err)
		}
		want := map[string]boxofficev1.SeatState{"S0-R1-1": boxofficev1.SeatState_SEAT_STATE_SOLD, "S0-R1-2": boxofficev1.SeatState_SEAT_STATE_SOLD,
			"S0-R2-1": boxofficev1.SeatState_SEAT_STATE_HELD}
		for _, sec := range m.Sections {
			for _, row := range sec.Rows {
				for _, s := range row.Seats {
					if w, ok := want[s.SeatId]; ok && s.State != w {
						t.Errorf("seat %s is %v after refused calls, want %v", s.SeatId, s.State, w)
					}
				}
			}
		}
		if _, err := inv.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev", HoldId: live.HoldId}); err != nil {
			t.Fatalf("reader GetHold of the live hold: %v", err)
		}
		if _, err := inv.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "rogue"}); status.Code(err) != codes.NotFound {
			t.Fatalf("refused CreateEvent created the event: %v", err)
		}
		if _, err := boxofficev1.NewClusterClient(readerConn).Status(ctx, &boxofficev1.StatusRequest{}); err != nil {
			t.Fatalf("reader Cluster.Status: %v", err)
		}
		for _, m := range []string{boxofficev1.Inventory_Refund_FullMethodName, boxofficev1.Inventory_Release_FullMethodName,
			boxofficev1.Inventory_CreateEvent_FullMethodName, boxofficev1.Inventory_Commands_FullMethodName} {
			if n := permissionDenials(tc, m, "reader"); n != 1 {
				t.Errorf("refusals of reader %s counted %v, want 1", m, n)
			}
		}
	})

	t.Run("refund without the sale's tickets cannot free a paid seat", func(t *testing.T) {
		// The gateway role may refund, so this is the direct-call attack
		// with the most privilege short of the tickets themselves.
		_, err := gwInv.Refund(ctx, &boxofficev1.RefundRequest{RequestId: "steal1", EventId: "ev", OrderId: "o1"})
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != ReasonInvalidRequest {
			t.Fatalf("refund without ticket ids: %v, want INVALID_ARGUMENT %s", err, ReasonInvalidRequest)
		}
		// A ticket of another order, a ticket number that was never
		// sold, and an id that names no shard: each refuses the whole
		// request.
		other, err := gwInv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h3", EventId: "ev", Holder: "fan3", Selection: seats("S0-R2-3")})
		if err != nil {
			t.Fatal(err)
		}
		otherSale, err := gwInv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "s3", EventId: "ev", HoldId: other.HoldId, Holder: "fan3", OrderId: "o3", Buyer: "fan3"})
		if err != nil {
			t.Fatal(err)
		}
		for i, ids := range [][]string{
			{sold.Tickets[0].TicketId, otherSale.Tickets[0].TicketId},
			{sold.Tickets[0].TicketId, "ev/0/999"},
			{sold.Tickets[0].TicketId, "ev/77/1"},
			{"other-event/0/1"},
		} {
			_, err := gwInv.Refund(ctx, &boxofficev1.RefundRequest{RequestId: "steal-" + string(rune('a'+i)), EventId: "ev", OrderId: "o1", TicketIds: ids})
			if status.Code(err) != codes.NotFound || reasonOf(err) != ReasonTicketNotInOrder {
				t.Fatalf("refund of %v: %v, want NOT_FOUND %s", ids, err, ReasonTicketNotInOrder)
			}
		}
		// The second buyer still cannot have the seat.
		_, err = gwInv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h-second", EventId: "ev", Holder: "second-buyer", Selection: seats("S0-R1-1")})
		if status.Code(err) != codes.Aborted || reasonOf(err) != ReasonSeatUnavailable {
			t.Fatalf("second buyer's hold on a paid seat: %v, want ABORTED %s", err, ReasonSeatUnavailable)
		}
		// The real refund names the sale and frees exactly its seats.
		ref, err := gwInv.Refund(ctx, &boxofficev1.RefundRequest{RequestId: "refund-o1", EventId: "ev", OrderId: "o1", TicketIds: soldTicketIDs(sold.Tickets)})
		if err != nil || len(ref.Tickets) != 2 {
			t.Fatalf("refund with the sale's tickets: %v %v", ref, err)
		}
		if _, err := gwInv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h-second2", EventId: "ev", Holder: "second-buyer", Selection: seats("S0-R1-1")}); err != nil {
			t.Fatalf("hold after a real refund: %v", err)
		}
	})

	t.Run("no role or an unknown role: only health", func(t *testing.T) {
		for _, name := range []string{"norole", "stranger"} {
			conn := dialWithCert(t, addr, certs, name)
			if resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("%s health check: %v %v", name, resp, err)
			}
			inv := boxofficev1.NewInventoryClient(conn)
			_, err := inv.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "ev"})
			wantRoleRefused(t, name+" GetEvent", err)
			_, err = inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x", EventId: "ev", Holder: "x", Selection: seats("S1-R1-1")})
			wantRoleRefused(t, name+" Hold", err)
			_, err = boxofficev1.NewClusterClient(conn).Status(ctx, &boxofficev1.StatusRequest{})
			wantRoleRefused(t, name+" Status", err)
			_, err = boxofficev1.NewRecordsClient(conn).Scan(ctx, &boxofficev1.ScanRequest{Limit: 10})
			wantRoleRefused(t, name+" Records.Scan", err)
			w, err := inv.Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev"})
			if err == nil {
				_, err = w.Recv()
			}
			wantRoleRefused(t, name+" Watch", err)
		}
		if n := permissionDenials(tc, boxofficev1.Inventory_GetEvent_FullMethodName, "none"); n != 1 {
			t.Errorf("refusals with no role counted %v, want 1", n)
		}
		if n := permissionDenials(tc, boxofficev1.Inventory_GetEvent_FullMethodName, "unknown"); n != 1 {
			t.Errorf("refusals with an unknown role counted %v, want 1", n)
		}
	})

	t.Run("allowed paths", func(t *testing.T) {
		// reader reads; Watch and ReadSeatMaps streams open.
		inv := boxofficev1.NewInventoryClient(readerConn)
		if _, err := inv.ListEvents(ctx, &boxofficev1.ListEventsRequest{}); err != nil {
			t.Fatalf("reader ListEvents: %v", err)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// From the start of shard 0's changes: the sale above is one.
		if w, err := inv.Watch(wctx, &boxofficev1.WatchRequest{EventId: "ev", After: []*boxofficev1.ShardPosition{{Shard: 0, Sequence: 0}}}); err != nil {
			t.Fatalf("reader Watch: %v", err)
		} else if _, err := w.Recv(); err != nil {
			t.Fatalf("reader Watch: %v", err)
		}
		if _, err := boxofficev1.NewClusterClient(readerConn).Routing(ctx, &boxofficev1.RoutingRequest{EventId: "ev"}); err != nil {
			t.Fatalf("reader Routing: %v", err)
		}
		// gateway reads the cluster's shape.
		if st, err := boxofficev1.NewClusterClient(gatewayConn).Status(ctx, &boxofficev1.StatusRequest{}); err != nil || st.Plaintext {
			t.Fatalf("gateway Status: %v (plaintext %v)", err, st.GetPlaintext())
		}
		// operator holds and releases, and removes a node.
		opInv := boxofficev1.NewInventoryClient(operatorConn)
		h, err := opInv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "op-h", EventId: "ev", Holder: "ops", Selection: seats("S1-R1-1")})
		if err != nil {
			t.Fatalf("operator Hold: %v", err)
		}
		if _, err := opInv.Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "op-r", EventId: "ev", HoldId: h.HoldId, Holder: "ops"}); err != nil {
			t.Fatalf("operator Release: %v", err)
		}
		opCluster := boxofficev1.NewClusterClient(operatorConn)
		if _, err := opCluster.Status(ctx, &boxofficev1.StatusRequest{}); err != nil {
			t.Fatalf("operator Status: %v", err)
		}
		if _, err := opCluster.RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n3"}); err != nil {
			t.Fatalf("operator RemoveNode: %v", err)
		}
	})
}

// TestPeerPortRequiresNodeRole: on the peer port a certificate must name the
// server and carry role node; a client certificate, even one that names the
// server, is refused at the handshake.
func TestPeerPortRequiresNodeRole(t *testing.T) {
	skipIfShort(t)
	certs := t.TempDir()
	if err := nodetls.DevCerts(certs, "server.boxoffice", []string{"n1"}, []nodetls.ClientCert{{Name: "app", Role: nodetls.RoleGateway}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	signWithDevCA(t, certs, "sly", []string{string(nodetls.RoleGateway)}, []string{"server.boxoffice"})
	signWithDevCA(t, certs, "bare", nil, []string{"server.boxoffice"})
	tc := newMutualTLSCluster(t, 1, certs)
	ctx := ctxT(t, 30*time.Second)
	peerCall := func(name string) error {
		pc := newPeerClients(peerDialer{tls: loadClientTLS(t, certs, name)})
		defer pc.close()
		client, err := pc.get(tc.configs[0].PeerAddr)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err = client.LocalStatus(cctx, &nodepb.LocalStatusRequest{})
		return err
	}
	if err := peerCall("n1"); err != nil {
		t.Fatalf("a node certificate must be accepted on the peer port: %v", err)
	}
	for _, name := range []string{"app", "sly", "bare"} {
		if err := peerCall(name); err == nil {
			t.Fatalf("certificate %s (not role node) was accepted on the peer port", name)
		}
	}
	// A node refuses to start with a certificate other nodes would refuse.
	bad := TLSConfig{CAFile: filepath.Join(certs, "ca.pem"), CertFile: filepath.Join(certs, "sly.pem"), KeyFile: filepath.Join(certs, "sly-key.pem"), ServerName: "server.boxoffice"}
	if err := bad.load(); err == nil {
		t.Fatal("a certificate without role node loaded as a node's")
	}
}

// TestMethodRolesCoverEveryMethod: every method the gRPC port serves has an
// entry in methodRoles, so a new RPC cannot be added unprotected (a method
// without one is refused to every role).
func TestMethodRolesCoverEveryMethod(t *testing.T) {
	var logged lockedLog
	tc := NewTestCluster(t, 1, func(i int, c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logged, nil)) })
	// Plaintext authorizes nothing, and says so.
	if !strings.Contains(logged.String(), `level=WARN msg="`+PlaintextWarning) {
		t.Errorf("a plaintext node did not log %q at WARN:\n%s", PlaintextWarning, logged.String())
	}
	if st, err := tc.ClusterClient(0).Status(ctxT(t, 10*time.Second), &boxofficev1.StatusRequest{LocalOnly: true}); err != nil || !st.Plaintext {
		t.Errorf("Status of a plaintext node: %v, plaintext %v", err, st.GetPlaintext())
	}
	served := 0
	for service, info := range tc.hosts[0].grpcServer.GetServiceInfo() {
		for _, m := range info.Methods {
			served++
			full := "/" + service + "/" + m.Name
			if _, ok := methodRoles[full]; !ok {
				t.Errorf("%s has no entry in methodRoles", full)
			}
		}
	}
	if served < 20 {
		t.Fatalf("only %d methods served; the server's services were not found", served)
	}
	// And a method missing from the table is refused to every role.
	h := &Host{cfg: Config{TLS: &TLSConfig{}}, metrics: newNodeMetrics(nil)}
	for _, r := range nodetls.Roles {
		err := h.authorize(tlsPeerContext(t, r), "/boxoffice.v1.Inventory/NotInTheTable")
		wantRoleRefused(t, string(r)+" on a method missing from the table", err)
	}
}

// lockedLog is a bytes.Buffer safe for a logger's concurrent writes.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tlsPeerContext is a server-side call context from a TLS connection whose
// client certificate has role r.
func tlsPeerContext(t testing.TB, r nodetls.Role) context.Context {
	t.Helper()
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "c", OrganizationalUnit: []string{string(r)}}}
	return peer.NewContext(context.Background(), &peer.Peer{AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}}})
}

// BenchmarkAuthorize is the cost authorization adds to a call: no
// certificate parsing, no allocation when the call is allowed.
func BenchmarkAuthorize(b *testing.B) {
	h := &Host{cfg: Config{TLS: &TLSConfig{}}, metrics: newNodeMetrics(nil)}
	ctx := tlsPeerContext(b, nodetls.RoleGateway)
	b.ReportAllocs()
	for b.Loop() {
		if err := h.authorize(ctx, boxofficev1.Inventory_Hold_FullMethodName); err != nil {
			b.Fatal(err)
		}
	}
}
