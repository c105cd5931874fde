package node

import (
	"os"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestRemovedNodeRestartedTwiceRejoins: remove a node, wipe it, start it
// empty and restart it at once (as a fault schedule may): it must still be
// registered again and become ready.
func TestRemovedNodeRestartedTwiceRejoins(t *testing.T) {
	skipIfShort(t)
	tc := newTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 3, 5, 10)
	ctx := ctxT(t, 90*time.Second)
	for round := 0; round < 2; round++ {
		if _, err := tc.clusterClient(0).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n2"}); err != nil {
			t.Fatal(err)
		}
		tc.stop(1, true)
		if err := os.RemoveAll(tc.configs[1].DataDir); err != nil {
			t.Fatal(err)
		}
		tc.configs[1].BootstrapExpect = 0
		tc.start(1)
		tc.stop(1, true)
		tc.start(1)
		// Ready alone can come first: a wiped node serves once it has the
		// catalog and its groups, while its new incarnation is registered by
		// the meta leader a moment later (and RemoveNode needs it registered).
		waitFor(t, 40*time.Second, "n2 registered and ready again", func() bool {
			return tc.hosts[1].ready() == nil && tc.hosts[0].catalog.Node("n2") != nil
		})
		tc.replicasEqual()
	}
}
