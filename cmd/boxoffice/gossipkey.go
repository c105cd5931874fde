package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/boxoffice/boxoffice/node"
)

// runGossipKey prints (or writes, 0600, to a new file) a fresh gossip key
// from crypto/rand: one line of a --gossip-key-file.
func runGossipKey(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice gossip-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, gossipKeyHelp)
	out := fs.String("out", "", "write the key to this new file (mode 0600) instead of printing it; refuses to overwrite")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("gossip-key takes no arguments (got %q)", fs.Arg(0))
	}
	key, err := node.NewGossipKey()
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := fmt.Fprintln(stdout, key)
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("--out %q exists; to rotate, add a new key as a line of the file instead (docs/security.md)", *out)
		}
		return fmt.Errorf("--out: %w", err)
	}
	if _, err := fmt.Fprintln(f, key); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote a gossip key to %s; give every node the same file with --gossip-key-file\n", *out)
	return nil
}
