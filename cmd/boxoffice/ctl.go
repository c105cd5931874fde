package main

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/node"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// ctl is the operator's command line: `boxoffice ctl [flags] <command>`.
// It talks to the cluster through package client, so it routes and retries
// like the API servers do; mutations can be given --request-id to repeat an
// earlier attempt exactly once.

const (
	// ctlAddrDefault is used when neither --addr nor $BOXOFFICE_ADDR is set.
	ctlAddrDefault = "127.0.0.1:7101" // boxoffice start's default --grpc-addr
	// ctlAddrEnv names the environment variable that replaces ctlAddrDefault.
	ctlAddrEnv        = "BOXOFFICE_ADDR"
	ctlTimeoutDefault = 5 * time.Second
	// ctlTLSServerNameDefault matches the default of boxoffice start and
	// boxoffice certs, so that certificates from certs work as they are.
	ctlTLSServerNameDefault = "server.boxoffice"
	ctlListEventsPagesMax   = 1_000 // events list stops after this many pages
	ctlVenueFileBytesMax    = 64 << 20
)

// errCtlUsage is returned (wrapped) for a command line that cannot run;
// main may exit 2 for it, 1 for other errors.
var errCtlUsage = errors.New("usage")

// ctlOptions are the flags every command accepts, before or after the
// command name.
type ctlOptions struct {
	addrs         string
	addrsGiven    bool // an --addr replaced the default; later ones add to it
	tlsCA         string
	tlsCert       string
	tlsKey        string
	tlsServerName string
	timeout       time.Duration
	json          bool
}

func (o *ctlOptions) register(fs *flag.FlagSet) {
	fs.Var(ctlAddrFlag{o}, "addr", "gRPC `addresses` of nodes, comma-separated or --addr repeated; status asks them in the order given ($"+ctlAddrEnv+")")
	fs.StringVar(&o.tlsCA, "tls-ca", o.tlsCA, "PEM `file` of the CA that signed the nodes' certificates (enables TLS)")
	fs.StringVar(&o.tlsCert, "tls-cert", o.tlsCert, "PEM client certificate `file` (with --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", o.tlsKey, "PEM client key `file` (with --tls-cert)")
	fs.StringVar(&o.tlsServerName, "tls-server-name", o.tlsServerName, "DNS `name` the nodes' certificates must carry (as boxoffice start --tls-server-name)")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "give up after this `duration`, retries included (not for watch)")
	fs.BoolVar(&o.json, "json", o.json, "print protojson instead of text")
}

// ctlAddrFlag is --addr: the first one given replaces the default
// ($BOXOFFICE_ADDR or 127.0.0.1:7101), each further one adds addresses,
// so "--addr a,b" and "--addr a --addr b" are the same.
type ctlAddrFlag struct{ o *ctlOptions }

func (f ctlAddrFlag) String() string {
	if f.o == nil {
		return ""
	}
	return f.o.addrs
}

func (f ctlAddrFlag) Set(value string) error {
	if !f.o.addrsGiven || f.o.addrs == "" {
		f.o.addrs, f.o.addrsGiven = value, true
		return nil
	}
	f.o.addrs += "," + value
	return nil
}

// addrList is --addr as a list, empty items left out.
func (o *ctlOptions) addrList() []string {
	return ctlSplitList(o.addrs)
}

// ctlCommand is one subcommand.
type ctlCommand struct {
	name    string // as typed: "events create"
	args    string // synopsis after the name
	summary string
	// flags declares the command's own flags; run gets the positional args.
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *ctlEnv, positional []string) error
	// positional is the number of positional arguments required.
	positional int
	// streams: no --timeout, runs until ctx ends.
	streams bool
}

var ctlCommands = []ctlCommand{
	{name: "status", args: "[--wait 30s]", summary: "nodes and Raft groups of the cluster (CMD/S: a group's recent commands per second); exits 1 while a group has no leader (the cluster is forming)", flags: ctlStatus},
	{name: "node remove", args: "<node>", positional: 1,
		summary: "take a node out of every Raft group, before it comes back with an empty disk or for good (operator role)", flags: ctlNodeRemove},
	{name: "drain", args: "<node> [--wait=false]", positional: 1, streams: true,
		summary: "move every leadership (data groups and meta) off a node before a restart, and keep it off until undrain; waits, showing how many groups it still leads (operator role; --timeout bounds each call)", flags: ctlDrain},
	{name: "undrain", args: "<node>", positional: 1,
		summary: "let a drained node lead again: the rebalancer hands it back the groups it prefers to lead (operator role)", flags: ctlUndrain},
	{name: "groups add", args: "--count N [--request-id ID]",
		summary: "create N more data groups on the running cluster, spread over the alive nodes' regions and zones (operator role)", flags: ctlGroupsAdd},
	{name: "transfer-leader", args: "<group> <node> [--wait=false]", positional: 2, streams: true,
		summary: "make a node lead a group (a data group or meta) and prefer it there; waits until it leads (operator role; --timeout bounds each call)", flags: ctlTransferLeader},
	{name: "upgrade-check", args: "[--level N]",
		summary: "exit 0 when every registered node runs a build of the answering node's feature level (or N), so that features of it may be used; otherwise name the nodes still on an older build and exit 1 (operator role)", flags: ctlUpgradeCheck},
	{name: "move-shard", args: "<event> <shard> <group> [--move-timeout 2m]", positional: 3, streams: true,
		summary: "move one shard of an event to another data group, keeping its holds, orders and request ids; waits and lists the steps; run it again to continue an interrupted move (operator role)", flags: ctlMoveShard},
	{name: "decommission", args: "<node> [--wait=false]", positional: 1, streams: true,
		summary: "move every replica off a node, then remove it; waits, showing the replicas each node holds, and resumes if run again (operator role; --timeout bounds each call)", flags: ctlDecommission},
	{name: "recommission", args: "<node>", positional: 1,
		summary: "stop a decommission: the node keeps the replicas it still holds and may receive more (operator role)", flags: ctlRecommission},
	{name: "rebalance", args: "[--dry-run]", streams: true,
		summary: "with --dry-run, print what the rebalancer would move and why; without, wait until it has nothing left to move, showing the moves (operator role; --timeout bounds each call)", flags: ctlRebalance},
	// "backup verify" and "backup schedule" before "backup": the first
	// name that matches wins.
	{name: "backup schedule", args: "--to DIR [--every 1h] [--keep 24] [--keep-within 168h]", streams: true,
		summary: "take a backup into DIR/<UTC time> each period until interrupted, verify it, then delete the oldest beyond --keep and --keep-within; a failed run is logged and retried next period (operator role)",
		flags:   ctlBackupSchedule},
	{name: "backup verify", args: "<dir>", positional: 1,
		summary: "check a backup's manifest and every file's size and SHA-256 (no cluster needed)", flags: ctlBackupVerify},
	{name: "backup", args: "--to DIR [--group-timeout 10m]",
		summary: "copy every group's state, from its leader, into an empty DIR with a manifest, while traffic continues (operator role; --timeout bounds each Status call, --group-timeout each group)",
		flags:   ctlBackup, streams: true},
	{name: "events list", summary: "all events", flags: ctlEventsList},
	{name: "events get", args: "<event>", positional: 1, summary: "one event, with its venue", flags: ctlEventsGet},
	{name: "events create", args: "<event> --name N (--venue file.json | --demo-arena | --onsale SxRxN) [--shards n] [--groups n] [--survive zone|region] [--home-region R] [--hold-ttl 10m]",
		positional: 1, summary: "create an event", flags: ctlEventsCreate},
	{name: "delete-event", args: "<event>", positional: 1,
		summary: "archive an event: its seat state is dropped and every later call on it refused (refused while it has active holds)", flags: ctlDeleteEvent},
	{name: "seatmap", args: "<event> [--section S] [--stale] [--summary]", positional: 1,
		summary: "available/held/sold per section; with --section, row by row", flags: ctlSeatMap},
	{name: "hold", args: "<event> --holder H (--seats a,b | --best N [--section S] [--tier T] | --ga POOL:N) [--ttl 5m]",
		positional: 1, summary: "hold seats", flags: ctlHold},
	{name: "extend", args: "<event> <hold> --holder H [--ttl 5m]", positional: 2, summary: "extend a hold", flags: ctlExtend},
	{name: "release", args: "<event> <hold> --holder H", positional: 2, summary: "release a hold", flags: ctlRelease},
	{name: "sell", args: "<event> <hold> --holder H --order O --buyer B", positional: 2,
		summary: "turn a hold into tickets", flags: ctlSell},
	{name: "refund", args: "<event> <order> --tickets t1,t2", positional: 2,
		summary: "refund tickets of an order (the ticket ids its sale answered)", flags: ctlRefund},
	{name: "watch", args: "<event>", positional: 1, summary: "print seat changes until interrupted",
		flags: ctlWatch, streams: true},
}

