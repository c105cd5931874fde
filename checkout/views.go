package checkout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"golang.org/x/sync/singleflight"
)

// Views from memory. The gateway answers the catalogue, event detail and
// seat maps from memory, so a phone refreshing a seat map costs the
// cluster nothing and the gateway microseconds:
//
//   - An event's seat map is materialized from the event's shared cluster
//     Watch (watchhub.go: one per gateway and event, the same one that
//     feeds the seat streams). The first view of an event reads the full
//     map once and joins the Watch from that map's positions; every change
//     batch after that updates the map in place, and an encoder goroutine
//     re-encodes the sections that changed (a body is kept as pieces: a
//     prelude with the totals, a chunk per section, a trailer with the
//     pools and the cursor), so a request writes ready bytes and a change
//     copies nothing it did not touch. A Watch that breaks is resumed
//     from its last positions; on
//     OUT_OF_RANGE the map is read afresh. A map nobody viewed for
//     Config.WatchLinger is dropped with its Watch (unless seat streams
//     still use it); at most Config.ViewEventsMax maps are kept, the least
//     recently viewed evicted first.
//   - Event detail and the catalogue change rarely: each is re-read from
//     the cluster at most once per Config.ViewRefresh per gateway, and
//     concurrent misses share one read (singleflight).
//
// Every such response carries a strong ETag (for a seat map, a hash of
// the feed positions it reflects, so every gateway at the same positions
// answers the same ETag), Cache-Control: no-cache, and
// X-Boxoffice-View-Age-Ms. If-None-Match with the current ETag is
// answered 304 with no body.
//
// Staleness. A seat map lags the store by the time a committed change
// takes to reach the gateway through the Watch and be encoded: a few
// milliseconds on a healthy cluster (TestSeatMapViewStaleness measures
// it); under a continuous stream of changes the encoder pauses four times
// its last encoding's cost between encodings, at most ViewEncodeInterval.
// X-Boxoffice-View-Age-Ms is 0 while the feed is connected and the body
// holds every change the gateway has received; otherwise it is how long
// ago the body was last known to be complete (the Watch broke, the map is
// being read afresh, or the encoder has not caught up yet). Event detail
// and the catalogue are at most ViewRefresh plus one read old; their age
// header is the time since that read. Holds never consult these views:
// they go to the cluster, which alone decides who gets a seat.

// viewListPagesMax caps the catalogue pages (limit and cursor pairs) kept.
const viewListPagesMax = 64

// viewCache is the gateway's views from memory.
type viewCache struct {
	hub     *watchHub
	metrics *metrics
	max     int
	gap     time.Duration // Config.ViewEncodeInterval
	refresh time.Duration // Config.ViewRefresh
	flights singleflight.Group

	// seats maps an event id to its *seatMapCache once its first body is
	// encoded. Stores and deletes happen under hub.mu; seatCount too.
	seats     sync.Map
	seatCount int

	events *bodyCache // "event/<id>"
	lists  *bodyCache // "list/<limit>/<cursor>"
}

func newViewCache(cfg Config, m *metrics, h *watchHub) *viewCache {
	return &viewCache{hub: h, metrics: m, max: cfg.ViewEventsMax, gap: cfg.ViewEncodeInterval, refresh: cfg.ViewRefresh,
		events: &bodyCache{entries: map[string]*cachedBody{}, max: cfg.ViewEventsMax},
		lists:  &bodyCache{entries: map[string]*cachedBody{}, max: viewListPagesMax}}
}

// viewBody is one encoded response: the JSON bytes, in pieces written
// one after the other (a seat map's sections are shared between the
// versions they did not change in, so a change re-encodes one section
// and copies nothing else), and their ETag, with the header values
// prebuilt so serving them allocates nothing.
type viewBody struct {
	pieces       [][]byte
	etag         string
	etagHeader   []string
	lengthHeader []string
}

func newViewBody(pieces [][]byte, etag string) viewBody {
	n := 0
	for _, p := range pieces {
		n += len(p)
	}
	return viewBody{pieces: pieces, etag: etag, etagHeader: []string{etag}, lengthHeader: []string{strconv.Itoa(n)}}
}

