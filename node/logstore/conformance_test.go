package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// raftStore is what raft.NewRaft needs from a store that serves as both
// its LogStore and its StableStore.
type raftStore interface {
	raft.LogStore
	raft.StableStore
}

// storeUnderTest opens a store kept in dir; calling it again on the same
// dir after closing reopens the same data.
type storeUnderTest struct {
	name string
	open func(t *testing.T, dir string) (store raftStore, close func())
}

// implementations are the stores the conformance suite runs against:
// raft-boltdb/v2, the reference raft has been run on for years, and this
// package.
var implementations = []storeUnderTest{
	{name: "raft-boltdb", open: openBoltStore},
	{name: "logstore", open: openGroupStore},
	{name: "logstore-sealed", open: openSealedGroupStore},
}

// openSealedGroupStore is openGroupStore with Options.Keys.
func openSealedGroupStore(t *testing.T, dir string) (raftStore, func()) {
	return openGroupStoreWith(t, dir, Options{NoSync: true, Keys: testKeys(t, "k1")})
}

func openBoltStore(t *testing.T, dir string) (raftStore, func()) {
	t.Helper()
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db"), NoSync: true})
	if err != nil {
		t.Fatalf("raftboltdb.New: %v", err)
	}
	return store, func() {
		if err := store.Close(); err != nil {
			t.Errorf("close raft-boltdb: %v", err)
		}
	}
}

// openGroupStore opens group "subject" of a shared file, next to a
// neighbour group that holds its own logs and keys, so that the suite
// also catches one group reading or deleting another's data.
func openGroupStore(t *testing.T, dir string) (raftStore, func()) {
	return openGroupStoreWith(t, dir, Options{NoSync: true})
}

func openGroupStoreWith(t *testing.T, dir string, options Options) (raftStore, func()) {
	t.Helper()
	db, err := Open(filepath.Join(dir, "logstore.db"), options)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	neighbour, err := db.Group("neighbour")
	if err != nil {
		t.Fatalf("Group(neighbour): %v", err)
	}
	if last, err := neighbour.LastIndex(); err != nil || last == 0 {
		var logs []*raft.Log
		for index := uint64(1); index <= 100; index++ {
			logs = append(logs, &raft.Log{Index: index, Term: 9, Data: []byte("neighbour")})
		}
		if err := neighbour.StoreLogs(logs); err != nil {
			t.Fatalf("neighbour StoreLogs: %v", err)
		}
		for _, key := range [][]byte{[]byte("CurrentTerm"), []byte("k"), []byte("LastVoteCand")} {
			if err := neighbour.Set(key, []byte("neighbour")); err != nil {
				t.Fatalf("neighbour Set: %v", err)
			}
		}
	}
	subject, err := db.Group("subject")
	if err != nil {
		t.Fatalf("Group(subject): %v", err)
	}
	return subject, func() {
		if first, _ := neighbour.FirstIndex(); first != 1 {
			t.Errorf("neighbour group FirstIndex = %d after the test, want 1", first)
		}
		if last, _ := neighbour.LastIndex(); last != 100 {
			t.Errorf("neighbour group LastIndex = %d after the test, want 100", last)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close logstore: %v", err)
		}
	}
}

// conformanceCase is one behaviour raft relies on. check gets a fresh,
// empty store and may reopen it.
type conformanceCase struct {
	name  string
	check func(t *testing.T, s *harness)
}

// harness gives a case its store and a way to close and reopen it.
type harness struct {
	t     *testing.T
	impl  storeUnderTest
	dir   string
	store raftStore
	close func()
}

func (h *harness) reopen() {
	h.close()
	h.store, h.close = h.impl.open(h.t, h.dir)
}

var sampleTime = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// sampleLogs returns entries first..last with every field set and varied.
func sampleLogs(first, last uint64) []*raft.Log {
	types := []raft.LogType{raft.LogCommand, raft.LogNoop, raft.LogConfiguration, raft.LogBarrier}
	var logs []*raft.Log
	for index := first; index <= last; index++ {
		log := &raft.Log{
			Index:      index,
			Term:       index/10 + 1,
			Type:       types[index%uint64(len(types))],
			Data:       []byte(fmt.Sprintf("command %d", index)),
			AppendedAt: sampleTime.Add(time.Duration(index) * time.Millisecond),
		}
		if index%3 == 0 {
			log.Extensions = []byte{0xff, byte(index), 0x00}
		}
		logs = append(logs, log)
	}
	return logs
}

