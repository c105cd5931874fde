package testport

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestPortsAreBelowTheEphemeralRangeAndDistinct(t *testing.T) {
	ports := Ports(t, 64)
	seen := map[int]bool{}
	for _, p := range ports {
		if p < lowest || p > highest() {
			t.Errorf("port %d outside [%d, %d]", p, lowest, highest())
		}
		if seen[p] {
			t.Errorf("port %d handed out twice", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("claimed port %d not bindable: %v", p, err)
			continue
		}
		l.Close()
	}
	base := Base(t, 0, 100, 200)
	for _, o := range []int{0, 100, 200} {
		if seen[base+o] {
			t.Errorf("Base handed out %d again", base+o)
		}
	}
}

// TestOtherProcessesSkipClaimedPorts runs this test binary again as a child
// that tries to claim the ports this process holds.
func TestOtherProcessesSkipClaimedPorts(t *testing.T) {
	if ports := os.Getenv("TESTPORT_CHILD"); ports != "" {
		for _, s := range strings.Split(ports, ",") {
			p, _ := strconv.Atoi(s)
			mu.Lock()
			ok := claim(p)
			mu.Unlock()
			if ok {
				t.Fatalf("claimed port %d that the parent holds", p)
			}
		}
		return
	}
	var list []string
	for _, p := range Ports(t, 8) {
		list = append(list, strconv.Itoa(p))
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOtherProcessesSkipClaimedPorts$")
	cmd.Env = append(os.Environ(), "TESTPORT_CHILD="+strings.Join(list, ","))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
