package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jsonLogLines reads a JSON log file from byte offset from; every line must
// be a JSON object with time, level and msg.
func jsonLogLines(t *testing.T, path string, from int64) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if from > int64(len(data)) {
		from = int64(len(data))
	}
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data[from:]))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("%s: a line is not JSON: %q", filepath.Base(path), sc.Text())
			continue
		}
		for _, field := range []string{"time", "level", "msg"} {
			if _, ok := m[field]; !ok {
				t.Errorf("%s: a line has no %q: %q", filepath.Base(path), field, sc.Text())
			}
		}
		lines = append(lines, m)
	}
	return lines
}

func (pc *processCluster) logPath(i int) string {
	return filepath.Join(pc.dir, fmt.Sprintf("n%d.log", i+1))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// A cluster that forms, elects, changes leaders as its nodes leave and
// shuts down on SIGTERM has nothing for an operator to act on: no line
// at ERROR. With --log-format json every line is a JSON object an
// aggregator can read.
func TestCleanClusterLifeLogsNoError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	pc := newProcessCluster(t, 3, "--log-format", "json", "--log-level", "info")
	for i := range 3 {
		pc.stop(i) // each stop moves the leadership of the groups it led
	}
	started := 0
	for i := range 3 {
		for _, l := range jsonLogLines(t, pc.logPath(i), 0) {
			if l["level"] == "ERROR" {
				t.Errorf("n%d logged at ERROR in normal operation: %v", i+1, l)
			}
			if l["msg"] == "node started" {
				started++
				if l["node"] != fmt.Sprintf("n%d", i+1) {
					t.Errorf("n%d's start line names node %v", i+1, l["node"])
				}
			}
		}
	}
	if started != 3 {
		t.Errorf("%d nodes logged \"node started\", want 3", started)
	}
}

// A peer that is down is a WARN naming it, repeated at a bounded rate,
// never an ERROR: hashicorp/raft alone logs several ERROR lines a second
// per group for it.
func TestDownPeerLogsBoundedWarn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	pc := newProcessCluster(t, 3, "--log-format", "json")
	offsets := []int64{fileSize(t, pc.logPath(0)), fileSize(t, pc.logPath(1))}
	pc.kill(2)
	// Long enough for raft's heartbeats to fail many times over and for
	// gossip to find n3 suspect, then dead.
	time.Sleep(10 * time.Second)

	aboutPeer := 0
	for i := range 2 {
		for _, l := range jsonLogLines(t, pc.logPath(i), offsets[i]) {
			if l["level"] == "ERROR" {
				t.Errorf("n%d logged at ERROR for a down peer: %v", i+1, l)
			}
			if l["peer"] == "n3" {
				aboutPeer++
				if l["level"] != "WARN" || l["group"] == nil {
					t.Errorf("n%d: a line about n3 is %v, want WARN with its group", i+1, l)
				}
			} else if peer, ok := l["peer"].(string); ok && strings.Contains(peer, fmt.Sprint(pc.ports[2][1])) {
				t.Errorf("n%d names n3 by its address: %v", i+1, l)
			}
		}
	}
	// Each surviving node reports each kind of failure once per peer in
	// the first minute: a handful of lines, not one per heartbeat.
	if aboutPeer == 0 || aboutPeer > 16 {
		t.Errorf("%d lines about the down peer n3 in 10s, want between 1 and 16", aboutPeer)
	}
	if t.Failed() {
		for i := range 2 {
			data, _ := os.ReadFile(pc.logPath(i))
			t.Logf("n%d's log after the kill:\n%s", i+1, data[offsets[i]:])
		}
	}
}
