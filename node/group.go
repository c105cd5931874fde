package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// group is one Raft group hosted by this node: the meta group (catalog) or a
// data group (seat shards).
type group struct {
	id        string
	host      *Host
	raft      *raft.Raft
	transport *raft.NetworkTransport
	layer     *streamLayer
	snaps     raft.SnapshotStore // the group's snapshots, sealed with the node's keys

	store *fsm.Store // data groups; the meta group's state machine is Host.catalog

	// Proposals of a data group: a bounded queue drained by one proposer
	// goroutine into Raft entries, and a queue of in-flight entries whose
	// futures a second goroutine waits on in order.
	proposals chan *proposal
	inflight  chan inflightBatch
	// slots holds one token per entry in flight when
	// GroupConfig.ProposerWaitsForApply is set: waitLoop frees it after
	// apply. Otherwise (nil) the proposer itself waits for the commit of
	// its oldest entry in flight (raft.CommitFuture), before the leader
	// has applied it.
	slots chan struct{}

	// barrierTerm is the term in which this node, as leader, last
	// completed a Barrier: reads in that term need only VerifyLeader.
	barrierTerm atomic.Uint64
	barrierMu   sync.Mutex
	verify      verifyGate

	// seatViews caches the compact seat-map views of the group's shards
	// (seatview.go); data groups only.
	seatViews seatViewCache

	// applied counts the commands this replica's state machine applied
	// (dataFSM.Apply: one atomic add per entry); commandRate turns it into
	// recent commands per second (sampleLoop). Every replica applies every
	// command, so a follower's rate is the group's rate too, and it does not
	// start again from zero when the leadership moves. Data groups only.
	applied     atomic.Uint64
	commandRate commandRate

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// proposal is one client command waiting for its result.
type proposal struct {
	cmd      *fsmpb.Command
	size     int
	done     chan proposalOutcome // buffered 1
	at       time.Time
	deadline time.Time // the caller's; zero: none. Past it, not proposed.
}

type proposalOutcome struct {
	result *fsmpb.Result
	err    error
}

type inflightBatch struct {
	future raft.ApplyFuture
	batch  []*proposal
	at     time.Time
}

// errNotLeader is returned when a group's leadership is needed here but
// another node (or nobody) holds it.
var errNotLeader = errors.New("not the leader of this group")

// openGroup creates or reopens a group's Raft instance. bootstrap lists the
// voters to bootstrap with when the group has no state on this node yet.
// logCacheEntries is how many recent log entries a group keeps in memory
// (raft.LogCache): the entries in flight and a follower a little behind.
// Small, because an entry can be up to BatchBytesMax; a follower further
// behind is served from the log store.
const logCacheEntries = 64

// raftConnBufferSize is each Raft connection's send or receive buffer.
const raftConnBufferSize = 32 << 10

func (h *Host) openGroup(id string, machine raft.FSM, bootstrap []raft.Server) (*group, error) {
	g := &group{id: id, host: h, stop: make(chan struct{})}
	logs, err := h.logDB.Group(id)
	if err != nil {
		return nil, fmt.Errorf("group %s: log store: %w", id, err)
	}
	snapDir := filepath.Join(h.cfg.DataDir, "snapshots", id)
	if err := os.MkdirAll(snapDir, dataDirMode); err != nil {
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	files, err := raft.NewFileSnapshotStoreWithLogger(snapDir, 2, h.hclog.Named("snapshot").With("group", id))
	if err != nil {
		return nil, fmt.Errorf("group %s: snapshot store: %w", id, err)
	}
	snaps := &sealedSnapshots{SnapshotStore: files, keys: h.keys}
	g.snaps = snaps
	g.layer = h.mux.register(id, h.dialer.dial)
	g.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  g.layer,
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  h.hclog.Named("transport").With("group", id),
		// Upstream's 256 KB per connection and direction was ~4 MB of
		// buffers on a node with a few groups; a batch entry is a few KB.
		ConnBufferSize: raftConnBufferSize,
	})

	gc := h.cfg.Group
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(h.cfg.NodeID)
	rc.HeartbeatTimeout = gc.HeartbeatTimeout
	rc.ElectionTimeout = gc.ElectionTimeout
	rc.LeaderLeaseTimeout = gc.LeaderLeaseTimeout
	rc.CommitTimeout = 5 * time.Millisecond
	rc.SnapshotThreshold = gc.SnapshotThreshold
	rc.SnapshotInterval = gc.SnapshotInterval
	rc.TrailingLogs = gc.TrailingLogs
	rc.MaxAppendEntries = 256
	rc.BatchApplyCh = true
	rc.Logger = h.hclog.Named("raft").With("group", id)

	hasState, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	// The cache serves recent entries to the replicators without a bbolt
	// read, and lets the leader replicate entries it is still writing.
	cached, err := raft.NewLogCache(logCacheEntries, logs)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	rc.LeaderWritesInParallel = !gc.SerialLeaderWrite
	rc.NotifyCommit = !gc.ProposerWaitsForApply
	if d, ok := machine.(*dataFSM); ok {
		d.applied = &g.applied
	}
	counted := &countingFSM{FSM: machine}
	if m := h.metrics; m != nil {
		counted.taken, counted.installed = m.snapshotsTaken.WithLabelValues(id), m.snapshotsInstalled.WithLabelValues(id)
	}
	r, err := raft.NewRaft(rc, counted, cached, logs, snaps, g.transport)
	if err != nil {
		_ = g.transport.Close()
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	// From here on, a Restore is a snapshot sent by a leader: the restore
	// of the group's own latest snapshot happens inside NewRaft.
	counted.running.Store(true)
	g.raft = r
	if !hasState && len(bootstrap) > 0 {
		err := r.BootstrapCluster(raft.Configuration{Servers: bootstrap}).Error()
		if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return nil, fmt.Errorf("group %s: bootstrap: %w", id, err)
		}
	}
	return g, nil
}

