// Boxoffice fork: tests of Config.NotifyCommit (see FORK.md).

package raft

import (
	"sync"
	"testing"
	"time"
)

// gateFSM blocks every Apply until its gate is opened.
type gateFSM struct {
	*MockFSM
	mu   sync.Mutex
	gate chan struct{}
}

func (f *gateFSM) Underlying() FSM { return f.MockFSM }

func (f *gateFSM) Apply(l *Log) interface{} {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return f.MockFSM.Apply(l)
}

func (f *gateFSM) close(gate chan struct{}) {
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()
}

// TestNotifyCommit: with NotifyCommit, Committed is closed while the
// leader's FSM is still blocked applying the entry (Error has not
// returned), and Error then returns the applied result; on a follower the
// refused future's Committed is closed too; without the option it is nil.
func TestNotifyCommit(t *testing.T) {
	conf := inmemConfig(t)
	conf.NotifyCommit = true
	var fsms []*gateFSM
	c := MakeClusterCustom(t, &MakeClusterOpts{
		Peers: 3, Bootstrap: true, Conf: conf,
		MakeFSMFunc: func() FSM {
			f := &gateFSM{MockFSM: &MockFSM{}}
			fsms = append(fsms, f)
			return f
		},
	})
	defer c.Close()
	var leader *Raft
	for deadline := time.Now().Add(10 * time.Second); leader == nil; {
		for _, r := range c.rafts {
			if r.State() == Leader {
				leader = r
			}
		}
		if leader == nil && time.Now().After(deadline) {
			t.Fatal("no leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := leader.Apply([]byte("warm"), 0).Error(); err != nil {
		t.Fatal(err)
	}

	gate := make(chan struct{})
	fsms[c.IndexOf(leader)].close(gate)
	future, ok := leader.Apply([]byte("gated"), 0).(CommitFuture)
	if !ok || future.Committed() == nil {
		t.Fatalf("Apply returned %T without a commit channel", future)
	}
	select {
	case <-future.Committed():
	case <-time.After(10 * time.Second):
		t.Fatal("Committed not closed while the FSM was still applying")
	}
	errc := make(chan error, 1)
	go func() { errc <- future.Error() }()
	select {
	case err := <-errc:
		t.Fatalf("Error returned (%v) before the FSM applied the entry", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(gate)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if future.Response() == nil {
		t.Fatal("no FSM response after Error")
	}

	for _, r := range c.rafts {
		if r == leader {
			continue
		}
		refused := r.Apply([]byte("refused"), 0).(CommitFuture)
		select {
		case <-refused.Committed():
		case <-time.After(5 * time.Second):
			t.Fatal("a refused future's Committed was not closed")
		}
		if err := refused.Error(); err != ErrNotLeader {
			t.Fatalf("a follower's Apply: %v, want ErrNotLeader", err)
		}
		break
	}

	conf2 := inmemConfig(t)
	c2 := MakeCluster(1, t, conf2)
	defer c2.Close()
	if f := c2.Leader().Apply([]byte("x"), 0).(CommitFuture); f.Committed() != nil {
		t.Fatal("Committed is not nil without NotifyCommit")
	}
}
