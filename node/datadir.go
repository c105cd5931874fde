package node

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/boxoffice/boxoffice/internal/sealing"
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
