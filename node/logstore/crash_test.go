package logstore

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// crashChildEnv names the file the child process writes to; the child
// test does nothing without it.
const crashChildEnv = "LOGSTORE_CRASH_CHILD_PATH"

const (
	crashGroups = 8
	crashRounds = 3
)

var lastVoteTermKey = []byte("LastVoteTerm")

func crashGroupID(group int) string { return fmt.Sprintf("crash-%d", group) }

func crashData(group int, index uint64) []byte {
	return []byte(fmt.Sprintf("group %d entry %d", group, index))
}

// TestCrashChildProcess is the writer that TestCrashKeepsAcknowledgedWrites
// runs in a child process and kills. Each group appends batches of 1 to 4
// entries after whatever survived the last kill, then records its last
// index in the stable store, printing a line after each write returns:
//
//	log <group> <last index>
//	set <group> <value>
func TestCrashChildProcess(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("run by TestCrashKeepsAcknowledgedWrites")
	}
	db, err := Open(path, Options{}) // fsync on: the real configuration
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	var printMu sync.Mutex
	acknowledge := func(format string, args ...any) {
		printMu.Lock()
		defer printMu.Unlock()
		fmt.Fprintf(os.Stdout, format, args...) // unbuffered: printed means acknowledged
	}
	for group := range crashGroups {
		go func() {
			store, err := db.Group(crashGroupID(group))
			if err != nil {
				fmt.Fprintln(os.Stderr, "child group:", err)
				os.Exit(2)
			}
			last, err := store.LastIndex()
			if err != nil {
				fmt.Fprintln(os.Stderr, "child last index:", err)
				os.Exit(2)
			}
			for batch := 0; ; batch++ {
				var logs []*raft.Log
				for range batch%4 + 1 {
					last++
					logs = append(logs, &raft.Log{Index: last, Term: 1, Data: crashData(group, last), AppendedAt: time.Now()})
				}
				if err := store.StoreLogs(logs); err != nil {
					fmt.Fprintln(os.Stderr, "child store:", err)
					os.Exit(2)
				}
				acknowledge("log %d %d\n", group, last)
				if err := store.SetUint64(lastVoteTermKey, last); err != nil {
					fmt.Fprintln(os.Stderr, "child set:", err)
					os.Exit(2)
				}
				acknowledge("set %d %d\n", group, last)
			}
		}()
	}
	time.Sleep(time.Minute) // the parent kills us long before; this only bounds an orphan
	os.Exit(3)
}

// TestCrashKeepsAcknowledgedWrites kills a writing child process with
// SIGKILL at a random point, reopens the file and checks that every write
// the child acknowledged is there and that each group's log is a
// contiguous prefix starting at 1 (no torn StoreLogs, no holes). Three
// rounds, each resuming where the previous one's survivors end.
//
// SIGKILL loses the process, not the page cache: this proves atomicity
// and acknowledge-after-commit, not that fsync reaches the platter.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "logstore.db")
	random := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	for round := 1; round <= crashRounds; round++ {
		killAfter := 200 + random.IntN(800)
		acknowledgedLog, acknowledgedSet := runAndKillChild(t, path, killAfter)
		t.Logf("round %d: killed after %d acknowledgements", round, killAfter)

		db, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		for group := range crashGroups {
			store := mustGroup(t, db, crashGroupID(group))
			first, _ := store.FirstIndex()
			last, err := store.LastIndex()
			if err != nil {
				t.Fatal(err)
			}
			if last < acknowledgedLog[group] {
				t.Fatalf("round %d group %d: LastIndex %d, but %d was acknowledged", round, group, last, acknowledgedLog[group])
			}
			if last > 0 && first != 1 {
				t.Fatalf("round %d group %d: FirstIndex %d, want 1", round, group, first)
			}
			for index := uint64(1); index <= last; index++ {
				var log raft.Log
				if err := store.GetLog(index, &log); err != nil {
					t.Fatalf("round %d group %d: hole at %d of 1..%d: %v", round, group, index, last, err)
				}
				if string(log.Data) != string(crashData(group, index)) {
					t.Fatalf("round %d group %d index %d holds %q", round, group, index, log.Data)
				}
			}
			value, err := store.GetUint64(lastVoteTermKey)
			if acknowledgedSet[group] > 0 && (err != nil || value < acknowledgedSet[group]) {
				t.Fatalf("round %d group %d: stable value %d, %v; %d was acknowledged", round, group, value, err, acknowledgedSet[group])
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKillChild runs TestCrashChildProcess on path, sends SIGKILL after
// killAfter acknowledgements, and returns the highest acknowledged log
// index and stable value per group, including lines still in the pipe.
func runAndKillChild(t *testing.T, path string, killAfter int) (logs, sets [crashGroups]uint64) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChildProcess$", "-test.count=1")
	child.Env = append(os.Environ(), crashChildEnv+"="+path)
	child.Stderr = os.Stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(30*time.Second, func() { _ = child.Process.Kill() })
	defer watchdog.Stop()

	lines := bufio.NewScanner(stdout)
	count := 0
	for lines.Scan() {
		var kind string
		var group int
		var value uint64
		if _, err := fmt.Sscanf(lines.Text(), "%s %d %d", &kind, &group, &value); err != nil || group < 0 || group >= crashGroups {
			continue // test framework output
		}
		switch kind {
		case "log":
			logs[group] = max(logs[group], value)
		case "set":
			sets[group] = max(sets[group], value)
		}
		count++
		if count == killAfter {
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
		}
	}
	err = child.Wait()
	if count < killAfter {
		t.Fatalf("child exited after %d acknowledgements, before the kill: %v", count, err)
	}
	if status, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || status.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", child.ProcessState)
	}
	return logs, sets
}
