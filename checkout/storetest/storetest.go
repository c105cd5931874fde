// Package storetest is the contract of checkout.Store as a test: every
// implementation (memstore, clusterstore) runs Run against itself, so they
// keep the same semantics that the gateway relies on.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

// Run checks s against the checkout.Store contract. s must be empty of
// keys under "contract/" (each subtest uses its own prefix below it), and
// may be shared by the subtests, which run one after another.
func Run(t *testing.T, s checkout.Store) {
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		return c
	}
	t.Run("CompareAndSwapAndDelete", func(t *testing.T) {
		ctx := ctx(t)
		k := "contract/cas/a"
		if _, _, err := s.Get(ctx, k); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		if _, err := s.CompareAndSwap(ctx, k, 3, []byte("x")); !errors.Is(err, checkout.ErrVersionMismatch) {
			t.Fatalf("swap of a missing key at version 3: %v", err)
		}
		v1, err := s.CompareAndSwap(ctx, k, 0, []byte("1"))
		if err != nil || v1 == 0 {
			t.Fatalf("create: %d %v", v1, err)
		}
		if got, v, err := s.Get(ctx, k); err != nil || string(got) != "1" || v != v1 {
			t.Fatalf("get: %q %d %v, want \"1\" %d", got, v, err, v1)
		}
		if _, err := s.CompareAndSwap(ctx, k, 0, []byte("x")); !errors.Is(err, checkout.ErrVersionMismatch) {
			t.Fatalf("create existing: %v", err)
		}
		v2, err := s.CompareAndSwap(ctx, k, v1, []byte("2"))
		if err != nil || v2 <= v1 {
			t.Fatalf("swap: %d %v", v2, err)
		}
		if _, err := s.CompareAndSwap(ctx, k, v1, []byte("stale")); !errors.Is(err, checkout.ErrVersionMismatch) {
			t.Fatalf("swap at a stale version: %v", err)
		}
		if err := s.Delete(ctx, k, v1); !errors.Is(err, checkout.ErrVersionMismatch) {
			t.Fatalf("delete stale: %v", err)
		}
		if err := s.Delete(ctx, k, 0); !errors.Is(err, checkout.ErrVersionMismatch) {
			t.Fatalf("delete at version 0: %v", err)
		}
		if err := s.Delete(ctx, k, v2); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctx, k); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if err := s.Delete(ctx, k, v2); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
		v3, err := s.CompareAndSwap(ctx, k, 0, []byte("3"))
		if err != nil || v3 <= v2 {
			t.Fatalf("re-created key got version %d (%v), want > %d", v3, err, v2)
		}
		empty, err := s.CompareAndSwap(ctx, "contract/cas/empty", 0, nil)
		if err != nil {
			t.Fatalf("empty value: %v", err)
		}
		if got, v, err := s.Get(ctx, "contract/cas/empty"); err != nil || len(got) != 0 || v != empty {
			t.Fatalf("get empty value: %q %d %v", got, v, err)
		}
	})

	t.Run("Add", func(t *testing.T) {
		ctx := ctx(t)
		k := "contract/add/c"
		if n, err := s.Add(ctx, k, 5, 0, 5); err != nil || n != 5 {
			t.Fatalf("add: %d %v", n, err)
		}
		if n, err := s.Add(ctx, k, 1, 0, 5); !errors.Is(err, checkout.ErrOutOfRange) || n != 5 {
			t.Fatalf("add past max: %d %v, want 5 and ErrOutOfRange", n, err)
		}
		if _, err := s.Add(ctx, k, -6, 0, 5); !errors.Is(err, checkout.ErrOutOfRange) {
			t.Fatalf("add below min: %v", err)
		}
		if n, err := s.Add(ctx, k, -5, 0, 5); err != nil || n != 0 {
			t.Fatalf("add back: %d %v", n, err)
		}
		raw, v, err := s.Get(ctx, k)
		if err != nil || string(raw) != "0" {
			t.Fatalf("a counter reads as decimal text: %q %v", raw, err)
		}
		if _, err := s.CompareAndSwap(ctx, k, v, []byte("41")); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Add(ctx, k, 1, 0, 100); err != nil || n != 42 {
			t.Fatalf("add after swap: %d %v", n, err)
		}
		big := "contract/add/big"
		if _, err := s.Add(ctx, big, 1<<62, -1<<63, 1<<63-1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(ctx, big, 1<<62, -1<<63, 1<<63-1); !errors.Is(err, checkout.ErrOutOfRange) {
			t.Fatalf("overflow: %v", err)
		}
		text := "contract/add/text"
		if _, err := s.CompareAndSwap(ctx, text, 0, []byte("not a number")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(ctx, text, 1, 0, 10); err == nil {
			t.Fatal("add to a value that is not a counter succeeded")
		}
		if raw, _, _ := s.Get(ctx, text); string(raw) != "not a number" {
			t.Fatalf("a refused add changed the value: %q", raw)
		}
		v, err = versionOf(ctx, s, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, k, v); err != nil {
			t.Fatalf("delete a counter: %v", err)
		}
	})

	t.Run("Scan", func(t *testing.T) {
		ctx := ctx(t)
		p := "contract/scan/"
		for _, k := range []string{"p/1", "p/2", "p/3", "q/1", "p", "p0"} {
			if _, err := s.CompareAndSwap(ctx, p+k, 0, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Scan(ctx, p+"p/", p+"p/1", 10)
		if err != nil || keys(got, p) != "p/2,p/3" {
			t.Fatalf("scan after: %s %v", keys(got, p), err)
		}
		for _, kv := range got {
			value, version, err := s.Get(ctx, kv.Key)
			if err != nil || string(value) != string(kv.Value) || version != kv.Version {
				t.Fatalf("scanned %s=%q v%d, get says %q v%d %v", kv.Key, kv.Value, kv.Version, value, version, err)
			}
		}
		if got, _ := s.Scan(ctx, p+"p", "", 10); keys(got, p) != "p,p/1,p/2,p/3,p0" {
			t.Fatalf("scan prefix p: %s", keys(got, p))
		}
		if got, _ := s.Scan(ctx, p+"p/", "", 2); keys(got, p) != "p/1,p/2" {
			t.Fatalf("scan limit 2: %s", keys(got, p))
		}
		if got, _ := s.Scan(ctx, p+"p/", p+"p/3", 10); len(got) != 0 {
			t.Fatalf("scan past the end: %s", keys(got, p))
		}
		if got, _ := s.Scan(ctx, p+"z", "", 10); len(got) != 0 {
			t.Fatalf("scan of an unused prefix: %s", keys(got, p))
		}
		if _, err := s.Scan(ctx, p, "", 0); err == nil {
			t.Fatal("scan limit 0 accepted")
		}
		if _, err := s.Scan(ctx, p, "", checkout.ScanLimitMax+1); err == nil {
			t.Fatal("scan limit over ScanLimitMax accepted")
		}
		// Paging through many keys (spread over every group of a cluster)
		// sees each once, in order.
		const n = 57
		for i := range n {
			if _, err := s.CompareAndSwap(ctx, fmt.Sprintf("%smany/%03d", p, i), 0, []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		after := ""
		for {
			page, err := s.Scan(ctx, p+"many/", after, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range page {
				seen = append(seen, strings.TrimPrefix(kv.Key, p+"many/"))
			}
			if len(page) < 10 {
				break
			}
			after = page[len(page)-1].Key
		}
		if len(seen) != n {
			t.Fatalf("paging saw %d keys, want %d: %v", len(seen), n, seen)
		}
		for i, k := range seen {
			if k != fmt.Sprintf("%03d", i) {
				t.Fatalf("paging order: key %d is %s", i, k)
			}
		}
	})

	t.Run("Limits", func(t *testing.T) {
		ctx := ctx(t)
		if _, err := s.CompareAndSwap(ctx, "", 0, nil); !errors.Is(err, checkout.ErrTooLarge) {
			t.Fatalf("empty key: %v", err)
		}
		long := "contract/limits/" + strings.Repeat("k", checkout.KeyBytesMax)
		if _, err := s.CompareAndSwap(ctx, long, 0, nil); !errors.Is(err, checkout.ErrTooLarge) {
			t.Fatalf("key over KeyBytesMax: %v", err)
		}
		if _, err := s.Add(ctx, long, 1, 0, 1); !errors.Is(err, checkout.ErrTooLarge) {
			t.Fatalf("add on a key over KeyBytesMax: %v", err)
		}
		atLimit := long[:checkout.KeyBytesMax]
		if _, err := s.CompareAndSwap(ctx, atLimit, 0, []byte("x")); err != nil {
			t.Fatalf("key of KeyBytesMax: %v", err)
		}
		k := "contract/limits/v"
		if _, err := s.CompareAndSwap(ctx, k, 0, make([]byte, checkout.ValueBytesMax+1)); !errors.Is(err, checkout.ErrTooLarge) {
			t.Fatalf("value over ValueBytesMax: %v", err)
		}
		if _, _, err := s.Get(ctx, k); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("a refused write created the key: %v", err)
		}
		if _, err := s.CompareAndSwap(ctx, k, 0, make([]byte, checkout.ValueBytesMax)); err != nil {
			t.Fatalf("value of ValueBytesMax: %v", err)
		}
		if got, _, err := s.Get(ctx, k); err != nil || len(got) != checkout.ValueBytesMax {
			t.Fatalf("get the largest value: %d bytes, %v", len(got), err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		ctx := ctx(t)
		const workers, adds = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*(adds+1))
		wins := make(chan uint64, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range adds {
					if _, err := s.Add(ctx, "contract/concurrent/counter", 1, 0, workers*adds); err != nil {
						errs <- err
					}
				}
				v, err := s.CompareAndSwap(ctx, "contract/concurrent/once", 0, []byte(strconv.Itoa(w)))
				switch {
				case err == nil:
					wins <- v
				case !errors.Is(err, checkout.ErrVersionMismatch):
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(wins)
		for err := range errs {
			t.Fatal(err)
		}
		if len(wins) != 1 {
			t.Fatalf("%d creates of one key succeeded, want exactly 1", len(wins))
		}
		raw, _, err := s.Get(ctx, "contract/concurrent/counter")
		if err != nil || string(raw) != strconv.Itoa(workers*adds) {
			t.Fatalf("counter after %d adds: %q %v", workers*adds, raw, err)
		}
	})

	t.Run("Batch", func(t *testing.T) {
		ctx := ctx(t)
		a, b, n := "contract/batch/{p1}/a", "contract/batch/{p1}/b", "contract/batch/{p1}/n"
		res, err := s.Batch(ctx, "", []checkout.Op{
			{Kind: checkout.OpPut, Key: a, Value: []byte("A")},
			{Kind: checkout.OpAdd, Key: n, Delta: 2, Min: 0, Max: 3},
			{Kind: checkout.OpCheck, Key: b},
		})
		if err != nil || len(res) != 3 || res[0].Version == 0 || res[1].Value != 2 {
			t.Fatalf("first batch: %+v %v", res, err)
		}
		va := res[0].Version
		// A refused batch applies nothing, and says which operation refused.
		_, err = s.Batch(ctx, "", []checkout.Op{
			{Kind: checkout.OpPut, Key: b, Value: []byte("B")},
			{Kind: checkout.OpAdd, Key: n, Delta: 2, Min: 0, Max: 3},
		})
		var be *checkout.BatchError
		if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, checkout.ErrOutOfRange) {
			t.Fatalf("over the counter's range: %v", err)
		}
		if _, _, err := s.Get(ctx, b); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("a refused batch wrote %s: %v", b, err)
		}
		_, err = s.Batch(ctx, "", []checkout.Op{
			{Kind: checkout.OpDelete, Key: b, Expected: checkout.AnyVersion},
			{Kind: checkout.OpPut, Key: a, Expected: va + 1000, Value: []byte("x")},
		})
		if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, checkout.ErrVersionMismatch) || be.Current != va {
			t.Fatalf("stale version: %v", err)
		}
		// Delete, put at any version, check.
		res, err = s.Batch(ctx, "", []checkout.Op{
			{Kind: checkout.OpDelete, Key: a, Expected: va},
			{Kind: checkout.OpPut, Key: b, Expected: checkout.AnyVersion, Value: []byte("B")},
			{Kind: checkout.OpCheck, Key: n, Expected: checkout.AnyVersion},
		})
		if err != nil {
			t.Fatalf("delete and put: %v", err)
		}
		if _, _, err := s.Get(ctx, a); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("%s after its delete: %v", a, err)
		}
		if got, v, err := s.Get(ctx, b); err != nil || string(got) != "B" || v != res[1].Version {
			t.Fatalf("%s: %q %d %v, want B %d", b, got, v, err, res[1].Version)
		}
		// Refused before anything is sent.
		if _, err := s.Batch(ctx, "", []checkout.Op{{Kind: checkout.OpPut, Key: a}, {Kind: checkout.OpPut, Key: "contract/batch/{p2}/a"}}); !errors.Is(err, checkout.ErrCrossPlacement) {
			t.Fatalf("two placements: %v", err)
		}
		if _, err := s.Batch(ctx, "", []checkout.Op{{Kind: checkout.OpPut, Key: a}, {Kind: checkout.OpDelete, Key: a}}); !errors.Is(err, checkout.ErrDuplicateKey) {
			t.Fatalf("one key twice: %v", err)
		}
		// A request id makes a batch idempotent: the retry gets the first
		// answer and applies nothing; another batch under it is refused.
		ops := []checkout.Op{{Kind: checkout.OpAdd, Key: n, Delta: -1, Min: 0, Max: 3}}
		first, err := s.Batch(ctx, "contract-batch-1", ops)
		if err != nil || first[0].Value != 1 {
			t.Fatalf("batch with an id: %+v %v", first, err)
		}
		again, err := s.Batch(ctx, "contract-batch-1", ops)
		if err != nil || again[0] != first[0] {
			t.Fatalf("retry: %+v %v, want %+v", again, err, first)
		}
		if raw, _, _ := s.Get(ctx, n); string(raw) != "1" {
			t.Fatalf("counter after a retried batch: %q, want 1", raw)
		}
		other := []checkout.Op{{Kind: checkout.OpAdd, Key: n, Delta: -2, Min: -9, Max: 3}}
		if _, err := s.Batch(ctx, "contract-batch-1", other); !errors.Is(err, checkout.ErrRequestIDReused) {
			t.Fatalf("id reused with another batch: %v", err)
		}
	})

	t.Run("Context", func(t *testing.T) {
		c, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.CompareAndSwap(c, "contract/context/k", 0, []byte("x")); err == nil {
			t.Fatal("write with a cancelled context succeeded")
		}
		if _, _, err := s.Get(c, "contract/context/k"); err == nil || errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("get with a cancelled context: %v", err)
		}
	})
}

func versionOf(ctx context.Context, s checkout.Store, key string) (uint64, error) {
	_, v, err := s.Get(ctx, key)
	return v, err
}

func keys(kvs []checkout.KeyValue, trim string) string {
	var out []string
	for _, kv := range kvs {
		out = append(out, strings.TrimPrefix(kv.Key, trim))
	}
	return strings.Join(out, ",")
}