func TestConformance(t *testing.T) {
	cases := []conformanceCase{
		{"empty store has no indexes, logs or keys", func(t *testing.T, h *harness) {
			requireIndexes(t, h.store, 0, 0)
			var log raft.Log
			if err := h.store.GetLog(1, &log); err != raft.ErrLogNotFound {
				t.Fatalf("GetLog(1) on empty store = %v, want raft.ErrLogNotFound itself", err)
			}
			if _, err := h.store.Get([]byte("CurrentTerm")); err == nil || err.Error() != "not found" {
				t.Fatalf(`Get(missing) error = %v, want text "not found"`, err)
			}
			if _, err := h.store.GetUint64([]byte("CurrentTerm")); err == nil || err.Error() != "not found" {
				t.Fatalf(`GetUint64(missing) error = %v, want text "not found"`, err)
			}
		}},
		{"raft.HasExistingState sees a fresh store, then a used one", func(t *testing.T, h *harness) {
			snapshots := raft.NewInmemSnapshotStore()
			if existing, err := raft.HasExistingState(h.store, h.store, snapshots); err != nil || existing {
				t.Fatalf("HasExistingState on empty store = %v, %v; want false, nil", existing, err)
			}
			if err := h.store.SetUint64([]byte("CurrentTerm"), 3); err != nil {
				t.Fatal(err)
			}
			if existing, err := raft.HasExistingState(h.store, h.store, snapshots); err != nil || !existing {
				t.Fatalf("HasExistingState after SetUint64(CurrentTerm) = %v, %v; want true, nil", existing, err)
			}
		}},
		{"every field of every entry round-trips", func(t *testing.T, h *harness) {
			if err := h.store.StoreLog(&raft.Log{Index: 1, Term: 1, Type: raft.LogConfiguration, Data: []byte("conf")}); err != nil {
				t.Fatalf("StoreLog: %v", err)
			}
			logs := sampleLogs(2, 40)
			logs = append(logs, &raft.Log{Index: 41, Term: math.MaxUint64, Type: raft.LogType(255),
				Data: bytes.Repeat([]byte{0xab}, 70_000), Extensions: bytes.Repeat([]byte{1}, 300),
				AppendedAt: time.Unix(-1_000_000_000, 7).UTC()})
			if err := h.store.StoreLogs(logs); err != nil {
				t.Fatalf("StoreLogs: %v", err)
			}
			requireIndexes(t, h.store, 1, 41)
			requireLogs(t, h.store, logs...)
			requireLogs(t, h.store, &raft.Log{Index: 1, Term: 1, Type: raft.LogConfiguration, Data: []byte("conf")})
		}},
		{"an entry stored again at its index replaces the old one", func(t *testing.T, h *harness) {
			mustStore(t, h.store, sampleLogs(1, 10))
			replacement := &raft.Log{Index: 7, Term: 99, Type: raft.LogNoop}
			mustStore(t, h.store, []*raft.Log{replacement})
			requireIndexes(t, h.store, 1, 10)
			requireLogs(t, h.store, replacement)
		}},
		{"indexes may have gaps", func(t *testing.T, h *harness) {
			mustStore(t, h.store, sampleLogs(5, 6))
			mustStore(t, h.store, sampleLogs(20, 21))
			requireIndexes(t, h.store, 5, 21)
			requireMissing(t, h.store, 4, 7, 19, 22)
			requireLogs(t, h.store, sampleLogs(20, 21)...)
		}},
		{"DeleteRange is inclusive at both ends", func(t *testing.T, h *harness) {
			mustStore(t, h.store, sampleLogs(1, 20))
			mustDeleteRange(t, h.store, 1, 5) // log compaction, from the front
			requireIndexes(t, h.store, 6, 20)
			mustDeleteRange(t, h.store, 18, 20) // conflict truncation, from the back
			requireIndexes(t, h.store, 6, 17)
			requireMissing(t, h.store, 1, 5, 18, 20)
			requireLogs(t, h.store, sampleLogs(6, 17)...)
		}},
		{"DeleteRange skips missing indexes and ignores min > max", func(t *testing.T, h *harness) {
			mustStore(t, h.store, sampleLogs(10, 20))
			mustDeleteRange(t, h.store, 15, 12)
			requireIndexes(t, h.store, 10, 20)
			mustDeleteRange(t, h.store, 0, 3)
			mustDeleteRange(t, h.store, 30, math.MaxUint64)
			requireIndexes(t, h.store, 10, 20)
			mustDeleteRange(t, h.store, 0, math.MaxUint64)
			requireIndexes(t, h.store, 0, 0)
		}},
		{"DeleteRange across many pages leaves no survivors", func(t *testing.T, h *harness) {
			for first := uint64(1); first <= 3000; first += 500 {
				mustStore(t, h.store, sampleLogs(first, first+499))
			}
			mustDeleteRange(t, h.store, 2, 2999)
			requireIndexes(t, h.store, 1, 3000)
			for _, index := range []uint64{2, 1000, 1500, 2999} {
				requireMissing(t, h.store, index)
			}
			mustStore(t, h.store, sampleLogs(3001, 3001))
			mustDeleteRange(t, h.store, 1, 3000)
			requireIndexes(t, h.store, 3001, 3001)
		}},
		{"stable keys set, overwrite and read back as copies", func(t *testing.T, h *harness) {
			mustSet(t, h.store, []byte("LastVoteCand"), []byte("node-1"))
			mustSet(t, h.store, []byte("LastVoteCand"), []byte("node-2"))
			mustSet(t, h.store, []byte{0, 1, 2}, []byte{0xff})
			got := mustGet(t, h.store, []byte("LastVoteCand"))
			if string(got) != "node-2" {
				t.Fatalf("Get(LastVoteCand) = %q, want node-2", got)
			}
			got[0] = 'X' // a caller writing to the result must not change the store
			if got := mustGet(t, h.store, []byte("LastVoteCand")); string(got) != "node-2" {
				t.Fatalf("Get after mutating a previous result = %q, want node-2", got)
			}
			if got := mustGet(t, h.store, []byte{0, 1, 2}); !bytes.Equal(got, []byte{0xff}) {
				t.Fatalf("Get(binary key) = %x, want ff", got)
			}
			if err := h.store.SetUint64([]byte("CurrentTerm"), math.MaxUint64-1); err != nil {
				t.Fatal(err)
			}
			if term, err := h.store.GetUint64([]byte("CurrentTerm")); err != nil || term != math.MaxUint64-1 {
				t.Fatalf("GetUint64(CurrentTerm) = %d, %v", term, err)
			}
		}},
		{"an empty stable value reads back as nil without error", func(t *testing.T, h *harness) {
			mustSet(t, h.store, []byte("empty"), []byte{})
			if got := mustGet(t, h.store, []byte("empty")); got != nil {
				t.Fatalf("Get(empty value) = %#v, want nil", got)
			}
		}},
		{"an empty stable key is rejected", func(t *testing.T, h *harness) {
			if err := h.store.Set(nil, []byte("v")); err == nil {
				t.Fatal("Set(nil key) succeeded, want an error")
			}
			if _, err := h.store.Get(nil); err == nil || err.Error() != "not found" {
				t.Fatalf(`Get(nil key) error = %v, want "not found"`, err)
			}
		}},
		{"logs and keys survive close and reopen", func(t *testing.T, h *harness) {
			mustStore(t, h.store, sampleLogs(1, 50))
			mustDeleteRange(t, h.store, 1, 9)
			mustSet(t, h.store, []byte("LastVoteCand"), []byte("node-3"))
			if err := h.store.SetUint64([]byte("CurrentTerm"), 8); err != nil {
				t.Fatal(err)
			}
			h.reopen()
			requireIndexes(t, h.store, 10, 50)
			requireLogs(t, h.store, sampleLogs(10, 50)...)
			requireMissing(t, h.store, 9)
			if got := mustGet(t, h.store, []byte("LastVoteCand")); string(got) != "node-3" {
				t.Fatalf("Get(LastVoteCand) after reopen = %q", got)
			}
			if term, err := h.store.GetUint64([]byte("CurrentTerm")); err != nil || term != 8 {
				t.Fatalf("GetUint64(CurrentTerm) after reopen = %d, %v", term, err)
			}
		}},
	}
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					h := &harness{t: t, impl: impl, dir: t.TempDir()}
					h.store, h.close = impl.open(t, h.dir)
					defer func() { h.close() }()
					c.check(t, h)
				})
			}
		})
	}
}

