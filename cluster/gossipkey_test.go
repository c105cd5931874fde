package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/boxoffice/boxoffice/internal/testport"
)

// gossipTestKey returns a key of 32 bytes made of b.
func gossipTestKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// startTestMember starts a Membership for node id on a free loopback port.
func startTestMember(t *testing.T, id string, keys [][]byte) (*Membership, string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testport.Ports(t, 1)[0])
	m, err := StartMembership(MembershipConfig{BindAddr: addr, Fast: true, GossipKeys: keys,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Meta:   NodeMeta{NodeID: id, GossipAddr: addr, PeerAddr: "127.0.0.1:1", GRPCAddr: "127.0.0.1:2", Incarnation: "i-" + id}})
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m, addr
}

// rawMember starts a bare memberlist named name that gossips meta, the way
// anyone with a copy of memberlist can: it is how the tests play a rogue.
func rawMember(t *testing.T, name string, meta NodeMeta, keys [][]byte) *memberlist.Memberlist {
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
	mc.Delegate = &staticMeta{meta: b}
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

type staticMeta struct{ meta []byte }

func (d *staticMeta) NodeMeta(int) []byte             { return d.meta }
func (d *staticMeta) NotifyMsg([]byte)                {}
func (d *staticMeta) GetBroadcasts(int, int) [][]byte { return nil }
func (d *staticMeta) LocalState(bool) []byte          { return nil }
func (d *staticMeta) MergeRemoteState([]byte, bool)   {}

// listAddr is the gossip address of a bare memberlist.
func listAddr(list *memberlist.Memberlist) string {
	n := list.LocalNode()
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(50 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", d, what)
		}
	}
}

// knows reports whether m lists a member with this node id.
func knows(m *Membership, id string) bool {
	for _, mem := range m.Members() {
		if mem.NodeID == id {
			return true
		}
	}
	return false
}

// TestGossipWithoutTheKeyIsRefused: members that share a gossip key form a
// cluster; a memberlist with no key, or with another key, cannot join
// through either of them and is never listed, in either direction.
func TestGossipWithoutTheKeyIsRefused(t *testing.T) {
	key := [][]byte{gossipTestKey(1)}
	n1, n1Addr := startTestMember(t, "n1", key)
	n2, _ := startTestMember(t, "n2", key)
	if _, err := n2.Join([]string{n1Addr}); err != nil {
		t.Fatalf("a member with the key must join: %v", err)
	}
	waitUntil(t, 10*time.Second, "n1 and n2 see each other", func() bool { return n1.Alive("n2") && n2.Alive("n1") })

	for _, tc := range []struct {
		name string
		keys [][]byte
	}{
		{"nokey", nil},
		{"wrongkey", [][]byte{gossipTestKey(2)}},
	} {
		rogue := rawMember(t, tc.name, NodeMeta{NodeID: tc.name}, tc.keys)
		if n, err := rogue.Join([]string{n1Addr}); err == nil || n > 0 {
			t.Errorf("%s: joined %d members (error %v); want refused", tc.name, n, err)
		}
		// And the other way round: a keyed member dialing it learns nothing.
		if _, err := n2.Join([]string{listAddr(rogue)}); err == nil {
			t.Errorf("%s: n2 joined it; want refused", tc.name)
		}
	}
	time.Sleep(2 * time.Second) // several probe and gossip rounds, in which no rogue may appear
	for _, m := range []*Membership{n1, n2} {
		for _, rogue := range []string{"nokey", "wrongkey"} {
			if m.Alive(rogue) || knows(m, rogue) {
				t.Errorf("a member without the key is listed: %s", rogue)
			}
		}
	}
}

// TestMemberNamingAnotherNodeIsIgnored: a member whose metadata names a node
// id other than its memberlist name (here "rogue" claiming "n1" with its own
// addresses) is ignored: not alive, not listed, and n1's metadata as seen by
// the others stays n1's own. It is counted.
func TestMemberNamingAnotherNodeIsIgnored(t *testing.T) {
	key := [][]byte{gossipTestKey(1)}
	n1, n1Addr := startTestMember(t, "n1", key)
	n2, _ := startTestMember(t, "n2", key)
	if _, err := n2.Join([]string{n1Addr}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "n1 and n2 see each other", func() bool { return n1.Alive("n2") && n2.Alive("n1") })

	rogue := rawMember(t, "rogue", NodeMeta{NodeID: "n1", PeerAddr: "127.0.0.1:9", GRPCAddr: "127.0.0.1:9", Incarnation: "i-n1"}, key)
	if _, err := rogue.Join([]string{n1Addr}); err != nil {
		t.Fatalf("the rogue has the key and must get through memberlist: %v", err)
	}
	waitUntil(t, 10*time.Second, "n2 to count the rogue's gossip as ignored", func() bool { return n2.IgnoredTotal() > 0 })
	time.Sleep(time.Second) // more gossip rounds, in which the rogue must stay unlisted
	for _, m := range []*Membership{n1, n2} {
		if m.Alive("rogue") || knows(m, "rogue") {
			t.Error("the member named rogue is listed")
		}
	}
	for _, mem := range n2.Members() {
		if mem.NodeID == "n1" && (mem.PeerAddr != "127.0.0.1:1" || mem.GRPCAddr != "127.0.0.1:2") {
			t.Errorf("n1 as n2 sees it: peer %s, grpc %s; want n1's own addresses", mem.PeerAddr, mem.GRPCAddr)
		}
	}
}

// TestGossipKeyRotation rotates the key on a running cluster the documented
// way (add the new key, make it primary, remove the old one; each step on
// every member first) and checks that every member stays alive everywhere
// through each step, and that the old key is refused at the end.
func TestGossipKeyRotation(t *testing.T) {
	old, fresh := gossipTestKey(1), gossipTestKey(2)
	var members []*Membership
	var first string
	for i := range 3 {
		m, addr := startTestMember(t, fmt.Sprintf("n%d", i+1), [][]byte{old})
		if i == 0 {
			first = addr
		} else if _, err := m.Join([]string{first}); err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	allAlive := func() bool {
		for _, m := range members {
			for j := range members {
				if !m.Alive(fmt.Sprintf("n%d", j+1)) {
					return false
				}
			}
		}
		return true
	}
	waitUntil(t, 10*time.Second, "three members alive everywhere", allAlive)
	for _, step := range [][][]byte{{old, fresh}, {fresh, old}, {fresh}} {
		for _, m := range members {
			if err := m.SetGossipKeys(step); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(1500 * time.Millisecond) // probes and gossip under the new keys, in which every member must stay alive
		if !allAlive() {
			t.Fatalf("after keys %d..: a member is no longer seen alive", len(step))
		}
	}
	if n, err := rawMember(t, "stale", NodeMeta{NodeID: "stale"}, [][]byte{old}).Join([]string{first}); err == nil || n > 0 {
		t.Errorf("a member with the removed key joined (%d, %v)", n, err)
	}
	if err := members[0].SetGossipKeys([][]byte{[]byte("short")}); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	if err := members[0].SetGossipKeys(nil); err == nil {
		t.Error("an empty key list was accepted")
	}
}