// ctlUsage is the help text of `boxoffice ctl`.
func ctlUsage() string {
	var b strings.Builder
	b.WriteString(`Usage: boxoffice ctl [--addr host:port,...] [--tls-ca f --tls-cert f --tls-key f] [--timeout 5s] [--json] <command>

Commands:
`)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, cmd := range ctlCommands {
		fmt.Fprintf(w, "  %s\t%s\n", cmd.name, cmd.summary)
	}
	w.Flush()
	b.WriteString(`
Common flags (before or after the command):
`)
	b.WriteString(ctlFlagDefaults(func(fs *flag.FlagSet) { ctlNewOptions().register(fs) }))
	b.WriteString(`
Examples:
  boxoffice ctl status
  boxoffice ctl --addr 127.0.0.1:7101,127.0.0.1:7102 --addr 127.0.0.1:7103 status --wait 30s
  boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem events list

Environment:
  ` + ctlAddrEnv + `  default of --addr (comma-separated)

Errors print the gRPC code, the reason and the message; the exit status is
1 for them and for a cluster that is not ready (status), 0 otherwise.
Run 'boxoffice ctl <command> -h' for a command's flags.
`)
	return b.String()
}

// ctlExamples are the examples of each command's -h.
var ctlExamples = map[string][]string{
	"status":          {"boxoffice ctl status", "boxoffice ctl --addr 127.0.0.1:7101,127.0.0.1:7102 status --wait 30s"},
	"node remove":     {"boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem node remove n3"},
	"drain":           {"boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem drain n2", "boxoffice ctl drain n2 --wait=false"},
	"undrain":         {"boxoffice ctl undrain n2"},
	"upgrade-check":   {"boxoffice ctl --addr 127.0.0.1:7101 upgrade-check", "boxoffice ctl upgrade-check --level 2"},
	"transfer-leader": {"boxoffice ctl transfer-leader g003 n1", "boxoffice ctl transfer-leader meta n2"},
	"move-shard":      {"boxoffice ctl move-shard demo_arena 0 g002", "boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem move-shard big 3 g001"},
	"decommission":    {"boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem decommission n4", "boxoffice ctl decommission n4 --wait=false"},
	"recommission":    {"boxoffice ctl recommission n4"},
	"rebalance":       {"boxoffice ctl rebalance --dry-run", "boxoffice ctl rebalance"},
	"backup":          {"boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem backup --to /backups/2024-06-01"},
	"backup verify":   {"boxoffice ctl backup verify /backups/2024-06-01"},
	"backup schedule": {"boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem backup schedule --to /backups --every 1h --keep 24 --keep-within 168h"},
	"events list":     {"boxoffice ctl events list --archived"},
	"events get":      {"boxoffice ctl events get demo_arena"},
	"events create": {"boxoffice ctl events create hall --name 'Small Hall' --venue docs/venues/small-hall.json", "boxoffice ctl events create big --name 'Big Show' --onsale 20x25x40 --shards 8",
		"boxoffice ctl events create euro --name 'Euro Final' --demo-arena --survive region --home-region eu-west"},
	"groups add":   {"boxoffice ctl --tls-ca certs/ca.pem --tls-cert certs/ops.pem --tls-key certs/ops-key.pem groups add --count 3"},
	"delete-event": {"boxoffice ctl delete-event hall"},
	"seatmap":      {"boxoffice ctl seatmap demo_arena", "boxoffice ctl seatmap demo_arena --section 101"},
	"hold":         {"boxoffice ctl hold demo_arena --holder fan1 --best 2 --section 101", "boxoffice ctl hold demo_arena --holder fan2 --ga FLOOR:2 --ttl 2m"},
	"extend":       {"boxoffice ctl extend demo_arena <hold id> --holder fan1 --ttl 5m"},
	"release":      {"boxoffice ctl release demo_arena <hold id> --holder fan1"},
	"sell":         {"boxoffice ctl sell demo_arena <hold id> --holder fan1 --order o1 --buyer fan1@example.com"},
	"refund":       {"boxoffice ctl refund demo_arena o1 --tickets <ticket id>,<ticket id>"},
	"watch":        {"boxoffice ctl watch demo_arena --json"},
}

func ctlNewOptions() *ctlOptions {
	addrs := os.Getenv(ctlAddrEnv)
	if addrs == "" {
		addrs = ctlAddrDefault
	}
	return &ctlOptions{addrs: addrs, timeout: ctlTimeoutDefault, tlsServerName: ctlTLSServerNameDefault}
}

func ctlFlagDefaults(declare func(fs *flag.FlagSet)) string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	declare(fs)
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

// runCtl runs `boxoffice ctl` with args (without "ctl"). Output goes to
// stdout; usage text for a bad command line goes to stderr. The error is
// for main to print: its text names the gRPC code, reason and message
// ("ABORTED (SEAT_UNAVAILABLE): seat 101-A-1 is held (request id ...)"),
// and it wraps the cause, so status.Code and errors.Is(err, errCtlUsage)
// work on it. -h prints usage to stdout and returns nil.
func runCtl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := runCtlCommand(ctx, args, stdout, stderr); err != nil {
		return &ctlError{err: err}
	}
	return nil
}

// ctlError renders a command's error for people and keeps it for code.
type ctlError struct{ err error }

func (e *ctlError) Error() string { return ctlDescribeError(e.err) }
func (e *ctlError) Unwrap() error { return e.err }

func runCtlCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts := ctlNewOptions()
	global := flag.NewFlagSet("boxoffice ctl", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	opts.register(global)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, ctlUsage())
			return nil
		}
		fmt.Fprint(stderr, ctlUsage())
		return fmt.Errorf("%w: %v", errCtlUsage, err)
	}
	args = global.Args()
	if len(args) == 0 || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, ctlUsage())
			return fmt.Errorf("%w: no command", errCtlUsage)
		}
		fmt.Fprint(stdout, ctlUsage())
		return nil
	}

	cmd, rest, ok := ctlFindCommand(args)
	if !ok {
		fmt.Fprint(stderr, ctlUsage())
		return fmt.Errorf("%w: unknown command %q", errCtlUsage, strings.Join(args[:min(2, len(args))], " "))
	}
	fs := flag.NewFlagSet("boxoffice ctl "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := cmd.flags(fs)
	opts.register(fs)
	usage := func() string {
		var examples strings.Builder
		for _, example := range ctlExamples[cmd.name] {
			fmt.Fprintf(&examples, "  %s\n", example)
		}
		return fmt.Sprintf("Usage: boxoffice ctl %s %s\n\n%s.\n\nFlags:\n%s\nExamples:\n%s\nEnvironment:\n  %s  default of --addr\n\nCommon flags: boxoffice ctl -h\n",
			cmd.name, cmd.args, ctlUpperFirst(cmd.summary), ctlCommandDefaults(fs), examples.String(), ctlAddrEnv)
	}
	positional, err := ctlParseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage())
		return nil
	}
	if err == nil && len(positional) != cmd.positional {
		err = ctlPositionalError(cmd, positional)
	}
	if err != nil {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("%w: %s: %v", errCtlUsage, cmd.name, err)
	}
	if opts.timeout <= 0 {
		return fmt.Errorf("%w: --timeout %v must be positive", errCtlUsage, opts.timeout)
	}

	if !cmd.streams {
		timeout := opts.timeout
		if wait := fs.Lookup("wait"); wait != nil {
			if d, ok := wait.Value.(flag.Getter).Get().(time.Duration); ok {
				timeout += d // status --wait
			}
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	env := &ctlEnv{opts: opts, stdout: stdout, stderr: stderr}
	defer env.close()
	return run(ctx, env, positional)
}

// ctlPositionalError says which of cmd's arguments are missing (by their
// names in its synopsis), or that there are too many.
func ctlPositionalError(cmd ctlCommand, positional []string) error {
	var names []string
	for _, word := range strings.Fields(cmd.args) {
		if strings.HasPrefix(word, "<") && strings.HasSuffix(word, ">") {
			names = append(names, word)
		}
	}
	if len(positional) < cmd.positional && len(names) == cmd.positional {
		return fmt.Errorf("missing %s: want %d argument(s), got %d (boxoffice ctl %s %s)",
			strings.Join(names[len(positional):], " "), cmd.positional, len(positional), cmd.name, strings.Join(names, " "))
	}
	return fmt.Errorf("want %d argument(s), got %d: %q", cmd.positional, len(positional), positional)
}

// findCtlCommand matches the longest command name at the start of args.
func ctlFindCommand(args []string) (ctlCommand, []string, bool) {
	for _, cmd := range ctlCommands {
		words := strings.Fields(cmd.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return cmd, args[len(words):], true
		}
	}
	return ctlCommand{}, nil, false
}

// commandDefaults prints a command's flags, leaving out the common ones.
func ctlCommandDefaults(fs *flag.FlagSet) string {
	common := flag.NewFlagSet("", flag.ContinueOnError)
	ctlNewOptions().register(common)
	return flagDefaults(fs, func(name string) bool { return common.Lookup(name) == nil },
		"  (none besides the common flags: boxoffice ctl -h)\n")
}

// parseInterspersed parses flags anywhere among the positional arguments
// ("events create ev1 --name X"); after "--" everything is positional.
func ctlParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// ctlEnv is what a command runs with.
type ctlEnv struct {
	opts   *ctlOptions
	stdout io.Writer
	stderr io.Writer
	client *client.Client
}

// dial connects on first use, so that usage errors need no cluster.
func (e *ctlEnv) dial(ctx context.Context) (*client.Client, error) {
	if e.client != nil {
		return e.client, nil
	}
	cfg := client.Config{RetryTimeout: e.opts.timeout, Addrs: e.opts.addrList()}
	tlsConfig, err := e.opts.tlsConfig()
	if err != nil {
		return nil, err
	}
	cfg.TLS = tlsConfig
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: --addr: %v", errCtlUsage, err)
	}
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		return nil, ctlTLSAdvice(err)
	}
	e.client = c
	return c, nil
}

// ctlTLSAdvice turns the Go client's *TLSMismatchError into the ctl flags
// to pass or drop; other errors pass unchanged.
func ctlTLSAdvice(err error) error {
	var mismatch *client.TLSMismatchError
	switch {
	case errors.As(err, &mismatch) && mismatch.NodeSpeaksTLS:
		return fmt.Errorf("%s: %w: pass --tls-ca (the CA that signed the nodes' certificates) and --tls-cert, --tls-key (a client certificate it signed; `boxoffice certs` issues both)", mismatch.Addr, client.ErrNodeRequiresTLS)
	case errors.As(err, &mismatch):
		return fmt.Errorf("%s: %w: drop --tls-ca, --tls-cert and --tls-key for this node", mismatch.Addr, client.ErrNodeIsPlaintext)
	}
	return err
}

func (e *ctlEnv) close() {
	if e.client != nil {
		e.client.Close()
	}
}

func (o *ctlOptions) tlsConfig() (*tls.Config, error) {
	if o.tlsCA == "" && o.tlsCert == "" && o.tlsKey == "" {
		return nil, nil
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, fmt.Errorf("%w: --tls-cert and --tls-key go together", errCtlUsage)
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.tlsServerName}
	if o.tlsCA != "" {
		pem, err := os.ReadFile(o.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", o.tlsCA)
		}
		config.RootCAs = pool
	}
	if o.tlsCert != "" {
		pair, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// print writes msg as protojson with --json, else calls text.
func (e *ctlEnv) print(msg proto.Message, text func(w io.Writer)) error {
	if e.opts.json {
		out, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(msg)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
		return err
	}
	text(e.stdout)
	return nil
}

// ------------------------------------------------------------------ commands

func ctlStatus(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	wait := fs.Duration("wait", 0, "wait up to this `duration` for the cluster to finish forming (every group led) before answering")
	return func(ctx context.Context, e *ctlEnv, _ []string) error {
		if *wait < 0 {
			return fmt.Errorf("%w: status: --wait %v is negative", errCtlUsage, *wait)
		}
		deadline := time.Now().Add(*wait)
		lastProgress := ""
		for {
			answer, err := ctlAskStatus(ctx, e)
			notReady := ""
			if err == nil {
				notReady = ctlStatusNotReady(answer.resp)
			}
			if (err == nil && notReady == "") || !time.Now().Before(deadline) || ctx.Err() != nil {
				if err != nil {
					return err
				}
				if perr := e.print(answer.resp, func(out io.Writer) { ctlPrintStatus(out, answer) }); perr != nil {
					return perr
				}
				if notReady != "" {
					return fmt.Errorf("%w: %s", errCtlNotReady, notReady)
				}
				return nil
			}
			// Say what is awaited, once per change, so a long --wait is
			// not silence.
			progress := notReady
			if err != nil {
				progress = ctlDescribeError(err)
			}
			if progress != lastProgress {
				fmt.Fprintf(e.stderr, "waiting up to %s: %s\n", time.Until(deadline).Round(time.Second), progress)
				lastProgress = progress
			}
			select {
			case <-ctx.Done():
			case <-time.After(ctlStatusPollInterval):
			}
		}
	}
}

// errCtlNotReady: ctl status answered, but the cluster is still forming
// (or a group has lost its leader), so the exit status is not 0.
var errCtlNotReady = errors.New("cluster not ready")

const ctlStatusPollInterval = 250 * time.Millisecond

// ctlStatusAnswer is a Status response and how it was obtained.
type ctlStatusAnswer struct {
	resp   *boxofficev1.StatusResponse
	addr   string   // the --addr that answered
	failed []string // "addr: error" of the --addrs tried before it
}

// ctlAskStatus asks the --addrs in the order given, so that the output
// can say which node answered and why the ones before it did not.
func ctlAskStatus(ctx context.Context, e *ctlEnv) (ctlStatusAnswer, error) {
	var answer ctlStatusAnswer
	addr, failed, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
		var err error
		answer.resp, err = c.Status(ctx, &boxofficev1.StatusRequest{})
		return err
	})
	answer.addr, answer.failed = addr, failed
	return answer, err
}

