package clusterstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/clusterstore"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
)

// BenchmarkWriteEightRecords writes the 8 records of one flow (one
// placement) to a one-node cluster: as 8 compare-and-swaps, one round
// trip and one replicated command each, or as one Batch.
func BenchmarkWriteEightRecords(b *testing.B) {
	s := clusterstore.New(clustertest.Start(b))
	ctx := context.Background()
	value := []byte(`{"state":"paid","amount_cents":12500}`)
	flows := 0 // every flow writes new keys
	keys := func() []string {
		flows++
		out := make([]string, 8)
		for k := range out {
			out[k] = fmt.Sprintf("bench/{fan:%d}/r%d", flows, k)
		}
		return out
	}
	b.Run("single", func(b *testing.B) {
		for range b.N {
			for _, k := range keys() {
				if _, err := s.CompareAndSwap(ctx, "single/"+k, 0, value); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		ops := make([]checkout.Op, 8)
		for range b.N {
			for i, k := range keys() {
				ops[i] = checkout.Op{Kind: checkout.OpPut, Key: "batch/" + k, Value: value}
			}
			if _, err := s.Batch(ctx, "", ops); err != nil {
				b.Fatal(err)
			}
		}
	})
}
