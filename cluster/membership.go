package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// NodeMeta is what every node gossips about itself.
type NodeMeta struct {
	NodeID     string `json:"id"`
	GRPCAddr   string `json:"grpc"`
	PeerAddr   string `json:"peer"`
	HTTPAddr   string `json:"http"`
	GossipAddr string `json:"gossip"`
	// Incarnation changes when a node starts over with an empty data dir.
	Incarnation string `json:"inc"`
	// Locality is the node's Locality as text (Locality.String).
	Locality string `json:"loc,omitempty"`
	// Version is the release the node runs (node.ReleaseVersion), and
	// FeatureLevel the newest feature level its build can apply. Releases
	// before v0.2.0 gossip neither (and ignore both): absent means level 1.
	Version      string `json:"ver,omitempty"`
	FeatureLevel int    `json:"fl,omitempty"`
}

// Member is one node as this node's failure detector sees it.
type Member struct {
	NodeMeta
	State string // alive, suspect, dead, left
}

// MembershipConfig configures gossip.
type MembershipConfig struct {
	// BindAddr is host:port for memberlist's TCP and UDP.
	BindAddr string
	// AdvertiseAddr is what other nodes dial; empty means BindAddr.
	AdvertiseAddr string
	Meta          NodeMeta
	Logger        *slog.Logger
	// OnChange is called (from memberlist's goroutines) after a node joins,
	// leaves, fails or updates its metadata.
	OnChange func()
	// Fast selects short probe intervals (tests and the in-process demo).
	Fast bool
	// GossipKeys are memberlist's keyring: the first encrypts and
	// authenticates everything this node sends, every one is accepted on
	// receipt (so a key can be rotated in; see SetGossipKeys). Each is 16,
	// 24 or 32 bytes (AES-128/192/256-GCM). With keys, gossip that is not
	// encrypted with one of them is dropped in both directions
	// (GossipVerifyIncoming and GossipVerifyOutgoing). Empty: gossip is
	// plaintext and unauthenticated, and anyone who reaches the gossip
	// port can join.
	GossipKeys [][]byte
}

// Reconnection to members that failed or left (see reconnectLoop): how
// often a node dials them again, and for how long after it saw them go
// (Serf's default; a node gone longer than that is decommissioned, or
// comes back through its own join list).
const (
	reconnectInterval     = 5 * time.Second
	reconnectIntervalFast = time.Second
	reconnectTimeout      = 24 * time.Hour
)

// Membership discovers nodes and detects their failure with memberlist.
type Membership struct {
	cfg     MembershipConfig
	list    *memberlist.Memberlist
	keyring *memberlist.Keyring // nil: gossip in the clear

	mu      sync.Mutex
	members map[string]*Member
	// ignored holds the memberlist names whose metadata names another
	// node id, with the id claimed (see update); they are not members.
	ignored      map[string]string
	ignoredTotal atomic.Uint64

	stop     chan struct{} // closed by Leave and Shutdown: ends reconnectLoop
	stopOnce sync.Once
}