// ctlEachAddr calls call on the node at each --addr in the order given,
// over a connection of its own (the Go client would route and rotate),
// until one answers. It returns that address, "addr: error" for each one
// tried before it, and the last error if none answered. Each address gets
// an equal share of --timeout, at least a second.
func ctlEachAddr(ctx context.Context, e *ctlEnv, call func(context.Context, boxofficev1.ClusterClient) error) (string, []string, error) {
	addrs := e.opts.addrList()
	if len(addrs) == 0 {
		return "", nil, fmt.Errorf("%w: --addr is empty", errCtlUsage)
	}
	tlsConfig, err := e.opts.tlsConfig()
	if err != nil {
		return "", nil, err
	}
	creds := insecure.NewCredentials()
	if tlsConfig != nil {
		creds = credentials.NewTLS(tlsConfig)
	}
	perAddr := max(e.opts.timeout/time.Duration(len(addrs)), time.Second)
	var failed []string
	for _, addr := range addrs {
		if err = (client.Config{Addrs: []string{addr}}).Validate(); err != nil {
			return "", failed, fmt.Errorf("%w: --addr: %v", errCtlUsage, err)
		}
		conn, dialErr := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		if dialErr != nil {
			return "", failed, fmt.Errorf("%w: --addr %s: %v", errCtlUsage, addr, dialErr)
		}
		attemptCtx, cancel := context.WithTimeout(ctx, perAddr)
		err = call(attemptCtx, boxofficev1.NewClusterClient(conn))
		cancel()
		conn.Close()
		if err == nil {
			return addr, failed, nil
		}
		if ctx.Err() != nil || !ctlNextAddrMayAnswer(err) {
			return "", failed, err
		}
		if status.Code(err) == codes.Unavailable {
			if mismatch := client.CheckTLS(ctx, addr, tlsConfig); mismatch != nil {
				err = ctlTLSAdvice(mismatch)
			}
		}
		failed = append(failed, fmt.Sprintf("%s: %s", addr, ctlDescribeError(err)))
	}
	if len(addrs) == 1 {
		return "", failed, err
	}
	return "", failed, fmt.Errorf("no --addr answered: %s", strings.Join(failed, "; "))
}

// ctlNextAddrMayAnswer: the node could not be reached or had no answer
// in time; an answer such as NOT_FOUND or PERMISSION_DENIED would be the
// same from every node.
func ctlNextAddrMayAnswer(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// ctlStatusNotReady says why the cluster is not ready, or "" if every
// group has a leader.
func ctlStatusNotReady(resp *boxofficev1.StatusResponse) string {
	if len(resp.GetGroups()) == 0 {
		return "the cluster is forming: no Raft group exists yet (the nodes wait for --bootstrap-expect nodes to join)"
	}
	var leaderless, metaDown []string
	metaLeaderless := false
	for _, g := range resp.GetGroups() {
		if g.GetLeaderNodeId() != "" {
			continue
		}
		leaderless = append(leaderless, g.GetGroupId())
		if g.GetGroupId() != cluster.MetaGroupID {
			continue
		}
		metaLeaderless = true
		for _, r := range g.GetReplicas() {
			if r.GetRaftState() == ctlReplicaDown {
				metaDown = append(metaDown, r.GetNodeId())
			}
		}
	}
	if len(leaderless) == 0 {
		return ""
	}
	reason := fmt.Sprintf("%d of %d groups have no leader (%s)", len(leaderless), len(resp.GetGroups()), ctlAbbreviateList(leaderless, 6))
	if metaLeaderless && len(metaDown) > 0 {
		// The one group whose loss changes what an operator can do: say so.
		return reason + fmt.Sprintf(": the catalog (group %s) has no leader and its replicas on %s are unreachable, so creating or changing events and adding, draining or removing nodes wait until a majority of its voters is back; data groups with a leader keep serving holds and sales",
			cluster.MetaGroupID, ctlAbbreviateList(metaDown, 9))
	}
	return reason + ": the cluster is forming, or a majority of their replicas is down"
}

// ctlReplicaDown is the raft_state of a replica whose node did not answer.
const ctlReplicaDown = "unreachable"

func ctlPrintStatus(out io.Writer, answer ctlStatusAnswer) {
	resp := answer.resp
	answeredAddr := ""
	for _, n := range resp.GetNodes() {
		if n.GetNodeId() == resp.GetNodeId() {
			answeredAddr = n.GetGrpcAddr()
		}
	}
	switch {
	case len(answer.failed) > 0:
		fmt.Fprintf(out, "answered by %s (--addr %s), because the addresses before it did not answer:\n", resp.GetNodeId(), answer.addr)
		for _, failure := range answer.failed {
			fmt.Fprintf(out, "  %s\n", failure)
		}
	case answeredAddr != "" && answeredAddr != answer.addr:
		fmt.Fprintf(out, "answered by %s (advertised at %s) through --addr %s\n", resp.GetNodeId(), answeredAddr, answer.addr)
	default:
		fmt.Fprintf(out, "answered by %s (--addr %s)\n", resp.GetNodeId(), answer.addr)
	}
	if resp.GetPlaintext() {
		fmt.Fprintln(out, node.PlaintextWarning)
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tGRPC\tPEER\tHTTP\tGOSSIP\tSTATE\tLOCALITY\tVERSION\tLEVEL")
	for _, n := range resp.GetNodes() {
		state := ctlDash(n.GetState())
		if state == "dead" || state == "left" {
			state = "DOWN (" + state + ")"
		}
		if n.GetDraining() {
			state += ", DRAINING"
		}
		if n.GetDecommissioning() {
			state += fmt.Sprintf(", DECOMMISSIONING (%d replicas left)", n.GetReplicaCount())
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", n.GetNodeId(), ctlDash(n.GetGrpcAddr()), ctlDash(n.GetPeerAddr()),
			ctlDash(n.GetHttpAddr()), ctlDash(n.GetGossipAddr()), state, ctlDash(cluster.LocalityFromProto(n.GetLocality()).String()),
			ctlDash(n.GetReleaseVersion()), max(n.GetFeatureLevel(), 1))
	}
	w.Flush()
	if older := ctlOlderBuilds(resp); resp.GetMixedVersions() || len(older) > 0 {
		fmt.Fprintf(out, "\nMIXED VERSIONS: the nodes run different releases (an upgrade or a rolling restart is under way);\n"+
			"features of a feature level above %d wait until every node runs it (boxoffice ctl upgrade-check)\n",
			max(resp.GetClusterFeatureLevel(), 1))
		if len(older) > 0 {
			fmt.Fprintf(out, "on a build older than %s's: %s\n", resp.GetNodeId(), strings.Join(older, ", "))
		}
	}
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tLEADER\tCMD/S\tREPLICAS (state, applied/commit index, term)\tSHARDS")
	for _, g := range resp.GetGroups() {
		var replicas []string
		for _, r := range g.GetReplicas() {
			replicas = append(replicas, ctlFormatReplica(g, r))
		}
		id := g.GetGroupId()
		if home := g.GetHomeRegion(); home != "" {
			id += " (home " + home + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%s\n", id, ctlDash(g.GetLeaderNodeId()), g.GetRecentCommandsPerSecond(),
			ctlDash(strings.Join(replicas, ", ")),
			ctlDash(ctlAbbreviateList(g.GetShards(), 6)))
	}
	w.Flush()
	if reason := ctlStatusNotReady(resp); reason != "" {
		fmt.Fprintf(out, "\nNOT READY: %s\n", reason)
	}
}

// ctlOlderBuilds lists the nodes of the status on an older build than the
// node that answered.
func ctlOlderBuilds(resp *boxofficev1.StatusResponse) []string {
	var older []string
	for _, n := range resp.GetNodes() {
		if n.GetOlderBuild() {
			older = append(older, n.GetNodeId())
		}
	}
	return older
}

// ctlFormatReplica renders one replica; a replica whose node did not
// answer shows as DOWN with what the cluster last knew of it, not as an
// empty replica with zero indexes.
func ctlFormatReplica(g *boxofficev1.GroupStatus, r *boxofficev1.ReplicaStatus) string {
	id := r.GetNodeId()
	if r.GetRaftState() == ctlReplicaDown {
		var known []string
		if last := r.GetLastKnownRaftState(); last != "" {
			role := "voter"
			if !r.GetLastKnownVoter() {
				role = "nonvoter"
			}
			ago := time.Since(time.UnixMilli(r.GetLastSeenUnixMs())).Round(time.Second)
			known = append(known, fmt.Sprintf("last seen %s %s t%d, %s ago", last, role, r.GetLastKnownTerm(), ago))
		}
		if slices.Contains(g.GetConfiguration(), id) {
			known = append(known, "in the leader's configuration")
		} else if len(g.GetConfiguration()) == 0 && g.GetGroupId() == cluster.MetaGroupID {
			known = append(known, "in the answering node's configuration")
		} else if len(g.GetConfiguration()) == 0 {
			known = append(known, "a replica in the catalog")
		} else {
			known = append(known, "not in the leader's configuration")
		}
		if g.GetPreferredLeaderNodeId() == id {
			known = append(known, "preferred leader")
		}
		return fmt.Sprintf("%s=DOWN (%s)", id, strings.Join(known, ", "))
	}
	s := fmt.Sprintf("%s=%s %d/%d t%d", id, r.GetRaftState(), r.GetAppliedIndex(), r.GetCommitIndex(), r.GetTerm())
	if !r.GetVoter() {
		s += " nonvoter"
	}
	return s
}

func ctlNodeRemove(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		// The node asked forwards to the leaders; RemoveNode answers once no
		// group lists the node, so a retry after a timeout is harmless.
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: args[0]})
			return err
		})
		if err != nil {
			return err
		}
		return e.print(&boxofficev1.RemoveNodeResponse{}, func(out io.Writer) {
			fmt.Fprintf(out, "node %s removed from every group; it may now start again with an empty --data-dir and --bootstrap-expect 0\n", args[0])
		})
	}
}