// startProposer starts the batching goroutines of a data group.
func (g *group) startProposer() {
	gc := g.host.cfg.Group
	g.proposals = make(chan *proposal, gc.ProposalQueueMax)
	// Entries committed but not yet applied wait here too when slots are
	// freed at commit; a full queue holds the proposer back.
	g.inflight = make(chan inflightBatch, gc.InflightEntriesMax+inflightAppliedMax)
	if gc.ProposerWaitsForApply {
		g.slots = make(chan struct{}, gc.InflightEntriesMax)
	}
	g.wg.Add(3)
	go g.proposeLoop()
	go g.waitLoop()
	go g.sampleLoop()
}

// commandRateInterval is how often a data group samples its applied
// commands, and commandRateWindow the time constant of the moving average
// over the samples: a rate follows a change of load within about a window.
const (
	commandRateInterval = 5 * time.Second
	commandRateWindow   = time.Minute
)

// commandRate is an exponentially weighted moving average of a counter's
// growth per second.
type commandRate struct {
	mu        sync.Mutex
	count     uint64    // the counter at the last sample
	at        time.Time // zero: no sample yet
	perSecond float64
}

// sample folds the counter's growth since the last sample into the
// average, weighing it by how long it took against commandRateWindow so
// that irregular samples average correctly; with fold false it only takes
// count and now as the start of the next interval.
func (r *commandRate) sample(count uint64, now time.Time, fold bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fold && !r.at.IsZero() && now.After(r.at) {
		elapsed := now.Sub(r.at)
		rate := float64(count-r.count) / elapsed.Seconds()
		weight := 1 - math.Exp(-elapsed.Seconds()/commandRateWindow.Seconds())
		r.perSecond += weight * (rate - r.perSecond)
	}
	r.count, r.at = count, now
}

func (r *commandRate) get() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.perSecond
}