// StartMembership starts gossip. Join is separate so that a node can start
// before its peers.
func StartMembership(cfg MembershipConfig) (*Membership, error) {
	host, portText, err := net.SplitHostPort(cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("membership: bind address %q: %w", cfg.BindAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("membership: bind port %q: %w", portText, err)
	}
	if meta, _ := json.Marshal(cfg.Meta); len(meta) > memberlist.MetaMaxSize {
		// memberlist would gossip no metadata at all, and no node would
		// learn this one's addresses.
		return nil, fmt.Errorf("membership: the node's metadata is %d bytes, more than memberlist's %d (shorten the addresses or the locality): %s",
			len(meta), memberlist.MetaMaxSize, meta)
	}
	m := &Membership{cfg: cfg, members: make(map[string]*Member), ignored: make(map[string]string), stop: make(chan struct{})}
	mc := memberlist.DefaultLANConfig()
	if cfg.Fast {
		mc = memberlist.DefaultLocalConfig()
		mc.ProbeInterval = 500 * time.Millisecond
		mc.ProbeTimeout = 250 * time.Millisecond
		mc.GossipInterval = 100 * time.Millisecond
		mc.SuspicionMult = 2
	}
	mc.Name = cfg.Meta.NodeID
	mc.BindAddr = host
	mc.BindPort = port
	adv := cfg.AdvertiseAddr
	if adv == "" {
		adv = cfg.BindAddr
	}
	advHost, advPortText, err := net.SplitHostPort(adv)
	if err != nil {
		return nil, fmt.Errorf("membership: advertise address %q: %w", adv, err)
	}
	advPort, _ := strconv.Atoi(advPortText)
	mc.AdvertiseAddr = advHost
	mc.AdvertisePort = advPort
	mc.Delegate = &metaDelegate{m: m}
	mc.Events = &eventDelegate{m: m}
	mc.Logger = log.New(&slogWriter{logger: cfg.Logger}, "", 0)
	if len(cfg.GossipKeys) > 0 {
		keyring, err := memberlist.NewKeyring(cfg.GossipKeys[1:], cfg.GossipKeys[0])
		if err != nil {
			return nil, fmt.Errorf("membership: gossip keys: %w", err)
		}
		mc.Keyring = keyring
		m.keyring = keyring
		mc.GossipVerifyIncoming = true
		mc.GossipVerifyOutgoing = true
	}
	list, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	m.list = list
	interval := reconnectInterval
	if cfg.Fast {
		interval = reconnectIntervalFast
	}
	go m.reconnectLoop(interval)
	return m, nil
}

// reconnectLoop dials, every interval, the gossip address of each member
// this node has seen that memberlist no longer counts as alive (failed or
// left), as Serf does for failed members. memberlist itself never probes a
// dead member again and gossips to it only for GossipToTheDeadTime, so a
// node that comes back after that and joins no live member (a restarted
// node whose join list names only itself, as the first node's usually
// does) forms a cluster of its own: jepsen seed 2024, where the others saw
// the restarted n1 dead, n1 saw nobody (its members: itself only), and
// whatever needs both views (registering a node, adding it to a group the
// other side leads) never happened. A join is one TCP push/pull; it fails
// fast for a node that is really gone, and a node that is back refutes its
// death and is alive again everywhere.
func (m *Membership) reconnectLoop(interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	downSince := map[string]time.Time{}
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		live := m.liveNames()
		var addrs []string
		m.mu.Lock()
		for id, mem := range m.members {
			if live[id] || id == m.cfg.Meta.NodeID || mem.GossipAddr == "" {
				delete(downSince, id)
				continue
			}
			if _, seen := downSince[id]; !seen {
				downSince[id] = now
			}
			if now.Sub(downSince[id]) < reconnectTimeout {
				addrs = append(addrs, mem.GossipAddr)
			}
		}
		m.mu.Unlock()
		if len(addrs) == 0 {
			continue
		}
		slices.Sort(addrs)
		if n, err := m.list.Join(addrs); n > 0 && m.cfg.Logger != nil {
			m.cfg.Logger.Info("gossip: reconnected to members seen failed or left", "addresses", addrs, "contacted", n, "error", err)
		}
	}
}

// stopReconnecting ends reconnectLoop. It does not wait for a join in
// flight (up to memberlist's TCP timeout to an unreachable address); a join
// racing with shutdown fails harmlessly.
func (m *Membership) stopReconnecting() {
	m.stopOnce.Do(func() { close(m.stop) })
}

// Join contacts existing nodes; it succeeds if any answered.
func (m *Membership) Join(addrs []string) (int, error) {
	if len(addrs) == 0 {
		return 0, nil
	}
	return m.list.Join(addrs)
}