// bytes is the whole body, joined (tests and logs; serving writes the
// pieces).
func (b *viewBody) bytes() []byte { return bytes.Join(b.pieces, nil) }

// bodyETag is a strong ETag of body's bytes.
func bodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// Shared header values.
var (
	headerNoCache = []string{"no-cache"}
	headerJSON    = []string{"application/json"}
	ageHeaders    = func() [][]string {
		out := make([][]string, 1024)
		for i := range out {
			out[i] = []string{strconv.Itoa(i)}
		}
		return out
	}()
)

const viewAgeHeader = "X-Boxoffice-View-Age-Ms"

func ageHeader(ms int64) []string {
	if ms < 0 {
		ms = 0
	}
	if ms < int64(len(ageHeaders)) {
		return ageHeaders[ms]
	}
	return []string{strconv.FormatInt(ms, 10)}
}

// etagMatches reports whether an If-None-Match header (each value a list
// of entity tags, or "*") names etag; weak comparison, as RFC 9110 wants
// for If-None-Match.
func etagMatches(values []string, etag string) bool {
	for _, v := range values {
		if v == etag {
			return true
		}
		for v != "" {
			var tag string
			tag, v, _ = strings.Cut(v, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// View kinds, the metric's "view" label.
const (
	viewSeats  = "seats"
	viewEvent  = "event"
	viewEvents = "events"
)

// serve writes b with its ETag, or 304 when the request already has it.
// The handler returns status 0: the response is written.
func (vc *viewCache) serve(c *call, kind string, b *viewBody, ageMs int64, hit bool) (int, any, error) {
	h := c.w.Header()
	h["Etag"] = b.etagHeader
	h["Cache-Control"] = headerNoCache
	h[viewAgeHeader] = ageHeader(ageMs)
	if inm := c.r.Header["If-None-Match"]; len(inm) > 0 && etagMatches(inm, b.etag) {
		vc.metrics.viewResult(kind, "not_modified")
		c.w.WriteHeader(http.StatusNotModified)
		return 0, nil, nil
	}
	if hit {
		vc.metrics.viewResult(kind, "hit")
	} else {
		vc.metrics.viewResult(kind, "miss")
	}
	h["Content-Type"] = headerJSON
	h["Content-Length"] = b.lengthHeader
	c.w.WriteHeader(http.StatusOK)
	for _, p := range b.pieces {
		if _, err := c.w.Write(p); err != nil {
			break
		}
	}
	return 0, nil, nil
}

// ---------------------------------------------------------------- bodies

// bodyCache keeps encoded bodies read from the cluster, each for
// viewCache.refresh; at most max, the oldest read evicted first.
type bodyCache struct {
	mu      sync.Mutex
	entries map[string]*cachedBody
	max     int
}

type cachedBody struct {
	viewBody
	fetched time.Time
}

func (b *bodyCache) get(key string) *cachedBody {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.entries[key]
}

func (b *bodyCache) put(key string, e *cachedBody) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.entries[key]; !ok && len(b.entries) >= b.max {
		var oldest string
		for k, v := range b.entries {
			if oldest == "" || v.fetched.Before(b.entries[oldest].fetched) {
				oldest = k
			}
		}
		delete(b.entries, oldest)
	}
	b.entries[key] = e
}

func (b *bodyCache) forget(match func(key string) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.entries {
		if match(k) {
			delete(b.entries, k)
		}
	}
}

// viewReadTimeout bounds one cluster read made for a view; the read is
// shared, so it does not end with the request that started it.
const viewReadTimeout = 10 * time.Second

// body answers key from cache while it is younger than the refresh
// interval, and otherwise reads it with read (one read at a time per
// key, whatever the number of callers).
func (vc *viewCache) body(ctx context.Context, cache *bodyCache, key string, read func(ctx context.Context) (any, error)) (*cachedBody, bool, error) {
	if e := cache.get(key); e != nil && time.Since(e.fetched) < vc.refresh {
		return e, true, nil
	}
	r, err, _ := vc.flights.Do(key, func() (any, error) {
		if e := cache.get(key); e != nil && time.Since(e.fetched) < vc.refresh {
			return e, nil
		}
		readCtx, cancel := context.WithTimeout(background(context.WithoutCancel(ctx)), viewReadTimeout)
		defer cancel()
		v, err := read(readCtx)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		raw = append(raw, '\n') // as writeJSON's Encoder ends it
		e := &cachedBody{viewBody: newViewBody([][]byte{raw}, bodyETag(raw)), fetched: time.Now()}
		cache.put(key, e)
		return e, nil
	})
	if err != nil {
		return nil, false, err
	}
	return r.(*cachedBody), false, nil
}

// forgetEvent drops what this gateway keeps of an event's detail and the
// catalogue, after it changed the event itself (archive).
func (vc *viewCache) forgetEvent(event string) {
	vc.events.forget(func(k string) bool { return k == "event/"+event })
	vc.lists.forget(func(string) bool { return true })
}

// ---------------------------------------------------------------- seat maps

// seatMapCache is one event's seat map in memory, fed by its topic.
type seatMapCache struct {
	event    string
	layout   *seatLayout
	topic    *watchTopic // set when attached
	gap      time.Duration
	viewedAt atomic.Int64 // unix nanoseconds of the last view: LRU and linger
	loadedAt atomic.Int64 // unix nanoseconds of the last full read
	snap     atomic.Pointer[seatSnapshot]
	dirty    chan struct{} // a change is waiting to be encoded
	done     chan struct{} // closed when the view is dropped
	dropOnce sync.Once

	// pendingSince is when the oldest change not yet in snap arrived
	// (unix nanoseconds; 0: none).
	pendingSince atomic.Int64

	mu      sync.Mutex // the live state; lock order: hub.mu, topic.mu, mu
	live    seatState
	dirtyAt []bool // sections changed since the last encode
	version uint64 // changes applied

	scratch seatState // the encoder's copy; only the encoder touches it
}

// seatState is a seat map's changing part.
type seatState struct {
	states    []byte      // per seat, in layout order: its SeatState number
	counts    [][3]uint32 // per section: available, held, sold
	poolAvail []uint32    // per pool
	positions map[uint32]uint64
}

// seatSnapshot is one encoded version of a seat map; immutable.
type seatSnapshot struct {
	full, summary viewBody
	sections      [][]byte // per section, with its rows, after a comma
	sectionCounts [][]byte // per section, counts only, after a comma
	counts        [][3]uint32
	pools         [][]byte
	positions     map[uint32]uint64
	cursor        string
}

// seatLayout is what never changes in an event's seat map: the JSON of
// every seat around its state, and where each seat and pool is.
type seatLayout struct {
	event     string
	head      []byte // `{"event_id":"…","available":`
	sections  []sectionLayout
	pools     []poolLayout
	seatIndex map[string]int32
	poolIndex map[string]int32
	// seat i's JSON is prefixes[prefixEnd[i-1]:prefixEnd[i]], its state
	// name, then suffixes[seatSuffix[i]].
	prefixes   []byte
	prefixEnd  []uint32
	seatSuffix []uint32
	suffixes   [][]byte
	seatOf     []uint16 // the section of each seat
}

type sectionLayout struct {
	id           string
	shard        uint32
	head         []byte // `{"id":…,"name":…,"available":`
	first, end   int32  // its seats
	rows         []rowLayout
	sizeEstimate int
}

type rowLayout struct {
	head     []byte // `{"label":…,"seats":`
	first, n int32
}

type poolLayout struct {
	id         string
	shard      uint32
	head, tail []byte // around the available count
}

var stateNames = [4]string{"unspecified", "available", "held", "sold"}

func stateText(s byte) string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return stateName(boxofficev1.SeatState(s))
}

// cut splits the JSON of v at the first occurrence of marker, keeping
// keep bytes of the marker in the head; the tail starts after the marker.
func cut(v any, marker string, keep int) (head, tail []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		panic("checkout: view layout: " + marker + " not in " + string(b))
	}
	return b[:i+keep], b[i+len(marker):]
}

func newSeatLayout(event string, ev *boxofficev1.Event, sm *boxofficev1.SeatMap) (*seatLayout, error) {
	tiers := map[string]*boxofficev1.PriceTier{}
	for _, t := range ev.GetVenue().GetPriceTiers() {
		tiers[t.GetId()] = t
	}
	head, _ := cut(seatMapView{EventID: event}, `"available":0`, len(`"available":`))
	L := &seatLayout{event: event, head: head, seatIndex: map[string]int32{}, poolIndex: map[string]int32{}}
	suffixIndex := map[string]uint32{}
	if len(sm.GetSections()) > 1<<16-1 {
		return nil, fmt.Errorf("event %q has %d sections: too many for a view", event, len(sm.GetSections()))
	}
	for si, s := range sm.GetSections() {
		sh, _ := cut(sectionView{ID: s.GetId(), Name: s.GetName()}, `"available":0`, len(`"available":`))
		sl := sectionLayout{id: s.GetId(), shard: s.GetShard(), head: sh, first: int32(len(L.seatOf))}
		for _, r := range s.GetRows() {
			rh, _ := cut(rowView{Label: r.GetLabel()}, `"seats":null`, len(`"seats":`))
			rl := rowLayout{head: rh, first: int32(len(L.seatOf)), n: int32(len(r.GetSeats()))}
			for _, seat := range r.GetSeats() {
				t := tiers[seat.GetPriceTier()]
				prefix, suffix := cut(seatView{SeatID: seat.GetSeatId(), Number: seat.GetNumber(), PriceTier: seat.GetPriceTier(),
					PriceCents: t.GetPriceCents(), Currency: t.GetCurrency(), Accessible: seat.GetAccessible(),
					RestrictedView: seat.GetRestrictedView(), AisleAfter: seat.GetAisleAfter()}, `"state":""`, len(`"state":"`))
				suffix = append([]byte{'"'}, suffix...)
				k, ok := suffixIndex[string(suffix)]
				if !ok {
					k = uint32(len(L.suffixes))
					suffixIndex[string(suffix)] = k
					L.suffixes = append(L.suffixes, suffix)
				}
				L.seatIndex[seat.GetSeatId()] = int32(len(L.seatOf))
				L.prefixes = append(L.prefixes, prefix...)
				L.prefixEnd = append(L.prefixEnd, uint32(len(L.prefixes)))
				L.seatSuffix = append(L.seatSuffix, k)
				L.seatOf = append(L.seatOf, uint16(si))
				sl.sizeEstimate += len(prefix) + len(suffix) + 12
			}
			sl.rows = append(sl.rows, rl)
		}
		sl.end = int32(len(L.seatOf))
		L.sections = append(L.sections, sl)
	}
	for pi, p := range sm.GetPools() {
		t := tiers[p.GetPriceTier()]
		ph, pt := cut(poolView{ID: p.GetId(), Name: p.GetName(), Capacity: p.GetCapacity(), PriceTier: p.GetPriceTier(),
			PriceCents: t.GetPriceCents(), Currency: t.GetCurrency()}, `"available":0`, len(`"available":`))
		L.pools = append(L.pools, poolLayout{id: p.GetId(), shard: p.GetShard(), head: ph, tail: pt})
		L.poolIndex[p.GetId()] = int32(pi)
	}
	return L, nil
}

func (L *seatLayout) newState() seatState {
	return seatState{states: make([]byte, len(L.seatOf)), counts: make([][3]uint32, len(L.sections)),
		poolAvail: make([]uint32, len(L.pools)), positions: map[uint32]uint64{}}
}

// load sets st from a full seat map read.
func (L *seatLayout) load(st *seatState, sm *boxofficev1.SeatMap) {
	clear(st.positions)
	for _, p := range sm.GetPositions() {
		st.positions[p.GetShard()] = p.GetSequence()
	}
	for _, s := range sm.GetSections() {
		for _, r := range s.GetRows() {
			for _, seat := range r.GetSeats() {
				if i, ok := L.seatIndex[seat.GetSeatId()]; ok {
					st.states[i] = byte(min(seat.GetState(), 255))
				}
			}
		}
	}
	for si := range L.sections {
		st.counts[si] = [3]uint32{}
	}
	for _, s := range sm.GetSections() {
		for si := range L.sections {
			if L.sections[si].id == s.GetId() {
				st.counts[si] = [3]uint32{s.GetAvailable(), s.GetHeld(), s.GetSold()}
			}
		}
	}
	for _, p := range sm.GetPools() {
		if pi, ok := L.poolIndex[p.GetId()]; ok {
			st.poolAvail[pi] = p.GetCapacity() - p.GetHeld() - p.GetSold()
		}
	}
}

func newSeatMapCache(event string, ev *boxofficev1.Event, sm *boxofficev1.SeatMap, gap time.Duration) (*seatMapCache, error) {
	L, err := newSeatLayout(event, ev, sm)
	if err != nil {
		return nil, err
	}
	v := &seatMapCache{event: event, layout: L, gap: gap, dirty: make(chan struct{}, 1), done: make(chan struct{}),
		live: L.newState(), scratch: L.newState(), dirtyAt: make([]bool, len(L.sections))}
	v.reload(sm)
	return v, nil
}

// reload replaces the live state with a full read (first view, or the
// feed's OUT_OF_RANGE).
func (v *seatMapCache) reload(sm *boxofficev1.SeatMap) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.layout.load(&v.live, sm)
	for i := range v.dirtyAt {
		v.dirtyAt[i] = true
	}
	v.loadedAt.Store(time.Now().UnixNano())
	v.changedLocked()
}

