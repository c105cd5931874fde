package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node"
)

// commandHelp is what `boxoffice <command> -h` prints: a synopsis, what
// the command does, its flags (without the hidden ones), examples and the
// environment variables it reads.
type commandHelp struct {
	// synopsis is the usage line(s) after "Usage:", without indentation.
	synopsis []string
	// about says what the command does, in a paragraph or two.
	about string
	// examples are command lines that work as printed.
	examples []string
	// env lists "BOXOFFICE_X  meaning" lines; envFromFlags derives them
	// from the flags instead (boxoffice start reads BOXOFFICE_<FLAG>).
	env          []string
	envFromFlags bool
}

// flagHidden reports whether normal help leaves a flag out: --testing-*
// flags exist for the test suites and --unsafe-* ones give up durability
// for benchmarks. Both are still accepted.
func flagHidden(name string) bool {
	return strings.HasPrefix(name, "testing-") || strings.HasPrefix(name, "unsafe-")
}

// useHelp makes fs print h for -h (and before a flag error).
func useHelp(fs *flag.FlagSet, h commandHelp) {
	fs.Usage = func() { h.write(fs.Output(), fs) }
}

func (h commandHelp) write(out io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, line := range h.synopsis {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if h.about != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(h.about))
	}
	b.WriteString("\nFlags:\n")
	b.WriteString(visibleFlagDefaults(fs))
	if len(h.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, example := range h.examples {
			fmt.Fprintf(&b, "  %s\n", example)
		}
	}
	b.WriteString("\nEnvironment:\n")
	env := h.env
	if h.envFromFlags {
		fs.VisitAll(func(f *flag.Flag) {
			if !flagHidden(f.Name) {
				env = append(env, fmt.Sprintf("%s  for --%s", flagEnvName(f.Name), f.Name))
			}
		})
	}
	if len(env) == 0 {
		b.WriteString("  none (every setting is a flag)\n")
	}
	for _, line := range env {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	fmt.Fprint(out, b.String())
}