// SetGossipKeys makes the running keyring hold exactly keys, keys[0] the
// primary, without a restart: it installs the new keys, switches the
// primary, then removes the keys no longer listed. A key rotates through
// three calls on every node, each one finished on every node before the
// next starts: [old, new] (new accepted everywhere), [new, old] (new used
// everywhere), [new] (old gone). Each step keeps every pair of nodes able
// to read each other. It fails, changing nothing, for a node started
// without keys (memberlist cannot turn encryption on at run time) or an
// invalid key.
func (m *Membership) SetGossipKeys(keys [][]byte) error {
	keyring := m.keyring
	if keyring == nil {
		return errors.New("membership: gossip was started without keys; restart the node to turn encryption on")
	}
	if len(keys) == 0 {
		return errors.New("membership: no gossip key given; turning encryption off needs a restart")
	}
	for i, k := range keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return fmt.Errorf("membership: gossip key %d: %w", i+1, err)
		}
	}
	for _, k := range keys {
		if err := keyring.AddKey(k); err != nil {
			return fmt.Errorf("membership: %w", err)
		}
	}
	if err := keyring.UseKey(keys[0]); err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	for _, installed := range keyring.GetKeys() {
		if !slices.ContainsFunc(keys, func(k []byte) bool { return bytes.Equal(k, installed) }) {
			if err := keyring.RemoveKey(installed); err != nil {
				return fmt.Errorf("membership: %w", err)
			}
		}
	}
	return nil
}

// Members returns every node ever seen, sorted by id. Whether a node is up
// comes from memberlist's current member list, not from the order in which
// join and leave events were delivered: a node restarted within
// milliseconds can see the leave of its previous process arrive after the
// join of the new one. Its metadata comes from the events, which memberlist
// delivers under its lock: the *Node values that Members() returns are
// updated in place by memberlist's goroutines, so only their Name (which
// never changes) may be read here.
func (m *Membership) Members() []Member {
	live := m.liveNames()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Member, 0, len(m.members)+len(live))
	for name := range live {
		if _, ok := m.members[name]; !ok {
			// Listed before its join event was handled: known by name only.
			out = append(out, Member{NodeMeta: NodeMeta{NodeID: name}, State: "alive"})
		}
	}
	for id, mem := range m.members {
		member := *mem
		switch {
		case live[id]:
			member.State = "alive"
		case member.State == "alive":
			member.State = "dead"
		}
		out = append(out, member)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.NodeID, b.NodeID) })
	return out
}

// Alive reports whether the failure detector counts a node as a member
// (alive or suspect).
func (m *Membership) Alive(nodeID string) bool {
	return m.liveNames()[nodeID]
}

// liveNames is the set of node names memberlist counts as members, less
// those ignored for naming another node id in their metadata. A node's
// memberlist name is its node id (StartMembership sets it).
func (m *Membership) liveNames() map[string]bool {
	live := map[string]bool{}
	nodes := m.list.Members()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range nodes {
		if _, ignored := m.ignored[n.Name]; !ignored {
			live[n.Name] = true
		}
	}
	return live
}

// IgnoredTotal counts the gossip updates ignored because the member's
// metadata named a node id other than its memberlist name.
func (m *Membership) IgnoredTotal() uint64 { return m.ignoredTotal.Load() }

// memberOf decodes a memberlist node. Call it only where memberlist
// guarantees the node is not being updated (its event callbacks).
func memberOf(n *memberlist.Node, state string) Member {
	var meta NodeMeta
	if err := json.Unmarshal(n.Meta, &meta); err != nil || meta.NodeID == "" {
		meta = NodeMeta{NodeID: n.Name}
	}
	return Member{NodeMeta: meta, State: state}
}

// Leave announces departure and stops gossip.
func (m *Membership) Leave(timeout time.Duration) error {
	m.stopReconnecting()
	err := m.list.Leave(timeout)
	if shutdownErr := m.list.Shutdown(); err == nil {
		err = shutdownErr
	}
	return err
}