// sampleLoop samples the group's applied commands every
// commandRateInterval until the group stops. An interval at either end of
// which the replica was catching up (applying more than moveCatchUpLagMax
// entries behind its log: replaying its log after a restart, or the
// entries after the snapshot a new replica installed) is left out: its
// burst of old commands is no measure of the group's load.
func (g *group) sampleLoop() {
	defer g.wg.Done()
	tick := time.NewTicker(commandRateInterval)
	defer tick.Stop()
	caughtUp := func() bool { return g.raft.AppliedIndex()+moveCatchUpLagMax >= g.raft.LastIndex() }
	wasCaughtUp := caughtUp()
	g.commandRate.sample(g.applied.Load(), time.Now(), false)
	for {
		select {
		case now := <-tick.C:
			isCaughtUp := caughtUp()
			g.commandRate.sample(g.applied.Load(), now, wasCaughtUp && isCaughtUp)
			wasCaughtUp = isCaughtUp
		case <-g.stop:
			return
		}
	}
}

// inflightAppliedMax bounds the entries of a group that are committed and
// still being applied while the proposer goes on.
const inflightAppliedMax = 64

// closedChan stands for the commit of an entry Raft refused at once.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// propose submits one command and waits for its result. It never waits for
// a batch to fill: the proposer takes whatever is queued when it is free.
func (g *group) propose(ctx context.Context, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	if g.raft.State() != raft.Leader {
		return nil, errNotLeader
	}
	if res := g.refuseHoldLocally(ctx, cmd); res != nil {
		return res, nil
	}
	p := &proposal{cmd: cmd, size: cmd.SizeVT(), done: make(chan proposalOutcome, 1), at: time.Now()}
	if p.size > g.host.cfg.Group.BatchBytesMax-64 {
		return nil, fmt.Errorf("%w: command of %d bytes exceeds the entry limit", ErrTooLarge, p.size)
	}
	// A command of a stream waits without a timer of its own (see
	// commandContext): on its stream's end, and on its deadline only
	// until the proposer takes it; in an entry, Raft answers it (commit,
	// leadership lost, shutdown).
	waitCtx := ctx
	if c, ok := ctx.(*commandContext); ok && !c.timed() {
		waitCtx = c.Context
	}
	p.deadline, _ = ctx.Deadline()
	select {
	case g.proposals <- p:
	default:
		return nil, ErrBusy
	}
	select {
	case out := <-p.done:
		return out.result, out.err
	case <-waitCtx.Done():
		return nil, waitCtx.Err()
	case <-g.stop:
		return nil, ErrShuttingDown
	}
}

// expired answers p with DEADLINE_EXCEEDED if its caller's deadline has
// passed: nobody waits for it, so it goes into no entry (and, never
// applied, may be sent again with its request id).
func (p *proposal) expired(now time.Time) bool {
	if p.deadline.IsZero() || now.Before(p.deadline) {
		return false
	}
	p.done <- proposalOutcome{err: context.DeadlineExceeded}
	return true
}

// refuseHoldLocally answers a best-available hold that the state machine
// would refuse (its sections have no fitting seats) without a log entry,
// or returns nil to replicate it. The answer is a read of "no seats", made
// linearizable like a seat read: after the leader's read barrier
// (linearizable), on state that includes every write acknowledged before
// the hold arrived. Any doubt — not leader, barrier failed, seats may be
// free — replicates the hold as usual.
func (g *group) refuseHoldLocally(ctx context.Context, cmd *fsmpb.Command) *fsmpb.Result {
	hold := cmd.GetHold()
	if g.store == nil || g.host.cfg.Group.ReplicateHoldRefusals || cmd.Type != fsmpb.CommandType_COMMAND_TYPE_HOLD {
		return nil
	}
	if !g.store.MayRefuseHold(hold) {
		return nil // seats may be free: the common case, decided without waiting
	}
	if err := g.linearizable(ctx); err != nil {
		return nil
	}
	res := g.store.RefuseHold(cmd.RequestId, g.host.now().UnixMilli(), hold)
	if res != nil && g.host.metrics != nil {
		g.host.metrics.holdsRefusedLocally.Inc()
	}
	return res
}

