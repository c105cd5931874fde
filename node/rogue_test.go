package node

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// These tests play the attacks of issue 15 on gossip against a mutual-TLS
// cluster: a rogue that has the gossip key (it leaked, or the rogue runs on
// a host that once held it) but no node certificate of the cluster's CA.

// newTLSTestCluster starts n nodes on mutual TLS with node certificates
// from pki and gossip keys in a file per node (returned, by node index).
func newTLSTestCluster(t *testing.T, n int, pki *testPKI, keys ...[]byte) (*TestCluster, []string) {
	t.Helper()
	keyFiles := make([]string, n)
	tc := NewTestCluster(t, n, func(i int, c *Config) {
		certFile, keyFile := pki.issue(c.NodeID, c.NodeID, "node")
		keyFiles[i] = writeGossipKeys(t, filepath.Join(pki.dir, c.NodeID+".gossip"), keys...)
		c.Plaintext, c.GossipKeyFile = false, keyFiles[i]
		c.TLS = &TLSConfig{CAFile: pki.caFile(), CertFile: certFile, KeyFile: keyFile}
	})
	return tc, keyFiles
}

// operatorClient dials node i's gRPC port with an operator certificate.
func operatorClient(t *testing.T, tc *TestCluster, pki *testPKI, i int) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(tc.configs[i].GRPCAddr, grpc.WithTransportCredentials(credentials.NewTLS(pki.tlsConfig("ops", "ops", "operator"))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// rogueWithPorts starts a rogue memberlist named name claiming node id
// with the gossip keys, and TLS ports of its own that answer with a node
// certificate for id from another CA. It returns the rogue and its ports.
func rogueWithPorts(t *testing.T, name, id string, keys ...[]byte) (list *memberlist.Memberlist, peerAddr, grpcAddr string) {
	t.Helper()
	foreign := newTestPKI(t).tlsConfig(id, id, "node")
	peerAddr, grpcAddr = tlsServer(t, foreign), tlsServer(t, foreign)
	list = rogueMember(t, name, cluster.NodeMeta{NodeID: id, PeerAddr: peerAddr, GRPCAddr: grpcAddr,
		HTTPAddr: peerAddr, Incarnation: "rogue"}, keys...)
	return list, peerAddr, grpcAddr
}

// holdsFor checks cond every 100ms for d (reconcile passes run every
// second and on every gossip change) and fails at the first false. It
// asserts that nothing changes for a while, so it runs the whole of d.
func holdsFor(t *testing.T, d time.Duration, what string, cond func() string) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) { // the check's interval
		if bad := cond(); bad != "" {
			t.Fatalf("%s: %s", what, bad)
		}
	}
}

// proofsRefused sums the refused proofs of the running nodes.
func proofsRefused(tc *TestCluster) float64 {
	total := 0.0
	for _, h := range tc.hosts {
		if h != nil {
			total += counterValue(h.verifier.refused)
		}
	}
	return total
}

// waitRefused waits until the running nodes have refused more proofs than
// before; on timeout it says which node each believes leads the meta
// group (a meta group without a leader registers nobody, proven or not).
func waitRefused(t *testing.T, tc *TestCluster, before float64, what string) {
	t.Helper()
	if waitUntil(30*time.Second, func() bool { return proofsRefused(tc) > before }) {
		return
	}
	var leaders []string
	for _, h := range tc.hosts {
		if h != nil {
			_, leader := h.meta.leader()
			leaders = append(leaders, fmt.Sprintf("%s: meta leader %q, refused %v", h.NodeID(), leader, counterValue(h.verifier.refused)))
		}
	}
	t.Fatalf("timed out after 30s waiting for: %s (%v)", what, leaders)
}

// inAnyConfiguration names the groups, meta included, whose Raft
// configuration on a running node lists id.
func inAnyConfiguration(tc *TestCluster, id string) []string {
	var groups []string
	for _, h := range tc.hosts {
		if h == nil {
			continue
		}
		for _, g := range h.groupList() {
			f := g.raft.GetConfiguration()
			if f.Error() != nil {
				continue
			}
			for _, s := range f.Configuration().Servers {
				if string(s.ID) == id && !slices.Contains(groups, g.id) {
					groups = append(groups, g.id)
				}
			}
		}
	}
	return groups
}

