package node

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// The Records service: a linearizable key-value store over the data groups
// (fsm/records.go holds one group's part). A key lives in group
// FNV-1a(placement) mod n of the n bootstrap data groups sorted by id; the
// layout is made once at bootstrap and never changes count, so the mapping
// is stable. The placement is the key's tag (boxofficev1.RecordPlacement:
// the text between its first "{" and the next "}", when not empty), or
// the whole key when it has none. Tags need feature level 3: below it,
// every call naming a tagged key is refused CLUSTER_UPGRADING, so no
// tagged key is ever placed by its whole text (which its tag's group
// would not find afterwards) and a mixed cluster places keys alike. The
// level is cached for up to a second; a node whose cache still says
// "below" asks the catalog again before refusing.
//
// Writes are fsm commands and travel like seat commands (shardCommand:
// propose locally or forward to the leader, request-id dedup making retries
// safe). Batch sends the operations on keys of one placement as one
// RECORD_BATCH command to that placement's group, which applies them all
// or none. Reads are linearizable on each group's leader (readRecords, the
// twin of readShard). A Scan reads every group concurrently, each
// linearizably, and merges in key order: it is linearizable per group,
// not one read point across groups. A Scan whose prefix holds a tag reads
// only that placement's group, at one linearizable point.
//
// Rejected: a dedicated records group (one leader's CPU and fsync stream
// for every gateway), and range partitioning (ordered scans without a
// fan-out, but it needs splits and a directory; scans are rare here and
// the fan-out is one round per group).

const (
	// recordRequestIDPrefix keeps record request ids apart from seat
	// commands' in a group's dedup table.
	recordRequestIDPrefix = "record/"
	// recordRequestIDMax leaves room for the prefix within fsm.MaxIDBytes.
	recordRequestIDMax = idBytesMax - len(recordRequestIDPrefix)
	// recordScanBytesMax caps the keys and values of one Scan response
	// (and of each group's part); a page cut by it says truncated.
	recordScanBytesMax = 4 << 20

	// Metadata keys of the ErrorInfo of VERSION_MISMATCH and OUT_OF_RANGE,
	// and of a refused Batch's operation.
	MetadataCurrentVersion = boxofficev1.MetadataCurrentVersion
	MetadataCurrentValue   = boxofficev1.MetadataCurrentValue
	MetadataOpIndex        = boxofficev1.MetadataOpIndex
)

// recordsService implements boxoffice.v1.Records.
type recordsService struct {
	boxofficev1.UnimplementedRecordsServer
	host *Host
}

// recordGroup returns the data group that owns key: its placement's
// group; a tagged key is refused below feature level 3 (see the comment
// above).
func (h *Host) recordGroup(key string) (string, error) {
	if tag, ok := boxofficev1.RecordPlacementTag(key); ok {
		if err := h.requireTags(); err != nil {
			return "", err
		}
		return h.placementGroup(tag)
	}
	return h.placementGroup(key)
}

// requireTags refuses placement tags below feature level 3: the cached
// level first, the catalog when the cache says no.
func (h *Host) requireTags() error {
	if h.atFeatureLevel(featureLevelRecordBatch) {
		return nil
	}
	return h.requireFeatureLevel(featureLevelRecordBatch)
}

// placementGroup returns the data group of a placement.
func (h *Host) placementGroup(placement string) (string, error) {
	ids := h.catalog.BootstrapGroupIDs() // added groups hold no records
	if len(ids) == 0 {
		return "", ErrNotReady
	}
	f := fnv.New32a()
	_, _ = f.Write([]byte(placement))
	return ids[f.Sum32()%uint32(len(ids))], nil
}

func checkRecordKey(key string) error {
	if key == "" {
		return invalid("key is required")
	}
	if len(key) > fsm.MaxRecordKeyBytes {
		return fmt.Errorf("%w: key is %d bytes; the limit is %d", ErrTooLarge, len(key), fsm.MaxRecordKeyBytes)
	}
	return nil
}

// recordCommand runs one record command on the leader of the key's group
// and turns a refusal into an error.
func (h *Host) recordCommand(ctx context.Context, requestID, key string, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	if err := checkRecordRequestID(requestID); err != nil {
		return nil, err
	}
	if err := checkRecordKey(key); err != nil {
		return nil, err
	}
	groupID, err := h.recordGroup(key)
	if err != nil {
		return nil, err
	}
	return h.recordCommandIn(ctx, groupID, requestID, cmd)
}

// checkRecordRequestID checks a record write's request id.
func checkRecordRequestID(requestID string) error {
	if err := checkID("request_id", requestID, true); err != nil {
		return err
	}
	if len(requestID) > recordRequestIDMax {
		return invalid("request_id is %d bytes; the limit for records is %d", len(requestID), recordRequestIDMax)
	}
	return nil
}

