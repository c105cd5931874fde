package bench

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// Timing of a run's edges.
const (
	// createTimeout bounds creating the event (every shard installed).
	createTimeout = time.Minute
	// finishGrace bounds the sell or release of a hold when the run is
	// interrupted, so that an interrupted run leaves nothing held.
	finishGrace = 10 * time.Second
	// retryBackoffStart and retryBackoffMax space retries after
	// UNAVAILABLE, DEADLINE_EXCEEDED or BUSY.
	retryBackoffStart = 5 * time.Millisecond
	retryBackoffMax   = 500 * time.Millisecond
	// errorsPerClientMax stops a client whose calls keep failing, so that
	// a dead cluster ends the run instead of spinning until the limit.
	errorsPerClientMax = 1_000
	// progressEvery spaces the live progress lines, whatever the
	// timeline's SampleInterval.
	progressEvery = time.Second
)

// createNoticeEvery spaces the progress lines written while the event's
// creation is being retried (a variable for tests).
var createNoticeEvery = 5 * time.Second

// Run creates a fresh event with the configured venue, runs cfg.Clients
// clients against it until it sells out or cfg.DurationLimit passes, then
// checks the final seat map. Client i sends every call through
// inventories[i % len(inventories)]. Progress, one line a second, goes to
// progress unless it is nil; with progressInPlace the line is rewritten
// (a terminal) rather than appended.
//
// The error is for a run that could not start (invalid config, the event
// could not be created) or whose final seat map could not be read; what
// went wrong during the run is in the Result (Errors, FirstError, Check).
func Run(ctx context.Context, cfg Config, inventories []Inventory, progress io.Writer, progressInPlace bool) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(inventories) == 0 {
		return nil, errors.New("bench: no inventory connections")
	}
	if cfg.ReadStream {
		for i, inv := range inventories {
			if _, ok := inv.(StreamReader); !ok {
				return nil, fmt.Errorf("bench: ReadStream: inventory %d (%T) cannot read over a stream; use the Go client", i, inv)
			}
		}
	}
	cfg = cfg.withDefaults()
	nonce := randomHex(4)
	if cfg.EventID == "" {
		cfg.EventID = "bench_" + time.Now().UTC().Format("20060102_150405") + "_" + nonce
	}
	venue := cluster.OnSaleVenue(cfg.Sections, cfg.Rows, cfg.SeatsPerRow)
	venueSeats := cfg.Sections * cfg.Rows * cfg.SeatsPerRow

	createCtx, cancel := context.WithTimeout(ctx, createTimeout)
	// A cluster that has not formed (or lost its quorum) keeps refusing
	// with UNAVAILABLE: say so while retrying, rather than stay silent
	// for up to createTimeout.
	began, lastNotice, attempts := time.Now(), time.Now(), 0
	err := retryCall(createCtx, func(ctx context.Context) error {
		attempts++
		_, err := inventories[0].CreateEvent(ctx, &boxofficev1.CreateEventRequest{
			RequestId:  "bench-create-" + cfg.EventID + "-" + nonce,
			EventId:    cfg.EventID,
			Name:       "OSW-1 bench " + cfg.Label,
			Venue:      venue,
			ShardCount: uint32(cfg.Shards),
			GroupCount: uint32(cfg.Groups),
		})
		if err != nil && progress != nil && time.Since(lastNotice) >= createNoticeEvery {
			lastNotice = time.Now()
			fmt.Fprintf(progress, "bench: still creating event %q after %s (%d attempts, giving up after %s): %v\n",
				cfg.EventID, time.Since(began).Round(time.Second), attempts, createTimeout, err)
		}
		return err
	})
	cancel()
	if err != nil {
		if status.Code(err) == codes.AlreadyExists {
			return nil, fmt.Errorf("bench: event %q exists; the invariant check needs a fresh event: %w", cfg.EventID, err)
		}
		return nil, fmt.Errorf("bench: creating event %q: %w", cfg.EventID, err)
	}

	sectionIDs := make([]string, cfg.Sections)
	for i, s := range venue.GetSections() {
		sectionIDs[i] = s.GetId()
	}
	rec := newRecorder()
	workers := make([]*worker, cfg.Clients)
	for i := range workers {
		workers[i] = newWorker(i, &cfg, inventories[i%len(inventories)], rec, sectionIDs, nonce)
	}

	// Before the clock starts, as the peers of this benchmark open their
	// connection pools: clients that can learn the event's routing and
	// open their streams to its leaders do so now.
	if err := prepare(ctx, inventories, cfg.EventID); err != nil {
		return nil, err
	}

	// Clients stop starting holds when ctx ends or at the limit. They are
	// started, then released together when the clock starts.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var start, deadline time.Time // set before gate closes
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			w.run(runCtx, start, deadline)
		}()
	}
	cpuBefore, cpuErr := readCPU(ctx, cfg.CPU, cfg.EventID)
	start = time.Now()
	deadline = start.Add(cfg.DurationLimit)
	close(gate)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	smp := newSampler(rec, start)
	var timeline []Sample
	ticker := time.NewTicker(cfg.SampleInterval)
	var lastProgress time.Time
	showProgress := func(now time.Time, s Sample) {
		if progress == nil || now.Sub(lastProgress) < progressEvery-cfg.SampleInterval/2 {
			return
		}
		lastProgress = now
		line := fmt.Sprintf("%5.0fs  holds/s %6.0f  sells/s %6.0f  reads/s %6.0f  hold p50 %7.2f ms  p99 %7.2f ms  sold %d/%d",
			s.ElapsedS, s.HoldsPerS, s.SellsPerS, s.ReadsPerS, s.HoldP50Ms, s.HoldP99Ms, s.SeatsSold, venueSeats)
		if progressInPlace {
			fmt.Fprintf(progress, "\r%s\x1b[K", line)
		} else {
			fmt.Fprintln(progress, line)
		}
	}
