// Command mutants runs the planted-bug suite: the jepsen harness, as it
// is in this tree, against the unmodified build and against a build of
// each patch in jepsen/mutants, on several seeds, and prints a markdown
// table of bug × seed → the checks that caught it, or MISSED. See
// jepsen/README.md, "Planted bugs".
//
// Exit status: 0 every mutant was caught (INVALID) on every seed and the
// unmodified build was VALID on every seed; 1 otherwise; 2 the suite
// could not start (no patches, the harness does not build).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/boxoffice/boxoffice/jepsen"
	"github.com/boxoffice/boxoffice/jepsen/mutants"
)

// unmodified names the build without a patch in the table.
const unmodified = "unmodified"

// runSlack bounds a harness run beyond its traffic time: healing,
// convergence, re-sends, the checks and cleanup stop by themselves well
// within it; past it the run is stopped (SIGTERM, then SIGKILL a minute
// later) and counts as not run.
const runSlack = 15 * time.Minute

func main() { os.Exit(run()) }

func run() int {
	only := flag.String("mutants", "", "comma list of mutants to run, by name (02-dedup-off), number (02) or name without number (dedup-off); empty: all")
	seedList := flag.String("seeds", "7,11,4242", "comma list of seeds; every build runs on each")
	profile := flag.String("profile", "ci", "harness profile")
	duration := flag.Duration("duration", 0, "traffic and fault time of each run (0: the profile's)")
	parallel := flag.Int("parallel", 1, "harness runs at once (each starts a cluster of processes)")
	baseline := flag.Bool("baseline", true, "also run the unmodified build, which must be VALID")
	out := flag.String("out", "jepsen-results/mutants", "parent folder of this suite's results folder")
	keep := flag.Bool("keep", false, "keep the scratch trees and binaries")
	flag.Parse()

	seeds, err := parseSeeds(*seedList)
	if err != nil {
		return fail("-seeds: %v", err)
	}
	if _, ok := jepsen.Profiles[*profile]; !ok {
		return fail("-profile %q: unknown", *profile)
	}
	if *parallel < 1 || *parallel > 4 {
		return fail("-parallel %d: want 1..4", *parallel)
	}
	if *duration < 0 {
		return fail("-duration %s: want >= 0", *duration)
	}
	root, err := moduleRoot()
	if err != nil {
		return fail("%v", err)
	}
	all, err := mutants.List(mutants.Dir(root))
	if err != nil {
		return fail("%v", err)
	}
	chosen, err := choose(all, *only)
	if err != nil {
		return fail("-mutants: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	suiteDir, err := filepath.Abs(filepath.Join(*out, time.Now().Format("20060102-150405")))
	if err != nil {
		return fail("%v", err)
	}
	work, err := os.MkdirTemp("", "boxoffice-mutants-")
	if err != nil {
		return fail("%v", err)
	}
	if *keep {
		logf("scratch trees and binaries kept in %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	if err := os.MkdirAll(suiteDir, 0o755); err != nil {
		return fail("%v", err)
	}

	// The harness is this tree's, unmodified: only the binary under test
	// carries a planted bug.
	harness := filepath.Join(work, "jepsen")
	logf("building the harness")
	build := exec.CommandContext(ctx, "go", "build", "-o", harness, "./jepsen/cmd/jepsen")
	build.Dir = root
	if outText, err := build.CombinedOutput(); err != nil {
		return fail("building the harness: %v: %s", err, outText)
	}

	subjects := make([]subject, 0, len(chosen)+1)
	if *baseline {
		subjects = append(subjects, subject{name: unmodified, bug: "none: the build under test"})
	}
	for _, m := range chosen {
		subjects = append(subjects, subject{name: m.Name, bug: m.Bug, caughtBy: m.CaughtBy, mutant: &m})
	}
	for i := range subjects {
		s := &subjects[i]
		if ctx.Err() != nil {
			return fail("interrupted")
		}
		start := time.Now()
		s.binary, s.buildErr = buildSubject(root, work, *s, *keep)
		if s.buildErr != nil {
			logf("%s: %v", s.name, s.buildErr)
		} else {
			logf("built %s in %s", s.name, time.Since(start).Round(time.Second))
		}
	}

	var jobs []*job
	for i := range subjects {
		for _, seed := range seeds {
			jobs = append(jobs, &job{subject: &subjects[i], seed: seed})
		}
	}
	runAll(ctx, jobs, *parallel, func(j *job) {
		runJob(ctx, j, harness, suiteDir, *profile, *duration)
	})

	table := report(subjects, seeds, jobs, *profile, *duration, suiteDir)
	if err := os.WriteFile(filepath.Join(suiteDir, "mutants.md"), []byte(table), 0o644); err != nil {
		logf("%v", err)
	}
	fmt.Print(table)
	if ctx.Err() != nil {
		return fail("interrupted")
	}
	if !allPassed(jobs) {
		return 1
	}
	return 0
}

// subject is one build under test: the unmodified tree, or a mutant.
type subject struct {
	name, bug, caughtBy string
	mutant              *mutants.Mutant // nil: unmodified
	binary              string
	buildErr            error
}

// job is one harness run of a subject on a seed, and what it found.
type job struct {
	subject *subject
	seed    int64

	exit    int    // harness exit status; -1: not run
	verdict string // VALID, INVALID, UNDECIDED, FAILED, or "" (no verdict.json)
	checks  []string
	folder  string // the run folder
	note    string // why it did not run, or the harness's last words
	elapsed time.Duration
}

// outcome is how a job counts.
type outcome int

const (
	outcomeValid      outcome = iota // exit 0
	outcomeInvalid                   // exit 1 and verdict INVALID
	outcomeUndecided                 // exit 1, porcupine out of time: not a catch
	outcomeNotRun                    // exit 2, a build that failed, a run stopped
	outcomeUnexpected                // exit 1 without an INVALID verdict.json
)

func (j *job) outcome() outcome {
	switch {
	case j.exit == 0:
		return outcomeValid
	case j.exit == 1 && j.verdict == "INVALID":
		return outcomeInvalid
	case j.exit == 1 && j.verdict == "UNDECIDED":
		return outcomeUndecided
	case j.exit == 1:
		return outcomeUnexpected
	default:
		return outcomeNotRun
	}
}

// passed: a mutant caught, or the unmodified build valid.
func (j *job) passed() bool {
	if j.subject.mutant == nil {
		return j.outcome() == outcomeValid
	}
	return j.outcome() == outcomeInvalid
}

func allPassed(jobs []*job) bool {
	for _, j := range jobs {
		if !j.passed() {
			return false
		}
	}
	return true
}

// buildSubject builds s's binary from a scratch copy of the tree with s's
// patch applied.
func buildSubject(root, work string, s subject, keep bool) (string, error) {
	tree := filepath.Join(work, "tree-"+s.name)
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return "", err
	}
	if !keep {
		defer os.RemoveAll(tree)
	}
	if err := mutants.Copy(root, tree); err != nil {
		return "", err
	}
	if s.mutant != nil {
		if err := mutants.Apply(tree, *s.mutant, false); err != nil {
			return "", fmt.Errorf("patch does not apply: %w", err)
		}
	}
	binary := filepath.Join(work, "boxoffice-"+s.name)
	if err := mutants.BuildBinary(tree, binary); err != nil {
		return "", err
	}
	return binary, nil
}

// runAll runs every job, parallel at a time, until ctx ends.
func runAll(ctx context.Context, jobs []*job, parallel int, do func(*job)) {
	queue := make(chan *job)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for j := range queue {
				do(j)
			}
		})
	}
	for _, j := range jobs {
		j.exit = -1
	}
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(queue)
	wg.Wait()
}

