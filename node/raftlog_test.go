package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// logLines parses a JSON slog buffer into one map per line.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// A peer that does not answer is one WARN line naming the peer by node
// id, then one a minute with the count of the lines it stands for; raft's
// real errors stay ERROR; INFO chatter is dropped.
func TestRaftLogPeerDownIsRateLimitedWarn(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	sink := newRaftLog(slog.New(slog.NewJSONHandler(&buf, nil)).With("node", "n1"), clock.now)
	logger := newRaftLogger(sink).Named("raft").With("group", "g001")
	peer := raft.Server{ID: "n2", Address: "127.0.0.1:7202"}
	down := errors.New("dial tcp 127.0.0.1:7202: connect: connection refused")

	logger.Info("entering leader state", "leader", "n1")
	logger.Error("failed to appendEntries to", "peer", peer, "error", down)
	for range 100 {
		logger.Error("failed to heartbeat to", "peer", peer.Address, "backoff time", time.Second, "error", down)
		logger.Warn("failed to contact", "server-id", peer.ID, "time", 2*time.Second)
		clock.add(100 * time.Millisecond) // 10 s in all
	}
	logger.Error("failed to make requestVote RPC", "target", peer, "error", down, "term", uint64(7))
	logger.Error("failed to commit logs", "error", errors.New("disk full"))

	lines := logLines(t, &buf)
	count := map[string]int{}
	for _, l := range lines {
		msg := l["msg"].(string)
		count[msg]++
		if msg == "failed to commit logs" {
			if l["level"] != "ERROR" {
				t.Errorf("a real raft error logged at %v, want ERROR", l["level"])
			}
			continue
		}
		if l["level"] != "WARN" {
			t.Errorf("%q logged at %v, want WARN", msg, l["level"])
		}
		if l["peer"] != "n2" || l["group"] != "g001" || l["node"] != "n1" || l["component"] != "raft.raft" {
			t.Errorf("%q: fields %v, want peer n2, group g001, node n1, component raft.raft", msg, l)
		}
	}
	want := map[string]int{"failed to appendEntries to": 1, "failed to heartbeat to": 1, "failed to contact": 1,
		"failed to make requestVote RPC": 1, "failed to commit logs": 1}
	for msg, n := range want {
		if count[msg] != n {
			t.Errorf("%q logged %d times, want %d (all: %v)", msg, count[msg], n, count)
		}
	}
	if len(lines) != 5 {
		t.Errorf("%d lines, want 5: %v", len(lines), lines)
	}
	for _, l := range lines {
		if l["msg"] == "failed to make requestVote RPC" && l["term"] != float64(7) {
			t.Errorf("requestVote line has term %v, want 7", l["term"])
		}
	}

	// A minute on, the next failure is logged again with the count of the
	// lines held back.
	buf.Reset()
	clock.add(peerReportInterval)
	logger.Error("failed to heartbeat to", "peer", peer.Address, "backoff time", time.Second, "error", down)
	lines = logLines(t, &buf)
	if len(lines) != 1 || lines[0]["suppressed"] != float64(99) || lines[0]["level"] != "WARN" {
		t.Fatalf("after a minute: %v, want one WARN with suppressed 99", lines)
	}

	// A new leader is one INFO line with its group and term.
	buf.Reset()
	logger.Info("election won", "term", uint64(8), "tally", 2)
	lines = logLines(t, &buf)
	if len(lines) != 1 || lines[0]["level"] != "INFO" || lines[0]["term"] != float64(8) || lines[0]["group"] != "g001" {
		t.Fatalf("election won: %v, want one INFO line with group g001 and term 8", lines)
	}

	// A peer raft names only by address is named by the resolver (the
	// catalog, in a node).
	buf.Reset()
	sink.resolve = func(addr string) string {
		if addr == "127.0.0.1:7203" {
			return "n3"
		}
		return ""
	}
	logger.Error("failed to heartbeat to", "peer", raft.ServerAddress("127.0.0.1:7203"), "error", down)
	lines = logLines(t, &buf)
	if len(lines) != 1 || lines[0]["peer"] != "n3" {
		t.Fatalf("heartbeat to an address: %v, want peer n3", lines)
	}
}

// A transport line whose error is the transport's own shutdown is the
// normal end of a connection when a node stops: not ERROR (DEBUG, and so
// not shown at the default level). A decode failure of another kind stays
// ERROR.
func TestRaftLogTransportShutdownIsNotAnError(t *testing.T) {
	var buf bytes.Buffer
	sink := newRaftLog(slog.New(slog.NewJSONHandler(&buf, nil)).With("node", "n1"), time.Now)
	logger := newRaftLogger(sink).Named("raft.transport").With("group", "g001")
	logger.Error("failed to decode incoming command", "error", raft.ErrTransportShutdown)
	logger.Error("failed to decode incoming command", "error", errors.New("unknown rpc type 9"))
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["error"] != "unknown rpc type 9" {
		t.Fatalf("want only the unknown rpc type at ERROR, got %v", lines)
	}
}