wait:
	for {
		select {
		case now := <-ticker.C:
			if len(timeline) < timelineSamplesMax {
				s := smp.sample(now)
				timeline = append(timeline, s)
				showProgress(now, s)
			}
		case <-done:
			break wait
		}
	}
	ticker.Stop()
	end := time.Now()
	cpuAfter, err := readCPU(ctx, cfg.CPU, cfg.EventID)
	cpuErr = errors.Join(cpuErr, err)
	if len(timeline) == 0 || end.Sub(smp.last) > cfg.SampleInterval/10 {
		timeline = append(timeline, smp.sample(end))
	}
	if progress != nil && progressInPlace {
		fmt.Fprintln(progress)
	}
	elapsed := end.Sub(start)

	// Learn what happened to operations whose answer never came, then
	// read the truth.
	var acked []AckedSell
	var uncertainOrders []string
	unresolved := 0
	for _, w := range workers {
		w.resolve(context.WithoutCancel(ctx))
		acked = append(acked, w.acked...)
		uncertainOrders = append(uncertainOrders, w.uncertainOrders...)
		unresolved += w.unresolvedHolds
	}
	finalCtx, cancelFinal := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancelFinal()
	var seatMap *boxofficev1.SeatMap
	err = retryCall(finalCtx, func(ctx context.Context) error {
		var err error
		seatMap, err = inventories[0].GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{
			EventId: cfg.EventID, Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bench: reading the final seat map of %q: %w", cfg.EventID, err)
	}

	res := &Result{
		Workload:        "OSW-1",
		Label:           cfg.Label,
		EventID:         cfg.EventID,
		Config:          cfg,
		VenueSeats:      venueSeats,
		Clients:         cfg.Clients,
		DurationLimitS:  cfg.DurationLimit.Seconds(),
		ElapsedS:        elapsed.Seconds(),
		Holds:           rec.completed[opHold].Load(),
		Sells:           rec.completed[opSell].Load(),
		Releases:        rec.completed[opRelease].Load(),
		ConflictRetries: rec.conflicts.Load(),
		EmptyProbes:     rec.emptyProbes.Load(),
		AbandonedHolds:  rec.abandoned.Load(),
		StaleHoldMisses: rec.staleMisses.Load(),
		Errors:          rec.errors.Load(),
		FirstError:      rec.firstError,
		UnresolvedHolds: unresolved,
		HoldLatency:     summarize(rec.total(opHold)),
		SellLatency:     summarize(rec.total(opSell)),
		ReleaseLatency:  summarize(rec.total(opRelease)),
		Timeline:        timeline,
		SoldOut:         true,
	}
	res.HoldsPerS = float64(res.Holds) / elapsed.Seconds()
	res.SellsPerS = float64(res.Sells) / elapsed.Seconds()
	for _, op := range []operation{opReadSeatMap, opReadHold} {
		if lat := summarize(rec.total(op)); lat.Count > 0 {
			res.Reads = append(res.Reads, ReadRate{
				Kind:    readKind(op, &cfg),
				PerS:    float64(lat.Count) / elapsed.Seconds(),
				Latency: lat,
			})
			res.ReadsPerS += float64(lat.Count) / elapsed.Seconds()
		}
	}
	ops := res.Holds + res.EmptyProbes + res.ConflictRetries + res.Sells + res.Releases
	for _, r := range res.Reads {
		ops += r.Latency.Count
	}
	res.CPU = cpuUsage(cpuBefore, cpuAfter, elapsed.Seconds(), ops)
	if res.CPU != nil && cpuErr != nil {
		res.CPU.MeterError = cpuErr.Error()
	}
	var soldOutAt time.Duration
	for _, w := range workers {
		if w.soldOutAt < 0 {
			res.SoldOut = false
		}
		soldOutAt = max(soldOutAt, w.soldOutAt)
	}
	if res.SoldOut {
		s := soldOutAt.Seconds()
		res.SoldOutS = &s
	}
	res.Check = Check(seatMap, venueSeats, acked, uncertainOrders)
	if unresolved > 0 && !res.Check.OK {
		res.Check.Detail += fmt.Sprintf(" (%d holds of unknown outcome may explain held seats)", unresolved)
	}
	return res, nil
}

// readKind names a kind of read in the report: "seatmap/stale",
// "seatmap-availability/linearizable", "seatmap-availability-stream/stale"
// (Config.ReadStream), "gethold/stale".
func readKind(op operation, cfg *Config) string {
	name := operationNames[op]
	if op == opReadSeatMap && cfg.SeatMapView != SeatMapViewFull {
		name += "-" + string(cfg.SeatMapView)
	}
	if op == opReadSeatMap && cfg.ReadStream {
		name += "-stream"
	}
	return name + "/" + string(cfg.ReadConsistency)
}

// worker is one client. Its request messages are reused from one operation
// to the next; only ids change.
type worker struct {
	id         int
	cfg        *Config
	inv        Inventory
	rec        *recorder
	rng        *rand.Rand
	picker     *sectionPicker
	sectionIDs []string
	idPrefix   string
	holder     string
	seq        int
	idBuf      []byte

	holdReq    boxofficev1.HoldRequest
	best       boxofficev1.HoldRequest_Best
	explicit   boxofficev1.HoldRequest_Seats
	sellReq    boxofficev1.SellRequest
	releaseReq boxofficev1.ReleaseRequest
	mapReq     boxofficev1.GetSeatMapRequest
	pickMapReq boxofficev1.GetSeatMapRequest
	getHoldReq boxofficev1.GetHoldRequest
	section    [1]string

	acked           []AckedSell
	soldOutAt       time.Duration // -1: stopped before the venue sold out
	uncertain       []proto.Message
	uncertainOrders []string
	unresolvedHolds int
	errorCount      int

	// callBound is how long the inventory lets a call made without a
	// deadline run (CallBounder), 0 if unbounded.
	callBound time.Duration
}

func newWorker(id int, cfg *Config, inv Inventory, rec *recorder, sectionIDs []string, nonce string) *worker {
	w := &worker{
		id:         id,
		cfg:        cfg,
		inv:        inv,
		rec:        rec,
		rng:        rand.New(rand.NewPCG(cfg.Seed, uint64(id)+1)),
		picker:     newSectionPicker(len(sectionIDs), cfg.ZipfExponent),
		sectionIDs: sectionIDs,
		idPrefix:   nonce + "-" + strconv.Itoa(id) + "-",
		holder:     "c" + strconv.Itoa(id),
		soldOutAt:  -1,
	}
	if b, ok := inv.(CallBounder); ok {
		w.callBound = b.RetryTimeout()
	}
	consistency := boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE
	if cfg.ReadConsistency == ConsistencyStale {
		consistency = boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE
	}
	w.holdReq = boxofficev1.HoldRequest{EventId: cfg.EventID, Holder: w.holder}
	w.best.Best = &boxofficev1.BestAvailable{Quantity: uint32(cfg.HoldSize)}
	w.explicit.Seats = &boxofficev1.SeatList{}
	w.sellReq = boxofficev1.SellRequest{EventId: cfg.EventID, Holder: w.holder, Buyer: "bench-" + w.holder}
	w.releaseReq = boxofficev1.ReleaseRequest{EventId: cfg.EventID, Holder: w.holder}
	w.mapReq = boxofficev1.GetSeatMapRequest{EventId: cfg.EventID, Consistency: consistency, SectionIds: w.section[:],
		View: cfg.SeatMapView.proto()}
	w.pickMapReq = boxofficev1.GetSeatMapRequest{EventId: cfg.EventID,
		Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE, SectionIds: w.section[:]}
	w.getHoldReq = boxofficev1.GetHoldRequest{EventId: cfg.EventID, Consistency: consistency}
	return w
}

// nextID returns a request id unique within the run: nonce-client-seq-kind.
func (w *worker) nextID(kind byte) string {
	w.seq++
	w.idBuf = append(w.idBuf[:0], w.idPrefix...)
	w.idBuf = strconv.AppendInt(w.idBuf, int64(w.seq), 10)
	w.idBuf = append(w.idBuf, '-', kind)
	return string(w.idBuf)
}

func (w *worker) fail(err error) {
	w.errorCount++
	w.rec.fail(fmt.Errorf("client %d: %w", w.id, err))
}

// run is the client loop of OSW-1, or of the read-only workload.
func (w *worker) run(ctx context.Context, start, deadline time.Time) {
	// Each operation's deadline registers with this worker's own context,
	// not with the run's, which every worker would otherwise contend for.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if w.cfg.ReadOnly {
		w.runReads(ctx, deadline)
		return
	}
	for ctx.Err() == nil && time.Now().Before(deadline) && w.errorCount < errorsPerClientMax {
		sec := w.picker.pick(w.rng)
		if sec < 0 {
			w.soldOutAt = time.Since(start)
			return
		}
		w.section[0] = w.sectionIDs[sec]
		for range w.cfg.SeatMapReads {
			w.readSeatMap(ctx)
		}

		began := time.Now()
		var hold *boxofficev1.HoldResponse
		var outcome holdOutcome
		if w.cfg.ExplicitSeats {
			hold, outcome = w.holdExplicit(ctx, sec, deadline)
		} else {
			hold, outcome = w.holdBest(ctx, sec)
		}
		switch outcome {
		case holdExhausted:
			w.rec.emptyProbes.Add(1)
			w.picker.markExhausted(sec)
			continue
		case holdAbandoned:
			w.rec.abandoned.Add(1)
			return
		case holdFailed:
			continue
		}
		w.rec.record(w.id, opHold, time.Since(began))
		if err := w.checkHold(hold, sec); err != nil {
			w.fail(err)
		}

		for range w.cfg.HoldReads {
			w.readHold(ctx, hold.GetHoldId())
		}
		w.finish(ctx, hold)
	}
}