// runJob runs the harness once and reads the verdict it wrote.
func runJob(ctx context.Context, j *job, harness, suiteDir, profile string, duration time.Duration) {
	s := j.subject
	if s.buildErr != nil {
		j.note = "build failed: " + firstLine(s.buildErr.Error())
		return
	}
	if ctx.Err() != nil {
		j.note = "interrupted"
		return
	}
	dir := filepath.Join(suiteDir, s.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		j.note = err.Error()
		return
	}
	traffic := duration
	if traffic == 0 {
		traffic = jepsen.Profiles[profile].Duration
	}
	args := []string{"-profile", profile, "-seed", strconv.FormatInt(j.seed, 10), "-binary", s.binary, "-out", dir}
	if duration > 0 {
		args = append(args, "-duration", duration.String())
	}
	runCtx, cancel := context.WithTimeout(ctx, traffic+runSlack)
	defer cancel()
	cmd := exec.CommandContext(runCtx, harness, args...)
	// The harness removes its processes and namespaces on SIGTERM.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	logPath := filepath.Join(dir, fmt.Sprintf("seed%d.log", j.seed))
	logFile, err := os.Create(logPath)
	if err != nil {
		j.note = err.Error()
		return
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	err = cmd.Run()
	j.elapsed = time.Since(start)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		j.exit = 0
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		j.exit = exitErr.ExitCode()
	default:
		j.exit = 2
		j.note = err.Error()
	}
	if runCtx.Err() != nil {
		j.exit = 2
		j.note = fmt.Sprintf("stopped after %s", j.elapsed.Round(time.Second))
	}
	j.folder = runFolder(dir, profile, j.seed)
	if v, err := readVerdict(j.folder); err == nil {
		j.verdict = v.Verdict
		for _, f := range v.Failed {
			j.checks = append(j.checks, f.Check)
		}
	}
	if j.outcome() == outcomeNotRun && j.note == "" {
		j.note = lastLine(logPath)
	}
	logf("%s seed %d: %s in %s (%s)", s.name, j.seed, j.cell(), j.elapsed.Round(time.Second), logPath)
}

