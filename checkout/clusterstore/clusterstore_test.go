package clusterstore_test

import (
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/clusterstore"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
	"github.com/boxoffice/boxoffice/checkout/storetest"
)

// TestStoreContract runs the checkout.Store contract against a real
// one-node cluster.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, clusterstore.New(clustertest.Start(t)))
}

// TestPlacementAgrees: the gateway's placement rule is the cluster's, so
// the keys a gateway batches together are the keys a group holds
// together.
func TestPlacementAgrees(t *testing.T) {
	for _, key := range []string{
		"order/{fan:ann}/ord_1", "buyer/{fan:ann}/ev1", "plain", "{}", "a{}b{c}", "{a}{b}", "x{{y}", "x}{y", "{", "}",
		"open/{never", "{é}/k", "", "{a", "a}", "{}{}",
	} {
		if got, want := checkout.Placement(key), boxofficev1.RecordPlacement(key); got != want {
			t.Errorf("checkout.Placement(%q) = %q, cluster's RecordPlacement = %q", key, got, want)
		}
	}
}
