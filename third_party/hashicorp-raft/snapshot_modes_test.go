package raft

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// TestFileSnapshotStoreWritesPrivateFiles: a snapshot's directories are
// 0700 and its files 0600, whatever the umask allows (upstream: 0755 and
// 0666 before the umask, so 0644 with the usual 022).
func TestFileSnapshotStoreWritesPrivateFiles(t *testing.T) {
	dir := t.TempDir()
	store, err := NewFileSnapshotStoreWithLogger(dir, 2, newTestLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	_, trans := NewInmemTransport(NewInmemAddr())
	sink, err := store.Create(SnapshotVersionMax, 10, 3, Configuration{}, 2, trans)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Write([]byte("state")); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(filepath.Join(dir, snapPath), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(snapshotFileMode)
		if d.IsDir() {
			want = snapshotDirMode
		} else {
			files++
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 2 {
		t.Fatalf("found %d snapshot files, want meta.json and state.bin", files)
	}
}