// finish sells or releases a hold, even if the run was interrupted
// meanwhile, so that nothing is left held.
func (w *worker) finish(ctx context.Context, hold *boxofficev1.HoldResponse) {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), finishGrace)
		defer cancel()
	}
	if w.rng.Float64() < w.cfg.SellRatio {
		w.sell(ctx, hold)
	} else {
		w.release(ctx, hold.GetHoldId())
	}
}

type holdOutcome int

const (
	holdOK        holdOutcome = iota
	holdExhausted             // no HoldSize adjacent seats left in the section
	holdAbandoned             // conflict retries given up at the time limit
	holdFailed                // an error, already counted
)

func (w *worker) holdBest(ctx context.Context, sec int) (*boxofficev1.HoldResponse, holdOutcome) {
	w.holdReq.RequestId = w.nextID('h')
	w.best.Best.SectionId = w.sectionIDs[sec]
	w.holdReq.Selection = &w.best
	return w.hold(ctx)
}

// holdExplicit reads the section's seat map (STALE), picks the best run of
// seats it shows available and holds them by id; on a conflict it reads
// again and retries, but starts no retry after deadline.
func (w *worker) holdExplicit(ctx context.Context, sec int, deadline time.Time) (*boxofficev1.HoldResponse, holdOutcome) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && (!time.Now().Before(deadline) || ctx.Err() != nil) {
			return nil, holdAbandoned
		}
		var seatMap *boxofficev1.SeatMap
		err := w.call(ctx, func(ctx context.Context) error {
			var err error
			seatMap, err = w.inv.GetSeatMap(ctx, &w.pickMapReq)
			return err
		})
		if err != nil {
			w.fail(fmt.Errorf("seat map for an explicit hold: %w", err))
			return nil, holdFailed
		}
		w.explicit.Seats.SeatIds = bestRun(seatMap, w.cfg.HoldSize, w.explicit.Seats.SeatIds[:0])
		if len(w.explicit.Seats.SeatIds) == 0 {
			return nil, holdExhausted
		}
		w.holdReq.RequestId = w.nextID('h')
		w.holdReq.Selection = &w.explicit
		hold, outcome := w.hold(ctx)
		if outcome != holdExhausted {
			return hold, outcome
		}
		// hold reports SEAT_UNAVAILABLE as holdExhausted: a conflict here.
		w.rec.conflicts.Add(1)
	}
}

