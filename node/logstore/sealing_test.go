package logstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// testKeys is a keyring of the given ids, the first current; each id's key
// is fixed (derived from the id) so two keyrings agree on a shared id.
func testKeys(t testing.TB, ids ...string) *sealing.Keyring {
	t.Helper()
	var file strings.Builder
	for _, id := range ids {
		material := sha256.Sum256([]byte("test key " + id))
		fmt.Fprintf(&file, "%s %s\n", id, base64.StdEncoding.EncodeToString(material[:]))
	}
	kr, err := sealing.ParseKeys([]byte(file.String()))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func storeSecrets(t *testing.T, db *DB, group string, from, to uint64, term uint64, secret string) {
	t.Helper()
	g, err := db.Group(group)
	if err != nil {
		t.Fatal(err)
	}
	var logs []*raft.Log
	for index := from; index <= to; index++ {
		logs = append(logs, &raft.Log{Index: index, Term: term, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("%s #%d", secret, index))})
	}
	if err := g.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
}

func readSecrets(t *testing.T, db *DB, group string, from, to uint64, secret string) {
	t.Helper()
	g, err := db.Group(group)
	if err != nil {
		t.Fatal(err)
	}
	for index := from; index <= to; index++ {
		var log raft.Log
		if err := g.GetLog(index, &log); err != nil {
			t.Fatalf("GetLog(%d): %v", index, err)
		}
		if want := fmt.Sprintf("%s #%d", secret, index); string(log.Data) != want {
			t.Fatalf("GetLog(%d) = %q, want %q", index, log.Data, want)
		}
	}
}

// TestSealedLogAtRest: with Keys, no entry's Data is in the file in clear;
// the file is then refused without keys and with keys that lack one in
// use; rotation (new key first, old second) reads old entries and seals
// new ones with the new key; entries written before encryption was turned
// on stay readable.
func TestSealedLogAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	open := func(keys *sealing.Keyring) (*DB, error) { return Open(path, Options{NoSync: true, Keys: keys}) }

	db, err := open(nil)
	if err != nil {
		t.Fatal(err)
	}
	storeSecrets(t, db, "g1", 1, 10, 1, "before encryption")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = open(testKeys(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	storeSecrets(t, db, "g1", 11, 200, 2, "card 4242 of alice")
	storeSecrets(t, db, "g2", 1, 50, 1, "card 4242 of alice")
	readSecrets(t, db, "g1", 1, 10, "before encryption")
	readSecrets(t, db, "g1", 11, 200, "card 4242 of alice")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("card 4242")) {
		t.Fatal("an entry's data is in the file in clear")
	}

	if _, err := open(nil); !errors.Is(err, ErrEncrypted) {
		t.Fatalf("Open of an encrypted file without keys: %v, want ErrEncrypted", err)
	}
	_, err = open(testKeys(t, "k2"))
	if !errors.Is(err, sealing.ErrUnknownKey) || !strings.Contains(err.Error(), `key id "k1"`) {
		t.Fatalf("Open with a key file lacking k1: %v", err)
	}

	db, err = open(testKeys(t, "k2", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	storeSecrets(t, db, "g1", 201, 210, 3, "card 4242 of alice")
	readSecrets(t, db, "g1", 11, 210, "card 4242 of alice")
	ids := map[uint64]string{}
	err = db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(groupsBucket).Bucket([]byte("g1")).Bucket(logsBucket).ForEach(func(k, v []byte) error {
			index, _ := keyIndex(k)
			if v[0] == logEncodingV2Sealed {
				ids[index], _ = sealedKeyID(v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[5] != "" || ids[11] != "k1" || ids[205] != "k2" {
		t.Fatalf("key ids of entries 5, 11, 205: %q %q %q; want clear, k1, k2", ids[5], ids[11], ids[205])
	}
	// Raft drops the entries before a snapshot: then k1 may go.
	g1, _ := db.Group("g1")
	if err := g1.DeleteRange(1, 200); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup("g2"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = open(testKeys(t, "k2"))
	if err != nil {
		t.Fatalf("Open with k2 alone once nothing sealed with k1 is left: %v", err)
	}
	readSecrets(t, db, "g1", 201, 210, "card 4242 of alice")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSealedEntryMovedElsewhereDoesNotOpen: a sealed value copied into
// another group at the same index and term fails to open (the subkey is
// the group's) instead of serving another group's data.
func TestSealedEntryMovedElsewhereDoesNotOpen(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "raft.db"), Options{NoSync: true, Keys: testKeys(t, "k1")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storeSecrets(t, db, "g1", 1, 2, 1, "seat")
	storeSecrets(t, db, "g2", 1, 1, 1, "seat")
	err = db.write(1, 16, func(tx *bbolt.Tx) error {
		groups := tx.Bucket(groupsBucket)
		first := bytes.Clone(groups.Bucket([]byte("g1")).Bucket(logsBucket).Get(indexKey(1)))
		var log raft.Log
		if err := decodeLogSealed(first, &log, nil); !errors.Is(err, ErrEncrypted) {
			return fmt.Errorf("decoding without keys: %v", err)
		}
		// g1's entry 1 put under g2's index 1 (same index and term).
		return groups.Bucket([]byte("g2")).Bucket(logsBucket).Put(indexKey(1), first)
	})
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := db.Group("g2")
	var log raft.Log
	if err := g2.GetLog(1, &log); !errors.Is(err, sealing.ErrOpen) {
		t.Fatalf("g1's entry read in g2: %v, %q", err, log.Data)
	}
}
