// Package sealing encrypts what a node writes to its data directory: the
// data of Raft log entries (node/logstore) and snapshot files (a stream,
// see stream.go). It is AES-256-GCM from crypto/cipher with keys from a
// key file; nothing here is hand-made cryptography beyond choosing nonces.
//
// # Keys
//
// A Keyring is the key file's keys in order: the first seals, all of them
// open. Every sealed value names the id of the key that sealed it, so a
// key can be replaced without rewriting old data at once: add the new key
// first, keep the old one second until nothing sealed with it is left (a
// snapshot rewrites a group's state with the current key and lets Raft
// drop the log entries before it), then remove it.
//
// # Nonces
//
// AES-GCM must never see the same (key, nonce) twice with different
// plaintexts. Random 96-bit nonces would cap a key at about 2^32 values
// (NIST SP 800-38D), a few days of a busy Raft log, so nonces are
// derived instead, each under its own subkey:
//
//   - Log entries: a subkey per Raft group (HKDF-SHA256 of the key with the
//     group id as info), and the nonce is the entry's index and term. Raft
//     never writes two different entries with the same index and term in
//     one group (its Log Matching Property), so a (subkey, nonce) pair
//     always seals the same bytes.
//   - Streams (snapshots): a subkey per stream from a random 256-bit salt
//     in the stream's header, and the nonce is the chunk counter plus a
//     flag on the last chunk, so a stream cut short does not open.
package sealing

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Errors. Each is wrapped with the detail (file, line, key id).
var (
	// ErrKeyFile: the key file cannot be used (format, key length,
	// duplicate id, permissions).
	ErrKeyFile = errors.New("encryption key file invalid")
	// ErrUnknownKey: a value was sealed with a key id the keyring lacks.
	ErrUnknownKey = errors.New("sealed with a key that is not in the key file")
	// ErrOpen: a sealed value or stream does not authenticate: wrong key,
	// corruption or tampering.
	ErrOpen = errors.New("sealed data does not authenticate")
)

const (
	// KeyBytes is the length of every key: AES-256.
	KeyBytes = 32
	// KeyIDBytesMax bounds a key id; each sealed log entry carries it.
	KeyIDBytesMax = 32
	// KeysMax bounds the keys in one file.
	KeysMax = 16
	// Overhead is what sealing adds to a value besides its key id: the
	// id's length byte and GCM's tag.
	Overhead = 1 + tagBytes

	tagBytes   = 16
	nonceBytes = 12
)

// Keyring is the keys of one key file; the first seals. A Keyring is
// immutable and safe for concurrent use.
type Keyring struct {
	keys []key
	byID map[string]int
}

type key struct {
	id       string
	material []byte
}

// LoadKeyFile reads a key file. It refuses a file that its group or
// others may read, as ssh does with private keys.
func LoadKeyFile(path string) (*Keyring, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; only its owner may read it (chmod 600 %s)", ErrKeyFile, path, perm, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	kr, err := ParseKeys(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kr, nil
}

// ParseKeys reads the key file format: one key per line, "<id> <base64 of
// 32 random bytes>", the current key first; blank lines and lines
// starting with '#' are skipped. An id is 1 to KeyIDBytesMax characters
// of [A-Za-z0-9._-].
func ParseKeys(raw []byte) (*Keyring, error) {
	kr := &Keyring{byID: map[string]int{}}
	lines := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%w: line %d: want \"<key id> <base64 key>\"", ErrKeyFile, n)
		}
		id, encoded := fields[0], fields[1]
		if !validKeyID(id) {
			return nil, fmt.Errorf("%w: line %d: key id must be 1 to %d characters of A-Z a-z 0-9 . _ -", ErrKeyFile, n, KeyIDBytesMax)
		}
		if _, dup := kr.byID[id]; dup {
			return nil, fmt.Errorf("%w: line %d: key id %q appears twice", ErrKeyFile, n, id)
		}
		material, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(material) != KeyBytes {
			return nil, fmt.Errorf("%w: line %d: key %q must be %d bytes in standard base64", ErrKeyFile, n, id, KeyBytes)
		}
		if len(kr.keys) == KeysMax {
			return nil, fmt.Errorf("%w: more than %d keys", ErrKeyFile, KeysMax)
		}
		kr.byID[id] = len(kr.keys)
		kr.keys = append(kr.keys, key{id: id, material: material})
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if len(kr.keys) == 0 {
		return nil, fmt.Errorf("%w: no key", ErrKeyFile)
	}
	return kr, nil
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > KeyIDBytesMax {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// CurrentID is the id of the key that seals.
func (kr *Keyring) CurrentID() string { return kr.keys[0].id }

// IDs lists the key ids, the current one first.
func (kr *Keyring) IDs() []string {
	ids := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		ids[i] = k.id
	}
	return ids
}

// Has reports whether the keyring holds the key id.
func (kr *Keyring) Has(id string) bool { _, ok := kr.byID[id]; return ok }

// derive returns the AES-256-GCM of key i's subkey for purpose and salt.
func (kr *Keyring) derive(i int, salt []byte, purpose string) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, kr.keys[i].material, salt, purpose, KeyBytes)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Sealer seals values under one context (a Raft group) with nonces the
// caller guarantees never repeat for different plaintexts in that context.
// It is safe for concurrent use.
type Sealer struct {
	ids   []string
	aeads []cipher.AEAD // one per key of the keyring, in its order
	byID  map[string]int
}

// Sealer returns the sealer of a context. Every key's subkey is derived
// once, here.
func (kr *Keyring) Sealer(context string) (*Sealer, error) {
	s := &Sealer{ids: kr.IDs(), byID: kr.byID}
	for i := range kr.keys {
		aead, err := kr.derive(i, nil, "boxoffice sealing v1 "+context)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// SealedBytes is the length of a sealed value of n plaintext bytes.
func (s *Sealer) SealedBytes(n int) int { return Overhead + len(s.ids[0]) + n }

// Seal appends to dst the value sealed with the current key under nonce:
// the key id's length, the key id, then GCM's ciphertext and tag.
func (s *Sealer) Seal(dst []byte, nonce *[12]byte, plaintext []byte) []byte {
	dst = append(dst, byte(len(s.ids[0])))
	dst = append(dst, s.ids[0]...)
	return s.aeads[0].Seal(dst, nonce[:], plaintext, nil)
}

// KeyID returns the key id a sealed value names.
func KeyID(sealed []byte) (string, error) {
	if len(sealed) < 1 || len(sealed) < 1+int(sealed[0])+tagBytes {
		return "", fmt.Errorf("%w: value of %d bytes is too short", ErrOpen, len(sealed))
	}
	return string(sealed[1 : 1+int(sealed[0])]), nil
}

// Open appends to dst the plaintext of a sealed value.
func (s *Sealer) Open(dst []byte, nonce *[12]byte, sealed []byte) ([]byte, error) {
	id, err := KeyID(sealed)
	if err != nil {
		return nil, err
	}
	i, ok := s.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: key id %q (the file has %s)", ErrUnknownKey, id, strings.Join(s.ids, ", "))
	}
	out, err := s.aeads[i].Open(dst, nonce[:], sealed[1+len(id):], nil)
	if err != nil {
		return nil, fmt.Errorf("%w: with key id %q", ErrOpen, id)
	}
	return out, nil
}