func (g *group) proposeLoop() {
	defer g.wg.Done()
	defer close(g.inflight)
	gc := g.host.cfg.Group
	m := g.host.metrics
	// The entries in flight, oldest first (without ProposerWaitsForApply):
	// their commit channels and how many commands each carries. Waiting
	// on them here rather than in a goroutine that frees a slot saves a
	// hand-off per entry between the commit and the next proposal (a
	// slot-freeing goroutine is one more wake-up on every entry's way back).
	var committing []<-chan struct{}
	var committingSizes []int // callers of each
	// answered is how many commands the entries committed since the last
	// proposal carried: their callers are about to have their answers,
	// and callers in a loop (a fan's hold then sell, a gateway's next
	// request) send again at once.
	answered := 0
	// acquire waits until fewer than InflightEntriesMax entries are in
	// flight; false: the group is stopping.
	acquire := func() bool {
		if g.slots != nil {
			select {
			case g.slots <- struct{}{}:
				return true
			case <-g.stop:
				return false
			}
		}
		for len(committing) >= gc.InflightEntriesMax {
			select {
			case <-committing[0]:
				answered += committingSizes[0]
				committing, committingSizes = committing[1:], committingSizes[1:]
			case <-g.stop:
				return false
			}
		}
		return true
	}
	propose := func(batch []*proposal) {
		m.batchCommands.Observe(float64(len(batch)))
		// Callers to expect back: not the leader's own sweeps.
		callers := 0
		for _, p := range batch {
			if p.cmd.Type != fsmpb.CommandType_COMMAND_TYPE_SWEEP {
				callers++
			}
		}
		if c := g.proposeBatch(batch); c != nil {
			committing = append(committing, c)
			committingSizes = append(committingSizes, callers)
		}
	}
	for {
		// Wait for a free slot first: while entries are in flight,
		// commands accumulate in the queue and share the next entry.
		if !acquire() {
			return
		}
		// Linger: expect the callers just answered back, plus what is
		// queued, and wait (bounded) until that many commands are here.
		// Without it, a closed loop of N callers splits into two halves
		// that alternate entries — the half answered by one entry comes
		// back while the next is already in flight — so each entry
		// carries N/2 and every caller waits for two commits per
		// command. Counted now, at the commit, before any answer has
		// gone out: a lone caller (expected <= 1) never waits.
		expected := answered + len(g.proposals)
		answered = 0
		var first *proposal
		for first == nil {
			select {
			case first = <-g.proposals:
				if first.expired(time.Now()) {
					first = nil
				}
			case <-g.stop:
				return
			}
		}
		var linger *time.Timer
		if gc.BatchLinger > 0 && expected > 1 {
			linger = time.NewTimer(gc.BatchLinger)
		}
		batch := []*proposal{first}
		size := first.size
	fill:
		for len(batch) < gc.BatchCommandsMax {
			var p *proposal
			select {
			case p = <-g.proposals:
			default:
				if linger == nil {
					break fill
				}
				if len(batch) >= expected {
					m.batchLinger.WithLabelValues("filled").Inc()
					break fill
				}
				select {
				case p = <-g.proposals:
				case <-linger.C:
					m.batchLinger.WithLabelValues("expired").Inc()
					linger = nil
					break fill
				case <-g.stop:
					for _, q := range batch {
						q.done <- proposalOutcome{err: ErrShuttingDown}
					}
					return
				}
			}
			if p.expired(time.Now()) {
				continue
			}
			if size+p.size > gc.BatchBytesMax-64 {
				// Put it at the head of the next entry (which needs a
				// slot of its own); stop lingering, the entry is full.
				propose(batch)
				if linger != nil {
					linger.Stop()
					linger = nil
				}
				if !acquire() {
					p.done <- proposalOutcome{err: ErrShuttingDown}
					return
				}
				answered = 0
				batch, size = []*proposal{p}, p.size
				continue
			}
			batch = append(batch, p)
			size += p.size
		}
		if linger != nil {
			linger.Stop()
		}
		propose(batch)
	}
}

