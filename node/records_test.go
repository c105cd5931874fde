package node

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

func (tc *TestCluster) records(i int) boxofficev1.RecordsClient {
	return boxofficev1.NewRecordsClient(tc.conns[i])
}

func errorInfo(err error) *errdetails.ErrorInfo {
	if info := boxofficev1.ErrorInfoOf(err); info != nil {
		return info
	}
	return &errdetails.ErrorInfo{}
}

// TestRecordsAcrossNodes: writes and reads through different nodes of a
// three-node cluster see one store; a retried CAS (same request id, on
// another node, after the key moved on) returns its first answer; refusals
// carry precise codes; a scan merges every group in key order.
func TestRecordsAcrossNodes(t *testing.T) {
	tc := NewTestCluster(t, 3)
	ctx := ctxT(t, 60*time.Second)

	first, err := tc.records(0).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "cas-1", Key: "a", Value: []byte("one")})
	if err != nil || first.Version == 0 {
		t.Fatalf("create through node 1: %v %v", first, err)
	}
	got, err := tc.records(1).Get(ctx, &boxofficev1.GetRecordRequest{Key: "a"})
	if err != nil || string(got.Value) != "one" || got.Version != first.Version {
		t.Fatalf("read through node 2: %v %v", got, err)
	}
	second, err := tc.records(2).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "cas-2", Key: "a", ExpectedVersion: first.Version, Value: []byte("two")})
	if err != nil || second.Version <= first.Version {
		t.Fatalf("swap through node 3: %v %v", second, err)
	}
	retry, err := tc.records(1).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "cas-1", Key: "a", Value: []byte("one")})
	if err != nil || retry.Version != first.Version {
		t.Fatalf("retried CAS got %v %v, want its first answer, version %d", retry, err, first.Version)
	}
	if got, _ := tc.records(0).Get(ctx, &boxofficev1.GetRecordRequest{Key: "a"}); string(got.GetValue()) != "two" {
		t.Fatalf("the retry wrote again: %q", got.GetValue())
	}

	_, err = tc.records(0).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "cas-3", Key: "a", ExpectedVersion: first.Version, Value: []byte("x")})
	if status.Code(err) != codes.FailedPrecondition || errorInfo(err).Reason != ReasonVersionMismatch ||
		errorInfo(err).Metadata[MetadataCurrentVersion] != fmt.Sprint(second.Version) {
		t.Fatalf("stale CAS: %v %v", err, errorInfo(err))
	}
	if _, err := tc.records(1).Get(ctx, &boxofficev1.GetRecordRequest{Key: "missing"}); status.Code(err) != codes.NotFound {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := tc.records(1).Delete(ctx, &boxofficev1.DeleteRecordRequest{RequestId: "del-0", Key: "missing", ExpectedVersion: 1}); status.Code(err) != codes.NotFound {
		t.Fatalf("delete missing: %v", err)
	}
	_, err = tc.records(2).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "big", Key: "v", Value: make([]byte, 256<<10+1)})
	if status.Code(err) != codes.InvalidArgument || errorInfo(err).Reason != ReasonTooLarge {
		t.Fatalf("value too large: %v", err)
	}
	if _, err := tc.records(2).Scan(ctx, &boxofficev1.ScanRequest{Limit: 1001}); status.Code(err) != codes.InvalidArgument || errorInfo(err).Reason != ReasonTooLarge {
		t.Fatalf("scan limit 1001: %v", err)
	}
	if _, err := tc.records(2).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{Key: "k"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("CAS without request id: %v", err)
	}

	// Counters: concurrent adds through every node, then the bound.
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tc.records(i%3).Add(ctx, &boxofficev1.AddRequest{RequestId: fmt.Sprint("add-", i), Key: "counter", Delta: 1, Min: 0, Max: 30}); err != nil {
				t.Errorf("add %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	_, err = tc.records(0).Add(ctx, &boxofficev1.AddRequest{RequestId: "add-over", Key: "counter", Delta: 1, Min: 0, Max: 30})
	if status.Code(err) != codes.OutOfRange || errorInfo(err).Reason != ReasonOutOfRange || errorInfo(err).Metadata[MetadataCurrentValue] != "30" {
		t.Fatalf("add past max: %v %v", err, errorInfo(err))
	}
	// A retried add returns its first answer and adds nothing.
	again, err := tc.records(2).Add(ctx, &boxofficev1.AddRequest{RequestId: "add-0", Key: "counter", Delta: 1, Min: 0, Max: 30})
	if err != nil || again.Value > 30 {
		t.Fatalf("retried add: %v %v", again, err)
	}
	if got, _ := tc.records(1).Get(ctx, &boxofficev1.GetRecordRequest{Key: "counter"}); string(got.GetValue()) != "30" {
		t.Fatalf("counter = %q, want 30", got.GetValue())
	}

	// Scan: keys spread over the groups come back merged in order.
	const n = 40
	groups := map[string]bool{}
	for i := range n {
		key := fmt.Sprintf("scan/%02d", i)
		if _, err := tc.records(i%3).CompareAndSwap(ctx, &boxofficev1.CompareAndSwapRequest{RequestId: "put-" + key, Key: key, Value: []byte(key)}); err != nil {
			t.Fatal(err)
		}
		g, _ := tc.hosts[0].recordGroup(key)
		groups[g] = true
	}
	if len(groups) < 2 {
		t.Fatalf("%d keys landed in %d group(s); the test needs several", n, len(groups))
	}
	for i := range 3 {
		resp, err := tc.records(i).Scan(ctx, &boxofficev1.ScanRequest{Prefix: "scan/", Limit: 1000})
		if err != nil || len(resp.Records) != n || resp.Truncated {
			t.Fatalf("scan through node %d: %d records, truncated %v, %v", i+1, len(resp.GetRecords()), resp.GetTruncated(), err)
		}
		for k, r := range resp.Records {
			if r.Key != fmt.Sprintf("scan/%02d", k) || string(r.Value) != r.Key || r.Version == 0 {
				t.Fatalf("scan record %d: %v", k, r)
			}
		}
	}
	var paged []string
	after := ""
	for {
		resp, err := tc.records(1).Scan(ctx, &boxofficev1.ScanRequest{Prefix: "scan/", After: after, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Records {
			paged = append(paged, r.Key)
		}
		if len(resp.Records) < 7 {
			break
		}
		after = resp.Records[len(resp.Records)-1].Key
	}
	if len(paged) != n {
		t.Fatalf("paging saw %d keys: %v", len(paged), paged)
	}
	tc.replicasEqual()
}

func TestMergeRecordScans(t *testing.T) {
	rec := func(key string, size int) *boxofficev1.Record {
		return &boxofficev1.Record{Key: key, Value: make([]byte, size-len(key))}
	}
	page := func(truncated bool, records ...*boxofficev1.Record) *nodepb.ReadRecordsResponse {
		return &nodepb.ReadRecordsResponse{Records: records, Truncated: truncated}
	}
	keys := func(r *boxofficev1.ScanResponse) string {
		var out []string
		for _, x := range r.Records {
			out = append(out, x.Key)
		}
		return strings.Join(out, ",") + fmt.Sprintf(" truncated=%v", r.Truncated)
	}
	for _, c := range []struct {
		name  string
		parts []*nodepb.ReadRecordsResponse
		limit int
		bytes int
		want  string
	}{
		{"interleave", []*nodepb.ReadRecordsResponse{page(false, rec("a", 2), rec("c", 2)), page(false, rec("b", 2), rec("d", 2))}, 10, 100, "a,b,c,d truncated=false"},
		{"limit", []*nodepb.ReadRecordsResponse{page(false, rec("a", 2), rec("c", 2)), page(false, rec("b", 2), rec("d", 2))}, 3, 100, "a,b,c truncated=false"},
		{"group cut", []*nodepb.ReadRecordsResponse{page(true, rec("a", 2), rec("b", 2)), page(false, rec("c", 2), rec("d", 2))}, 10, 100, "a,b truncated=true"},
		{"group cut at limit", []*nodepb.ReadRecordsResponse{page(true, rec("a", 2), rec("c", 2)), page(false, rec("b", 2))}, 2, 100, "a,b truncated=false"},
		{"bytes", []*nodepb.ReadRecordsResponse{page(false, rec("a", 4), rec("c", 4)), page(false, rec("b", 4))}, 10, 9, "a,b truncated=true"},
		{"one record over the cap", []*nodepb.ReadRecordsResponse{page(false, rec("a", 50)), page(false)}, 10, 9, "a truncated=false"},
		{"empty", []*nodepb.ReadRecordsResponse{page(false), page(false)}, 10, 9, " truncated=false"},
	} {
		if got := keys(mergeRecordScans(c.parts, c.limit, c.bytes)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
