// Boxoffice fork: tests of Config.LeaderWritesInParallel (see FORK.md).

package raft

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultyLogs is a log store whose writes can be slowed or failed, and which
// records the highest index it has stored.
type faultyLogs struct {
	LogStore
	mu      sync.Mutex
	delay   time.Duration
	fail    bool
	durable atomic.Uint64
}

var errInjected = errors.New("injected log write failure")

func (f *faultyLogs) StoreLog(l *Log) error { return f.StoreLogs([]*Log{l}) }

func (f *faultyLogs) StoreLogs(logs []*Log) error {
	f.mu.Lock()
	delay, fail := f.delay, f.fail
	f.mu.Unlock()
	time.Sleep(delay)
	if fail {
		return errInjected
	}
	if err := f.LogStore.StoreLogs(logs); err != nil {
		return err
	}
	if n := len(logs); n > 0 {
		f.durable.Store(logs[n-1].Index)
	}
	return nil
}

func (f *faultyLogs) set(delay time.Duration, fail bool) {
	f.mu.Lock()
	f.delay, f.fail = delay, fail
	f.mu.Unlock()
}

// orderedFSM flags any entry applied before its replica's own log store
// returned from writing it.
type orderedFSM struct {
	*MockFSM
	logs       atomic.Pointer[faultyLogs]
	violations atomic.Int64
}

func (f *orderedFSM) Underlying() FSM { return f.MockFSM }

func (f *orderedFSM) Apply(l *Log) interface{} {
	if s := f.logs.Load(); s != nil && l.Index > s.durable.Load() {
		f.violations.Add(1)
	}
	return f.MockFSM.Apply(l)
}

type parallelCluster struct {
	*cluster
	logs []*faultyLogs
	fsms []*orderedFSM
}

func makeParallelCluster(t *testing.T) *parallelCluster {
	conf := inmemConfig(t)
	conf.LeaderWritesInParallel = true
	pc := &parallelCluster{logs: make([]*faultyLogs, 3)}
	pc.cluster = MakeClusterCustom(t, &MakeClusterOpts{
		Peers: 3, Bootstrap: true, Conf: conf,
		MakeFSMFunc: func() FSM {
			f := &orderedFSM{MockFSM: &MockFSM{}}
			pc.fsms = append(pc.fsms, f)
			return f
		},
		WrapLogs: func(i int, logs LogStore) LogStore {
			f := &faultyLogs{LogStore: logs}
			pc.logs[i] = f
			pc.fsms[i].logs.Store(f)
			cache, err := NewLogCache(64, f)
			if err != nil {
				t.Fatal(err)
			}
			return cache
		},
	})
	return pc
}

