package main

import (
	"fmt"
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

// TestStartGossipKeyFile runs real `boxoffice start` processes on mutual
// TLS: without --gossip-key-file the node refuses to start and names the
// flag; with a key made by `boxoffice gossip-key` it starts, SIGHUP
// reloads the file (two keys, for a rotation), and a broken file on SIGHUP
// leaves the running keys and the node serving.
func TestStartGossipKeyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node process")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("boxoffice %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("certs", "--out", dir, "--nodes", "n1", "--clients", "")
	keyFile := filepath.Join(dir, "gossip.key")
	run("gossip-key", "--out", keyFile)
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("gossip-key --out: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	ports := testport.Ports(t, 4)
	args := []string{"start", "--node-id", "n1", "--data-dir", filepath.Join(dir, "n1"),
		"--grpc-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]), "--peer-addr", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--http-addr", fmt.Sprintf("127.0.0.1:%d", ports[2]), "--gossip-addr", fmt.Sprintf("127.0.0.1:%d", ports[3]),
		"--bootstrap-expect", "1", "--log-level", "info",
		"--tls-ca", filepath.Join(dir, "ca.pem"), "--tls-cert", filepath.Join(dir, "n1.pem"), "--tls-key", filepath.Join(dir, "n1-key.pem")}

	out, err := exec.Command(bin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--gossip-key-file") {
		t.Fatalf("a TLS node without a gossip key: %v\n%s\nwant a refusal naming --gossip-key-file", err, out)
	}

	var log lockedBuffer
	cmd := exec.Command(bin, append(args, "--gossip-key-file", keyFile)...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	ready := func() bool {
		resp, err := getReadyz(ports[2])
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	waitLog := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(log.String(), what); time.Sleep(50 * time.Millisecond) { // poll interval
			if time.Now().After(deadline) {
				t.Fatalf("the node never logged %q:\n%s", what, log.String())
			}
		}
	}
	waitLog("gossip member proven")
	for deadline := time.Now().Add(30 * time.Second); !ready(); time.Sleep(50 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			t.Fatalf("node not ready:\n%s", log.String())
		}
	}
	old, _ := os.ReadFile(keyFile)
	fresh := strings.TrimSpace(run("gossip-key"))
	if err := os.WriteFile(keyFile, []byte(strings.TrimSpace(string(old))+"\n"+fresh+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitLog("keys=2")
	if err := os.WriteFile(keyFile, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitLog("gossip keys not reloaded")
	if strings.Contains(log.String(), fresh) || strings.Contains(log.String(), strings.TrimSpace(string(old))) {
		t.Error("a gossip key appears in the log")
	}
	if !ready() {
		t.Fatalf("the node stopped serving after a refused reload:\n%s", log.String())
	}
}