func ctlDrain(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	wait := fs.Bool("wait", true, "wait until the node leads no group, printing how many it still leads; false: return once the node is marked draining")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		nodeID := args[0]
		// The mark lives in the catalog: a ctl that crashes or is
		// interrupted leaves the drain going, and running drain again
		// resumes the wait.
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.Drain(ctx, &boxofficev1.DrainRequest{NodeId: nodeID, Drained: true})
			return err
		})
		if err != nil {
			return err
		}
		if !*wait {
			return e.print(&boxofficev1.DrainResponse{}, func(out io.Writer) {
				fmt.Fprintf(out, "%s is draining: its leaderships are moving away (boxoffice ctl drain %s waits for them)\n", nodeID, nodeID)
			})
		}
		fmt.Fprintf(e.stderr, "%s is draining; waiting until it leads no group (interrupt to stop waiting: the drain goes on)\n", nodeID)
		if err := ctlWaitLeads(ctx, e, func(resp *boxofficev1.StatusResponse) (bool, string) {
			var led []string
			for _, g := range resp.GetGroups() {
				if g.GetLeaderNodeId() == nodeID {
					led = append(led, g.GetGroupId())
				}
			}
			if len(led) == 0 {
				return true, fmt.Sprintf("%s leads 0 groups", nodeID)
			}
			return false, fmt.Sprintf("%s leads %d group(s): %s", nodeID, len(led), ctlAbbreviateList(led, 8))
		}); err != nil {
			return err
		}
		return e.print(&boxofficev1.DrainResponse{}, func(out io.Writer) {
			fmt.Fprintf(out, "%s is drained: it leads no group. Restart it, then: boxoffice ctl undrain %s\n", nodeID, nodeID)
		})
	}
}

func ctlUpgradeCheck(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	level := fs.Uint("level", 0, "the feature level to check; 0: the answering node's own")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		var resp *boxofficev1.CheckFeatureLevelResponse
		addr, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			var err error
			resp, err = c.CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{FeatureLevel: uint32(*level)})
			return err
		})
		if status.Code(err) == codes.Unimplemented {
			// Releases before feature levels have no such call.
			return fmt.Errorf("the node asked runs a release older than feature levels (level 1): upgrade it, or ask an upgraded node with --addr: %w", err)
		}
		if err != nil {
			return err
		}
		return e.print(resp, func(out io.Writer) {
			fmt.Fprintf(out, "every registered node runs feature level %d or newer (cluster feature level %d, asked %s): its features may be used\n",
				resp.GetFeatureLevel(), resp.GetClusterFeatureLevel(), addr)
		})
	}
}

func ctlUndrain(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.Drain(ctx, &boxofficev1.DrainRequest{NodeId: args[0], Drained: false})
			return err
		})
		if err != nil {
			return err
		}
		return e.print(&boxofficev1.DrainResponse{}, func(out io.Writer) {
			fmt.Fprintf(out, "%s is no longer draining: the rebalancer hands it back the groups it prefers to lead (every --rebalance-interval)\n", args[0])
		})
	}
}

func ctlTransferLeader(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	wait := fs.Bool("wait", true, "wait until the node leads the group; false: return once the transfer was asked")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		groupID, nodeID := args[0], args[1]
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: groupID, NodeId: nodeID})
			return err
		})
		if err != nil {
			return err
		}
		if *wait {
			if err := ctlWaitLeads(ctx, e, func(resp *boxofficev1.StatusResponse) (bool, string) {
				for _, g := range resp.GetGroups() {
					if g.GetGroupId() == groupID {
						return g.GetLeaderNodeId() == nodeID, fmt.Sprintf("%s is led by %s", groupID, ctlDash(g.GetLeaderNodeId()))
					}
				}
				return false, groupID + " is not in the status"
			}); err != nil {
				return err
			}
		}
		return e.print(&boxofficev1.TransferLeaderResponse{}, func(out io.Writer) {
			if *wait {
				fmt.Fprintf(out, "%s leads %s, and is its preferred leader\n", nodeID, groupID)
			} else {
				fmt.Fprintf(out, "%s asked to lead %s\n", nodeID, groupID)
			}
		})
	}
}

// ctlWaitLeads polls Status until done says so (or ctx ends), printing
// done's progress line to stderr each time it changes.
func ctlWaitLeads(ctx context.Context, e *ctlEnv, done func(*boxofficev1.StatusResponse) (bool, string)) error {
	last := ""
	for {
		answer, err := ctlAskStatus(ctx, e)
		if err != nil && ctx.Err() != nil {
			return err
		}
		ok, progress := false, ""
		if err == nil {
			ok, progress = done(answer.resp)
		} else {
			progress = "status: " + ctlDescribeError(err) + " (asking again)"
		}
		if progress != last {
			fmt.Fprintln(e.stderr, progress)
			last = progress
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(ctlStatusPollInterval):
		}
	}
}

func ctlEventsList(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	pageSize := fs.Uint("page-size", 100, "events per request (at most 500)")
	archived := fs.Bool("archived", false, "list archived (deleted) events too")
	return func(ctx context.Context, e *ctlEnv, _ []string) error {
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		all := &boxofficev1.ListEventsResponse{}
		token := ""
		for range ctlListEventsPagesMax {
			page, err := c.ListEvents(ctx, &boxofficev1.ListEventsRequest{PageSize: uint32(*pageSize), PageToken: token, IncludeArchived: *archived})
			if err != nil {
				return err
			}
			all.Events = append(all.Events, page.GetEvents()...)
			token = page.GetNextPageToken()
			if token == "" {
				break
			}
		}
		all.NextPageToken = token // non-empty only if the page cap was hit
		return e.print(all, func(out io.Writer) {
			w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "EVENT\tNAME\tSTATUS\tSHARDS\tSEATS\tGA\tCREATED")
			for _, ev := range all.GetEvents() {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", ev.GetEventId(), ev.GetName(), ctlEventStatus(ev.GetStatus()),
					ev.GetShardCount(), ev.GetSeatCount(), ev.GetGeneralAdmissionCapacity(), ctlUnixMilli(ev.GetCreatedAtUnixMs()))
			}
			w.Flush()
			if token != "" {
				fmt.Fprintf(out, "(stopped after %d pages; more events exist)\n", ctlListEventsPagesMax)
			}
		})
	}
}

