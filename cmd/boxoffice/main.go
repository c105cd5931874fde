// Command boxoffice is the one binary of Boxoffice: a node (start), the
// embedded demo (demo), the operator CLI (ctl), the mobile API gateway
// (gateway), the load generator (bench) and a development certificate
// authority (certs).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `boxoffice — a replicated seat-inventory store for event ticketing.

Usage:
  boxoffice start [flags]      run one node (boxoffice start -h for flags)
  boxoffice demo [flags]       run a 3-node cluster in this process with a demo arena
  boxoffice ctl [flags] CMD    operate a cluster: status, events, seat maps, holds
  boxoffice restore [flags]    prepare a new node's data dir from a backup (ctl backup)
  boxoffice gateway [flags]    the HTTP/JSON API for mobile apps (checkout, tickets, check-in)
  boxoffice bench [flags]      run the on-sale workload against a running cluster
  boxoffice certs [flags]      write a development CA and node/client certificates
  boxoffice gossip-key         print a new random gossip key (--gossip-key-file holds one per line)
  boxoffice version            version, commit, Go and protocol version (also --version)
  boxoffice help               this text

Every subcommand explains itself with -h: flags, examples, environment.

Examples:
  go run ./cmd/boxoffice demo
  boxoffice ctl --addr 127.0.0.1:7101,127.0.0.1:7102 status
  boxoffice start -h

Environment:
  BOXOFFICE_<FLAG>  every flag of start (--node-id is BOXOFFICE_NODE_ID, and so on)
  BOXOFFICE_ADDR    the addresses ctl and bench use without --addr
  the gateway's secrets and addresses (boxoffice gateway -h)
`

func main() {
	// Signals first: every subcommand runs until the context ends.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h asked for the help it printed
		}
		fmt.Fprintln(os.Stderr, "boxoffice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a subcommand is required")
	}
	switch args[0] {
	case "start":
		return runStart(ctx, args[1:], stderr)
	case "demo":
		return runDemo(ctx, args[1:], os.Stdin, stdout, stderr)
	case "ctl":
		return runCtl(ctx, args[1:], stdout, stderr)
	case "restore":
		return runRestore(args[1:], stdout, stderr)
	case "gateway":
		return runGateway(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "certs":
		return runCerts(args[1:], stdout, stderr)
	case "gossip-key":
		return runGossipKey(args[1:], stdout, stderr)
	case "version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
}
