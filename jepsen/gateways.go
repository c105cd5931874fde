package jepsen

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The purchase workload's gateways: real `boxoffice gateway` processes
// over the cluster, started with shared secrets and the fake payment
// provider's URL, in the network the harness reaches the nodes from (the
// hub namespace as root, loopback addresses otherwise).

// gatewayPortBase is the first gateway's HTTP port (gateway i: base+i);
// fakeStripePort is the payment provider's.
const (
	gatewayPortBase   = 18080
	fakeStripePort    = "18090"
	gatewayStartLimit = 30 * time.Second
)

// shopSecrets are what every gateway of the run shares, generated per run.
type shopSecrets struct {
	jwt           []byte
	ticketKey     string // base64 Ed25519 seed
	recordKey     string // base64, 32 bytes
	scanSecret    string // base64, 32 bytes
	stripeKey     string
	webhookSecret string
}

func newShopSecrets() shopSecrets {
	b64 := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	jwtSecret := make([]byte, 32)
	_, _ = rand.Read(jwtSecret)
	return shopSecrets{jwt: []byte(base64.RawURLEncoding.EncodeToString(jwtSecret)), ticketKey: b64(), recordKey: b64(), scanSecret: b64(),
		stripeKey: "sk_test_jepsen", webhookSecret: "whsec_jepsen_" + strings.TrimRight(b64()[:24], "=")}
}

// gatewayProc is one gateway process, across restarts.
type gatewayProc struct {
	index   int
	id      string // g1, g2, ...
	addr    string // HTTP host:port, as the harness dials it
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	paused bool
}

func (g *gatewayProc) running() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cmd != nil
}

// gatewaySet starts, signals and stops the run's gateways.
type gatewaySet struct {
	c         *cluster
	binary    string
	secrets   shopSecrets
	stripeURL string
	limit     int
	procs     []*gatewayProc
	logf      func(string, ...any)
	// proxies are the addresses the harness's own peers (the fans and
	// the payment provider's webhooks) come from, trusted for
	// X-Forwarded-For so that the per-IP rate limit sees each fan.
	proxies string
}

// hubAddr is the address of the network the gateways and the payment
// provider live in: the hub bridge as root, loopback otherwise.
func hubAddr(nw network) string {
	if _, ok := nw.(*namespaceNetwork); ok {
		return subnetPrefix + "254"
	}
	return "127.0.0.1"
}

func newGatewaySet(c *cluster, binary, dir string, count, limit int, secrets shopSecrets, stripeURL string, logf func(string, ...any)) (*gatewaySet, error) {
	s := &gatewaySet{c: c, binary: binary, secrets: secrets, stripeURL: stripeURL, limit: limit, logf: logf, proxies: hubAddr(c.net) + "/32"}
	for i := 1; i <= count; i++ {
		port := strconv.Itoa(gatewayPortBase + i)
		if _, ok := c.net.(*namespaceNetwork); !ok {
			free, err := freePort()
			if err != nil {
				return nil, err
			}
			port = free
		}
		s.procs = append(s.procs, &gatewayProc{index: i, id: "g" + strconv.Itoa(i),
			addr: net.JoinHostPort(hubAddr(c.net), port), logPath: filepath.Join(dir, "logs", "g"+strconv.Itoa(i)+".log")})
	}
	return s, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func (s *gatewaySet) argv(g *gatewayProc) []string {
	var cluster []string
	for _, n := range s.c.nodes {
		cluster = append(cluster, n.grpcAddr())
	}
	return []string{s.binary, "gateway",
		"--cluster", strings.Join(cluster, ","), "--http-addr", g.addr,
		"--jwt-secret", string(s.secrets.jwt), "--ticket-key", s.secrets.ticketKey,
		"--record-key", s.secrets.recordKey, "--scan-secret", s.secrets.scanSecret,
		"--stripe-secret-key", s.secrets.stripeKey, "--stripe-webhook-secret", s.secrets.webhookSecret,
		"--stripe-url", s.stripeURL, "--ticket-limit", strconv.Itoa(s.limit),
		"--trusted-proxies", s.proxies, "--log-format", "json"}
}

// command runs argv where the nodes are reachable: in the hub namespace
// as root (ip netns exec replaces itself with the gateway, so the pid is
// the gateway's), directly otherwise.
func (s *gatewaySet) command(argv []string) *exec.Cmd {
	if ns, ok := s.c.net.(*namespaceNetwork); ok {
		return exec.Command("ip", append([]string{"netns", "exec", ns.hub}, argv...)...)
	}
	return exec.Command(argv[0], argv[1:]...)
}

// start launches gateway g; it must not be running.
func (s *gatewaySet) start(g *gatewayProc) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil {
		return fmt.Errorf("%s is already running", g.id)
	}
	if err := os.MkdirAll(filepath.Dir(g.logPath), 0o755); err != nil {
		return err
	}
	logFile, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	argv := s.argv(g)
	redacted := append([]string(nil), argv...)
	for i := 1; i < len(redacted); i++ {
		switch redacted[i-1] {
		case "--jwt-secret", "--ticket-key", "--record-key", "--scan-secret", "--stripe-secret-key", "--stripe-webhook-secret":
			redacted[i] = "(redacted)"
		}
	}
	fmt.Fprintf(logFile, "{\"jepsen\":\"start\",\"time\":%q,\"argv\":%q}\n", time.Now().Format(time.RFC3339Nano), redacted)
	cmd := s.command(argv)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", g.id, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	g.cmd, g.exited, g.paused = cmd, exited, false
	return nil
}