func ctlEventsGet(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		ev, err := c.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: args[0]})
		if err != nil {
			return err
		}
		return e.print(ev, func(out io.Writer) { ctlPrintEvent(out, ev) })
	}
}

func ctlDeleteEvent(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		req := &boxofficev1.DeleteEventRequest{RequestId: *requestID, EventId: args[0]}
		resp, err := c.DeleteEvent(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) {
			fmt.Fprintf(out, "event %s %s\n", resp.GetEvent().GetEventId(), strings.ToLower(ctlEventStatus(resp.GetEvent().GetStatus())))
		})
	}
}

func ctlPrintEvent(out io.Writer, ev *boxofficev1.Event) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	p := ev.GetPolicy()
	fmt.Fprintf(w, "event\t%s\n", ev.GetEventId())
	fmt.Fprintf(w, "name\t%s\n", ev.GetName())
	fmt.Fprintf(w, "status\t%s\n", ctlEventStatus(ev.GetStatus()))
	fmt.Fprintf(w, "created\t%s\n", ctlUnixMilli(ev.GetCreatedAtUnixMs()))
	fmt.Fprintf(w, "shards\t%d on %d groups\n", ev.GetShardCount(), ev.GetGroupCount())
	fmt.Fprintf(w, "survive\t%s\n", ctlSurvive(ev.GetSurvive()))
	fmt.Fprintf(w, "home region\t%s\n", ctlDash(ev.GetHomeRegion()))
	fmt.Fprintf(w, "seats\t%d reserved, %d general admission\n", ev.GetSeatCount(), ev.GetGeneralAdmissionCapacity())
	fmt.Fprintf(w, "hold ttl\tdefault %s, max %s, lifetime max %s\n", ctlMsDuration(p.GetHoldTtlDefaultMs()),
		ctlMsDuration(p.GetHoldTtlMaxMs()), ctlMsDuration(p.GetHoldLifetimeMaxMs()))
	fmt.Fprintf(w, "seats per hold\t%s\n", ctlZeroDefault(p.GetSeatsPerHoldMax()))
	if v := ev.GetVenue(); v != nil {
		fmt.Fprintf(w, "venue\t%s: %d sections, %d pools\n", v.GetName(), len(v.GetSections()), len(v.GetPools()))
		for _, t := range v.GetPriceTiers() {
			fmt.Fprintf(w, "tier %s\t%s\n", t.GetId(), ctlMoney(t.GetPriceCents(), t.GetCurrency()))
		}
	}
	w.Flush()
}

func ctlEventsCreate(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	name := fs.String("name", "", "display `name` of the event (required)")
	venueFile := fs.String("venue", "", "venue as protojson of boxoffice.v1.Venue, from this `file`")
	demoArena := fs.Bool("demo-arena", false, "use the built-in demo arena (about 17,400 seats and a 1,500 floor)")
	onSale := fs.String("onsale", "", "use the benchmark venue of `SECTIONSxROWSxSEATS`, e.g. 20x25x40")
	shards := fs.Uint("shards", 0, "number of shards (0: one per group used)")
	groups := fs.Uint("groups", 0, "data groups the event is spread over (0: from its size, one per 500,000 seats by default; more spreads a very large event over more leaders)")
	survive := fs.String("survive", "", "failure the event must survive: `zone` or region (default: the cluster's, zone where the groups allow it); refused when the nodes cannot meet it")
	homeRegion := fs.String("home-region", "", "`region` its groups are led from, near its fans")
	holdTTL := fs.Duration("hold-ttl", 0, "default hold `duration` (0: the cluster's default, 10m)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		if *name == "" {
			return fmt.Errorf("%w: events create: --name is required", errCtlUsage)
		}
		chosen := 0
		for _, set := range []bool{*venueFile != "", *demoArena, *onSale != ""} {
			if set {
				chosen++
			}
		}
		if chosen != 1 {
			return fmt.Errorf("%w: events create: give exactly one of --venue, --demo-arena, --onsale", errCtlUsage)
		}
		var venue *boxofficev1.Venue
		switch {
		case *venueFile != "":
			var err error
			if venue, err = ctlReadVenueFile(*venueFile); err != nil {
				return err
			}
		case *demoArena:
			venue = cluster.DemoArena(*name)
		default:
			dims, err := ctlParseDimensions(*onSale)
			if err != nil {
				return fmt.Errorf("%w: events create: --onsale: %v", errCtlUsage, err)
			}
			venue = cluster.OnSaleVenue(dims[0], dims[1], dims[2])
		}
		// Refuse here what the cluster would refuse, with the same words.
		if err := cluster.ValidateVenue(venue); err != nil {
			return err
		}
		if *holdTTL < 0 {
			return fmt.Errorf("%w: events create: --hold-ttl %v is negative", errCtlUsage, *holdTTL)
		}
		goal, err := ctlParseSurvive(*survive)
		if err != nil {
			return err
		}
		req := &boxofficev1.CreateEventRequest{
			RequestId:  *requestID,
			EventId:    args[0],
			Name:       *name,
			Venue:      venue,
			ShardCount: uint32(*shards),
			GroupCount: uint32(*groups),
			Survive:    goal,
			HomeRegion: *homeRegion,
		}
		if *holdTTL > 0 {
			req.Policy = &boxofficev1.EventPolicy{HoldTtlDefaultMs: holdTTL.Milliseconds()}
		}
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		resp, err := c.CreateEvent(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) { ctlPrintEvent(out, resp.GetEvent()) })
	}
}

// ctlParseSurvive reads --survive: "", zone or region.
func ctlParseSurvive(text string) (boxofficev1.SurvivalGoal, error) {
	switch text {
	case "":
		return boxofficev1.SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED, nil
	case "zone":
		return boxofficev1.SurvivalGoal_SURVIVAL_GOAL_ZONE, nil
	case "region":
		return boxofficev1.SurvivalGoal_SURVIVAL_GOAL_REGION, nil
	}
	return 0, fmt.Errorf("%w: events create: --survive %q: want zone or region", errCtlUsage, text)
}

// ctlSurvive names a survival goal as --survive takes it.
func ctlSurvive(goal boxofficev1.SurvivalGoal) string {
	switch goal {
	case boxofficev1.SurvivalGoal_SURVIVAL_GOAL_ZONE:
		return "zone"
	case boxofficev1.SurvivalGoal_SURVIVAL_GOAL_REGION:
		return "region"
	}
	return "cluster default"
}

func ctlGroupsAdd(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	count := fs.Uint("count", 0, "number of data groups to add (1..64)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, _ []string) error {
		if *count == 0 {
			return fmt.Errorf("%w: groups add: --count is required", errCtlUsage)
		}
		req := &boxofficev1.AddGroupsRequest{RequestId: *requestID, Count: uint32(min(*count, math.MaxUint32))}
		if req.RequestId == "" {
			req.RequestId = ctlNewRequestID()
		}
		var resp *boxofficev1.AddGroupsResponse
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			var err error
			resp, err = c.AddGroups(ctx, req)
			return err
		})
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.RequestId)
		}
		return e.print(resp, func(out io.Writer) {
			fmt.Fprintf(out, "added %s; each starts on its replicas within a second (boxoffice ctl status shows their leaders)\n",
				strings.Join(resp.GetGroupIds(), ", "))
		})
	}
}

// ctlNewRequestID is a random request id for a call the Go client does
// not make (its calls get one from the client).
func ctlNewRequestID() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func ctlReadVenueFile(path string) (*boxofficev1.Venue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--venue: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, ctlVenueFileBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("--venue: %w", err)
	}
	if len(data) > ctlVenueFileBytesMax {
		return nil, fmt.Errorf("--venue %s: larger than %d MiB", path, ctlVenueFileBytesMax>>20)
	}
	venue := &boxofficev1.Venue{}
	if err := protojson.Unmarshal(data, venue); err != nil {
		return nil, fmt.Errorf("--venue %s: not a protojson boxoffice.v1.Venue: %w", path, err)
	}
	return venue, nil
}