func (v *seatMapCache) changedLocked() {
	v.version++
	v.pendingSince.CompareAndSwap(0, time.Now().UnixNano())
	select {
	case v.dirty <- struct{}{}:
	default:
	}
}

// apply moves the live state by a batch of the feed's changes; changes at
// or before the map's positions are skipped. The topic's pump calls it
// under the topic's lock: it does no I/O and no encoding.
func (v *seatMapCache) apply(changes []*boxofficev1.SeatChange) {
	L := v.layout
	v.mu.Lock()
	defer v.mu.Unlock()
	changed := false
	for _, ch := range changes {
		shard, seq := ch.GetShard(), ch.GetSequence()
		if seq <= v.live.positions[shard] {
			continue
		}
		v.live.positions[shard] = seq
		changed = true
		if i, ok := L.seatIndex[ch.GetSeatId()]; ok {
			old, now := v.live.states[i], byte(min(ch.GetState(), 255))
			if old == now {
				continue
			}
			s := L.seatOf[i]
			if old >= 1 && old <= 3 {
				v.live.counts[s][old-1]--
			}
			if now >= 1 && now <= 3 {
				v.live.counts[s][now-1]++
			}
			v.live.states[i] = now
			v.dirtyAt[s] = true
		} else if p, ok := L.poolIndex[ch.GetSeatId()]; ok {
			v.live.poolAvail[p] = ch.GetGeneralAdmissionAvailable()
		}
	}
	if changed {
		v.changedLocked()
	}
}

