package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

func putRecordOp(key string, expected uint64, value string) *boxofficev1.RecordOp {
	return &boxofficev1.RecordOp{Kind: boxofficev1.RecordOp_KIND_PUT, Key: key, ExpectedVersion: expected, Value: []byte(value)}
}

func addRecordOp(key string, delta, lo, hi int64) *boxofficev1.RecordOp {
	return &boxofficev1.RecordOp{Kind: boxofficev1.RecordOp_KIND_ADD, Key: key, Delta: delta, Min: lo, Max: hi}
}

// localRecordGroups lists the data groups whose replica on node i holds key.
func (tc *TestCluster) localRecordGroups(i int, key string) []string {
	var out []string
	for _, id := range tc.hosts[i].catalog.BootstrapGroupIDs() {
		if g := tc.hosts[i].group(id); g != nil && g.store != nil {
			if _, ok := g.store.GetRecord(key); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// TestRecordBatch: a batch writes keys of one placement, which would be
// spread over groups by their whole text, into their tag's group, all or
// nothing; refusals name the operation; retries answer the first result;
// a scan of the tag's prefix finds them.
func TestRecordBatch(t *testing.T) {
	tc := NewTestCluster(t, 3)
	ctx := ctxT(t, 60*time.Second)
	h := tc.hosts[0]

	// Keys whose whole-key groups differ, all tagged {fan:ann}.
	var keys []string
	wholeGroups := map[string]bool{}
	for i := 0; len(keys) < 8; i++ {
		key := fmt.Sprintf("r%d/{fan:ann}/k", i)
		keys = append(keys, key)
		g, _ := h.placementGroup(key)
		wholeGroups[g] = true
	}
	if len(wholeGroups) < 2 {
		t.Fatalf("8 keys in %d whole-key group(s); the test needs several", len(wholeGroups))
	}
	tagGroup, err := h.placementGroup("fan:ann")
	if err != nil {
		t.Fatal(err)
	}
	ops := []*boxofficev1.RecordOp{addRecordOp(keys[0], 2, 0, 3)}
	for _, k := range keys[1:] {
		ops = append(ops, putRecordOp(k, 0, k))
	}
	first, err := tc.records(0).Batch(ctx, &boxofficev1.BatchRecordsRequest{RequestId: "batch-1", Ops: ops})
	if err != nil || len(first.Results) != len(ops) || first.Results[0].Value != 2 {
		t.Fatalf("batch: %v %v", first, err)
	}
	for i, r := range first.Results[1:] {
		if r.Version != first.Results[0].Version+uint64(i)+1 {
			t.Fatalf("versions of one batch are not consecutive: %v", first.Results)
		}
	}
	for _, k := range keys {
		if got := tc.localRecordGroups(0, k); len(got) != 1 || got[0] != tagGroup {
			WaitFor(t, 10*time.Second, "node 1's replica to apply the batch", func() bool {
				got := tc.localRecordGroups(0, k)
				return len(got) == 1 && got[0] == tagGroup
			})
		}
		if r, err := tc.records(2).Get(ctx, &boxofficev1.GetRecordRequest{Key: k}); err != nil || r.Version == 0 {
			t.Fatalf("get %s through node 3: %v %v", k, r, err)
		}
	}
	// A scan of a tagged prefix reads the tag's group only: a record
	// planted under that prefix in another group (which placement never
	// does) is not seen, while a scan of an untagged prefix, which reads
	// every group, sees it.
	var other string
	for _, id := range h.catalog.BootstrapGroupIDs() {
		if id != tagGroup {
			other = id
		}
	}
	planted := "r1/{fan:ann}/planted"
	res, err := h.shardCommand(ctx, other, &fsmpb.Command{RequestId: recordRequestIDPrefix + "plant", Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_CAS,
		Body: &fsmpb.Command_RecordCas{RecordCas: &fsmpb.RecordCompareAndSwap{Key: planted, Value: []byte("p")}}})
	if err != nil || res.Code != fsmpb.Code_CODE_OK {
		t.Fatalf("plant a record in group %s: %v %v", other, res, err)
	}
	scan, err := tc.records(1).Scan(ctx, &boxofficev1.ScanRequest{Prefix: "r1/{fan:ann}/", Limit: 10})
	if err != nil || len(scan.Records) != 1 || scan.Records[0].Key != keys[1] {
		t.Fatalf("scan of a tagged prefix: %v %v", scan, err)
	}
	scan, err = tc.records(1).Scan(ctx, &boxofficev1.ScanRequest{Prefix: "r1/", Limit: 10})
	if err != nil || len(scan.Records) != 2 || scan.Records[1].Key != planted {
		t.Fatalf("scan of an untagged prefix: %v %v", scan, err)
	}

	// A retry answers the first result, applying nothing.
	again, err := tc.records(1).Batch(ctx, &boxofficev1.BatchRecordsRequest{RequestId: "batch-1", Ops: ops})
	if err != nil || again.Results[0].Value != 2 || again.Results[0].Version != first.Results[0].Version {
		t.Fatalf("retry: %v %v", again, err)
	}
	if _, err := tc.records(1).Batch(ctx, &boxofficev1.BatchRecordsRequest{RequestId: "batch-1", Ops: ops[:1]}); status.Code(err) != codes.FailedPrecondition ||
		errorInfo(err).Reason != ReasonRequestIDReused {
		t.Fatalf("id reused for another batch: %v", err)
	}

	// Refusals apply nothing and name the operation.
	fresh := "r9/{fan:ann}/fresh"
	refusals := []struct {
		name   string
		ops    []*boxofficev1.RecordOp
		code   codes.Code
		reason string
		md     map[string]string
	}{
		{"stale version", []*boxofficev1.RecordOp{putRecordOp(fresh, 0, "x"), putRecordOp(keys[1], 1, "x")}, codes.FailedPrecondition, ReasonVersionMismatch,
			map[string]string{MetadataOpIndex: "1", MetadataCurrentVersion: fmt.Sprint(first.Results[1].Version)}},
		{"out of range", []*boxofficev1.RecordOp{putRecordOp(fresh, 0, "x"), addRecordOp(keys[0], 2, 0, 3)}, codes.OutOfRange, ReasonOutOfRange,
			map[string]string{MetadataOpIndex: "1", MetadataCurrentValue: "2", MetadataCurrentVersion: fmt.Sprint(first.Results[0].Version)}},
		{"delete missing", []*boxofficev1.RecordOp{putRecordOp(fresh, 0, "x"), {Kind: boxofficev1.RecordOp_KIND_DELETE, Key: "r9/{fan:ann}/none", ExpectedVersion: 3}},
			codes.NotFound, ReasonNotFound, map[string]string{MetadataOpIndex: "1"}},
		{"two placements", []*boxofficev1.RecordOp{putRecordOp(fresh, 0, "x"), putRecordOp("r9/{fan:bob}/x", 0, "x")}, codes.InvalidArgument, ReasonInvalidRequest, nil},
		{"one key twice", []*boxofficev1.RecordOp{putRecordOp(fresh, 0, "x"), putRecordOp(fresh, 0, "y")}, codes.InvalidArgument, ReasonInvalidRequest, nil},
		{"no kind", []*boxofficev1.RecordOp{{Key: fresh}}, codes.InvalidArgument, ReasonInvalidRequest, nil},
		{"no operation", nil, codes.InvalidArgument, ReasonInvalidRequest, nil},
		{"too many operations", make([]*boxofficev1.RecordOp, 65), codes.InvalidArgument, ReasonTooLarge, nil},
	}
	for i, c := range refusals {
		_, err := tc.records(i%3).Batch(ctx, &boxofficev1.BatchRecordsRequest{RequestId: "refused-" + c.name, Ops: c.ops})
		info := errorInfo(err)
		if status.Code(err) != c.code || info.Reason != c.reason {
			t.Errorf("%s: %v (%s), want %v %s", c.name, err, info.Reason, c.code, c.reason)
			continue
		}
		for k, v := range c.md {
			if info.Metadata[k] != v {
				t.Errorf("%s: metadata %v, want %s=%s", c.name, info.Metadata, k, v)
			}
		}
		if c.name == "two placements" && !strings.Contains(status.Convert(err).Message(), "one placement") {
			t.Errorf("two placements: message %q does not say why", status.Convert(err).Message())
		}
	}
	if _, err := tc.records(0).Get(ctx, &boxofficev1.GetRecordRequest{Key: fresh}); status.Code(err) != codes.NotFound {
		t.Fatalf("a refused batch wrote %s: %v", fresh, err)
	}
	tc.replicasEqual()
}

// TestRecordBatchBelowFeatureLevel: while a node on an older build is
// registered, Batch is refused CLUSTER_UPGRADING and tagged keys are
// placed by their whole text, as that build places them.
func TestRecordBatchBelowFeatureLevel(t *testing.T) {
	tc := NewTestCluster(t, 3)
	ctx := ctxT(t, 60*time.Second)
	key := "order/{fan:ann}/ord_1"
	for i := range tc.Len() {
		if g, _ := tc.hosts[i].recordGroup(key); g != mustPlacementGroup(t, tc.hosts[i], "fan:ann") {
			t.Fatalf("node %d places %s in %s at level %d, not by its tag", i+1, key, g, featureLevelCurrent)
		}
	}
	meta := tc.Leader("meta")
	res, err := tc.Host(meta).applyCatalog(&nodepb.CatalogCommand{
		Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
		Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: &nodepb.NodeRecord{NodeId: "n9", PeerAddr: "127.0.0.1:9",
			GrpcAddr: "127.0.0.1:9", Incarnation: "old", FeatureLevel: featureLevelRecordBatch - 1}},
	})
	if err != nil || res.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("register n9: %v %v", res, err)
	}
	WaitFor(t, 10*time.Second, "every node to refuse tagged keys", func() bool {
		for i := range tc.Len() {
			if _, err := tc.hosts[i].recordGroup(key); !errors.Is(err, ErrClusterUpgrading) {
				return false
			}
		}
		return true
	})
	refusedForN9 := func(what string, err error) {
		t.Helper()
		if status.Code(err) != codes.FailedPrecondition || errorInfo(err).Reason != ReasonClusterUpgrading || errorInfo(err).Metadata[boxofficev1.MetadataNodeIDs] != "n9" {
			t.Fatalf("%s with n9 on level %d: %v %v", what, featureLevelRecordBatch-1, err, errorInfo(err))
		}
	}
	_, err = tc.records(1).Batch(ctx, &boxofficev1.BatchRecordsRequest{RequestId: "b", Ops: []*boxofficev1.RecordOp{putRecordOp(key, 0, "x")}})
	refusedForN9("batch", err)
	// A tagged key is never placed by its whole text: a single-key write
	// or read of one is refused too, and nothing is written.
	_, err = tc.records(2).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "c", Key: key, Value: []byte("x")})
	refusedForN9("compare-and-swap of a tagged key", err)
	_, err = tc.records(0).Get(ctx, &boxofficev1.GetRecordRequest{Key: key})
	refusedForN9("get of a tagged key", err)
	// Keys without a tag work as before.
	if _, err := tc.records(2).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "d", Key: "plain/1", Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if r, err := tc.records(0).Get(ctx, &boxofficev1.GetRecordRequest{Key: "plain/1"}); err != nil || string(r.Value) != "x" {
		t.Fatalf("get plain/1: %v %v", r, err)
	}
}

func mustPlacementGroup(t *testing.T, h *Host, placement string) string {
	t.Helper()
	g, err := h.placementGroup(placement)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