// recordCommandIn runs a record command on the leader of groupID and
// turns a refusal into an error whose ErrorInfo metadata carries the
// current version or value and, for a Batch, the refusing operation.
func (h *Host) recordCommandIn(ctx context.Context, groupID, requestID string, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	cmd.RequestId = recordRequestIDPrefix + requestID
	res, err := h.shardCommand(ctx, groupID, cmd)
	if err != nil {
		return nil, err
	}
	if err := refusal(res); err != nil {
		var ref *RefusalError
		if errors.As(err, &ref) {
			ref.Metadata = recordRefusalMetadata(res)
		}
		return nil, err
	}
	return res, nil
}

// recordRefusalMetadata is the ErrorInfo metadata of a refused record
// command (nil when it has none).
func recordRefusalMetadata(res *fsmpb.Result) map[string]string {
	md := map[string]string{}
	switch res.Code {
	case fsmpb.Code_CODE_VERSION_MISMATCH:
		md[MetadataCurrentVersion] = strconv.FormatUint(res.RecordVersion, 10)
	case fsmpb.Code_CODE_OUT_OF_RANGE:
		md[MetadataCurrentValue] = strconv.FormatInt(res.CounterValue, 10)
		md[MetadataCurrentVersion] = strconv.FormatUint(res.RecordVersion, 10)
	}
	if res.OpIndex != nil {
		md[MetadataOpIndex] = strconv.FormatUint(uint64(*res.OpIndex), 10)
	}
	if len(md) == 0 {
		return nil
	}
	return md
}

