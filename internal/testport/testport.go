// Package testport hands tests loopback ports that nothing else on the
// machine will take while the test process lives.
//
// The usual trick — listen on 127.0.0.1:0, note the port, close — returns a
// port from the kernel's ephemeral range. A test that stops a node and starts
// it again on the same port then races every outgoing connection on the
// machine: the kernel may pick that port as the source port of a dial made
// by another test process, and the restart fails with "address already in
// use" (CI did this once: TestFailoverKeepsAcknowledgedSales). Ports handed
// out here come from below the ephemeral range, so no dial is ever given one,
// and each is claimed with an advisory file lock, so concurrent test
// processes (go test runs packages in parallel) never share one. Locks are
// held until the process exits.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	mu      sync.Mutex
	claimed = map[int]*os.File{} // held for the life of the process
)

// lowest is the first port handed out; the highest is just below the
// kernel's ephemeral range.
const lowest = 10000

func highest() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if lo, err := strconv.Atoi(f[0]); err == nil && lo > lowest+1000 {
				return lo - 1
			}
		}
	}
	return 30000
}

// Ports returns n distinct free loopback ports (free for TCP and UDP, as
// memberlist binds both), claimed for the life of the test process.
func Ports(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for len(ports) < n {
		ports = append(ports, Base(t, 0))
	}
	return ports
}

// Base returns a port p such that p+offset is free and claimed for every
// offset given (Base(t, 0, 100, 200) claims p, p+100 and p+200); for
// commands that derive their ports from one flag, like `boxoffice demo
// --grpc-port`.
func Base(t testing.TB, offsets ...int) int {
	t.Helper()
	if len(offsets) == 0 {
		offsets = []int{0}
	}
	maxOff := 0
	for _, o := range offsets {
		maxOff = max(maxOff, o)
	}
	hi := highest() - maxOff
	mu.Lock()
	defer mu.Unlock()
	for range 1000 {
		base := lowest + rand.IntN(hi-lowest)
		var got []int
		ok := true
		for _, o := range offsets {
			if !claim(base + o) {
				ok = false
				break
			}
			got = append(got, base+o)
		}
		if ok {
			return base
		}
		for _, p := range got {
			release(p)
		}
	}
	t.Fatalf("testport: no free port set below %d after 1000 tries", hi)
	return 0
}

// claim takes the machine-wide lock of port p and checks that it can be
// bound; the caller holds mu.
func claim(p int) bool {
	if _, mine := claimed[p]; mine {
		return false
	}
	dir := filepath.Join(os.TempDir(), "boxoffice-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(p)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return false
	}
	if !bindable(p) {
		_ = f.Close() // closing drops the lock
		return false
	}
	claimed[p] = f
	return true
}

func release(p int) {
	if f := claimed[p]; f != nil {
		_ = f.Close()
		delete(claimed, p)
	}
}

func bindable(p int) bool {
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	_ = u.Close()
	return true
}
