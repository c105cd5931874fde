package logstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"
)

// writeDamageTestFile writes a log file as a node would (several groups,
// compacted heads, stable keys) and returns its path.
func writeDamageTestFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raft.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for g := range 4 {
		store := mustGroup(t, db, fmt.Sprintf("g%03d", g))
		for first := uint64(1); first <= 2000; first += 10 {
			var logs []*raft.Log
			for index := first; index < first+10; index++ {
				data := make([]byte, 200)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				logs = append(logs, &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data})
			}
			if err := store.StoreLogs(logs); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.DeleteRange(1, 400); err != nil {
			t.Fatal(err)
		}
		if err := store.SetUint64([]byte("CurrentTerm"), 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// testPagesInUse lists the first page of each branch or leaf page run of
// an intact file, and its page size.
func testPagesInUse(t *testing.T, path string) (pageSize int64, pages []int64, highWater int64) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		pageSize = int64(db.Info().PageSize)
		highWater = tx.Size() / pageSize
		for id := 2; int64(id) < highWater; {
			info, err := tx.Page(id)
			if err != nil {
				return err
			}
			if info.Type != "leaf" && info.Type != "branch" {
				id++
				continue
			}
			pages = append(pages, int64(id))
			id += 1 + info.OverflowCount
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pageSize, pages, highWater
}

func overwrite(t *testing.T, path string, offset int64, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, offset); err != nil {
		t.Fatal(err)
	}
}

// A log file whose tail was truncated or overwritten is refused by Open
// with ErrDamaged, the file's path and what is wrong; it never panics or
// dies of SIGBUS (bbolt alone does both on these files: a page beyond the
// end of the file is mapped but unreadable, and an overwritten page fails
// bbolt's page-id assertion in its freelist scan at Open).
func TestOpenRefusesADamagedFile(t *testing.T) {
	random := func(n int64) []byte {
		b := make([]byte, n)
		rng := rand.New(rand.NewPCG(uint64(n), 3))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, pageSize int64, pages []int64, highWater int64)
		want   string
	}{
		{"truncated mid-page in the last page in use", func(t *testing.T, path string, pageSize int64, pages []int64, _ int64) {
			last := pages[len(pages)-1]
			if err := os.Truncate(path, last*pageSize+pageSize/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"truncated to half", func(t *testing.T, path string, _ int64, _ []int64, highWater int64) {
			info, _ := os.Stat(path)
			if err := os.Truncate(path, info.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"truncated to zero", func(t *testing.T, path string, _ int64, _ []int64, _ int64) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty"},
		{"last page in use overwritten with random bytes", func(t *testing.T, path string, pageSize int64, pages []int64, _ int64) {
			overwrite(t, path, pages[len(pages)-1]*pageSize, random(pageSize))
		}, "unreadable"},
		{"last four pages in use zeroed", func(t *testing.T, path string, pageSize int64, pages []int64, _ int64) {
			for _, page := range pages[len(pages)-4:] {
				overwrite(t, path, page*pageSize, make([]byte, pageSize))
			}
		}, "unreadable"},
		{"second half of a leaf overwritten (header intact)", func(t *testing.T, path string, pageSize int64, pages []int64, _ int64) {
			overwrite(t, path, pages[len(pages)/2]*pageSize+pageSize/2, random(pageSize/2))
		}, ""},
		{"both meta pages overwritten", func(t *testing.T, path string, pageSize int64, _ []int64, _ int64) {
			overwrite(t, path, 0, random(2*pageSize))
		}, "meta"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeDamageTestFile(t)
			pageSize, pages, highWater := testPagesInUse(t, path)
			tc.damage(t, path, pageSize, pages, highWater)
			db, err := Open(path, Options{NoSync: true})
			if err == nil {
				db.Close()
				t.Fatal("Open accepted the damaged file")
			}
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v; want ErrDamaged naming %s and %q", err, path, tc.want)
			}
			t.Logf("Open: %v", err)
		})
	}
}

// Cutting only the slack past the pages in use (bbolt grows files ahead
// of need) loses nothing, and the file still opens with every entry.
func TestOpenAcceptsAFileTruncatedInItsSlack(t *testing.T) {
	path := writeDamageTestFile(t)
	pageSize, _, highWater := testPagesInUse(t, path)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() <= highWater*pageSize {
		t.Skipf("no slack: %d bytes, %d in use", info.Size(), highWater*pageSize)
	}
	if err := os.Truncate(path, highWater*pageSize); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for g := range 4 {
		requireIndexes(t, mustGroup(t, db, fmt.Sprintf("g%03d", g)), 401, 2000)
	}
}