// proposeBatch stamps the leader's time into every command, encodes the
// batch as one entry and hands the future to waitLoop. It returns the
// channel that closes when the entry is committed (or refused), nil with
// ProposerWaitsForApply.
func (g *group) proposeBatch(batch []*proposal) <-chan struct{} {
	now := g.host.now().UnixMilli()
	entry := &fsmpb.Batch{Commands: make([]*fsmpb.Command, len(batch))}
	for i, p := range batch {
		p.cmd.NowUnixMs = now
		entry.Commands[i] = p.cmd
	}
	data, err := entry.MarshalVT()
	if err != nil {
		panic(fmt.Sprintf("group %s: encoding a batch: %v", g.id, err))
	}
	f := g.raft.Apply(data, g.host.cfg.RequestTimeout)
	select {
	case g.inflight <- inflightBatch{future: f, batch: batch, at: time.Now()}:
	case <-g.stop:
		for _, p := range batch {
			p.done <- proposalOutcome{err: ErrShuttingDown}
		}
		return closedChan
	}
	if g.slots != nil {
		return nil
	}
	if cf, ok := f.(raft.CommitFuture); ok && cf.Committed() != nil {
		return cf.Committed()
	}
	return closedChan
}

func (g *group) waitLoop() {
	defer g.wg.Done()
	m := g.host.metrics
	for b := range g.inflight {
		err := b.future.Error()
		if g.slots != nil {
			<-g.slots
		}
		m.commitSeconds.Observe(time.Since(b.at).Seconds())
		if err != nil {
			err = leadershipError(err)
			for _, p := range b.batch {
				p.done <- proposalOutcome{err: err}
			}
			continue
		}
		results, ok := b.future.Response().([]*fsmpb.Result)
		if !ok || len(results) != len(b.batch) {
			panic(fmt.Sprintf("group %s: entry %d returned %T with %d results for %d commands",
				g.id, b.future.Index(), b.future.Response(), len(results), len(b.batch)))
		}
		for i, p := range b.batch {
			p.done <- proposalOutcome{result: results[i]}
		}
	}
}

// linearizable blocks until this node may serve a linearizable read of the
// group: it is the leader, has applied everything committed in earlier
// terms (one Barrier per term), and still holds leadership (VerifyLeader,
// shared by every read that arrived before the check began).
func (g *group) linearizable(ctx context.Context) error {
	if g.raft.State() != raft.Leader {
		return errNotLeader
	}
	if g.host.cfg.Testing.UnsafeReadsWithoutVerify {
		return nil
	}
	term := g.raft.CurrentTerm()
	if g.barrierTerm.Load() != term {
		g.barrierMu.Lock()
		if g.barrierTerm.Load() != term {
			timeout := g.host.cfg.RequestTimeout
			if deadline, ok := ctx.Deadline(); ok {
				timeout = time.Until(deadline)
			}
			if err := g.raft.Barrier(timeout).Error(); err != nil {
				g.barrierMu.Unlock()
				return leadershipError(err)
			}
			if g.raft.CurrentTerm() == term {
				g.barrierTerm.Store(term)
			}
		}
		g.barrierMu.Unlock()
	}
	return g.verify.wait(ctx, func() error { return leadershipError(g.raft.VerifyLeader().Error()) })
}

// leadershipError turns raft's "this replica cannot lead this request"
// errors into errNotLeader, which callers retry on the leader (the request
// id makes a retry of an entry that did commit harmless).
func leadershipError(err error) error {
	if isRaftNotLeader(err) {
		return errNotLeader
	}
	return err
}

// raftNotLeaderErrors are raft's answers for "not the leader now".
var raftNotLeaderErrors = []error{raft.ErrNotLeader, raft.ErrLeadershipLost,
	raft.ErrLeadershipTransferInProgress, raft.ErrEnqueueTimeout}

