package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/testport"
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

// A cluster that forms, elects, takes in a joining node, changes leaders
// as its nodes leave and shuts down on SIGTERM has nothing for an operator to act on: no line
// at ERROR. With --log-format json every line is a JSON object an
// aggregator can read.
func TestCleanClusterLifeLogsNoError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	pc := newProcessCluster(t, 3, "--log-format", "json", "--log-level", "info")
	// A fourth node joins the running cluster (no bootstrap: the last
	// --bootstrap-expect wins).
	ports := testport.Ports(t, 4)
	pc.ports = append(pc.ports, [4]int{ports[0], ports[1], ports[2], ports[3]})
	pc.procs = append(pc.procs, nil)
	pc.extra = append(pc.extra, "--bootstrap-expect", "0")
	pc.start(3)
	pc.waitReady()
	for i := range 4 {
		pc.stop(i) // each stop moves the leadership of the groups it led
	}
	started := 0
	for i := range 4 {
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
	if started != 4 {
		t.Errorf("%d nodes logged \"node started\", want 4", started)
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
	// The window the rate bound is checked over: long enough for raft's
	// heartbeats to fail many times over and for gossip to find n3
	// suspect, then dead.
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

// The demo's start, a request through its gateway and a SIGTERM log
// nothing at ERROR; with --log-format json every line of stderr is JSON,
// and the gateway's request is one access line naming the route.
func TestDemoLogsJSONWithoutError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo process; skipped with -short")
	}
	bin := buildBinary(t)
	logPath := filepath.Join(t.TempDir(), "demo.log")
	var demo *exec.Cmd
	gateway := ""
	for attempt := 0; attempt < 5 && gateway == ""; attempt++ {
		logFile, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		demo = exec.Command(bin, "demo", "--grpc-port", fmt.Sprint(demoPort(t)), "--data-dir", t.TempDir(),
			"--gateway-addr", "127.0.0.1:0", "--log-format", "json", "--log-level", "info")
		demo.Stderr = logFile
		stdout, err := demo.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Start(); err != nil {
			t.Fatal(err)
		}
		logFile.Close()
		lines := bufio.NewScanner(stdout)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) && lines.Scan() {
			if g, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "gateway: http://"); ok {
				gateway = strings.Fields(g)[0]
			}
			if strings.Contains(lines.Text(), "Ctrl-C stops the cluster") {
				break
			}
		}
		go func() {
			for lines.Scan() {
			}
		}()
		if gateway == "" {
			_ = demo.Process.Kill()
			_ = demo.Wait()
		}
	}
	if gateway == "" {
		t.Fatal("the demo never said it was ready")
	}
	t.Cleanup(func() { _ = demo.Process.Kill(); _ = demo.Wait() })

	r, err := http.Get("http://" + gateway + "/v1/events/" + demoEventID + "?fan=someone")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if requestID := r.Header.Get("X-Request-Id"); requestID == "" {
		t.Error("the gateway's answer has no X-Request-Id")
	}

	_ = demo.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- demo.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the demo exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the demo ignored SIGTERM for 20s")
	}

	access := 0
	for _, l := range jsonLogLines(t, logPath, 0) {
		if l["level"] == "ERROR" {
			t.Errorf("the demo logged at ERROR: %v", l)
		}
		if l["msg"] == "request" {
			access++
			if l["route"] != "GET /v1/events/{event}" || l["method"] != "GET" {
				t.Errorf("access line %v, want route GET /v1/events/{event}", l)
			}
		}
	}
	if access != 1 {
		t.Errorf("%d access lines, want 1", access)
	}
	if data, _ := os.ReadFile(logPath); strings.Contains(string(data), "someone") {
		t.Errorf("the log holds the query string:\n%s", data)
	}
}

// --log-format takes text or json (default text, BOXOFFICE_LOG_FORMAT
// when set); anything else is refused naming the flag.
func TestLogFlags(t *testing.T) {
	parse := func(args ...string) (*logFlags, error) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f logFlags
		f.register(fs, "info")
		return &f, fs.Parse(args)
	}
	f, _ := parse()
	if f.format != "text" || f.level != "info" {
		t.Errorf("defaults %q %q, want text info", f.format, f.level)
	}
	t.Setenv("BOXOFFICE_LOG_FORMAT", "json")
	f, _ = parse()
	var buf bytes.Buffer
	logger, err := f.logger(&buf)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("hello", "group", "g000")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" || line["group"] != "g000" || line["level"] != "INFO" || line["time"] == nil {
		t.Errorf("BOXOFFICE_LOG_FORMAT=json wrote %q (%v)", buf.String(), err)
	}
	f, _ = parse("--log-format", "logfmt")
	if _, err := f.logger(io.Discard); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("--log-format logfmt: %v, want an error naming --log-format", err)
	}
	f, _ = parse("--log-level", "loud")
	if _, err := f.logger(io.Discard); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Errorf("--log-level loud: %v, want an error naming --log-level", err)
	}
}