// hold sends w.holdReq. A refusal for want of seats (NOT_ENOUGH_SEATS, or
// SEAT_UNAVAILABLE for explicit seats) is holdExhausted.
func (w *worker) hold(ctx context.Context) (*boxofficev1.HoldResponse, holdOutcome) {
	var hold *boxofficev1.HoldResponse
	err := w.call(ctx, func(ctx context.Context) error {
		var err error
		hold, err = w.inv.Hold(ctx, &w.holdReq)
		return err
	})
	switch {
	case err == nil:
		return hold, holdOK
	case hasReason(err, codes.ResourceExhausted, boxofficev1.ReasonNotEnoughSeats), hasReason(err, codes.Aborted, boxofficev1.ReasonSeatUnavailable):
		return nil, holdExhausted
	case unknownOutcome(err):
		// It may have applied: ask again with the same request id at the end.
		w.uncertain = append(w.uncertain, proto.Clone(&w.holdReq))
	}
	w.fail(fmt.Errorf("hold %s: %w", w.holdReq.GetRequestId(), err))
	return nil, holdFailed
}

// checkHold asserts what a hold must look like: HoldSize seats of the
// section asked for.
func (w *worker) checkHold(hold *boxofficev1.HoldResponse, sec int) error {
	if len(hold.GetSeatIds()) != w.cfg.HoldSize {
		return fmt.Errorf("hold %s has %d seats, asked for %d", hold.GetHoldId(), len(hold.GetSeatIds()), w.cfg.HoldSize)
	}
	for _, id := range hold.GetSeatIds() {
		if !strings.HasPrefix(id, w.sectionIDs[sec]) || len(id) <= len(w.sectionIDs[sec]) || id[len(w.sectionIDs[sec])] != '-' {
			return fmt.Errorf("hold %s has seat %s outside section %s", hold.GetHoldId(), id, w.sectionIDs[sec])
		}
	}
	return nil
}