// flagEnvName is the environment variable boxoffice start reads for a flag.
func flagEnvName(flagName string) string {
	return "BOXOFFICE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// visibleFlagDefaults prints fs's flags as PrintDefaults does, without
// the hidden ones.
func visibleFlagDefaults(fs *flag.FlagSet) string {
	return flagDefaults(fs, func(name string) bool { return !flagHidden(name) }, "  (none)\n")
}

// flagDefaults prints, as PrintDefaults does, the flags of fs that keep
// selects, or none when there are none.
func flagDefaults(fs *flag.FlagSet, keep func(name string) bool, none string) string {
	kept := flag.NewFlagSet("", flag.ContinueOnError)
	fs.VisitAll(func(f *flag.Flag) {
		if keep(f.Name) {
			kept.Var(f.Value, f.Name, f.Usage)
			kept.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	var b strings.Builder
	kept.SetOutput(&b)
	kept.PrintDefaults()
	if b.Len() == 0 {
		b.WriteString(none)
	}
	return b.String()
}

// ------------------------------------------------------------------ version

// protocolVersion names the gRPC API this binary speaks: the protobuf
// package of api/boxoffice/v1. A node and a client agree when it matches.
func protocolVersion() string {
	return string(boxofficev1.File_api_boxoffice_v1_boxoffice_proto.Package())
}

// versionText is what `boxoffice version` prints. The release is
// node.ReleaseVersion (set by `make build` from git describe); the commit
// comes from the VCS stamp of `go build`; builds with -buildvcs=false (CI)
// and `go run` have none, so they print "unknown". The feature level is
// what the node announces to the cluster (docs/operations.md, "Upgrading").
func versionText() string {
	version, commit, modified := node.ReleaseVersion(), "unknown", false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified && commit != "unknown" {
		commit += " (modified)"
	}
	return fmt.Sprintf("boxoffice %s\ncommit:   %s\ngo:       %s %s/%s\nprotocol: %s\nfeature level: %d\n",
		version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, protocolVersion(), node.FeatureLevel())
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, commandHelp{
		synopsis: []string{"boxoffice version", "boxoffice --version"},
		about: "Prints the release (set by make build from git describe; \"dev\" or the\n" +
			"module version otherwise), the commit it was built from (\"unknown\" for go run\n" +
			"and -buildvcs=false builds), the Go version, the gRPC protocol version and the\n" +
			"feature level the node announces to the cluster.",
		examples: []string{"boxoffice version", "go run ./cmd/boxoffice --version"},
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version takes no arguments (got %q)", fs.Arg(0))
	}
	_, err := fmt.Fprint(stdout, versionText())
	return err
}

// ------------------------------------------------------------------ help texts

// envForFlags lists "BOXOFFICE_<FLAG>  for --flag" for flags that read
// their default from the environment.
func envForFlags(names ...string) []string {
	lines := make([]string, len(names))
	for i, name := range names {
		lines[i] = fmt.Sprintf("%s  for --%s", flagEnvName(name), name)
	}
	return lines
}

var startHelp = commandHelp{
	synopsis: []string{"boxoffice start --node-id ID --data-dir DIR [flags]"},
	about: `Runs one node: its gRPC API, the peer port shared by every Raft group, the
HTTP port (/metrics, /healthz, /readyz) and gossip. Three nodes started with
--bootstrap-expect 3 form a cluster; later nodes --join it. Without --tls-*
flags a node needs --plaintext and serves anyone (development only).`,
	examples: []string{
		"boxoffice certs --out certs && boxoffice gossip-key --out certs/gossip.key",
		"boxoffice start --node-id n1 --data-dir data/n1 --bootstrap-expect 3 \\",
		"    --tls-ca certs/ca.pem --tls-cert certs/n1.pem --tls-key certs/n1-key.pem --gossip-key-file certs/gossip.key",
		"boxoffice start --node-id n1 --data-dir data/n1 --bootstrap-expect 1 --plaintext   # development only",
	},
	envFromFlags: true,
}

var demoHelp = commandHelp{
	synopsis: []string{"boxoffice demo [flags]"},
	about: `Runs a plaintext cluster of --nodes nodes in this process on 127.0.0.1, creates
the event "demo_arena" and starts a demo gateway (fake payments, dev login).
It prints commands to try; Ctrl-C stops it. Plaintext: never expose its ports.
With --regions N it simulates N regions on this machine (README, "Demo
across regions") and reads "kill REGION" lines on stdin.`,
	examples: []string{
		"go run ./cmd/boxoffice demo",
		"boxoffice demo --nodes 5 --data-dir data/demo --gateway-addr ''",
		"boxoffice demo --locality region=eu --locality region=us --locality region=ap   # one per node",
		"boxoffice demo --regions 3   # 9 nodes in us-east, eu-west, ap-south with 40/75/120ms between them; type \"kill ap-south\"",
	},
}

var gatewayHelp = commandHelp{
	synopsis: []string{"boxoffice gateway --cluster ADDRS (--demo | --jwt-secret S --ticket-key K --record-key R --scan-secret S ...) [flags]"},
	about: `Serves the HTTP/JSON API for mobile apps (checkout/README.md): sign-in tokens,
holds, orders, payments, tickets and check-in, as a stateless client of the
cluster. Secrets are best given by environment variable, not on the command line.`,
	examples: []string{
		"boxoffice gateway --demo --fake-payments --cluster 127.0.0.1:7101",
		"BOXOFFICE_JWT_SECRET=... BOXOFFICE_TICKET_KEY=... BOXOFFICE_RECORD_KEY=... BOXOFFICE_SCAN_SECRET=... \\",
		"    boxoffice gateway --cluster n1:7101,n2:7101 --cluster-tls-ca certs/ca.pem \\",
		"    --cluster-tls-cert certs/gateway.pem --cluster-tls-key certs/gateway-key.pem --tls-cert certs/https.pem --tls-key certs/https-key.pem",
	},
	env: append(envForFlags("cluster", "http-addr", "jwt-secret", "ticket-key", "ticket-key-old", "record-key", "record-key-old",
		"scan-secret", "stripe-secret-key", "stripe-webhook-secret", "stripe-url", "notify-url", "trusted-proxies",
		"cluster-tls-ca", "cluster-tls-cert", "cluster-tls-key", "cluster-tls-server-name", "tls-cert", "tls-key",
		"oidc-issuer", "oidc-audience", "oidc-role-claim", "oidc-events-claim", "oidc-role-map", "oidc-ca-file",
		"require-mfa", "mfa-acr"),
		"BOXOFFICE_TOKEN_LIFETIME_MAX  longest lifetime of an accepted token (a Go duration)"),
}

var certsHelp = commandHelp{
	synopsis: []string{"boxoffice certs [--out DIR] [--nodes n1,n2,n3] [--clients name:role,...] [flags]"},
	about: `Writes a development certificate authority (ca.pem, ca-key.pem), a server
certificate per node and a client certificate per name:role pair, as PEM
files. For development and tests; production certificates come from your CA.`,
	examples: []string{
		"boxoffice certs --out certs",
		"boxoffice certs --out certs --nodes n1,n2,n3,n4 --clients gateway:gateway,ops:operator,dash:reader --https localhost,127.0.0.1",
	},
}

var gossipKeyHelp = commandHelp{
	synopsis: []string{"boxoffice gossip-key [--out FILE]"},
	about: `Prints a new random gossip key, one line of a --gossip-key-file (the first
line sends, every line is accepted), or writes it to a new file (mode 0600).`,
	examples: []string{
		"boxoffice gossip-key --out certs/gossip.key",
		"boxoffice gossip-key >> certs/gossip.key   # rotate: add a key, then move it to the first line",
	},
}

var benchExamples = []string{
	"boxoffice bench --addr 127.0.0.1:7101 --clients 64 --duration 30s",
	"boxoffice bench --json run1.json && boxoffice bench report run1.json",
}

var benchEnv = []string{ctlAddrEnv + "  default of --addr"}

var benchGatewayExamples = []string{
	"boxoffice bench gateway --gateway http://127.0.0.1:8080 --addr 127.0.0.1:7101",
}

var benchMemoryExamples = []string{
	"boxoffice bench memory --seats 100000 --events 2 --restarts 1",
}

// benchHelp turns one of the bench usage texts (which start with
// "Usage:" and end with "Flags:") into a commandHelp.
func benchHelp(usage string, examples, env []string) commandHelp {
	text := strings.TrimPrefix(strings.ReplaceAll(usage, "%%", "%"), "Usage:\n")
	text = strings.TrimSuffix(strings.TrimSpace(text), "Flags:")
	lines, about, _ := strings.Cut(text, "\n\n")
	var synopsis []string
	for line := range strings.SplitSeq(lines, "\n") {
		synopsis = append(synopsis, strings.TrimSpace(line))
	}
	return commandHelp{synopsis: synopsis, about: about, examples: examples, env: env}
}

const benchReportHelp = `Usage:
  boxoffice bench report FILE.json...

Prints the table of earlier runs from the JSON files bench --json wrote.

Flags:
  (none)

Examples:
  boxoffice bench report run1.json run2.json

Environment:
  none (every setting is a flag)
`