// parseDimensions parses "20x25x40" into three positive numbers.
func ctlParseDimensions(s string) ([3]int, error) {
	var dims [3]int
	parts := strings.Split(strings.ToLower(s), "x")
	if len(parts) != 3 {
		return dims, fmt.Errorf("%q: want SECTIONSxROWSxSEATS, e.g. 20x25x40", s)
	}
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return dims, fmt.Errorf("%q: %q is not a positive number", s, part)
		}
		dims[i] = n
	}
	return dims, nil
}

func ctlSeatMap(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	section := fs.String("section", "", "show this `section` row by row")
	stale := fs.Bool("stale", false, "read from any replica (may lag the leader)")
	summary := fs.Bool("summary", false, "counts only (with --section: no seat picture)")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		req := &boxofficev1.GetSeatMapRequest{EventId: args[0], SummaryOnly: *summary || *section == ""}
		if *stale {
			req.Consistency = boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE
		}
		if *section != "" {
			req.SectionIds = []string{*section}
		}
		m, err := c.GetSeatMap(ctx, req)
		if err != nil {
			return err
		}
		return e.print(m, func(out io.Writer) {
			fmt.Fprintf(out, "event %s: %d available, %d held, %d sold\n\n", m.GetEventId(), m.GetAvailable(), m.GetHeld(), m.GetSold())
			if *section != "" && !*summary {
				for _, s := range m.GetSections() {
					ctlPrintSectionPicture(out, s)
				}
				for _, p := range m.GetPools() {
					ctlPrintPools(out, []*boxofficev1.PoolState{p})
				}
				return
			}
			if len(m.GetSections()) > 0 {
				w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
				fmt.Fprintln(w, "SECTION\tSHARD\tAVAILABLE\tHELD\tSOLD\t")
				for _, s := range m.GetSections() {
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t\n", s.GetId(), s.GetShard(), s.GetAvailable(), s.GetHeld(), s.GetSold())
				}
				w.Flush()
			}
			if len(m.GetPools()) > 0 {
				fmt.Fprintln(out)
				ctlPrintPools(out, m.GetPools())
			}
		})
	}
}

func ctlPrintPools(out io.Writer, pools []*boxofficev1.PoolState) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "POOL\tSHARD\tCAPACITY\tAVAILABLE\tHELD\tSOLD\tTIER\t")
	for _, p := range pools {
		available := int64(p.GetCapacity()) - int64(p.GetHeld()) - int64(p.GetSold())
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", p.GetId(), p.GetShard(), p.GetCapacity(), available, p.GetHeld(), p.GetSold(), ctlDash(p.GetPriceTier()))
	}
	w.Flush()
}

// printSectionPicture draws a section row by row, closest to the stage
// first: '.' available, 'a' available accessible, 'r' available with a
// restricted view, 'h' held, 'X' sold, '|' an aisle.
func ctlPrintSectionPicture(out io.Writer, s *boxofficev1.SectionState) {
	name := s.GetName()
	if name == "" {
		name = s.GetId()
	}
	fmt.Fprintf(out, "section %s (%s), shard %d: %d available, %d held, %d sold\n",
		s.GetId(), name, s.GetShard(), s.GetAvailable(), s.GetHeld(), s.GetSold())
	labelWidth := 0
	for _, row := range s.GetRows() {
		labelWidth = max(labelWidth, len(row.GetLabel()))
	}
	fmt.Fprintln(out, "  stage this way")
	for _, row := range s.GetRows() {
		var b strings.Builder
		for _, seat := range row.GetSeats() {
			b.WriteByte(ctlSeatGlyph(seat))
			if seat.GetAisleAfter() {
				b.WriteByte('|')
			}
		}
		first, last := "", ""
		if seats := row.GetSeats(); len(seats) > 0 {
			first, last = strconv.Itoa(int(seats[0].GetNumber())), strconv.Itoa(int(seats[len(seats)-1].GetNumber()))
		}
		fmt.Fprintf(out, "  %*s  %s  %s..%s\n", labelWidth, row.GetLabel(), b.String(), first, last)
	}
	fmt.Fprintln(out, "  . available  a accessible  r restricted view  h held  X sold  | aisle")
}

func ctlSeatGlyph(seat *boxofficev1.Seat) byte {
	switch seat.GetState() {
	case boxofficev1.SeatState_SEAT_STATE_HELD:
		return 'h'
	case boxofficev1.SeatState_SEAT_STATE_SOLD:
		return 'X'
	case boxofficev1.SeatState_SEAT_STATE_AVAILABLE:
		switch {
		case seat.GetAccessible():
			return 'a'
		case seat.GetRestrictedView():
			return 'r'
		}
		return '.'
	}
	return '?'
}

func ctlHold(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	holder := fs.String("holder", "", "who may extend, release and sell the hold (required)")
	seats := fs.String("seats", "", "comma-separated seat `ids`, e.g. 101-A-1,101-A-2")
	best := fs.Uint("best", 0, "best available: this many seats")
	section := fs.String("section", "", "with --best: only in this `section`")
	tier := fs.String("tier", "", "with --best: only in this price `tier`")
	accessible := fs.Bool("accessible", false, "with --best: accessible seats only")
	splitRows := fs.Bool("split-rows", false, "with --best: allow seats in different rows")
	acrossAisle := fs.Bool("across-aisle", false, "with --best: allow seats across an aisle")
	ga := fs.String("ga", "", "general admission: `POOL:N` places in pool POOL")
	ttl := fs.Duration("ttl", 0, "hold `duration` (0: the event's default)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		if *holder == "" {
			return fmt.Errorf("%w: hold: --holder is required", errCtlUsage)
		}
		req := &boxofficev1.HoldRequest{RequestId: *requestID, EventId: args[0], Holder: *holder, TtlMs: ttl.Milliseconds()}
		chosen := 0
		if *seats != "" {
			chosen++
			req.Selection = &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: ctlSplitList(*seats)}}
		}
		if *best > 0 {
			chosen++
			req.Selection = &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{
				Quantity: uint32(*best), SectionId: *section, PriceTier: *tier,
				AccessibleOnly: *accessible, AllowSplitRows: *splitRows, AllowAcrossAisle: *acrossAisle,
			}}
		}
		if *ga != "" {
			chosen++
			pool, quantity, err := ctlParseGA(*ga)
			if err != nil {
				return fmt.Errorf("%w: hold: --ga: %v", errCtlUsage, err)
			}
			req.Selection = &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: pool, Quantity: quantity}}
		}
		if chosen != 1 {
			return fmt.Errorf("%w: hold: give exactly one of --seats, --best N, --ga POOL:N", errCtlUsage)
		}
		if req.GetBest() == nil && (*section != "" || *tier != "" || *accessible || *splitRows || *acrossAisle) {
			return fmt.Errorf("%w: hold: --section, --tier, --accessible, --split-rows and --across-aisle go with --best", errCtlUsage)
		}
		if *ttl < 0 {
			return fmt.Errorf("%w: hold: --ttl %v is negative", errCtlUsage, *ttl)
		}
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		resp, err := c.Hold(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) { ctlPrintHold(out, resp) })
	}
}

func ctlParseGA(s string) (string, uint32, error) {
	pool, n, ok := strings.Cut(s, ":")
	quantity, err := strconv.ParseUint(n, 10, 32)
	if !ok || pool == "" || err != nil || quantity == 0 {
		return "", 0, fmt.Errorf("%q: want POOL:N, e.g. FLOOR:2", s)
	}
	return pool, uint32(quantity), nil
}