func (w *worker) sell(ctx context.Context, hold *boxofficev1.HoldResponse) {
	w.sellReq.RequestId = w.nextID('s')
	w.sellReq.HoldId = hold.GetHoldId()
	w.sellReq.OrderId = w.sellReq.RequestId[:len(w.sellReq.RequestId)-2] // the id without its kind
	began := time.Now()
	err := w.call(ctx, func(ctx context.Context) error {
		_, err := w.inv.Sell(ctx, &w.sellReq)
		return err
	})
	switch {
	case err == nil:
		w.rec.record(w.id, opSell, time.Since(began))
		w.rec.seatsSold.Add(int64(len(hold.GetSeatIds())))
		w.acked = append(w.acked, AckedSell{OrderID: w.sellReq.OrderId, HoldID: hold.GetHoldId(), SeatIDs: hold.GetSeatIds()})
	case unknownOutcome(err):
		w.uncertain = append(w.uncertain, proto.Clone(&w.sellReq))
		w.fail(fmt.Errorf("sell of %s: %w", hold.GetHoldId(), err))
	default:
		w.fail(fmt.Errorf("sell of %s refused: %w", hold.GetHoldId(), err))
	}
}

func (w *worker) release(ctx context.Context, holdID string) {
	w.releaseReq.RequestId = w.nextID('r')
	w.releaseReq.HoldId = holdID
	began := time.Now()
	err := w.call(ctx, func(ctx context.Context) error {
		_, err := w.inv.Release(ctx, &w.releaseReq)
		return err
	})
	switch {
	case err == nil:
		w.rec.record(w.id, opRelease, time.Since(began))
	case unknownOutcome(err):
		w.uncertain = append(w.uncertain, proto.Clone(&w.releaseReq))
		w.fail(fmt.Errorf("release of %s: %w", holdID, err))
	default:
		w.fail(fmt.Errorf("release of %s refused: %w", holdID, err))
	}
}