// inCatalog says where a node's catalog replica lists id: as a node, or
// as a replica of a group.
func inCatalog(h *Host, id string) string {
	snap := h.catalog.Export()
	for _, n := range snap.Nodes {
		if n.NodeId == id {
			return fmt.Sprintf("node %s registered (peer %s, grpc %s)", id, n.PeerAddr, n.GrpcAddr)
		}
	}
	for _, g := range snap.Groups {
		if slices.Contains(g.Replicas, id) {
			return fmt.Sprintf("%s a replica of %s", id, g.GroupId)
		}
	}
	return ""
}

// TestRogueGossipMembersOnATLSCluster plays, on one three-node mutual-TLS
// cluster, in turn: (a) memberlists with no gossip key and with a wrong
// key; (e) a member whose metadata claims n1 under another name; a key
// rotation through reloads; (b) a rogue with the key named n1 after n1
// stopped, advertising its own ports; (d) a rogue with the key and a new
// id while a real node is removed.
func TestRogueGossipMembersOnATLSCluster(t *testing.T) {
	skipIfShort(t)
	oldKey, newKey := gossipKey(1), gossipKey(2)
	pki := newTestPKI(t)
	tc, keyFiles := newTLSTestCluster(t, 3, pki, oldKey)
	ctx := ctxT(t, 2*time.Minute)
	ops := operatorClient(t, tc, pki, 0)
	if _, err := boxofficev1.NewInventoryClient(ops).CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "c", EventId: "show", Venue: onSaleVenueForTest(), GroupCount: 3}); err != nil {
		t.Fatal(err)
	}
	n1 := tc.hosts[1].catalog.Node("n1")
	gossip1 := tc.configs[0].GossipAddr

	t.Run("a: no key or a wrong key cannot join", func(t *testing.T) {
		for name, keys := range map[string][][]byte{"nokey": nil, "wrongkey": {gossipKey(9)}} {
			list := rogueMember(t, name, cluster.NodeMeta{NodeID: name, PeerAddr: "127.0.0.1:9", GRPCAddr: "127.0.0.1:9"}, keys...)
			if n, err := list.Join([]string{gossip1}); err == nil || n > 0 {
				t.Errorf("%s: joined %d members (error %v); want refused", name, n, err)
			}
			if list.NumMembers() != 1 {
				t.Errorf("%s: learned %d members", name, list.NumMembers()-1)
			}
		}
		holdsFor(t, 2*time.Second, "a member without the key was seen", func() string {
			for _, h := range tc.hosts {
				for _, m := range h.membership.Members() {
					if m.NodeID == "nokey" || m.NodeID == "wrongkey" {
						return h.NodeID() + " lists " + m.NodeID
					}
				}
			}
			return ""
		})
	})

	t.Run("e: a member naming another node id is ignored", func(t *testing.T) {
		list, peer, _ := rogueWithPorts(t, "r7", "n1", oldKey)
		if _, err := list.Join([]string{gossip1}); err != nil {
			t.Fatalf("the rogue has the key: memberlist lets it in: %v", err)
		}
		WaitFor(t, 30*time.Second, "every node to ignore r7's gossip", func() bool {
			for _, h := range tc.hosts {
				if h.membership.IgnoredTotal() == 0 {
					return false
				}
			}
			return true
		})
		holdsFor(t, 2*time.Second, "r7's claim to n1", func() string {
			for _, h := range tc.hosts {
				if h.membership.Alive("r7") {
					return h.NodeID() + " counts r7 alive"
				}
				for _, m := range h.membership.Members() {
					if m.PeerAddr == peer {
						return h.NodeID() + " lists the rogue's address for " + m.NodeID
					}
				}
				if got := h.catalog.Node("n1"); got.PeerAddr != n1.PeerAddr || got.GrpcAddr != n1.GrpcAddr {
					return fmt.Sprintf("%s's catalog has n1 at peer %s, grpc %s", h.NodeID(), got.PeerAddr, got.GrpcAddr)
				}
			}
			return ""
		})
		_ = list.Shutdown()
	})

	t.Run("rotation: add, use, remove a key through reloads", func(t *testing.T) {
		allAlive := func() string {
			for _, h := range tc.hosts {
				for _, c := range tc.configs {
					if !h.membership.Alive(c.NodeID) {
						return h.NodeID() + " does not see " + c.NodeID
					}
				}
			}
			return ""
		}
		for _, step := range [][][]byte{{oldKey, newKey}, {newKey, oldKey}, {newKey}} {
			for i, h := range tc.hosts {
				writeGossipKeys(t, keyFiles[i], step...)
				if err := h.ReloadGossipKeys(); err != nil {
					t.Fatal(err)
				}
			}
			holdsFor(t, 2*time.Second, fmt.Sprintf("after reloading %d keys", len(step)), allAlive)
		}
		stale := rogueMember(t, "stale", cluster.NodeMeta{NodeID: "stale"}, oldKey)
		if n, err := stale.Join([]string{gossip1}); err == nil || n > 0 {
			t.Errorf("the removed key still joins (%d, %v)", n, err)
		}
		writeGossipKeys(t, keyFiles[0], []byte("not base64!"))
		if err := tc.hosts[0].ReloadGossipKeys(); err == nil {
			t.Error("a bad key file was accepted on reload")
		}
		holdsFor(t, time.Second, "after a refused reload", allAlive)
		writeGossipKeys(t, keyFiles[0], newKey)
	})

	t.Run("b: a rogue named n1 cannot repoint n1", func(t *testing.T) {
		// memberlist lets a new member take a name that left, not one it
		// saw fail: n1 leaves; if a node saw it fail instead (its leave
		// broadcast lost on a loaded machine), the rogue is refused by
		// memberlist itself, and n1 comes back and leaves again.
		delivered := func(peer string) bool {
			for _, h := range tc.hosts[1:] {
				if !slices.ContainsFunc(h.membership.Members(), func(m cluster.Member) bool {
					return m.NodeID == "n1" && m.State == "alive" && m.PeerAddr == peer
				}) {
					return false
				}
			}
			return true
		}
		var before float64
		var peer, rpc string
		for attempt := 1; ; attempt++ {
			tc.Stop(0)
			WaitFor(t, 30*time.Second, "n2 and n3 to see n1 gone", func() bool {
				return !tc.hosts[1].membership.Alive("n1") && !tc.hosts[2].membership.Alive("n1")
			})
			before = proofsRefused(tc)
			var list *memberlist.Memberlist
			list, peer, rpc = rogueWithPorts(t, "n1", "n1", newKey)
			if _, err := list.Join([]string{tc.configs[1].GossipAddr}); err != nil {
				t.Fatalf("the rogue has the key: memberlist lets it in: %v", err)
			}
			if waitUntil(15*time.Second, func() bool { return delivered(peer) }) {
				break // n2's and n3's gossip say n1 is at the rogue's ports
			}
			if attempt == 5 {
				t.Fatal("memberlist never let the rogue take n1's name after five clean stops of n1")
			}
			_ = list.Shutdown()
			tc.Start(0)
			tc.WaitReady()
		}
		waitRefused(t, tc, before, "the meta leader to refuse the rogue's proof")
		routing := boxofficev1.NewClusterClient(operatorClient(t, tc, pki, 1))
		holdsFor(t, 3*time.Second, "n1's addresses", func() string {
			for _, h := range tc.hosts[1:] {
				if got := h.catalog.Node("n1"); got.PeerAddr != n1.PeerAddr || got.GrpcAddr != n1.GrpcAddr {
					return fmt.Sprintf("%s's catalog has n1 at peer %s, grpc %s", h.NodeID(), got.PeerAddr, got.GrpcAddr)
				}
			}
			resp, err := routing.Routing(ctx, &boxofficev1.RoutingRequest{EventId: "show"})
			if err != nil {
				return "Routing: " + err.Error()
			}
			for _, n := range resp.Nodes {
				if n.NodeId == "n1" && (n.GrpcAddr != n1.GrpcAddr || n.PeerAddr != n1.PeerAddr) {
					return fmt.Sprintf("Routing lists n1 at grpc %s, peer %s", n.GrpcAddr, n.PeerAddr)
				}
			}
			for _, s := range resp.Shards {
				if s.LeaderGrpcAddr == rpc {
					return fmt.Sprintf("Routing sends shard %d to the rogue", s.Shard)
				}
			}
			return ""
		})
	})

	t.Run("d: after RemoveNode a rogue becomes no voter", func(t *testing.T) {
		before := proofsRefused(tc)
		list, _, _ := rogueWithPorts(t, "r9", "r9", newKey)
		if _, err := list.Join([]string{tc.configs[1].GossipAddr}); err != nil {
			t.Fatalf("the rogue has the key: memberlist lets it in: %v", err)
		}
		WaitFor(t, 30*time.Second, "n2 and n3 to see r9 alive", func() bool {
			return tc.hosts[1].membership.Alive("r9") && tc.hosts[2].membership.Alive("r9")
		})
		waitRefused(t, tc, before, "the meta leader to refuse r9's proof")
		// n1 is down (its name is taken by the rogue of the step before):
		// remove it, leaving every data group a replica short.
		if _, err := boxofficev1.NewClusterClient(operatorClient(t, tc, pki, 1)).RemoveNode(ctx,
			&boxofficev1.RemoveNodeRequest{NodeId: "n1"}); err != nil {
			t.Fatalf("RemoveNode n1: %v", err)
		}
		holdsFor(t, 4*time.Second, "rogue members after RemoveNode", func() string {
			for _, id := range []string{"r9", "n1"} {
				if groups := inAnyConfiguration(tc, id); len(groups) > 0 {
					return fmt.Sprintf("%s is in the Raft configuration of %v", id, groups)
				}
				for _, h := range tc.hosts[1:] {
					if where := inCatalog(h, id); where != "" {
						return h.NodeID() + "'s catalog: " + where
					}
				}
			}
			return ""
		})
		for _, h := range tc.hosts[1:] {
			if _, leader := h.meta.leader(); leader == "" {
				t.Errorf("%s: the meta group has no leader", h.NodeID())
			}
		}
	})
}

