package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/boxoffice/boxoffice/internal/sealing"
	"github.com/boxoffice/boxoffice/node/logstore"
)

// A node's data directory holds every seat, order and gateway record it
// has replicated (the Raft log, snapshots), so only the user running the
// node may read it: directories are dataDirMode and files dataFileMode.
// Everything a node creates under it is created with these modes (the
// bbolt log in node/logstore, snapshots in the hashicorp-raft fork, the
// incarnation file), and prepareDataDir tightens what an older version
// left more open, so an upgrade needs no manual chmod.
const (
	dataDirMode  fs.FileMode = 0o700
	dataFileMode fs.FileMode = 0o600
)

// openDataDir prepares cfg.DataDir (prepareDataDir), loads the key file
// if there is one, and refuses a data dir holding sealed snapshots that
// the key file cannot open (node/logstore checks the log itself).
func openDataDir(cfg Config) (*sealing.Keyring, error) {
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	var keys *sealing.Keyring
	if cfg.EncryptionKeyFile != "" {
		var err error
		if keys, err = sealing.LoadKeyFile(cfg.EncryptionKeyFile); err != nil {
			return nil, err
		}
	}
	if err := checkSnapshotKeys(cfg.DataDir, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// prepareDataDir creates dir if needed and sets every directory under it
// (itself included) to dataDirMode and every regular file to
// dataFileMode. Symbolic links are neither followed nor changed.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := dataFileMode
		switch {
		case d.IsDir():
			want = dataDirMode
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() == want {
			return nil
		}
		return os.Chmod(path, want)
	})
	if err != nil {
		return fmt.Errorf("data dir: restricting modes: %w", err)
	}
	return nil
}

// checkLogPresent refuses a data dir that has been a cluster member's
// (it holds the incarnation file, written after the log is first
// created) but has lost its Raft log: started, the node would create an
// empty log and vote with it.
func checkLogPresent(dataDir, logPath string) error {
	if _, err := os.Stat(filepath.Join(dataDir, "incarnation")); err != nil {
		return nil // a new data dir, or unreadable: Open reports the latter
	}
	if _, err := os.Stat(logPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s: missing, and the data dir holds this node's incarnation", logstore.ErrDamaged, logPath)
	}
	return nil
}

// logDamaged is the error of a node whose Raft log is damaged or
// missing. It must not start: a node that lost entries it acknowledged
// can still vote, and a leader elected with its vote can lack committed
// writes. README.md ("A node whose log is damaged") shows this message
// and the procedure; TestNodeRefusesADamagedLogAndIsReplaced checks they
// agree.
func logDamaged(nodeID string, cause error) error {
	return fmt.Errorf("log store: %w; this node must not serve or vote with it: replace it (README.md, \"A node whose log is damaged\"): "+
		"remove it (boxoffice ctl node remove %s), move its data dir away, start it empty with --bootstrap-expect 0 --join", cause, nodeID)
}
