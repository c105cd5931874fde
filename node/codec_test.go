package node

import (
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/codec"
)

// TestCodecServerRefusesInvalidUTF8: the node's server decodes requests
// with the checking codec, so a request whose string is not UTF-8 is
// refused before any handler sees it, while the same connection (the Go
// client's codec, which writes such a string without complaint) is
// answered normally otherwise.
func TestCodecServerRefusesInvalidUTF8(t *testing.T) {
	tc := NewTestCluster(t, 1)
	conn, err := grpc.NewClient(tc.configs[0].GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec.Client())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	inv := boxofficev1.NewInventoryClient(conn)
	ctx := ctxT(t, 10*time.Second)

	_, err = inv.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev1", HoldId: "hold-\xff"})
	if status.Code(err) != codes.Internal {
		t.Fatalf("GetHold with a hold id that is not UTF-8: %v, want INTERNAL from decoding", err)
	}
	_, err = inv.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev1", HoldId: "hold-1"})
	if code := status.Code(err); code == codes.Internal || code == codes.Unavailable {
		t.Fatalf("GetHold of an unknown hold: %v, want the handler's answer", err)
	}
}