// TestRogueMemberNeverBecomesMetaVoter: on a one-node mutual-TLS cluster
// (one meta voter, so the meta leader would make a new member a voter), a
// rogue with the gossip key and a new id is never added to the meta group,
// and the meta group keeps its leader. Before members were proven, the
// rogue became the second voter and, never answering, left the meta group
// without a leader for good.
func TestRogueMemberNeverBecomesMetaVoter(t *testing.T) {
	skipIfShort(t)
	key := gossipKey(1)
	pki := newTestPKI(t)
	tc, _ := newTLSTestCluster(t, 1, pki, key)
	list, _, _ := rogueWithPorts(t, "r9", "r9", key)
	if _, err := list.Join([]string{tc.configs[0].GossipAddr}); err != nil {
		t.Fatalf("the rogue has the key: memberlist lets it in: %v", err)
	}
	h := tc.hosts[0]
	WaitFor(t, 30*time.Second, "n1 to see r9 alive", func() bool { return h.membership.Alive("r9") })
	waitRefused(t, tc, 0, "n1 to refuse r9's proof")
	holdsFor(t, 4*time.Second, "the meta group", func() string {
		if groups := inAnyConfiguration(tc, "r9"); len(groups) > 0 {
			return fmt.Sprintf("r9 is in the Raft configuration of %v", groups)
		}
		if where := inCatalog(h, "r9"); where != "" {
			return "catalog: " + where
		}
		if h.meta.raft.State() != raft.Leader {
			return "n1 no longer leads the meta group"
		}
		return ""
	})
}