// TestConformanceRandomOperations drives raft-boltdb and this store with
// the same random operations and requires every answer to be the same.
// It finds differences nobody thought to write a case for.
func TestConformanceRandomOperations(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			reference, closeReference := openBoltStore(t, t.TempDir())
			defer closeReference()
			dir := t.TempDir()
			subject, closeSubject := openGroupStore(t, dir)
			defer func() { closeSubject() }()
			random := rand.New(rand.NewPCG(seed, 0))
			keys := [][]byte{[]byte("CurrentTerm"), []byte("LastVoteTerm"), []byte("LastVoteCand")}
			for step := 0; step < 400; step++ {
				var operation string
				var answerReference, answerSubject string
				switch random.IntN(9) {
				case 0, 1, 2:
					first := random.Uint64N(60) + 1
					logs := sampleLogs(first, first+random.Uint64N(8))
					operation = fmt.Sprintf("StoreLogs(%d..%d)", first, logs[len(logs)-1].Index)
					answerReference = fmt.Sprint(reference.StoreLogs(logs))
					answerSubject = fmt.Sprint(subject.StoreLogs(logs))
				case 3:
					low, high := random.Uint64N(70), random.Uint64N(70)
					operation = fmt.Sprintf("DeleteRange(%d, %d)", low, high)
					answerReference = fmt.Sprint(reference.DeleteRange(low, high))
					answerSubject = fmt.Sprint(subject.DeleteRange(low, high))
				case 4:
					index := random.Uint64N(70)
					operation = fmt.Sprintf("GetLog(%d)", index)
					answerReference = describeGetLog(reference, index)
					answerSubject = describeGetLog(subject, index)
				case 5:
					operation = "FirstIndex, LastIndex"
					answerReference = describeIndexes(reference)
					answerSubject = describeIndexes(subject)
				case 6:
					key, value := keys[random.IntN(len(keys))], []byte(fmt.Sprint(random.IntN(5)))
					operation = fmt.Sprintf("Set(%s, %s)", key, value)
					answerReference = fmt.Sprint(reference.Set(key, value))
					answerSubject = fmt.Sprint(subject.Set(key, value))
				case 7:
					key := keys[random.IntN(len(keys))]
					operation = fmt.Sprintf("Get(%s)", key)
					value, err := reference.Get(key)
					answerReference = fmt.Sprintf("%q %v", value, err)
					value, err = subject.Get(key)
					answerSubject = fmt.Sprintf("%q %v", value, err)
				case 8:
					operation = "reopen"
					closeSubject()
					subject, closeSubject = openGroupStore(t, dir)
				}
				if answerReference != answerSubject {
					t.Fatalf("step %d %s: raft-boltdb answered %s, logstore answered %s",
						step, operation, answerReference, answerSubject)
				}
			}
		})
	}
}