// run encodes the live state whenever it changed until the view is
// dropped. While changes keep coming it pauses after each encoding for
// four times what that encoding took, and never longer than gap: an
// encoding re-encodes only the changed sections (about 0.15 ms for a
// section of 4,000 seats, BenchmarkSeatMapEncode), so a view follows a
// change within a fraction of a millisecond and the encoder takes about a
// fifth of a core per event at most while each encoding takes under a
// quarter of ViewEncodeInterval.
func (v *seatMapCache) run() {
	var last time.Time
	var pause time.Duration
	for {
		select {
		case <-v.done:
			return
		case <-v.dirty:
		}
		if wait := pause - time.Since(last); wait > 0 {
			select {
			case <-v.done:
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		v.encode()
		pause = min(4*time.Since(last), v.gap)
	}
}

// encode publishes a snapshot of the live state, re-encoding only the
// sections that changed since the last one.
func (v *seatMapCache) encode() {
	L := v.layout
	st := &v.scratch
	v.mu.Lock()
	dirty := slices.Clone(v.dirtyAt)
	for s, d := range dirty {
		if d {
			sl := L.sections[s]
			copy(st.states[sl.first:sl.end], v.live.states[sl.first:sl.end])
			v.dirtyAt[s] = false
		}
	}
	copy(st.counts, v.live.counts)
	copy(st.poolAvail, v.live.poolAvail)
	clear(st.positions)
	for s, q := range v.live.positions {
		st.positions[s] = q
	}
	version := v.version
	v.mu.Unlock()

	v.snap.Store(L.snapshot(v.snap.Load(), st, dirty))

	v.mu.Lock()
	if v.version == version {
		v.pendingSince.Store(0)
	}
	v.mu.Unlock()
}

// snapshot encodes st; sections not dirty are taken from prev.
func (L *seatLayout) snapshot(prev *seatSnapshot, st *seatState, dirty []bool) *seatSnapshot {
	s := &seatSnapshot{sections: make([][]byte, len(L.sections)), sectionCounts: make([][]byte, len(L.sections)),
		counts: slices.Clone(st.counts), pools: make([][]byte, len(L.pools)), positions: make(map[uint32]uint64, len(st.positions))}
	for k, q := range st.positions {
		s.positions[k] = q
	}
	s.cursor = cursorOf(s.positions)
	for i := range L.sections {
		if prev != nil && !dirty[i] && prev.counts[i] == st.counts[i] {
			s.sections[i], s.sectionCounts[i] = prev.sections[i], prev.sectionCounts[i]
			continue
		}
		s.sections[i] = L.appendSection(i, st, true)
		s.sectionCounts[i] = L.appendSection(i, st, false)
	}
	for i, p := range L.pools {
		var o outBuf
		o.Grow(len(p.head) + len(p.tail) + 10)
		o.Write(p.head)
		o.uint(st.poolAvail[i])
		o.Write(p.tail)
		s.pools[i] = o.bytes()
	}
	all := func(int) bool { return true }
	s.full = newViewBody(L.mapPieces(s, s.sections, all, all, s.cursor), seatETag(L.event, "full", s.cursor))
	s.summary = newViewBody(L.mapPieces(s, s.sectionCounts, all, all, s.cursor), seatETag(L.event, "summary", s.cursor))
	return s
}

// outBuf builds a body in memory that is not zeroed first (a
// strings.Builder's): for a stadium's seat map, zeroing the new body
// cost more than writing it.
type outBuf struct{ strings.Builder }

func (o *outBuf) uint(n uint32) {
	var digits [10]byte
	o.Write(strconv.AppendUint(digits[:0], uint64(n), 10))
}

func (o *outBuf) counts(c [3]uint32) {
	o.uint(c[0])
	o.WriteString(`,"held":`)
	o.uint(c[1])
	o.WriteString(`,"sold":`)
	o.uint(c[2])
}

// bytes is the body; nothing writes to it after this.
func (o *outBuf) bytes() []byte {
	s := o.String()
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// appendSection encodes section i as catalog.go's sectionView would be,
// after a comma (the first section of a map is written without it).
func (L *seatLayout) appendSection(i int, st *seatState, rows bool) []byte {
	sl := &L.sections[i]
	var o outBuf
	if rows {
		o.Grow(len(sl.head) + 40 + sl.sizeEstimate)
	} else {
		o.Grow(len(sl.head) + 40)
	}
	o.WriteByte(',')
	o.Write(sl.head)
	o.counts(st.counts[i])
	if !rows || len(sl.rows) == 0 {
		o.WriteByte('}')
		return o.bytes()
	}
	o.WriteString(`,"rows":[`)
	for ri, r := range sl.rows {
		if ri > 0 {
			o.WriteByte(',')
		}
		o.Write(r.head)
		if r.n == 0 {
			o.WriteString("null}")
			continue
		}
		o.WriteByte('[')
		for k := r.first; k < r.first+r.n; k++ {
			if k > r.first {
				o.WriteByte(',')
			}
			start := uint32(0)
			if k > 0 {
				start = L.prefixEnd[k-1]
			}
			o.Write(L.prefixes[start:L.prefixEnd[k]])
			o.WriteString(stateText(st.states[k]))
			o.Write(L.suffixes[L.seatSuffix[k]])
		}
		o.WriteString("]}")
	}
	o.WriteString("]}")
	return o.bytes()
}

// mapPieces is the whole map (the sections and pools that keep selects)
// as catalog.go's seatMapView would be encoded by writeJSON: a new
// prelude with the totals, the sections' own chunks, and a new trailer
// with the pools and the cursor.
func (L *seatLayout) mapPieces(s *seatSnapshot, sections [][]byte, keepSection, keepPool func(int) bool, cursor string) [][]byte {
	pieces := make([][]byte, 0, len(sections)+2)
	var total [3]uint32
	for i := range sections {
		if keepSection(i) {
			for k := range total {
				total[k] += s.counts[i][k]
			}
		}
	}
	var prelude outBuf
	prelude.Grow(len(L.head) + 60)
	prelude.Write(L.head)
	prelude.counts(total)
	prelude.WriteString(`,"sections":[`)
	pieces = append(pieces, prelude.bytes())
	first := true
	for i, c := range sections {
		if keepSection(i) {
			if first {
				c = c[1:] // no comma before the first
			}
			first = false
			pieces = append(pieces, c)
		}
	}
	size := len(cursor) + 32
	for i, p := range s.pools {
		if keepPool(i) {
			size += len(p) + 1
		}
	}
	var trailer outBuf
	trailer.Grow(size)
	trailer.WriteString(`],"pools":[`)
	first = true
	for i, p := range s.pools {
		if keepPool(i) {
			if !first {
				trailer.WriteByte(',')
			}
			first = false
			trailer.Write(p)
		}
	}
	trailer.WriteString(`],"cursor":"`)
	trailer.WriteString(cursor) // digits, colons and commas only
	trailer.WriteString("\"}\n")
	return append(pieces, trailer.bytes())
}

// seatETag is the strong ETag of a seat map body: a hash of the event,
// the variant (full, summary, a section list) and the feed positions the
// body reflects, which determine its bytes.
func seatETag(event, variant, cursor string) string {
	h := sha256.New()
	h.Write([]byte("seats/1\x00"))
	h.Write([]byte(event))
	h.Write([]byte{0})
	h.Write([]byte(variant))
	h.Write([]byte{0})
	h.Write([]byte(cursor))
	var sum [sha256.Size]byte
	return `"` + hex.EncodeToString(h.Sum(sum[:0])[:12]) + `"`
}

// filtered encodes the sections and pools named by ids, as the cluster
// answers a seat map read of those sections: their counts, and the
// cursor of their shards.
func (L *seatLayout) filtered(s *seatSnapshot, ids []string, summary bool) (*viewBody, error) {
	sections := make([]bool, len(L.sections))
	pools := make([]bool, len(L.pools))
	shards := map[uint32]bool{}
	for _, id := range ids {
		found := false
		for i, sl := range L.sections {
			if sl.id == id {
				sections[i], shards[sl.shard], found = true, true, true
			}
		}
		if pi, ok := L.poolIndex[id]; ok {
			pools[pi], shards[L.pools[pi].shard], found = true, true, true
		}
		if !found {
			return nil, problem(ErrMissing, fmt.Sprintf("event %q has no section or pool %q", echo(L.event), echo(id)))
		}
	}
	positions := map[uint32]uint64{}
	for shard := range shards {
		if q, ok := s.positions[shard]; ok {
			positions[shard] = q
		}
	}
	cursor := cursorOf(positions)
	chunks, variant := s.sections, "sections"
	if summary {
		chunks, variant = s.sectionCounts, "summary-sections"
	}
	var selected []string
	for i, ok := range sections {
		if ok {
			selected = append(selected, L.sections[i].id)
		}
	}
	for i, ok := range pools {
		if ok {
			selected = append(selected, L.pools[i].id)
		}
	}
	body := L.mapPieces(s, chunks, func(i int) bool { return sections[i] }, func(i int) bool { return pools[i] }, cursor)
	b := newViewBody(body, seatETag(L.event, variant+"="+strings.Join(selected, ","), cursor))
	return &b, nil
}

// ageMs is how long ago the served body was last known to hold every
// change of the store's feed: 0 while the Watch is connected and the
// encoder has caught up.
func (v *seatMapCache) ageMs(now int64) int64 {
	var age int64
	if p := v.pendingSince.Load(); p != 0 {
		age = now - p
	}
	if t := v.topic; t != nil {
		if d := t.downSince.Load(); d != 0 {
			age = max(age, now-max(d, v.loadedAt.Load()))
		}
	}
	return age / int64(time.Millisecond)
}

// drop stops the view's encoder; the caller has detached it.
func (v *seatMapCache) drop() { v.dropOnce.Do(func() { close(v.done) }) }

// errViewBehindFeed: the seat map read is older than what the event's
// shared Watch can replay; read it again.
var errViewBehindFeed = errors.New("the seat map read is older than the shared watch's replay")

// seatMap is the event's seat map in memory, started (one full read, then
// the shared Watch) on its first view; hit is false when this call
// started it.
func (vc *viewCache) seatMap(ctx context.Context, event string) (*seatMapCache, bool, error) {
	if v, ok := vc.seats.Load(event); ok {
		return v.(*seatMapCache), true, nil
	}
	r, err, _ := vc.flights.Do("seats/"+event, func() (any, error) {
		if v, ok := vc.seats.Load(event); ok {
			return v, nil
		}
		readCtx, cancel := context.WithTimeout(background(context.WithoutCancel(ctx)), viewReadTimeout)
		defer cancel()
		return vc.startSeatMap(readCtx, event)
	})
	if err != nil {
		return nil, false, err
	}
	return r.(*seatMapCache), false, nil
}

func (vc *viewCache) startSeatMap(ctx context.Context, event string) (*seatMapCache, error) {
	h := vc.hub
	ev, err := h.inventory.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: event})
	if err != nil {
		return nil, err
	}
	var v *seatMapCache
	for attempt := range 3 {
		consistency := boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE // any replica; a lagging one is caught below
		if attempt > 0 {
			consistency = boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE
		}
		sm, err := h.inventory.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: event, Consistency: consistency})
		if err != nil {
			return nil, err
		}
		if v == nil {
			if v, err = newSeatMapCache(event, ev, sm, vc.gap); err != nil {
				return nil, err
			}
		} else {
			v.reload(sm)
		}
		t, err := h.startedTopic(ctx, event, sm.GetPositions())
		if err != nil {
			return nil, err
		}
		err = vc.attach(t, v)
		if errors.Is(err, errViewBehindFeed) || errors.Is(err, errTopicClosed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, problem(ErrUnavailable, "the event's seat map keeps moving past its change stream: retry")
}

// attach feeds v from topic t: it replays the changes t has received
// after v's read, encodes v's first body and publishes it, evicting the
// least recently viewed map when ViewEventsMax are kept.
func (vc *viewCache) attach(t *watchTopic, v *seatMapCache) error {
	h := vc.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if vc.seatCount >= vc.max {
		vc.evictLocked()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.startErr != nil {
		return t.startErr
	}
	if t.closed {
		return errTopicClosed
	}
	v.mu.Lock()
	for shard, floor := range t.floor {
		if at, ok := v.live.positions[shard]; ok && at < floor {
			v.mu.Unlock()
			return errViewBehindFeed
		}
	}
	v.mu.Unlock()
	if t.view != nil {
		vc.detachLocked(t)
	}
	v.apply(t.ring)
	v.encode()
	select {
	case <-v.dirty: // encoded just now
	default:
	}
	v.topic = t
	t.view = v
	v.viewedAt.Store(time.Now().UnixNano())
	vc.seats.Store(t.event, v)
	vc.seatCount++
	vc.metrics.viewMapsKept.Add(1)
	go v.run()
	t.lingerIfIdleLocked()
	return nil
}

// evictLocked drops the least recently viewed seat map; the caller holds
// hub.mu.
func (vc *viewCache) evictLocked() {
	var oldest *seatMapCache
	vc.seats.Range(func(_, value any) bool {
		v := value.(*seatMapCache)
		if oldest == nil || v.viewedAt.Load() < oldest.viewedAt.Load() {
			oldest = v
		}
		return true
	})
	if oldest == nil {
		return
	}
	t := oldest.topic
	t.mu.Lock()
	defer t.mu.Unlock()
	vc.detachLocked(t)
	if len(t.subs) == 0 {
		t.closeLocked() // nothing else uses its Watch
	}
}

// detachLocked drops t's view; the caller holds hub.mu and t.mu.
func (vc *viewCache) detachLocked(t *watchTopic) {
	v := t.view
	if v == nil {
		return
	}
	t.view = nil
	if vc.seats.CompareAndDelete(t.event, v) {
		vc.seatCount--
		vc.metrics.viewMapsKept.Add(-1)
	}
	v.drop()
	vc.metrics.viewDrops.Inc()
}
