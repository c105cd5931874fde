package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/jepsen/mutants"
)

// fakeHarness writes a shell script standing in for cmd/jepsen: it makes
// the run folder the real harness would (<out>/<time>-<profile>-seed<N>),
// writes verdict, and exits with status.
func fakeHarness(t *testing.T, verdict string, status int) string {
	t.Helper()
	script := `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    -seed) seed=$2; shift ;;
    -profile) profile=$2; shift ;;
    -out) out=$2; shift ;;
  esac
  shift
done
dir="$out/20990101-000000-$profile-seed$seed"
mkdir -p "$dir"
`
	if verdict != "" {
		script += "cat > \"$dir/verdict.json\" <<'EOF'\n" + verdict + "\nEOF\n"
	}
	script += "echo 'jepsen: done'\nexit " + string(rune('0'+status)) + "\n"
	path := filepath.Join(t.TempDir(), "jepsen")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunJobClassifiesRuns: a mutant is caught only by an INVALID run; a
// VALID run of a mutant is MISSED and fails the suite, and so does an
// INVALID run of the unmodified build or a run that could not be made.
func TestRunJobClassifiesRuns(t *testing.T) {
	mutant := &mutants.Mutant{Name: "02-dedup-off"}
	for _, tc := range []struct {
		name     string
		subject  subject
		verdict  string
		status   int
		cell     string
		passed   bool
		wantNote string
	}{
		{"mutant caught", subject{name: mutant.Name, mutant: mutant, binary: "/bin/true"},
			`{"verdict":"INVALID","seed":7,"failed":[{"check":"retries"},{"check":"linearizability"}]}`, 1,
			"caught: retries, linearizability", true, ""},
		{"mutant missed", subject{name: mutant.Name, mutant: mutant, binary: "/bin/true"},
			`{"verdict":"VALID","seed":7,"failed":[]}`, 0, "**MISSED** (VALID)", false, ""},
		{"mutant undecided", subject{name: mutant.Name, mutant: mutant, binary: "/bin/true"},
			`{"verdict":"UNDECIDED","seed":7,"failed":[{"check":"undecided"}]}`, 1, "**UNDECIDED** (porcupine out of time)", false, ""},
		{"unmodified valid", subject{name: unmodified, binary: "/bin/true"},
			`{"verdict":"VALID","seed":7,"failed":[]}`, 0, "VALID", true, ""},
		{"unmodified invalid", subject{name: unmodified, binary: "/bin/true"},
			`{"verdict":"INVALID","seed":7,"failed":[{"check":"invariants"}]}`, 1, "**INVALID**: invariants", false, ""},
		{"could not run", subject{name: mutant.Name, mutant: mutant, binary: "/bin/true"},
			"", 2, "**could not run** (exit 2): jepsen: done", false, "jepsen: done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			harness := fakeHarness(t, tc.verdict, tc.status)
			j := &job{subject: &tc.subject, seed: 7}
			runJob(context.Background(), j, harness, t.TempDir(), "ci", 0)
			if got := j.cell(); got != tc.cell {
				t.Errorf("cell = %q, want %q", got, tc.cell)
			}
			if j.passed() != tc.passed {
				t.Errorf("passed = %v, want %v", j.passed(), tc.passed)
			}
			if allPassed([]*job{j}) != tc.passed {
				t.Errorf("allPassed = %v, want %v", !tc.passed, tc.passed)
			}
			if !strings.Contains(j.note, tc.wantNote) {
				t.Errorf("note = %q, want it to contain %q", j.note, tc.wantNote)
			}
		})
	}
}

func TestChooseByNameNumberOrShortName(t *testing.T) {
	all := []mutants.Mutant{{Name: "01-answer-before-commit"}, {Name: "02-dedup-off"}, {Name: "03-local-clock"}}
	got, err := choose(all, "02, local-clock,01-answer-before-commit,02")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range got {
		names = append(names, m.Name)
	}
	if strings.Join(names, " ") != "02-dedup-off 03-local-clock 01-answer-before-commit" {
		t.Errorf("choose = %v", names)
	}
	if _, err := choose(all, "dedup"); err == nil || !strings.Contains(err.Error(), "02-dedup-off") {
		t.Errorf("choose(dedup): err = %v, want one listing the known mutants", err)
	}
}
