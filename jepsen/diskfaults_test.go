package jepsen

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/boxoffice/boxoffice/node/logstore"
)

// writeLogFile writes a log file as a node would: groups with entries.
func writeLogFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raft.db")
	db, err := logstore.Open(path, logstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for g := range 3 {
		store, err := db.Group(fmt.Sprintf("g%03d", g))
		if err != nil {
			t.Fatal(err)
		}
		for index := uint64(1); index <= 600; index++ {
			if err := store.StoreLogs([]*raft.Log{{Index: index, Term: 1, Data: make([]byte, 300)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The corrupt-log fault's check accepts a node that refuses the damaged
// file with a line naming it, and catches the three ways a node can fail
// it: serving from the damaged log (still running), crashing on it (a
// panic or a runtime fatal error, as bbolt does on its own), and exiting
// without saying what is wrong. The damage is the fault's own
// (damageLogTail), both kinds, and the accepted line is what logstore
// says about it.
func TestCorruptLogCheckCatchesANodeThatDoesNotRefuse(t *testing.T) {
	kinds := map[string]bool{}
	for seed := uint64(0); len(kinds) < 2; seed++ {
		if seed == 16 {
			t.Fatalf("16 seeds did not give both kinds of damage: %v", kinds)
		}
		path := writeLogFile(t)
		damage, err := damageLogTail(path, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		_, openErr := logstore.Open(path, logstore.Options{NoSync: true})
		if openErr == nil {
			t.Fatalf("%s: logstore opened the damaged file", damage)
		}
		refusal := "boxoffice: log store: " + openErr.Error()
		if problem, line := judgeRefusal("n2", damage, path, true, "{\"level\":\"INFO\"}\n"+refusal+"\n"); problem != "" || line != refusal {
			t.Errorf("%s: a node that refused it: problem %q, line %q", damage, problem, line)
		}
		t.Logf("%s: %s", damage, refusal)
		kind, _, _ := strings.Cut(damage, " ")
		kinds[kind] = true
	}

	path := "/data/n2/raft.db"
	for _, planted := range []struct {
		name   string
		exited bool
		output string
		want   string
	}{
		{"serves from the damaged log", false, `{"level":"INFO","msg":"ready"}`, "still ran"},
		{"bbolt panics", true, "panic: assertion failed: Page expected to be: 75, but self identifies as 0\n\ngoroutine 1 [running]:\n", "crashed"},
		{"SIGBUS", true, "unexpected fault address 0x7f099a6c7000\nfatal error: fault\n[signal SIGBUS: bus error]\n", "crashed"},
		{"exits without saying why", true, "boxoffice: log store: open failed\n", "without a line"},
	} {
		problem, _ := judgeRefusal("n2", "truncate raft.db", path, planted.exited, planted.output)
		if !strings.Contains(problem, planted.want) {
			t.Errorf("%s: problem %q, want one saying %q", planted.name, problem, planted.want)
		}
	}
}

// The corrupt-log heal, like membership's, may settle a RemoveNode, so it
// runs after the window's other heals.
func TestHealActiveSettlesCorruptLogLast(t *testing.T) {
	var order []string
	heal := func(name string) func() error {
		return func() error { order = append(order, name); return nil }
	}
	n := &nemesis{logf: t.Logf}
	n.heals = []activeHeal{
		{kind: FaultCorruptLog, heal: heal("corrupt-log")},
		{kind: FaultPartitionHalves, heal: heal("partition")},
	}
	n.healActive()
	if want := []string{"partition", "corrupt-log"}; !slices.Equal(order, want) {
		t.Fatalf("heal order %v, want %v", order, want)
	}
}