func describeGetLog(store raftStore, index uint64) string {
	var log raft.Log
	if err := store.GetLog(index, &log); err != nil {
		return fmt.Sprintf("error %v (is ErrLogNotFound: %t)", err, err == raft.ErrLogNotFound)
	}
	return fmt.Sprintf("%d %d %d %q %q %s", log.Index, log.Term, log.Type, log.Data, log.Extensions,
		log.AppendedAt.UTC().Format(time.RFC3339Nano))
}

func describeIndexes(store raftStore) string {
	first, errFirst := store.FirstIndex()
	last, errLast := store.LastIndex()
	return fmt.Sprintf("%d %v %d %v", first, errFirst, last, errLast)
}

func requireIndexes(t *testing.T, store raft.LogStore, wantFirst, wantLast uint64) {
	t.Helper()
	first, err := store.FirstIndex()
	if err != nil || first != wantFirst {
		t.Fatalf("FirstIndex = %d, %v; want %d", first, err, wantFirst)
	}
	last, err := store.LastIndex()
	if err != nil || last != wantLast {
		t.Fatalf("LastIndex = %d, %v; want %d", last, err, wantLast)
	}
}

func requireLogs(t *testing.T, store raft.LogStore, want ...*raft.Log) {
	t.Helper()
	for _, expected := range want {
		var got raft.Log
		if err := store.GetLog(expected.Index, &got); err != nil {
			t.Fatalf("GetLog(%d): %v", expected.Index, err)
		}
		if !sameLog(&got, expected) {
			t.Fatalf("GetLog(%d) = %+v, want %+v", expected.Index, got, *expected)
		}
	}
}

// sameLog compares every field; nil and empty slices are the same, and
// times compare as instants (an encoding need not keep the location).
func sameLog(a, b *raft.Log) bool {
	return a.Index == b.Index && a.Term == b.Term && a.Type == b.Type &&
		bytes.Equal(a.Data, b.Data) && bytes.Equal(a.Extensions, b.Extensions) &&
		a.AppendedAt.Equal(b.AppendedAt)
}

func requireMissing(t *testing.T, store raft.LogStore, indexes ...uint64) {
	t.Helper()
	for _, index := range indexes {
		var log raft.Log
		if err := store.GetLog(index, &log); !errors.Is(err, raft.ErrLogNotFound) {
			t.Fatalf("GetLog(%d) = %v, want raft.ErrLogNotFound", index, err)
		}
	}
}

func mustStore(t *testing.T, store raft.LogStore, logs []*raft.Log) {
	t.Helper()
	if err := store.StoreLogs(logs); err != nil {
		t.Fatalf("StoreLogs: %v", err)
	}
}

func mustDeleteRange(t *testing.T, store raft.LogStore, minIndex, maxIndex uint64) {
	t.Helper()
	if err := store.DeleteRange(minIndex, maxIndex); err != nil {
		t.Fatalf("DeleteRange(%d, %d): %v", minIndex, maxIndex, err)
	}
}

func mustSet(t *testing.T, store raft.StableStore, key, value []byte) {
	t.Helper()
	if err := store.Set(key, value); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, store raft.StableStore, key []byte) []byte {
	t.Helper()
	value, err := store.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return value
}