// signal sends sig to g; SIGKILL and SIGTERM wait for the exit.
func (s *gatewaySet) signal(g *gatewayProc, sig syscall.Signal) error {
	g.mu.Lock()
	cmd, exited := g.cmd, g.exited
	g.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s is not running", g.id)
	}
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		_ = cmd.Process.Signal(syscall.SIGCONT)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	switch sig {
	case syscall.SIGSTOP, syscall.SIGCONT:
		g.mu.Lock()
		g.paused = sig == syscall.SIGSTOP
		g.mu.Unlock()
		return nil
	}
	select {
	case <-exited:
	case <-time.After(processStopTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	g.mu.Lock()
	g.cmd, g.paused = nil, false
	g.mu.Unlock()
	return nil
}

// heal resumes paused gateways and restarts dead ones.
func (s *gatewaySet) heal() error {
	var first error
	for _, g := range s.procs {
		g.mu.Lock()
		paused := g.paused
		g.mu.Unlock()
		switch {
		case !g.running():
			if err := s.start(g); err != nil && first == nil {
				first = err
			}
		case paused:
			if err := s.signal(g, syscall.SIGCONT); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// stopAll ends every gateway: SIGTERM, then SIGKILL.
func (s *gatewaySet) stopAll() {
	var wg sync.WaitGroup
	for _, g := range s.procs {
		if g.running() {
			wg.Go(func() { _ = s.signal(g, syscall.SIGTERM) })
		}
	}
	wg.Wait()
}

// waitReady waits until every running gateway answers 200 on /readyz.
func (s *gatewaySet) waitReady(ctx context.Context, client *http.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var notReady []string
		for _, g := range s.procs {
			if !g.running() {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			req, _ := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+g.addr+"/readyz", nil)
			resp, err := client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			cancel()
			if err != nil || resp.StatusCode != http.StatusOK {
				notReady = append(notReady, g.id)
			}
		}
		if len(notReady) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gateways %v not ready after %s (logs/%s.log)", notReady, timeout, notReady[0])
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// listenHub opens a TCP listener where the gateways can reach it: in the
// hub namespace as root (the socket is created there from a locked
// thread, like namespaceNetwork.dial), on loopback otherwise.
func listenHub(nw network, port string) (net.Listener, error) {
	ns, ok := nw.(*namespaceNetwork)
	if !ok {
		return net.Listen("tcp", net.JoinHostPort("127.0.0.1", "0"))
	}
	type result struct {
		l   net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(ns.hubNS, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("enter hub namespace: %w", err)}
			return
		}
		l, err := net.Listen("tcp", net.JoinHostPort(hubAddr(nw), port))
		if unix.Setns(ns.hostNS, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{l, err}
	}()
	r := <-done
	return r.l, r.err
}