// runFolder is the newest run folder of profile and seed in dir (the
// harness names them <time>-<profile>-seed<seed>).
func runFolder(dir, profile string, seed int64) string {
	matches, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("*-%s-seed%d", profile, seed)))
	if len(matches) == 0 {
		return ""
	}
	slices.Sort(matches)
	return matches[len(matches)-1]
}

func readVerdict(folder string) (jepsen.Verdict, error) {
	var v jepsen.Verdict
	if folder == "" {
		return v, os.ErrNotExist
	}
	data, err := os.ReadFile(filepath.Join(folder, "verdict.json"))
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(data, &v)
}

// cell is the job's entry in the table.
func (j *job) cell() string {
	checks := strings.Join(j.checks, ", ")
	switch j.outcome() {
	case outcomeValid:
		if j.subject.mutant == nil {
			return "VALID"
		}
		return "**MISSED** (VALID)"
	case outcomeInvalid:
		if j.subject.mutant == nil {
			return "**INVALID**: " + checks
		}
		return "caught: " + checks
	case outcomeUndecided:
		return "**UNDECIDED** (porcupine out of time)"
	case outcomeUnexpected:
		return fmt.Sprintf("**exit 1, verdict %q**", j.verdict)
	}
	if j.exit < 0 {
		return "**not run**: " + j.note
	}
	return fmt.Sprintf("**could not run** (exit %d): %s", j.exit, j.note)
}

// report is the markdown written to mutants.md and printed.
func report(subjects []subject, seeds []int64, jobs []*job, profile string, duration time.Duration, suiteDir string) string {
	var b strings.Builder
	traffic := "the profile's duration"
	if duration > 0 {
		traffic = duration.String()
	}
	fmt.Fprintf(&b, "# Planted bugs: %s profile, %s of traffic, seeds %s\n\n", profile, traffic, joinSeeds(seeds))
	fmt.Fprintf(&b, "Results: %s\n\n", suiteDir)
	b.WriteString("| bug |")
	for _, s := range seeds {
		fmt.Fprintf(&b, " seed %d |", s)
	}
	b.WriteString("\n|---|")
	for range seeds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	bySubject := map[*subject][]*job{}
	for _, j := range jobs {
		bySubject[j.subject] = append(bySubject[j.subject], j)
	}
	passed, total := 0, 0
	for i := range subjects {
		s := &subjects[i]
		fmt.Fprintf(&b, "| %s |", s.name)
		for _, j := range bySubject[s] {
			fmt.Fprintf(&b, " %s |", j.cell())
			total++
			if j.passed() {
				passed++
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%d of %d runs as expected (mutants INVALID, the unmodified build VALID).\n\n", passed, total)
	for i := range subjects {
		s := &subjects[i]
		if s.mutant == nil {
			continue
		}
		fmt.Fprintf(&b, "- **%s**: %s Expected to be caught by: %s\n", s.name, s.bug, s.caughtBy)
	}
	b.WriteString("\nRun folders:\n\n")
	for _, j := range jobs {
		if j.folder != "" {
			fmt.Fprintf(&b, "- %s seed %d (%s): %s\n", j.subject.name, j.seed, j.elapsed.Round(time.Second), j.folder)
		}
	}
	return b.String()
}

func choose(all []mutants.Mutant, only string) ([]mutants.Mutant, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	var out []mutants.Mutant
	for _, want := range strings.Split(only, ",") {
		want = strings.TrimSpace(want)
		i := slices.IndexFunc(all, func(m mutants.Mutant) bool {
			number, name, _ := strings.Cut(m.Name, "-")
			return want == m.Name || want == number || want == name
		})
		if i < 0 {
			var names []string
			for _, m := range all {
				names = append(names, m.Name)
			}
			return nil, fmt.Errorf("no mutant %q (known: %s)", want, strings.Join(names, ", "))
		}
		if !slices.ContainsFunc(out, func(m mutants.Mutant) bool { return m.Name == all[i].Name }) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

func parseSeeds(list string) ([]int64, error) {
	var seeds []int64
	for _, f := range strings.Split(list, ",") {
		seed, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || seed == 0 {
			return nil, fmt.Errorf("%q is not a non-zero integer", f)
		}
		if !slices.Contains(seeds, seed) {
			seeds = append(seeds, seed)
		}
	}
	return seeds, nil
}

func joinSeeds(seeds []int64) string {
	var s []string
	for _, seed := range seeds {
		s = append(s, strconv.FormatInt(seed, 10))
	}
	return strings.Join(s, ",")
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the boxoffice module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// lastLine is the last non-empty line of a log file.
func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mutants: "+format+"\n", args...)
}

func fail(format string, args ...any) int {
	logf(format, args...)
	return 2
}