// runReads is the client loop of the read-only workload: seat maps of
// Zipf-drawn sections, back to back, until the limit. Every section stays
// in the draw (nothing sells out).
func (w *worker) runReads(ctx context.Context, deadline time.Time) {
	for ctx.Err() == nil && time.Now().Before(deadline) && w.errorCount < errorsPerClientMax {
		w.section[0] = w.sectionIDs[w.picker.pick(w.rng)]
		w.readSeatMap(ctx)
	}
}

func (w *worker) readSeatMap(ctx context.Context) {
	began := time.Now()
	err := w.call(ctx, func(ctx context.Context) error {
		if w.cfg.ReadStream {
			_, err := w.inv.(StreamReader).ReadSeatMap(ctx, &w.mapReq)
			return err
		}
		_, err := w.inv.GetSeatMap(ctx, &w.mapReq)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			w.fail(fmt.Errorf("seat map read: %w", err))
		}
		return
	}
	w.rec.record(w.id, opReadSeatMap, time.Since(began))
}

func (w *worker) readHold(ctx context.Context, holdID string) {
	w.getHoldReq.HoldId = holdID
	began := time.Now()
	err := w.call(ctx, func(ctx context.Context) error {
		_, err := w.inv.GetHold(ctx, &w.getHoldReq)
		return err
	})
	switch {
	case err == nil:
		w.rec.record(w.id, opReadHold, time.Since(began))
	case status.Code(err) == codes.NotFound && w.getHoldReq.Consistency == boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE:
		// A replica that has not applied the hold yet: what STALE allows.
		w.rec.staleMisses.Add(1)
		w.rec.record(w.id, opReadHold, time.Since(began))
	case ctx.Err() == nil:
		w.fail(fmt.Errorf("hold read: %w", err))
	}
}

// resolve sends again, with the same request ids, the operations whose
// outcome never arrived; the cluster answers a repeated request with its
// first answer. A hold that turns out to have applied is released; a sell
// that applied is acknowledged. What still has no answer stays uncertain.
func (w *worker) resolve(ctx context.Context) {
	for _, msg := range w.uncertain {
		ctx, cancel := context.WithTimeout(ctx, w.cfg.OperationTimeout)
		switch req := msg.(type) {
		case *boxofficev1.HoldRequest:
			var hold *boxofficev1.HoldResponse
			err := retryCall(ctx, func(ctx context.Context) error {
				var err error
				hold, err = w.inv.Hold(ctx, req)
				return err
			})
			switch {
			case err == nil:
				w.release(ctx, hold.GetHoldId())
			case unknownOutcome(err):
				w.unresolvedHolds++
			}
		case *boxofficev1.SellRequest:
			var sold *boxofficev1.SellResponse
			err := retryCall(ctx, func(ctx context.Context) error {
				var err error
				sold, err = w.inv.Sell(ctx, req)
				return err
			})
			switch {
			case err == nil:
				seats := make([]string, 0, len(sold.GetTickets()))
				for _, t := range sold.GetTickets() {
					seats = append(seats, t.GetSeatId())
				}
				w.acked = append(w.acked, AckedSell{OrderID: req.GetOrderId(), HoldID: req.GetHoldId(), SeatIDs: seats})
			case unknownOutcome(err):
				w.uncertainOrders = append(w.uncertainOrders, req.GetOrderId())
			}
		case *boxofficev1.ReleaseRequest:
			err := retryCall(ctx, func(ctx context.Context) error {
				_, err := w.inv.Release(ctx, req)
				return err
			})
			if unknownOutcome(err) {
				w.unresolvedHolds++
			}
		}
		cancel()
	}
	w.uncertain = nil
}

