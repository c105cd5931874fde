package clusterstore_test

import (
	"testing"

	"github.com/boxoffice/boxoffice/checkout/clusterstore"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
	"github.com/boxoffice/boxoffice/checkout/storetest"
)

// TestStoreContract runs the checkout.Store contract against a real
// one-node cluster.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, clusterstore.New(clustertest.Start(t)))
}
