package node

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCommandContext: a command's context reports its deadline without
// making a timer; asked for Done or Err it ends at the deadline like a
// context.WithDeadline, and so does a context derived from it; it ends
// with the worker's context.
func TestCommandContext(t *testing.T) {
	worker, stop := context.WithCancel(context.Background())
	defer stop()

	deadline := time.Now().Add(50 * time.Millisecond)
	c := &commandContext{Context: worker, deadline: deadline}
	defer c.release()
	if d, ok := c.Deadline(); !ok || !d.Equal(deadline) {
		t.Fatalf("Deadline() = %v, %v; want %v", d, ok, deadline)
	}
	if c.timed() {
		t.Fatal("asking for the deadline made a timer")
	}
	derived, cancel := context.WithCancel(c) // a forward's attempt context
	defer cancel()
	if !c.timed() {
		t.Fatal("a derived context did not make the timer it needs")
	}
	select {
	case <-derived.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the derived context did not end at the deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(derived.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err() = %v, derived %v; want DeadlineExceeded", c.Err(), derived.Err())
	}

	// The worker's end ends it (the stream closed).
	c2 := &commandContext{Context: worker, deadline: time.Now().Add(time.Hour)}
	defer c2.release()
	stop()
	select {
	case <-c2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the command's context outlived its worker's")
	}
	if !errors.Is(c2.Err(), context.Canceled) {
		t.Fatalf("Err() = %v after the worker's end, want Canceled", c2.Err())
	}
}
