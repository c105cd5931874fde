// Boxoffice fork: a shutdown answers the futures of entries queued for the
// FSM (see FORK.md).

package raft

import (
	"testing"
	"time"
)

// TestShutdownAnswersQueuedApplies: entries committed and queued for a
// leader's FSM goroutine when Raft shuts down get ErrRaftShutdown (or
// their result, if the FSM took them first); none is left unanswered.
// Upstream's runFSM could return with batches still queued, and the
// callers of their futures' Error waited forever (a node that hung in
// shutdown while a group was killed under load).
func TestShutdownAnswersQueuedApplies(t *testing.T) {
	conf := inmemConfig(t)
	fsm := &gateFSM{MockFSM: &MockFSM{}}
	c := MakeClusterCustom(t, &MakeClusterOpts{
		Peers: 1, Bootstrap: true, Conf: conf,
		MakeFSMFunc: func() FSM { return fsm },
	})
	defer c.Close()
	leader := c.Leader()
	if err := leader.Apply([]byte("warm"), 0).Error(); err != nil {
		t.Fatal(err)
	}

	// The FSM blocks on the first entry; the others commit and queue.
	gate := make(chan struct{})
	fsm.close(gate)
	var futures []ApplyFuture
	for i := 0; i < 40; i++ {
		futures = append(futures, leader.Apply([]byte("queued"), 0))
		time.Sleep(time.Millisecond) // separate entries, separate batches
	}
	waitFor := time.Now().Add(10 * time.Second)
	for leader.CommitIndex() < futures[len(futures)-1].Index() && time.Now().Before(waitFor) {
		time.Sleep(time.Millisecond)
	}

	shutdown := make(chan error, 1)
	go func() { shutdown <- leader.Shutdown().Error() }()
	time.Sleep(50 * time.Millisecond) // let the shutdown begin while the FSM is blocked
	fsm.close(nil)
	close(gate)
	select {
	case err := <-shutdown:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return")
	}

	answered := make(chan struct{})
	go func() {
		for _, f := range futures {
			if err := f.Error(); err != nil && err != ErrRaftShutdown {
				t.Errorf("queued apply: %v, want nil or ErrRaftShutdown", err)
			}
		}
		close(answered)
	}()
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("after Shutdown returned, futures of committed entries are still unanswered")
	}
}