func isRaftNotLeader(err error) bool {
	for _, target := range raftNotLeaderErrors {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// leader returns the group's leader as this replica knows it.
func (g *group) leader() (addr string, id string) {
	a, i := g.raft.LeaderWithID()
	return string(a), string(i)
}

// shutdown stops the proposer and Raft. Safe to call twice.
func (g *group) shutdown() error {
	var err error
	g.stopOnce.Do(func() {
		close(g.stop)
		// Signal Raft to stop, then cut the group's connections: a
		// replication pipeline waiting on a peer that no longer answers
		// would otherwise keep Shutdown from returning. Nothing in Raft's
		// shutdown needs the network.
		f := g.raft.Shutdown()
		_ = g.transport.Close()
		g.layer.closeConns()
		err = f.Error()
		g.wg.Wait()
	})
	return err
}

// verifyGate lets concurrent reads share one leadership check: a read joins
// the next check that starts after it arrived, never one already running
// (that one may have been answered by followers before the read arrived).
// Checks run one at a time, back to back while reads keep coming, so under
// load a check serves every read that arrived during the previous one. A
// read costs a mutex and a wait on its round's channel; a round costs one
// allocation and one VerifyLeader, whatever the number of its reads.
type verifyGate struct {
	mu      sync.Mutex
	next    *verifyRound // the round arriving reads join; nil until one arrives
	running bool         // a loop goroutine is running rounds
}

// verifyRound is one leadership check and the reads waiting for it. err is
// written before done is closed.
type verifyRound struct {
	done    chan struct{}
	err     error
	readers int // reads that joined, under verifyGate.mu (for tests)
}

func (v *verifyGate) wait(ctx context.Context, check func() error) error {
	v.mu.Lock()
	round := v.next
	if round == nil {
		round = &verifyRound{done: make(chan struct{})}
		v.next = round
	}
	round.readers++
	if !v.running {
		v.running = true
		go v.loop(check)
	}
	v.mu.Unlock()
	select {
	case <-round.done:
		return round.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *verifyGate) loop(check func() error) {
	for {
		v.mu.Lock()
		round := v.next
		v.next = nil
		if round == nil {
			v.running = false
			v.mu.Unlock()
			return
		}
		v.mu.Unlock()
		round.err = check()
		close(round.done)
	}
}

// dataFSM adapts fsm.Store to raft.FSM and publishes every applied change.
type dataFSM struct {
	store     *fsm.Store
	onApplied func(results []*fsmpb.Result)
	applied   *atomic.Uint64 // the group's applied commands; nil: not counted
}

func (f *dataFSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	results := f.store.Apply(l.Index, l.Data)
	if f.applied != nil {
		f.applied.Add(uint64(len(results)))
	}
	if f.onApplied != nil {
		f.onApplied(results)
	}
	return results
}

func (f *dataFSM) Snapshot() (raft.FSMSnapshot, error) {
	return &dataSnapshot{snap: f.store.Snapshot()}, nil
}

func (f *dataFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.store.Restore(rc)
}

// countingFSM counts a group's snapshots (nodeMetrics.snapshotsTaken,
// snapshotsInstalled) around the group's state machine.
type countingFSM struct {
	raft.FSM
	taken, installed prometheus.Counter // nil: not counted
	running          atomic.Bool        // NewRaft has returned
}

func (f *countingFSM) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.FSM.Snapshot()
	if err != nil || f.taken == nil {
		return snap, err
	}
	return &countedSnapshot{FSMSnapshot: snap, taken: f.taken}, nil
}

func (f *countingFSM) Restore(rc io.ReadCloser) error {
	err := f.FSM.Restore(rc)
	if err == nil && f.installed != nil && f.running.Load() {
		f.installed.Inc()
	}
	return err
}

// countedSnapshot counts a snapshot once it is written whole.
type countedSnapshot struct {
	raft.FSMSnapshot
	taken prometheus.Counter
}

func (s *countedSnapshot) Persist(sink raft.SnapshotSink) error {
	err := s.FSMSnapshot.Persist(sink)
	if err == nil {
		s.taken.Inc()
	}
	return err
}

type dataSnapshot struct{ snap *fsm.Snapshot }

func (s *dataSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.snap.WriteTo(sink); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *dataSnapshot) Release() {}