func ctlPrintHold(out io.Writer, h *boxofficev1.HoldResponse) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "hold\t%s\n", h.GetHoldId())
	fmt.Fprintf(w, "event\t%s\n", h.GetEventId())
	fmt.Fprintf(w, "holder\t%s\n", h.GetHolder())
	if len(h.GetSeatIds()) > 0 {
		fmt.Fprintf(w, "seats\t%s\n", strings.Join(h.GetSeatIds(), " "))
	}
	if h.GetGeneralAdmissionQuantity() > 0 {
		fmt.Fprintf(w, "general admission\t%d\n", h.GetGeneralAdmissionQuantity())
	}
	fmt.Fprintf(w, "expires\t%s\n", ctlUnixMilli(h.GetExpiresAtUnixMs()))
	w.Flush()
}

func ctlExtend(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	holder := fs.String("holder", "", "the hold's holder (required)")
	ttl := fs.Duration("ttl", 0, "new `duration` from now (0: the event's default)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		if *holder == "" {
			return fmt.Errorf("%w: extend: --holder is required", errCtlUsage)
		}
		if *ttl < 0 {
			return fmt.Errorf("%w: extend: --ttl %v is negative", errCtlUsage, *ttl)
		}
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		req := &boxofficev1.ExtendHoldRequest{RequestId: *requestID, EventId: args[0], HoldId: args[1], Holder: *holder, TtlMs: ttl.Milliseconds()}
		resp, err := c.ExtendHold(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) { ctlPrintHold(out, resp) })
	}
}

func ctlRelease(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	holder := fs.String("holder", "", "the hold's holder (required)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		if *holder == "" {
			return fmt.Errorf("%w: release: --holder is required", errCtlUsage)
		}
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		req := &boxofficev1.ReleaseRequest{RequestId: *requestID, EventId: args[0], HoldId: args[1], Holder: *holder}
		resp, err := c.Release(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) {
			fmt.Fprintf(out, "released %d seat(s)", len(resp.GetSeatIds()))
			if len(resp.GetSeatIds()) > 0 {
				fmt.Fprintf(out, ": %s", strings.Join(resp.GetSeatIds(), " "))
			}
			if n := resp.GetGeneralAdmissionQuantity(); n > 0 {
				fmt.Fprintf(out, " and %d general admission", n)
			}
			fmt.Fprintln(out)
		})
	}
}

func ctlSell(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	holder := fs.String("holder", "", "the hold's holder (required)")
	order := fs.String("order", "", "order `id` (required)")
	buyer := fs.String("buyer", "", "buyer (required)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		if *holder == "" || *order == "" || *buyer == "" {
			return fmt.Errorf("%w: sell: --holder, --order and --buyer are required", errCtlUsage)
		}
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		req := &boxofficev1.SellRequest{RequestId: *requestID, EventId: args[0], HoldId: args[1], Holder: *holder, OrderId: *order, Buyer: *buyer}
		resp, err := c.Sell(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) {
			fmt.Fprintf(out, "order %s: %d ticket(s)\n", resp.GetOrderId(), len(resp.GetTickets()))
			ctlPrintTickets(out, resp.GetTickets())
		})
	}
}

func ctlRefund(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	tickets := fs.String("tickets", "", "comma-separated ticket `ids` of the order to refund (required)")
	requestID := fs.String("request-id", "", "repeat an earlier attempt with this request `id`")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		req := &boxofficev1.RefundRequest{RequestId: *requestID, EventId: args[0], OrderId: args[1], TicketIds: ctlSplitList(*tickets)}
		resp, err := c.Refund(ctx, req)
		if err != nil {
			return fmt.Errorf("%w (request id %s)", err, req.GetRequestId())
		}
		return e.print(resp, func(out io.Writer) {
			fmt.Fprintf(out, "refunded %d ticket(s)\n", len(resp.GetTickets()))
			ctlPrintTickets(out, resp.GetTickets())
		})
	}
}

func ctlPrintTickets(out io.Writer, tickets []*boxofficev1.Ticket) {
	if len(tickets) == 0 {
		return
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TICKET\tSEAT\tTIER\tBUYER")
	for _, t := range tickets {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.GetTicketId(), t.GetSeatId(), ctlDash(t.GetPriceTier()), t.GetBuyer())
	}
	w.Flush()
}

func ctlWatch(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		dialCtx, cancel := context.WithTimeout(ctx, e.opts.timeout)
		defer cancel()
		c, err := e.dial(dialCtx)
		if err != nil {
			return err
		}
		stream, err := c.Watch(ctx, &boxofficev1.WatchRequest{EventId: args[0]})
		if err != nil {
			return err
		}
		compact := protojson.MarshalOptions{}
		for {
			resp, err := stream.Recv()
			if err != nil {
				if ctx.Err() != nil || err == io.EOF {
					return nil // interrupted, or the server ended the stream
				}
				return err
			}
			for _, change := range resp.GetChanges() {
				if e.opts.json {
					line, err := compact.Marshal(change)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s\n", line)
					continue
				}
				fmt.Fprintln(e.stdout, ctlFormatChange(change))
			}
		}
	}
}

func ctlFormatChange(ch *boxofficev1.SeatChange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "shard %d seq %d  %s  %s", ch.GetShard(), ch.GetSequence(), ch.GetSeatId(), ctlSeatState(ch.GetState()))
	if ch.GetHoldId() != "" {
		fmt.Fprintf(&b, "  hold %s", ch.GetHoldId())
	}
	if ch.GetHoldExpiresAtUnixMs() != 0 {
		fmt.Fprintf(&b, " until %s", ctlUnixMilli(ch.GetHoldExpiresAtUnixMs()))
	}
	if ch.GetOrderId() != "" {
		fmt.Fprintf(&b, "  order %s", ch.GetOrderId())
	}
	if ch.GetGeneralAdmissionAvailable() != 0 {
		fmt.Fprintf(&b, "  %d available", ch.GetGeneralAdmissionAvailable())
	}
	return b.String()
}

// ------------------------------------------------------------------ formatting

// describeError renders an error with its gRPC status, if it has one, as
// "CODE (REASON): message", keeping what wrapped it (such as the request
// id of a mutation or the address Dial could not reach).
func ctlDescribeError(err error) string {
	var withStatus interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &withStatus) {
		return err.Error()
	}
	st := withStatus.GRPCStatus()
	var b strings.Builder
	b.WriteString(ctlCodeName(st.Code()))
	if reason := boxofficev1.ReasonOf(err); reason != "" {
		fmt.Fprintf(&b, " (%s)", reason)
	}
	b.WriteString(": ")
	b.WriteString(st.Message())
	full, raw := err.Error(), st.Err().Error()
	if i := strings.Index(full, raw); i >= 0 {
		return full[:i] + b.String() + full[i+len(raw):]
	}
	return b.String()
}

// codeName spells a gRPC code as the API documents it: NOT_FOUND.
func ctlCodeName(code codes.Code) string {
	var b strings.Builder
	for i, r := range code.String() {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

func ctlEventStatus(s boxofficev1.EventStatus) string {
	return strings.TrimPrefix(s.String(), "EVENT_STATUS_")
}

func ctlSeatState(s boxofficev1.SeatState) string {
	return strings.TrimPrefix(s.String(), "SEAT_STATE_")
}

func ctlUnixMilli(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

func ctlMsDuration(ms int64) string {
	if ms == 0 {
		return "(default)"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}

func ctlZeroDefault(n uint32) string {
	if n == 0 {
		return "(default)"
	}
	return strconv.FormatUint(uint64(n), 10)
}

func ctlMoney(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return strings.TrimSpace(fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, currency))
}

func ctlDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ctlAbbreviateList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, " ")
	}
	return fmt.Sprintf("%s ... (%d in all)", strings.Join(items[:n], " "), len(items))
}

func ctlSplitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

func ctlUpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
