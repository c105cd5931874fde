package logstore

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// countingFSM records the commands applied to it, in order.
type countingFSM struct {
	mu       sync.Mutex
	commands []string
}

func (f *countingFSM) Apply(log *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = append(f.commands, string(log.Data))
	return len(f.commands)
}

func (f *countingFSM) applied() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func (f *countingFSM) Snapshot() (raft.FSMSnapshot, error) {
	return nil, fmt.Errorf("countingFSM does not snapshot")
}

func (f *countingFSM) Restore(io.ReadCloser) error {
	return fmt.Errorf("countingFSM does not restore")
}

// raftNode is one node process of the test: one shared DB, and one raft
// instance per group.
type raftNode struct {
	id         raft.ServerID
	db         *DB
	transports map[string]*raft.InmemTransport
	rafts      map[string]*raft.Raft
	fsms       map[string]*countingFSM
}

// TestRaftClusterOnSharedLogStores runs hashicorp/raft itself on this
// store the way Boxoffice deploys it: three node processes, each with one
// DB shared by all its groups, and several three-voter groups. It applies
// commands, shuts every node down, reopens the files and restarts, and
// requires each FSM to replay exactly the committed commands.
func TestRaftClusterOnSharedLogStores(t *testing.T) {
	if testing.Short() {
		t.Skip("runs raft clusters")
	}
	const (
		nodeCount        = 3
		groupCount       = 3
		commandsPerGroup = 200
	)
	dir := t.TempDir()
	groupIDs := make([]string, groupCount)
	for group := range groupIDs {
		groupIDs[group] = fmt.Sprintf("venue-%d", group)
	}

	start := func(bootstrap bool) []*raftNode {
		nodes := make([]*raftNode, nodeCount)
		for n := range nodes {
			db, err := Open(filepath.Join(dir, fmt.Sprintf("node-%d.db", n)), Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			nodes[n] = &raftNode{id: raft.ServerID(fmt.Sprintf("node-%d", n)), db: db,
				transports: map[string]*raft.InmemTransport{}, rafts: map[string]*raft.Raft{}, fsms: map[string]*countingFSM{}}
			for _, groupID := range groupIDs {
				_, transport := raft.NewInmemTransport(raft.ServerAddress(groupID + "/" + string(nodes[n].id)))
				nodes[n].transports[groupID] = transport
			}
		}
		for _, groupID := range groupIDs {
			var servers []raft.Server
			for _, a := range nodes {
				servers = append(servers, raft.Server{ID: a.id, Address: a.transports[groupID].LocalAddr()})
				for _, b := range nodes {
					a.transports[groupID].Connect(b.transports[groupID].LocalAddr(), b.transports[groupID])
				}
			}
			for _, node := range nodes {
				store := mustGroup(t, node.db, groupID)
				config := raft.DefaultConfig()
				config.LocalID = node.id
				// Timeouts long enough that a leader keeps its lease on a
				// loaded 2-core machine under -race: an election in the
				// middle of the applies would leave their outcome unknown,
				// and this test is about the shared store, not elections.
				config.HeartbeatTimeout = 500 * time.Millisecond
				config.ElectionTimeout = 500 * time.Millisecond
				config.LeaderLeaseTimeout = 250 * time.Millisecond
				config.CommitTimeout = 5 * time.Millisecond
				config.SnapshotThreshold = 1 << 30 // the FSM cannot snapshot; keep every entry
				config.Logger = hclog.New(&hclog.LoggerOptions{Name: groupID, Level: hclog.Error, Output: io.Discard})
				fsm := &countingFSM{}
				r, err := raft.NewRaft(config, fsm, store, store, raft.NewInmemSnapshotStore(), node.transports[groupID])
				if err != nil {
					t.Fatalf("NewRaft %s on %s: %v", groupID, node.id, err)
				}
				if bootstrap {
					if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
						t.Fatalf("bootstrap %s on %s: %v", groupID, node.id, err)
					}
				}
				node.rafts[groupID], node.fsms[groupID] = r, fsm
			}
		}
		return nodes
	}
	stop := func(nodes []*raftNode) {
		for _, node := range nodes {
			for groupID, r := range node.rafts {
				if err := r.Shutdown().Error(); err != nil {
					t.Errorf("shutdown %s on %s: %v", groupID, node.id, err)
				}
			}
			for _, transport := range node.transports {
				_ = transport.Close()
			}
			if err := node.db.Close(); err != nil {
				t.Errorf("close %s: %v", node.id, err)
			}
		}
	}
	leader := func(nodes []*raftNode, groupID string) *raft.Raft {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, node := range nodes {
				if node.rafts[groupID].State() == raft.Leader {
					return node.rafts[groupID]
				}
			}
			time.Sleep(10 * time.Millisecond) // poll interval of the wait for a leader
		}
		t.Fatalf("no leader for %s", groupID)
		return nil
	}
	// waitApplied waits until every node's FSM of every group has applied
	// exactly the expected commands.
	waitApplied := func(nodes []*raftNode) {
		deadline := time.Now().Add(20 * time.Second)
		for _, node := range nodes {
			for _, groupID := range groupIDs {
				for {
					applied := node.fsms[groupID].applied()
					if len(applied) == commandsPerGroup {
						for i, command := range applied {
							if want := fmt.Sprintf("%s command %d", groupID, i); command != want {
								t.Fatalf("%s on %s applied %q at position %d, want %q", groupID, node.id, command, i, want)
							}
						}
						break
					}
					if len(applied) > commandsPerGroup || time.Now().After(deadline) {
						t.Fatalf("%s on %s applied %d commands, want %d", groupID, node.id, len(applied), commandsPerGroup)
					}
					time.Sleep(5 * time.Millisecond) // poll interval of the wait for every command
				}
			}
		}
	}

	nodes := start(true)
	var appliers sync.WaitGroup
	for _, groupID := range groupIDs {
		appliers.Add(1)
		go func() {
			defer appliers.Done()
			r := leader(nodes, groupID)
			futures := make([]raft.ApplyFuture, commandsPerGroup)
			for i := range futures {
				futures[i] = r.Apply([]byte(fmt.Sprintf("%s command %d", groupID, i)), 5*time.Second)
			}
			for i, future := range futures {
				if err := future.Error(); err != nil {
					t.Errorf("%s apply %d: %v", groupID, i, err)
					return
				}
			}
		}()
	}
	appliers.Wait()
	waitApplied(nodes)
	terms := map[string]uint64{}
	for _, groupID := range groupIDs {
		terms[groupID] = leader(nodes, groupID).CurrentTerm()
	}
	stats := nodes[0].db.Stats()
	t.Logf("node-0: %d requests in %d commits", stats.Requests, stats.Commits)
	stop(nodes)

	// Restart from the files alone: raft finds its term, vote and log in
	// the stores, elects a leader and replays the log into fresh FSMs.
	nodes = start(false)
	defer stop(nodes)
	for _, node := range nodes {
		ids, err := node.db.Groups()
		if err != nil || len(ids) != groupCount {
			t.Fatalf("%s Groups after restart = %v, %v", node.id, ids, err)
		}
	}
	for _, groupID := range groupIDs {
		r := leader(nodes, groupID)
		if err := r.Barrier(5 * time.Second).Error(); err != nil {
			t.Fatalf("%s barrier after restart: %v", groupID, err)
		}
		if term := r.CurrentTerm(); term < terms[groupID] {
			t.Fatalf("%s term went back from %d to %d across restart", groupID, terms[groupID], term)
		}
	}
	waitApplied(nodes)
}