// leader waits for a node to lead (the harness's Leader() gives up after a
// tenth of a second, too soon on a loaded machine).
func (pc *parallelCluster) leader(t *testing.T) *Raft {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		for _, r := range pc.rafts {
			if r.State() == Leader {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// applied is how many entries peer i's FSM has applied.
func (pc *parallelCluster) applied(i int) int {
	m := getMockFSM(pc.fsms[i])
	m.Lock()
	defer m.Unlock()
	return len(m.logs)
}

func (pc *parallelCluster) checkOrder(t *testing.T) {
	t.Helper()
	for i, f := range pc.fsms {
		if n := f.violations.Load(); n > 0 {
			t.Errorf("peer %d applied %d entries before its own log write returned", i, n)
		}
	}
}

func applyAll(t *testing.T, r *Raft, from, to int) {
	t.Helper()
	var futures []ApplyFuture
	for i := from; i < to; i++ {
		futures = append(futures, r.Apply([]byte(fmt.Sprintf("entry %d", i)), 0))
	}
	for _, f := range futures {
		if err := f.Error(); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
}

func TestParallelLeaderWrite_Converges(t *testing.T) {
	pc := makeParallelCluster(t)
	defer pc.Close()
	applyAll(t, pc.leader(t), 0, 500)
	pc.WaitForReplication(500)
	pc.EnsureSame(t)
	pc.checkOrder(t)
}

// While the leader's write of an entry is still running, its followers
// already have the entry on disk (upstream raft sends it only after the
// leader's write), and the leader has not applied it.
func TestParallelLeaderWrite_FollowersWriteWhileLeaderWrites(t *testing.T) {
	pc := makeParallelCluster(t)
	defer pc.Close()
	leader := pc.leader(t)
	applyAll(t, leader, 0, 10)
	li := pc.IndexOf(leader)
	pc.logs[li].set(500*time.Millisecond, false)
	before := leader.LastIndex()
	future := leader.Apply([]byte("slow"), 0)
	// The last index moves as soon as the entry is staged, before the write.
	var index uint64
	for deadline := time.Now().Add(5 * time.Second); index == 0; {
		if last := leader.LastIndex(); last > before {
			index = last
		}
		if time.Now().After(deadline) {
			t.Fatal("the leader never staged the entry")
		}
		time.Sleep(time.Millisecond)
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		stored := 0
		for i, l := range pc.logs {
			if i != li && l.durable.Load() >= index {
				stored++
			}
		}
		if stored == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("followers did not store the entry while the leader was writing it")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := pc.logs[li].durable.Load(); d >= index {
		t.Fatalf("the leader's slow write already returned (durable %d, entry %d); the test proves nothing", d, index)
	}
	if n := pc.applied(li); n > 10 {
		t.Fatalf("the leader applied %d entries before its own write of entry %d returned", n, index)
	}
	if err := future.Error(); err != nil {
		t.Fatal(err)
	}
	pc.logs[li].set(0, false)
	pc.WaitForReplication(11)
	pc.EnsureSame(t)
	pc.checkOrder(t)
}

// A leader whose own write fails answers the error, forgets the staged
// entries, steps down, and the cluster goes on with identical replicas.
func TestParallelLeaderWrite_FailedWriteStepsDown(t *testing.T) {
	pc := makeParallelCluster(t)
	defer pc.Close()
	leader := pc.leader(t)
	applyAll(t, leader, 0, 10)
	li := pc.IndexOf(leader)
	pc.logs[li].set(0, true)
	if err := leader.Apply([]byte("doomed"), 0).Error(); err == nil {
		t.Fatal("apply succeeded although the leader's log write failed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for leader.State() == Leader {
		if time.Now().After(deadline) {
			t.Fatal("the leader did not step down after its log write failed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	pc.logs[li].set(0, false)
	start := time.Now()
	// The failed entry may still commit through the followers, which had it;
	// either way every replica must end with the same log.
	// Ten more entries through whichever node leads (leadership may move
	// while the old leader rejoins; a retried entry may apply twice, which
	// the MockFSM does not mind).
	for i := 10; i < 20; {
		var err error = ErrNotLeader
		for _, r := range pc.rafts {
			if r.State() == Leader {
				err = r.Apply([]byte(fmt.Sprintf("entry %d", i)), time.Second).Error()
				break
			}
		}
		if err == nil {
			i++
			continue
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("no progress after the failed write: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var want int
	for _, r := range pc.rafts {
		if r.State() == Leader && r.Barrier(time.Second).Error() == nil {
			want = pc.applied(pc.IndexOf(r))
		}
	}
	if want < 20 {
		t.Fatalf("the leader applied %d entries, want at least 20", want)
	}
	pc.WaitForReplication(want)
	pc.EnsureSame(t)
	pc.checkOrder(t)
}

// chanPipeline is an AppendPipeline whose responses the test delivers.
type chanPipeline struct{ done chan AppendFuture }

func (p *chanPipeline) AppendEntries(*AppendEntriesRequest, *AppendEntriesResponse) (AppendFuture, error) {
	return nil, errors.New("not used")
}
func (p *chanPipeline) Consumer() <-chan AppendFuture { return p.done }
func (p *chanPipeline) Close() error                  { return nil }

// After a refused AppendEntries the decoder must stop the sender and keep
// reading responses. Upstream it returned: the transport's decoder then
// blocked on the unread response channel, the sender blocked on the full
// in-flight channel inside AppendEntries, the follower got heartbeats but
// never another entry, and Raft.Shutdown waited for the sender forever
// (seen in Boxoffice as nodes that ignored SIGTERM; hashicorp/raft#612
// shows the same symptom). Boxoffice fork, see FORK.md.
func TestPipelineDecodeKeepsReadingAfterRefusal(t *testing.T) {
	for _, tt := range []struct {
		name string
		resp AppendEntriesResponse
	}{
		{"refused", AppendEntriesResponse{Term: 1, Success: false}},
		{"newer term", AppendEntriesResponse{Term: 2, Success: false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Raft{logger: newTestLogger(t)}
			s := &followerReplication{peer: Server{ID: "f"}, stepDown: make(chan struct{}, 1)}
			p := &chanPipeline{done: make(chan AppendFuture)}
			stopCh, finishCh, exited := make(chan struct{}), make(chan struct{}), make(chan struct{})
			go func() {
				r.pipelineDecode(s, p, stopCh, finishCh)
				close(exited)
			}()
			deliver := func(resp AppendEntriesResponse) {
				t.Helper()
				f := &appendFuture{start: time.Now(), args: &AppendEntriesRequest{Term: 1}, resp: &resp}
				f.init()
				f.respond(nil)
				select {
				case p.done <- f:
				case <-time.After(10 * time.Second):
					t.Fatal("the decoder stopped reading responses, so the transport's decoder and the sender would block")
				}
			}
			deliver(AppendEntriesResponse{Term: 1, Success: true})
			deliver(tt.resp)
			select {
			case <-finishCh:
			case <-time.After(10 * time.Second):
				t.Fatal("the pipeline was not stopped")
			}
			for i := 0; i < 20; i++ {
				deliver(AppendEntriesResponse{Term: 1, Success: true})
			}
			close(stopCh)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatal("the decoder did not return after stopCh")
			}
		})
	}
}

// A "still leader" answer confirms only the leadership checks that were
// registered before its RPC was sent. Upstream counted any answer: a
// leader paused for seconds read, on resuming, answers its followers had
// sent before they moved to a newer term, counted them for a check it had
// just started and served a stale linearizable read (jepsen, long profile,
// seed 11). Boxoffice fork, see FORK.md.
func TestVerifyCountsOnlyAnswersToLaterRPCs(t *testing.T) {
	s := &followerReplication{notify: map[*verifyFuture]struct{}{}}
	sentBefore := time.Now()
	v := &verifyFuture{quorumSize: 2, votes: 1, registered: sentBefore.Add(time.Millisecond)}
	v.init()
	vCh := make(chan *verifyFuture, 1)
	v.notifyCh = vCh
	s.notify[v] = struct{}{}

	s.notifyAll(true, sentBefore) // an answer to an RPC sent before the check
	if v.votes != 1 {
		t.Fatalf("an answer to an RPC sent before the check counted: votes %d", v.votes)
	}
	if _, ok := s.notify[v]; !ok {
		t.Fatal("the check was dropped without a vote")
	}
	s.notifyAll(true, v.registered.Add(time.Millisecond)) // an RPC sent after
	if v.votes != 2 {
		t.Fatalf("an answer to an RPC sent after the check did not count: votes %d", v.votes)
	}
	select {
	case <-vCh:
	default:
		t.Fatal("quorum reached but the leader loop was not told")
	}

	w := &verifyFuture{quorumSize: 2, votes: 1, registered: time.Now()}
	w.init()
	wCh := make(chan *verifyFuture, 1)
	w.notifyCh = wCh
	s.notify[w] = struct{}{}
	s.notifyAll(false, time.Time{}) // "not leader" counts for every check
	select {
	case got := <-wCh:
		if got.votes != 1 {
			t.Fatalf("a refusal counted as a vote: %d", got.votes)
		}
	default:
		t.Fatal("a refusal did not reach the leader loop")
	}
}

// A leadership transfer whose target's replication goroutine does not take
// its request must still end when stopped (the transfer's timeout closes
// stopCh). Upstream blocked on the request forever, the timeout waited for
// it, leadershipTransferInProgress was never cleared and the leader refused
// every write with "leadership transfer in progress" (jepsen bug 4).
// Boxoffice fork, see FORK.md.
func TestLeadershipTransferEndsWhenStopped(t *testing.T) {
	r := &Raft{logger: newTestLogger(t)}
	repl := &followerReplication{triggerDeferErrorCh: make(chan *deferError)} // nobody reads it
	stopCh, doneCh := make(chan struct{}), make(chan error, 1)
	go r.leadershipTransfer("n2", "addr2", repl, stopCh, doneCh)
	time.Sleep(50 * time.Millisecond) // let it reach the request
	close(stopCh)
	select {
	case err := <-doneCh:
		if err != nil {
			t.Fatalf("stopped transfer answered %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the transfer did not end after stopCh was closed")
	}
}
