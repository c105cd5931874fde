package mutants

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plantedBugsMin is the bar: at least eight planted bugs.
const plantedBugsMin = 8

// changedLinesMax keeps every patch small enough to read at a glance.
const changedLinesMax = 40

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestPatchesApplyAndBuild is what CI checks of the suite: every patch
// applies cleanly to the current tree, changes only product code (node/,
// fsm/, checkout/, our Raft fork), stays small, and (without -short) the
// packages it changes still compile. The full matrix (a jepsen run per
// mutant and seed) is `make jepsen-mutants`.
func TestPatchesApplyAndBuild(t *testing.T) {
	root := repoRoot(t)
	list, err := List(Dir(root))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < plantedBugsMin {
		t.Errorf("%d planted bugs, want at least %d", len(list), plantedBugsMin)
	}
	scratch := t.TempDir()
	if err := Copy(root, scratch); err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		start := time.Now()
		if err := Apply(scratch, m, true); err != nil {
			t.Errorf("%s does not apply to the current tree: %v", m.Name, err)
			continue
		}
		data, err := os.ReadFile(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		changed := 0
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "+++ b/"); ok {
				if !productCode(name) {
					t.Errorf("%s changes %s: planted bugs belong in node/, fsm/, checkout/ or third_party/hashicorp-raft/", m.Name, name)
				}
				continue
			}
			if (strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-")) && !strings.HasPrefix(line, "---") {
				changed++
			}
		}
		if changed > changedLinesMax {
			t.Errorf("%s changes %d lines, want at most %d", m.Name, changed, changedLinesMax)
		}
		if testing.Short() {
			continue
		}
		packages, err := Packages(scratch, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := Apply(scratch, m, false); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if err := BuildPackages(scratch, packages...); err != nil {
			t.Errorf("%s does not compile: %v", m.Name, err)
		}
		if err := Revert(scratch, m); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		t.Logf("%s: applies, %d changed lines, %s compile (%s)", m.Name, changed, strings.Join(packages, " "), time.Since(start).Round(time.Millisecond))
	}
}

func productCode(path string) bool {
	for _, dir := range []string{"node/", "fsm/", "checkout/", "third_party/hashicorp-raft/"} {
		if strings.HasPrefix(path, dir) && !strings.HasSuffix(path, "_test.go") {
			return true
		}
	}
	return false
}

// TestListRefusesAPatchWithoutHeader: a planted bug must say what it
// models and what should catch it.
func TestListRefusesAPatchWithoutHeader(t *testing.T) {
	dir := t.TempDir()
	good := "# Bug: something breaks.\n#\n# Caught by: the replica\n# hashes.\ndiff --git a/fsm/x.go b/fsm/x.go\n"
	if err := os.WriteFile(filepath.Join(dir, "01-good.patch"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "01-good" || list[0].Bug != "something breaks." || list[0].CaughtBy != "the replica hashes." {
		t.Fatalf("List = %+v", list)
	}
	if err := os.WriteFile(filepath.Join(dir, "02-bare.patch"), []byte("diff --git a/fsm/x.go b/fsm/x.go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := List(dir); err == nil || !strings.Contains(err.Error(), "02-bare.patch") {
		t.Fatalf("List with a bare patch: err = %v, want one naming 02-bare.patch", err)
	}
}

// TestCopyTakesTheWorkingTree: the scratch copy has uncommitted edits and
// new files, and leaves out ignored and deleted ones.
func TestCopyTakesTheWorkingTree(t *testing.T) {
	repo := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q")
	write(".gitignore", "results/\n")
	write("fsm/store.go", "committed\n")
	write("fsm/gone.go", "deleted later\n")
	run("add", "-A")
	run("commit", "-qm", "base")
	write("fsm/store.go", "edited\n")
	write("fsm/new.go", "untracked\n")
	write("results/run.log", "ignored\n")
	if err := os.Remove(filepath.Join(repo, "fsm/gone.go")); err != nil {
		t.Fatal(err)
	}

	dst := t.TempDir()
	if err := Copy(repo, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"fsm/store.go": "edited\n", "fsm/new.go": "untracked\n", ".gitignore": "results/\n"} {
		if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"results/run.log", "fsm/gone.go", ".git"} {
		if _, err := os.Stat(filepath.Join(dst, name)); err == nil {
			t.Errorf("%s was copied", name)
		}
	}
}