// Shutdown stops gossip without announcing (as a crash would).
func (m *Membership) Shutdown() error {
	m.stopReconnecting()
	return m.list.Shutdown()
}

// update records a member's metadata. A member is known by its memberlist
// name, which memberlist keeps unique; metadata that names another node id
// is ignored (the member is no member at all until it gossips metadata
// that matches), so no member can speak for another node's id: that is
// how a rogue member repointed n1's addresses to its own ports. Logged
// once per name and claimed id, counted every time.
func (m *Membership) update(n *memberlist.Node, state string) {
	mem := memberOf(n, state)
	m.mu.Lock()
	if mem.NodeID != n.Name {
		m.ignoredTotal.Add(1)
		first := m.ignored[n.Name] != mem.NodeID
		m.ignored[n.Name] = mem.NodeID
		m.mu.Unlock()
		if first && m.cfg.Logger != nil {
			m.cfg.Logger.Warn("gossip: member ignored: its metadata names another node id than its name",
				"name", n.Name, "claimed_node_id", mem.NodeID, "address", n.Address())
		}
		return
	}
	delete(m.ignored, n.Name)
	m.members[mem.NodeID] = &mem
	m.mu.Unlock()
	if m.cfg.OnChange != nil {
		m.cfg.OnChange()
	}
}

type metaDelegate struct{ m *Membership }

func (d *metaDelegate) NodeMeta(limit int) []byte {
	b, _ := json.Marshal(d.m.cfg.Meta)
	if len(b) > limit {
		return nil
	}
	return b
}
func (d *metaDelegate) NotifyMsg([]byte)                           {}
func (d *metaDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *metaDelegate) LocalState(join bool) []byte                { return nil }
func (d *metaDelegate) MergeRemoteState(buf []byte, join bool)     {}

type eventDelegate struct{ m *Membership }

func (d *eventDelegate) NotifyJoin(n *memberlist.Node)   { d.m.update(n, "alive") }
func (d *eventDelegate) NotifyUpdate(n *memberlist.Node) { d.m.update(n, "alive") }

// NotifyLeave records a member that failed or left. memberlist hands over
// a copy of the member's Node whose State it never sets (its own state
// lives in a field that shadows it), so a member that left cleanly is
// recorded as "dead" too today; the "left" branch is kept for a
// memberlist that fills it in.
func (d *eventDelegate) NotifyLeave(n *memberlist.Node) {
	state := "dead"
	if n.State == memberlist.StateLeft {
		state = "left"
	}
	d.m.update(n, state)
}

// slogWriter adapts memberlist's log.Logger output to slog.
type slogWriter struct{ logger *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	if w.logger == nil {
		return len(p), nil
	}
	line := strings.TrimSpace(string(p))
	switch {
	case strings.Contains(line, "[ERR]") && memberUnreachable(line):
		// A member that is down or leaving is memberlist's business (it
		// marks it suspect, then dead), not an operator's: WARN.
		w.logger.Warn(line, "component", "memberlist")
	case strings.Contains(line, "[ERR]"):
		w.logger.Error(line, "component", "memberlist")
	case strings.Contains(line, "[WARN]"):
		w.logger.Warn(line, "component", "memberlist")
	default:
		w.logger.Debug(line, "component", "memberlist")
	}
	return len(p), nil
}

var _ io.Writer = (*slogWriter)(nil)

// memberUnreachableMarks are memberlist's [ERR] messages that only say a
// member did not answer.
var memberUnreachableMarks = []string{
	"memberlist: Push/Pull with ",
	"memberlist: Failed fallback TCP ping",
	"memberlist: Failed to send gossip to",
	"memberlist: Failed to send UDP ping",
	"memberlist: Failed to send UDP compound ping",
	"memberlist: Failed to send indirect",
}

func memberUnreachable(line string) bool {
	for _, mark := range memberUnreachableMarks {
		if strings.Contains(line, mark) {
			return true
		}
	}
	return false
}
