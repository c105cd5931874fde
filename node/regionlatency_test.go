package node

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
)

// stamped is one write: its sequence number and when it was written.
type stamped struct {
	seq  byte
	sent time.Time
}

// TestDelayedConnDelaysEachDirectionInOrder: every byte written on the
// delayed end arrives at the other end no sooner than the delay after it
// was written, every byte the other end writes is read on the delayed end
// no sooner than the delay after it was written, and order is kept.
func TestDelayedConnDelaysEachDirectionInOrder(t *testing.T) {
	const delay = 30 * time.Millisecond
	near, far := net.Pipe()
	conn := newDelayedConn(near, delay)
	defer conn.Close()
	defer far.Close()

	const writes = 20
	sent := make(chan stamped, writes)
	go func() {
		for i := range writes {
			sent <- stamped{seq: byte(i), sent: time.Now()}
			if _, err := conn.Write([]byte{byte(i)}); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	buf := make([]byte, 1)
	for i := range writes {
		if _, err := io.ReadFull(far, buf); err != nil {
			t.Fatal(err)
		}
		s := <-sent
		if buf[0] != s.seq || s.seq != byte(i) {
			t.Fatalf("byte %d is %d, want %d", i, buf[0], i)
		}
		if elapsed := time.Since(s.sent); elapsed < delay {
			t.Fatalf("write %d arrived after %s, want >= %s", i, elapsed, delay)
		}
	}

	// The other direction.
	go func() {
		for i := range writes {
			sent <- stamped{seq: byte(i), sent: time.Now()}
			if _, err := far.Write([]byte{byte(i)}); err != nil {
				t.Errorf("far write %d: %v", i, err)
				return
			}
		}
	}()
	for i := range writes {
		if _, err := io.ReadFull(conn, buf); err != nil {
			t.Fatal(err)
		}
		s := <-sent
		if buf[0] != byte(i) {
			t.Fatalf("read byte %d is %d", i, buf[0])
		}
		if elapsed := time.Since(s.sent); elapsed < delay {
			t.Fatalf("far write %d read after %s, want >= %s", i, elapsed, delay)
		}
	}
}

// TestDelayedConnWriteDoesNotWaitForTheDelay: a write returns once its
// bytes are queued, long before they are due.
func TestDelayedConnWriteDoesNotWaitForTheDelay(t *testing.T) {
	near, far := net.Pipe()
	conn := newDelayedConn(near, time.Hour)
	defer conn.Close()
	defer far.Close()
	done := make(chan error, 1)
	go func() {
		_, err := conn.Write(bytes.Repeat([]byte("x"), 3*delayChunkBytes))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write waited for its delay")
	}
}

// TestDelayedConnQueueIsBounded: with the far end not reading, writes
// stop being accepted once delayQueueChunks chunks are queued; a write
// deadline ends the wait, and Close unblocks a writer waiting for room.
func TestDelayedConnQueueIsBounded(t *testing.T) {
	near, far := net.Pipe()
	defer far.Close()
	conn := newDelayedConn(near, time.Hour)
	chunk := make([]byte, delayChunkBytes)
	for i := range delayQueueChunks {
		if err := conn.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(chunk); err != nil {
			t.Fatalf("write %d of %d: %v", i+1, delayQueueChunks, err)
		}
	}
	// The send loop may hold one more chunk, waiting for its due time.
	_ = conn.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	extra := 0
	var err error
	for ; extra < 3; extra++ {
		if _, err = conn.Write(chunk); err != nil {
			break
		}
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || extra > 1 {
		t.Fatalf("after %d chunks and %d more: %v, want a deadline error after at most one more", delayQueueChunks, extra, err)
	}

	_ = conn.SetWriteDeadline(time.Time{})
	blocked := make(chan error, 1)
	go func() {
		_, err := conn.Write(chunk)
		blocked <- err
	}()
	select {
	case err := <-blocked:
		t.Fatalf("a write into a full queue returned %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	_ = conn.Close()
	select {
	case err := <-blocked:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("the blocked write returned %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock a waiting write")
	}
}

// TestDelayedConnCloseAndDeadlinesUnblockRead: a Read waiting for bytes
// (or for bytes not yet due) ends at its deadline, and at Close.
func TestDelayedConnCloseAndDeadlinesUnblockRead(t *testing.T) {
	near, far := net.Pipe()
	defer far.Close()
	conn := newDelayedConn(near, time.Hour)
	buf := make([]byte, 8)

	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing arriving: %v, want deadline", err)
	}
	go func() { _, _ = far.Write([]byte("late")) }()
	_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read of bytes due in an hour: %v, want deadline", err)
	}

	_ = conn.SetReadDeadline(time.Time{})
	read := make(chan error, 1)
	go func() {
		_, err := conn.Read(buf)
		read <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the Read start waiting; Close must end it either way
	_ = conn.Close()
	select {
	case err := <-read:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock a waiting read")
	}
}

// TestDelayedConnReportsEndOfStream: bytes before the far end closed are
// read, then io.EOF, every time.
func TestDelayedConnReportsEndOfStream(t *testing.T) {
	near, far := net.Pipe()
	conn := newDelayedConn(near, 5*time.Millisecond)
	defer conn.Close()
	go func() {
		_, _ = far.Write([]byte("bye"))
		_ = far.Close()
	}()
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read %q, %v; want \"bye\"", got, err)
	}
	if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after the end: %v, want io.EOF", err)
	}
}

func TestParseRegionLatencies(t *testing.T) {
	table, err := ParseRegionLatencies("eu=us:40ms,eu=ap:75ms,us=ap:120ms")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatRegionLatencies(table); got != "eu=us:40ms,eu=ap:75ms,us=ap:120ms" {
		t.Fatalf("round trip: %q", got)
	}
	for _, tc := range []struct{ text, want string }{
		{"eu=us", `entry 1 "eu=us": want region=region:latency`},
		{"eu:40ms", `entry 1 "eu:40ms": want region=region:latency`},
		{"eu=us:soon", `entry 1 "eu=us:soon": latency "soon": not a duration`},
		{"eu=eu:40ms", `entry 1 "eu=eu:40ms": a region has no latency to itself`},
		{"eu=us:0s", `entry 1 "eu=us:0s": latency 0s: must be 1ms..2s`},
		{"eu=us:3s", `latency 3s: must be 1ms..2s`},
		{"eu=us:-5ms", `latency -5ms: must be 1ms..2s`},
		{"eu=us:40ms,us=eu:50ms", `entry 2 "us=eu:50ms": the pair us, eu is given twice`},
		{"=us:40ms", `entry 1 "=us:40ms": region ""`},
		{"eu west=us:40ms", `region "eu west"`},
	} {
		if _, err := ParseRegionLatencies(tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestConfigRefusesRegionLatencyWithoutLocality(t *testing.T) {
	cfg := Config{NodeID: "n1", DataDir: t.TempDir(), Plaintext: true,
		Testing: TestingConfig{RegionLatency: []RegionLatency{{A: "eu", B: "us", OneWay: 40 * time.Millisecond}}}}.WithDefaults()
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), `Testing.RegionLatency = "eu=us:40ms": needs a Locality`) {
		t.Fatalf("Validate: %v", err)
	}
	cfg.Locality = cluster.Locality{{Key: "region", Value: "eu"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Testing.RegionLatency[0].OneWay = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `Testing.RegionLatency = "eu=us:0s": entry 1 "eu=us:0s": latency 0s`) {
		t.Fatalf("Validate: %v", err)
	}
}
