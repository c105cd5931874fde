// Package backup is the on-disk format of a cluster backup: one file per
// Raft group holding the group's state machine snapshot, and manifest.json
// naming every file with its group, Raft index and term, size and SHA-256.
// `boxoffice ctl backup` writes it, `boxoffice ctl backup verify` checks it
// and `boxoffice restore` (node.RestoreDataDir) reads it.
//
// The manifest is written last, after every group file is complete and
// synced: a directory without manifest.json is an unfinished backup, and
// Verify refuses it. Nothing here talks to a cluster; the package imports
// no server code.
package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// FormatVersion is the version of the layout and of manifest.json that
// this code writes and reads.
const FormatVersion = 1

// ManifestFile is the manifest's name inside a backup directory.
const ManifestFile = "manifest.json"

// manifestBytesMax caps the manifest Verify reads (a few hundred bytes per
// group).
const manifestBytesMax = 16 << 20

// Errors of the package; each is wrapped with the file and values it is
// about.
var (
	// ErrDirNotEmpty: a backup is only written into an empty directory.
	ErrDirNotEmpty = errors.New("backup directory is not empty")
	// ErrCorrupt: a file's size or checksum differs from the manifest's,
	// or the manifest does not decode.
	ErrCorrupt = errors.New("backup is corrupt")
	// ErrIncomplete: no manifest, or a file it names is missing.
	ErrIncomplete = errors.New("backup is incomplete")
	// ErrFormat: a manifest of another format version, or with values
	// this version refuses.
	ErrFormat = errors.New("backup format not supported")
)

// Manifest describes one backup.
type Manifest struct {
	// FormatVersion is FormatVersion when written.
	FormatVersion int `json:"format_version"`
	// StartedAt is the backup point: every write the cluster acknowledged
	// before it is in the backup.
	StartedAt time.Time `json:"started_at"`
	// CompletedAt is when the last group's state was received. Writes
	// acknowledged between StartedAt and CompletedAt may or may not be in
	// it (per group: those its leader applied before the group's copy).
	CompletedAt time.Time `json:"completed_at"`
	// Groups lists the meta group first, then the data groups by id.
	Groups []Group `json:"groups"`
}

// Group is one group's file.
type Group struct {
	GroupID string `json:"group_id"`
	File    string `json:"file"`
	// Index and Term are the Raft entry the group's state is at: its
	// leader applied every entry up to Index, and no later one, into it.
	Index  uint64 `json:"index"`
	Term   uint64 `json:"term"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// groupIDPattern is what a group id may look like, so that it names a
// file inside the directory and nothing else.
var groupIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// FileName is the file of a group's state.
func FileName(groupID string) string { return groupID + ".state" }

// PrepareDir creates dir if it does not exist and refuses a dir that has
// anything in it.
func PrepareDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("backup directory: empty path")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return fmt.Errorf("backup directory %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%w: %s holds %s and %d other entries", ErrDirNotEmpty, dir, entries[0].Name(), len(entries)-1)
	}
	return nil
}

// WriteGroup writes a group's state from r into dir, synced, and returns
// its manifest entry.
func WriteGroup(dir, groupID string, index, term uint64, r io.Reader) (Group, error) {
	if !groupIDPattern.MatchString(groupID) {
		return Group{}, fmt.Errorf("%w: group id %q", ErrFormat, groupID)
	}
	name := FileName(groupID)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Group{}, err
	}
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Group{}, fmt.Errorf("group %s: %w", groupID, err)
	}
	return Group{GroupID: groupID, File: name, Index: index, Term: term, Bytes: n, SHA256: hex.EncodeToString(hash.Sum(nil))}, nil
}

// WriteManifest writes m as dir's manifest (through a temporary file, so a
// manifest is whole or absent).
func WriteManifest(dir string, m *Manifest) error {
	m.FormatVersion = FormatVersion
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, ManifestFile))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// Verify reads dir's manifest and checks every group file it names: the
// file exists, and its size and SHA-256 are the manifest's. It returns the
// manifest, or the first problem found naming the file and the values.
func Verify(dir string) (*Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	for _, g := range m.Groups {
		if err := verifyFile(dir, g); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ReadManifest reads and checks dir's manifest without reading the group
// files.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: no %s (an interrupted backup, or not a backup directory)", ErrIncomplete, dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, manifestBytesMax+1))
	if err != nil {
		return nil, err
	}
	if len(data) > manifestBytesMax {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, path, manifestBytesMax)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%w: %s: format_version %d, this version reads %d", ErrFormat, path, m.FormatVersion, FormatVersion)
	}
	if len(m.Groups) == 0 {
		return nil, fmt.Errorf("%w: %s lists no groups", ErrCorrupt, path)
	}
	seen := map[string]bool{}
	for _, g := range m.Groups {
		if !groupIDPattern.MatchString(g.GroupID) || g.File != FileName(g.GroupID) {
			return nil, fmt.Errorf("%w: %s: group %q with file %q", ErrCorrupt, path, g.GroupID, g.File)
		}
		if seen[g.GroupID] {
			return nil, fmt.Errorf("%w: %s: group %q listed twice", ErrCorrupt, path, g.GroupID)
		}
		seen[g.GroupID] = true
		if g.Index == 0 || g.Term == 0 {
			return nil, fmt.Errorf("%w: %s: group %s at index %d, term %d (both must be > 0)", ErrCorrupt, path, g.GroupID, g.Index, g.Term)
		}
	}
	return &m, nil
}

func verifyFile(dir string, g Group) error {
	path := filepath.Join(dir, g.File)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s is missing (group %s)", ErrIncomplete, path, g.GroupID)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	hash := sha256.New()
	n, err := io.Copy(hash, f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n != g.Bytes {
		return fmt.Errorf("%w: %s has %d bytes, the manifest says %d", ErrCorrupt, path, n, g.Bytes)
	}
	if sum := hex.EncodeToString(hash.Sum(nil)); sum != g.SHA256 {
		return fmt.Errorf("%w: %s has SHA-256 %s, the manifest says %s", ErrCorrupt, path, sum, g.SHA256)
	}
	return nil
}

// ReadGroup returns the whole state of group g of a verified backup,
// checking its size and checksum again (the file may have changed since
// Verify).
func ReadGroup(dir string, g Group) ([]byte, error) {
	path := filepath.Join(dir, g.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != g.Bytes {
		return nil, fmt.Errorf("%w: %s has %d bytes, the manifest says %d", ErrCorrupt, path, len(data), g.Bytes)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != g.SHA256 {
		return nil, fmt.Errorf("%w: %s has SHA-256 %s, the manifest says %s", ErrCorrupt, path, hex.EncodeToString(sum[:]), g.SHA256)
	}
	return data, nil
}
