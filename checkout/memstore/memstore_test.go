package memstore

import (
	"context"
	"errors"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/storetest"
)

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	s := New()
	if _, _, err := s.Get(ctx, "a"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	v1, err := s.CompareAndSwap(ctx, "a", 0, []byte("1"))
	if err != nil || v1 == 0 {
		t.Fatalf("create: %d %v", v1, err)
	}
	if _, err := s.CompareAndSwap(ctx, "a", 0, []byte("x")); !errors.Is(err, checkout.ErrVersionMismatch) {
		t.Fatalf("create existing: %v", err)
	}
	v2, err := s.CompareAndSwap(ctx, "a", v1, []byte("2"))
	if err != nil || v2 <= v1 {
		t.Fatalf("swap: %d %v", v2, err)
	}
	if err := s.Delete(ctx, "a", v1); !errors.Is(err, checkout.ErrVersionMismatch) {
		t.Fatalf("delete stale: %v", err)
	}
	if err := s.Delete(ctx, "a", v2); err != nil {
		t.Fatal(err)
	}
	v3, _ := s.CompareAndSwap(ctx, "a", 0, []byte("3"))
	if v3 <= v2 {
		t.Fatalf("re-created key reused version %d <= %d", v3, v2)
	}
	if n, err := s.Add(ctx, "c", 5, 0, 5); err != nil || n != 5 {
		t.Fatalf("add: %d %v", n, err)
	}
	if _, err := s.Add(ctx, "c", 1, 0, 5); !errors.Is(err, checkout.ErrOutOfRange) {
		t.Fatalf("add past max: %v", err)
	}
	if n, _ := s.Add(ctx, "c", -5, 0, 5); n != 0 {
		t.Fatalf("add back: %d", n)
	}
	for _, k := range []string{"p/1", "p/2", "p/3", "q/1"} {
		_, _ = s.CompareAndSwap(ctx, k, 0, []byte(k))
	}
	got, _ := s.Scan(ctx, "p/", "p/1", 10)
	if len(got) != 2 || got[0].Key != "p/2" || got[1].Key != "p/3" {
		t.Fatalf("scan: %v", got)
	}
	if _, err := s.CompareAndSwap(ctx, "", 0, nil); !errors.Is(err, checkout.ErrTooLarge) {
		t.Fatalf("empty key: %v", err)
	}
}

// TestStoreContractSuite runs the shared contract (checkout/storetest).
func TestStoreContractSuite(t *testing.T) { storetest.Run(t, New()) }