func (s *recordsService) CompareAndSwap(ctx context.Context, req *boxofficev1.CompareAndSwapRequest) (*boxofficev1.CompareAndSwapResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	if len(req.Value) > fsm.MaxRecordValueBytes {
		return nil, toStatus(ctx, fmt.Errorf("%w: value is %d bytes; the limit is %d", ErrTooLarge, len(req.Value), fsm.MaxRecordValueBytes))
	}
	res, err := s.host.recordCommand(ctx, req.RequestId, req.Key, &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_CAS,
		Body: &fsmpb.Command_RecordCas{RecordCas: &fsmpb.RecordCompareAndSwap{Key: req.Key, ExpectedVersion: req.ExpectedVersion, Value: req.Value}},
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.CompareAndSwapResponse{Version: res.RecordVersion}, nil
}

func (s *recordsService) Delete(ctx context.Context, req *boxofficev1.DeleteRecordRequest) (*boxofficev1.DeleteRecordResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	_, err := s.host.recordCommand(ctx, req.RequestId, req.Key, &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_DELETE,
		Body: &fsmpb.Command_RecordDelete{RecordDelete: &fsmpb.RecordDelete{Key: req.Key, ExpectedVersion: req.ExpectedVersion}},
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.DeleteRecordResponse{}, nil
}

func (s *recordsService) Add(ctx context.Context, req *boxofficev1.AddRequest) (*boxofficev1.AddResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	res, err := s.host.recordCommand(ctx, req.RequestId, req.Key, &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_ADD,
		Body: &fsmpb.Command_RecordAdd{RecordAdd: &fsmpb.RecordAdd{Key: req.Key, Delta: req.Delta, Min: req.Min, Max: req.Max}},
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.AddResponse{Value: res.CounterValue, Version: res.RecordVersion}, nil
}

func (s *recordsService) Get(ctx context.Context, req *boxofficev1.GetRecordRequest) (*boxofficev1.Record, error) {
	h := s.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	resp, err := func() (*boxofficev1.Record, error) {
		if err := checkRecordKey(req.Key); err != nil {
			return nil, err
		}
		groupID, err := h.recordGroup(req.Key)
		if err != nil {
			return nil, err
		}
		r, err := h.readRecords(ctx, &nodepb.ReadRecordsRequest{GroupId: groupID, Key: req.Key})
		if err != nil {
			return nil, err
		}
		if len(r.Records) == 0 {
			return nil, fmt.Errorf("%w: record %q", ErrNotFound, req.Key)
		}
		return r.Records[0], nil
	}()
	return resp, toStatus(ctx, err)
}

func (s *recordsService) Scan(ctx context.Context, req *boxofficev1.ScanRequest) (*boxofficev1.ScanResponse, error) {
	h := s.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	resp, err := func() (*boxofficev1.ScanResponse, error) {
		if req.Limit == 0 || req.Limit > fsm.MaxRecordScanLimit {
			return nil, fmt.Errorf("%w: limit = %d: must be 1..%d", ErrTooLarge, req.Limit, fsm.MaxRecordScanLimit)
		}
		if len(req.Prefix) > fsm.MaxRecordKeyBytes || len(req.After) > fsm.MaxRecordKeyBytes {
			return nil, fmt.Errorf("%w: prefix and after are at most %d bytes", ErrTooLarge, fsm.MaxRecordKeyBytes)
		}
		ids := h.catalog.BootstrapGroupIDs() // added groups hold no records
		if len(ids) == 0 {
			return nil, ErrNotReady
		}
		// Every key under a prefix that holds a tag has that tag as its
		// placement: one group has them all.
		if tag, ok := boxofficev1.RecordPlacementTag(req.Prefix); ok && h.atFeatureLevel(featureLevelRecordBatch) {
			id, err := h.placementGroup(tag)
			if err != nil {
				return nil, err
			}
			ids = []string{id}
		}
		parts := make([]*nodepb.ReadRecordsResponse, len(ids))
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				parts[i], errs[i] = h.readRecords(ctx, &nodepb.ReadRecordsRequest{GroupId: id, Scan: true,
					Prefix: req.Prefix, After: req.After, Limit: req.Limit, BytesMax: recordScanBytesMax})
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		return mergeRecordScans(parts, int(req.Limit), recordScanBytesMax), nil
	}()
	return resp, toStatus(ctx, err)
}

// mergeRecordScans merges the groups' pages (each ascending) into one page
// of at most limit records and about bytesMax bytes. A group whose page was
// truncated may hold more keys after its last one, so the merged page stops
// at the smallest such last key and is itself truncated if short.
func mergeRecordScans(parts []*nodepb.ReadRecordsResponse, limit, bytesMax int) *boxofficev1.ScanResponse {
	var all []*boxofficev1.Record
	cut, hasCut := "", false
	for _, p := range parts {
		all = append(all, p.Records...)
		if p.Truncated && len(p.Records) > 0 {
			last := p.Records[len(p.Records)-1].Key
			if !hasCut || last < cut {
				cut, hasCut = last, true
			}
		}
	}
	slices.SortFunc(all, func(a, b *boxofficev1.Record) int { return strings.Compare(a.Key, b.Key) })
	out := &boxofficev1.ScanResponse{}
	size := 0
	for _, r := range all {
		if len(out.Records) == limit {
			return out
		}
		if hasCut && r.Key > cut {
			break
		}
		n := len(r.Key) + len(r.Value)
		if len(out.Records) > 0 && size+n > bytesMax {
			break
		}
		size += n
		out.Records = append(out.Records, r)
	}
	// Stopped short of limit: complete unless a cap or a group's cap cut it.
	out.Truncated = len(out.Records) < limit && (hasCut || len(out.Records) < len(all))
	return out
}

// readRecords serves a records read linearizably on the group's leader,
// forwarding like readShard.
func (h *Host) readRecords(ctx context.Context, req *nodepb.ReadRecordsRequest) (*nodepb.ReadRecordsResponse, error) {
	return onLeader(ctx, h, req.GroupId, "records-read",
		func(g *group) (*nodepb.ReadRecordsResponse, error) {
			if err := g.linearizable(ctx); err != nil {
				return nil, err
			}
			return localRecordRead(g, req), nil
		},
		func(ctx context.Context, peer nodepb.PeerClient) (*nodepb.ReadRecordsResponse, bool, string, error) {
			resp, err := peer.ReadRecords(ctx, req)
			return resp, resp.GetNotLeader(), resp.GetLeaderNodeId(), err
		})
}

// localRecordRead answers a records read from this replica's applied state.
func localRecordRead(g *group, req *nodepb.ReadRecordsRequest) *nodepb.ReadRecordsResponse {
	resp := &nodepb.ReadRecordsResponse{}
	if !req.Scan {
		if r, ok := g.store.GetRecord(req.Key); ok {
			resp.Records = []*boxofficev1.Record{recordToAPI(r)}
		}
		return resp
	}
	records, truncated := g.store.ScanRecords(req.Prefix, req.After, int(req.Limit), int(req.BytesMax))
	resp.Truncated = truncated
	resp.Records = make([]*boxofficev1.Record, len(records))
	for i, r := range records {
		resp.Records[i] = recordToAPI(r)
	}
	return resp
}

func recordToAPI(r fsm.Record) *boxofficev1.Record {
	// The value is shared with the store, which never modifies it; the
	// response only marshals it.
	return &boxofficev1.Record{Key: r.Key, Value: r.Value, Version: r.Version}
}

// ReadRecords answers a forwarded records read; like ReadShard it never
// forwards again.
func (p *peerService) ReadRecords(ctx context.Context, req *nodepb.ReadRecordsRequest) (*nodepb.ReadRecordsResponse, error) {
	g := p.host.group(req.GroupId)
	if g == nil || g.store == nil {
		return &nodepb.ReadRecordsResponse{NotLeader: true}, nil
	}
	if err := g.linearizable(ctx); err != nil {
		if errors.Is(err, errNotLeader) {
			_, id := g.leader()
			return &nodepb.ReadRecordsResponse{NotLeader: true, LeaderNodeId: id}, nil
		}
		return nil, toStatus(ctx, err)
	}
	return localRecordRead(g, req), nil
}