// call runs one operation with retries, bounded by OperationTimeout. When
// the inventory bounds a call made without a deadline by no more than that
// (CallBounder: the Go client's RetryTimeout), the first attempt goes
// without a context of its own, and only a retry makes one, for the time
// left: a context with a deadline per operation (a runtime timer and a
// child registered with the worker's context) costs a third of the load
// generator's CPU per operation (CPU profile of a 256-client run).
func (w *worker) call(ctx context.Context, attempt func(ctx context.Context) error) error {
	deadline := time.Now().Add(w.cfg.OperationTimeout)
	if w.callBound <= 0 || w.callBound > w.cfg.OperationTimeout {
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		return retryCall(ctx, attempt)
	}
	err := attempt(ctx)
	if !worthRetrying(ctx, err) || !time.Now().Before(deadline) {
		return err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return retryAfter(ctx, attempt, err)
}

// retryCall repeats attempt while it fails in a way another attempt may
// fix (UNAVAILABLE, DEADLINE_EXCEEDED of the attempt, BUSY), with jittered
// exponential backoff, until ctx ends. Every attempt sends the same
// message, so a mutation applies at most once.
func retryCall(ctx context.Context, attempt func(ctx context.Context) error) error {
	return retryAfter(ctx, attempt, attempt(ctx))
}

// retryAfter is retryCall once a first attempt has failed with err.
func retryAfter(ctx context.Context, attempt func(ctx context.Context) error, err error) error {
	backoff := retryBackoffStart
	for {
		if !worthRetrying(ctx, err) {
			return err
		}
		timer := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		backoff = min(2*backoff, retryBackoffMax)
		err = attempt(ctx)
	}
}

// worthRetrying says whether an attempt that ended with err should be sent
// again: it failed with an unknown outcome and ctx has not ended.
func worthRetrying(ctx context.Context, err error) bool {
	return err != nil && unknownOutcome(err) && ctx.Err() == nil
}

// unknownOutcome says whether err leaves open whether a mutation applied,
// so that the same request is worth sending again.
func unknownOutcome(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return true
	case codes.ResourceExhausted:
		return hasReason(err, codes.ResourceExhausted, boxofficev1.ReasonBusy)
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// hasReason says whether err is a gRPC status with code and reason.
func hasReason(err error, code codes.Code, reason string) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == code && boxofficev1.ReasonOf(err) == reason
}

// bestRun appends to out the ids of the first n adjacent available seats
// of the seat map's first section, by lowest row then lowest number, or
// nothing if no row has n in a row. Seats are listed in number order.
func bestRun(seatMap *boxofficev1.SeatMap, n int, out []string) []string {
	for _, section := range seatMap.GetSections() {
		for _, row := range section.GetRows() {
			seats := row.GetSeats()
			runStart, runLength := 0, 0
			for i, seat := range seats {
				if seat.GetState() != boxofficev1.SeatState_SEAT_STATE_AVAILABLE ||
					(runLength > 0 && seat.GetNumber() != seats[i-1].GetNumber()+1) {
					runLength = 0
				}
				if seat.GetState() != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
					continue
				}
				if runLength == 0 {
					runStart = i
				}
				runLength++
				if runLength == n {
					for _, s := range seats[runStart : i+1] {
						out = append(out, s.GetSeatId())
					}
					return out
				}
			}
		}
		return out
	}
	return out
}

func randomHex(bytes int) string {
	b := make([]byte, bytes)
	_, _ = cryptorand.Read(b) // never fails (it crashes the program instead)
	return hex.EncodeToString(b)
}
