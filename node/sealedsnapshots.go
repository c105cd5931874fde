package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// Encryption at rest (Config.EncryptionKeyFile) covers the two places a
// node writes replicated data: the entries' data in the bbolt log
// (node/logstore, Options.Keys) and the snapshot files, sealed as a stream
// here (internal/sealing). Snapshots and entries travel between nodes in
// clear inside the peer port's TLS; each node seals with its own key file.

// errDataDirEncrypted: a data dir written with a key file, opened without.
var errDataDirEncrypted = errors.New("the data dir is encrypted: start the node with its key file (--encryption-key-file)")

// sealedSnapshots wraps a group's FileSnapshotStore: with keys, a new
// snapshot is sealed with the current key as it is written; Open reads
// sealed and clear snapshots alike (clear ones were taken before
// encryption was turned on) and reports the plaintext size, which Raft
// sends to a follower installing it (List still reports sizes on disk,
// which Raft only logs). Without keys, snapshots are written in clear and
// a sealed one is refused.
type sealedSnapshots struct {
	raft.SnapshotStore
	keys *sealing.Keyring // nil: write in clear
}

func (s *sealedSnapshots) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration,
	configurationIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(version, index, term, configuration, configurationIndex, trans)
	if err != nil || s.keys == nil {
		return sink, err
	}
	w, err := s.keys.NewStreamWriter(sink)
	if err != nil {
		_ = sink.Cancel()
		return nil, err
	}
	return &sealedSink{SnapshotSink: sink, w: w}, nil
}

func (s *sealedSnapshots) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	meta, rc, err := s.SnapshotStore.Open(id)
	if err != nil {
		return nil, nil, err
	}
	buffered := bufio.NewReaderSize(rc, 64<<10)
	head, _ := buffered.Peek(sealing.StreamMagicBytes)
	if !sealing.IsSealedStream(head) {
		return meta, readCloser{Reader: buffered, Closer: rc}, nil
	}
	if s.keys == nil {
		_ = rc.Close()
		return nil, nil, fmt.Errorf("snapshot %s: %w", id, errDataDirEncrypted)
	}
	r, err := s.keys.NewStreamReader(buffered)
	if err != nil {
		_ = rc.Close()
		return nil, nil, fmt.Errorf("snapshot %s: %w", id, err)
	}
	plain := *meta
	plain.Size = sealing.StreamPlainBytes(meta.Size, len(r.KeyID()))
	return &plain, readCloser{Reader: r, Closer: rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// sealedSink seals what the FSM (or a leader installing a snapshot here)
// writes; Close writes the last chunk before the file store finishes.
type sealedSink struct {
	raft.SnapshotSink
	w *sealing.StreamWriter
}

func (s *sealedSink) Write(p []byte) (int, error) { return s.w.Write(p) }

func (s *sealedSink) Close() error {
	if err := s.w.Close(); err != nil {
		_ = s.SnapshotSink.Cancel()
		return err
	}
	return s.SnapshotSink.Close()
}

// checkSnapshotKeys refuses a data dir holding a sealed snapshot that keys
// cannot open (no keys, or none with its id), before any group starts:
// otherwise Raft would skip the snapshot and start from an older state.
func checkSnapshotKeys(dataDir string, keys *sealing.Keyring) error {
	root := filepath.Join(dataDir, "snapshots")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == root {
			return fs.SkipDir
		}
		if err != nil || d.IsDir() || d.Name() != "state.bin" || strings.HasSuffix(filepath.Dir(path), ".tmp") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, sealing.StreamMagicBytes)
		if _, err := io.ReadFull(f, head); err != nil || !sealing.IsSealedStream(head) {
			return nil // clear (or empty, which Raft reports itself)
		}
		if keys == nil {
			return fmt.Errorf("snapshot %s: %w", path, errDataDirEncrypted)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		id, err := sealing.StreamKeyID(f)
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", path, err)
		}
		if !keys.Has(id) {
			return fmt.Errorf("snapshot %s: %w: key id %q; the key file has %s", path, sealing.ErrUnknownKey, id, strings.Join(keys.IDs(), ", "))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	return nil
}
