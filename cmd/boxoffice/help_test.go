package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/node"
)

// helpCommands is every subcommand a user can ask for -h.
func helpCommands() [][]string {
	commands := [][]string{
		{"start"}, {"demo"}, {"restore"}, {"gateway"}, {"certs"}, {"gossip-key"}, {"version"},
		{"bench"}, {"bench", "gateway"}, {"bench", "memory"}, {"bench", "report"}, {"ctl"},
	}
	for _, cmd := range ctlCommands {
		commands = append(commands, append([]string{"ctl"}, strings.Fields(cmd.name)...))
	}
	return commands
}

// TestEveryCommandHelp runs `boxoffice <command> -h` with the built binary
// for every subcommand and checks what a user reads: exit status 0, a
// usage line, an example that starts with boxoffice or go run, the
// environment section, and no --testing-* or --unsafe-* flag.
func TestEveryCommandHelp(t *testing.T) {
	bin := buildBinary(t)
	example := regexp.MustCompile(`(?m)^Examples:\n  (boxoffice|go run|BOXOFFICE_)`)
	for _, args := range helpCommands() {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, append(args, "-h")...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("boxoffice %s -h: %v (want exit status 0)\n%s%s", name, err, stdout.String(), stderr.String())
			}
			help := stdout.String() + stderr.String()
			if !strings.HasPrefix(help, "Usage:") || !strings.Contains(help, "boxoffice "+name) {
				t.Errorf("boxoffice %s -h has no synopsis naming the command:\n%s", name, help)
			}
			if !example.MatchString(help) {
				t.Errorf("boxoffice %s -h has no example:\n%s", name, help)
			}
			if !strings.Contains(help, "\nEnvironment:\n") {
				t.Errorf("boxoffice %s -h does not list its environment variables:\n%s", name, help)
			}
			if strings.Contains(help, "testing-") || strings.Contains(help, "unsafe-") {
				t.Errorf("boxoffice %s -h shows a --testing-* or --unsafe-* flag:\n%s", name, help)
			}
		})
	}
}

// TestHelpListsEnvironment: start documents BOXOFFICE_<FLAG> for its
// flags, ctl $BOXOFFICE_ADDR, the gateway its secrets.
func TestHelpListsEnvironment(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"start", "-h"}, []string{"BOXOFFICE_NODE_ID  for --node-id", "BOXOFFICE_GOSSIP_KEY_FILE"}},
		{[]string{"gateway", "-h"}, []string{"BOXOFFICE_JWT_SECRET", "BOXOFFICE_RECORD_KEY", "BOXOFFICE_OIDC_ISSUER", "BOXOFFICE_TOKEN_LIFETIME_MAX"}},
		{[]string{"ctl", "-h"}, []string{"BOXOFFICE_ADDR"}},
		{[]string{"ctl", "status", "-h"}, []string{"BOXOFFICE_ADDR", "--wait"}},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), tc.args, &stdout, &stderr)
		if err != nil && !errors.Is(err, errFlagHelp()) {
			t.Fatalf("%q: %v", tc.args, err)
		}
		for _, want := range tc.want {
			if help := stdout.String() + stderr.String(); !strings.Contains(help, want) {
				t.Errorf("%q does not mention %q:\n%s", tc.args, want, help)
			}
		}
	}
}

// TestHiddenFlagsStillAccepted: help hides --unsafe-no-fsync and
// --testing-*, yet start still parses them (here before -h, so nothing
// starts).
func TestHiddenFlagsStillAccepted(t *testing.T) {
	var stderr bytes.Buffer
	err := runStart(t.Context(), []string{"--unsafe-no-fsync", "--testing-clock-offset", "1s", "-h"}, &stderr)
	if !errors.Is(err, errFlagHelp()) {
		t.Fatalf("start rejected a hidden flag: %v\n%s", err, stderr.String())
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), []string{arg}, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		out := stdout.String()
		// go test builds without a VCS stamp, so the commit is "unknown".
		for _, want := range []string{"boxoffice ", "\ncommit:   ", "\ngo:       go1.", "\nprotocol: boxoffice.v1\n", fmt.Sprintf("\nfeature level: %d\n", node.FeatureLevel())} {
			if !strings.Contains(out, want) {
				t.Errorf("boxoffice %s does not print %q:\n%s", arg, want, out)
			}
		}
	}
}

// TestVersionOfBuiltBinary: a built binary prints the commit its build
// stamped (go version -m shows it as vcs.revision), or "unknown" when the
// build had no VCS stamp (-buildvcs=false, as in CI).
func TestVersionOfBuiltBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "boxoffice")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "unknown"
	if m := regexp.MustCompile(`vcs\.revision=([0-9a-f]+)`).FindSubmatch(info); m != nil {
		want = string(m[1])
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "commit:   "+want) {
		t.Errorf("boxoffice --version does not name commit %s:\n%s", want, out)
	}
}

// TestVersionFromLdflags: the release `make build` stamps with -X is what
// the binary prints (and what its node announces to the cluster).
func TestVersionFromLdflags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "boxoffice")
	ldflags := "-X github.com/boxoffice/boxoffice/node.Version=v9.8.7-test"
	if out, err := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"boxoffice v9.8.7-test\n", fmt.Sprintf("\nfeature level: %d\n", node.FeatureLevel())} {
		if !strings.Contains(string(out), want) {
			t.Errorf("boxoffice version does not print %q:\n%s", want, out)
		}
	}
}

func errFlagHelp() error { return flag.ErrHelp }

// TestDemoSelf: the demo banner names a go run build as go run, any other
// binary by an absolute path.
func TestDemoSelf(t *testing.T) {
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	for _, tc := range []struct{ arg0, want string }{
		{"/tmp/go-build123/b001/exe/boxoffice", "go run ./cmd/boxoffice"},
		{"/usr/local/bin/boxoffice", "/usr/local/bin/boxoffice"},
		{"boxoffice", "boxoffice"},
	} {
		os.Args = []string{tc.arg0}
		if got := demoSelf(); got != tc.want {
			t.Errorf("started as %q: banner says %q, want %q", tc.arg0, got, tc.want)
		}
	}
	os.Args = []string{"bin/boxoffice"}
	if got := demoSelf(); !filepath.IsAbs(got) || !strings.HasSuffix(got, "/bin/boxoffice") {
		t.Errorf("started as bin/boxoffice: banner says %q, want an absolute path", got)
	}
}

// TestTopLevelHelp: boxoffice -h lists every subcommand, exits 0 and has
// examples and the environment.
func TestTopLevelHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"boxoffice start", "boxoffice ctl", "boxoffice version", "\nExamples:\n  go run ./cmd/boxoffice demo", "\nEnvironment:\n  BOXOFFICE_"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("boxoffice -h lacks %q:\n%s", want, stdout.String())
		}
	}
}
