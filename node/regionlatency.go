package node

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
)

// Simulated geography (testing only). TestingConfig.RegionLatency delays the
// peer traffic (Raft and peer RPCs) between nodes of different regions, so
// that one machine shows what a cluster spread over continents does: a
// commit waits for the nearest quorum, a lost region moves leaders.
//
// The node that dials a peer connection delays both directions of it: what
// it writes leaves after the pair's latency, and what it reads is handed to
// the reader that long after it arrived. Every connection has exactly one
// dialing end, so each direction of every connection is delayed once, and
// the round trip is twice the one-way latency as between real regions. The
// accepting end needs to know nothing. Gossip (memberlist) and the client
// port are not delayed.

// RegionLatency is the one-way latency between two regions (the first tier
// of a node's Locality) in either direction.
type RegionLatency struct {
	A, B   string
	OneWay time.Duration
}

// Limits of a region latency table.
const (
	regionLatencyMax      = 2 * time.Second
	regionLatencyPairsMax = 64
)

// ParseRegionLatencies reads "a=b:40ms,a=c:75ms": each pair of regions
// once (in either order), a latency of 1ms..2s each. The error names the
// entry at fault.
func ParseRegionLatencies(text string) ([]RegionLatency, error) {
	var table []RegionLatency
	for i, entry := range strings.Split(text, ",") {
		pair, latency, found := strings.Cut(entry, ":")
		a, b, paired := strings.Cut(pair, "=")
		if !found || !paired {
			return nil, fmt.Errorf("entry %d %q: want region=region:latency (eu-west=us-east:40ms)", i+1, entry)
		}
		d, err := time.ParseDuration(latency)
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: latency %q: not a duration such as 40ms", i+1, entry, latency)
		}
		table = append(table, RegionLatency{A: a, B: b, OneWay: d})
	}
	if err := validateRegionLatencies(table); err != nil {
		return nil, err
	}
	return table, nil
}

// FormatRegionLatencies is the text ParseRegionLatencies reads.
func FormatRegionLatencies(table []RegionLatency) string {
	parts := make([]string, len(table))
	for i, r := range table {
		parts[i] = fmt.Sprintf("%s=%s:%s", r.A, r.B, r.OneWay)
	}
	return strings.Join(parts, ",")
}

// validateRegionLatencies checks every entry: two distinct region names
// that could be a locality's value, a latency of 1ms..2s, each pair once,
// at most regionLatencyPairsMax pairs.
func validateRegionLatencies(table []RegionLatency) error {
	if len(table) > regionLatencyPairsMax {
		return fmt.Errorf("%d pairs: at most %d", len(table), regionLatencyPairsMax)
	}
	seen := map[[2]string]bool{}
	for i, r := range table {
		name := fmt.Sprintf("entry %d %q", i+1, FormatRegionLatencies([]RegionLatency{r}))
		for _, region := range []string{r.A, r.B} {
			if err := (cluster.Locality{{Key: "region", Value: region}}).Validate(); err != nil {
				return fmt.Errorf("%s: region %q: %s", name, region, strings.TrimPrefix(err.Error(), `tier 1 "region=`+region+`": `))
			}
		}
		if r.A == r.B {
			return fmt.Errorf("%s: a region has no latency to itself", name)
		}
		if r.OneWay < time.Millisecond || r.OneWay > regionLatencyMax {
			return fmt.Errorf("%s: latency %s: must be 1ms..%s", name, r.OneWay, regionLatencyMax)
		}
		key := [2]string{min(r.A, r.B), max(r.A, r.B)}
		if seen[key] {
			return fmt.Errorf("%s: the pair %s, %s is given twice", name, r.A, r.B)
		}
		seen[key] = true
	}
	return nil
}

// regionOf is the first tier's value of a locality, "" without one.
func regionOf(l cluster.Locality) string {
	if len(l) == 0 {
		return ""
	}
	return l[0].Value
}

// regionDelay returns the delay of a connection this node dials to the
// peer address addr: the table's latency between this node's region and
// the region the peer gossips, 0 if they share a region, the peer is not
// known (yet) or the table has no entry for the pair.
func (h *Host) regionDelay(addr string) time.Duration {
	local := regionOf(h.cfg.Locality)
	if local == "" || h.membership == nil {
		return 0
	}
	var remote string
	for _, m := range h.membership.Members() {
		if m.PeerAddr == addr {
			l, err := cluster.ParseLocality(m.Locality)
			if err == nil {
				remote = regionOf(l)
			}
			break
		}
	}
	if remote == "" || remote == local {
		return 0
	}
	i := slices.IndexFunc(h.cfg.Testing.RegionLatency, func(r RegionLatency) bool {
		return r.A == local && r.B == remote || r.A == remote && r.B == local
	})
	if i < 0 {
		return 0
	}
	return h.cfg.Testing.RegionLatency[i].OneWay
}

// delayQueueChunks bounds what a delayedConn holds in each direction:
// at most delayQueueChunks chunks of at most delayChunkBytes each (4 MiB).
// A writer that finds the queue full waits for room; a full read queue
// stops reading from the socket, so TCP pushes back on the sender.
const (
	delayQueueChunks = 64
	delayChunkBytes  = 64 << 10
)

// delayedChunk is bytes that may be delivered at due, not before.
type delayedChunk struct {
	data []byte
	due  time.Time
}

// delayedConn delays each direction of a connection by delay, in order:
// bytes written at t leave at t+delay, bytes that arrive at t can be read
// at t+delay. Write returns as soon as its bytes are queued. Deadlines are
// the wrapper's own (the socket has none), so they bound the waits of Read
// and Write as on any net.Conn. Close cuts the connection at once, like a
// severed cable: bytes still queued in either direction are lost.
type delayedConn struct {
	net.Conn
	delay time.Duration

	writes chan delayedChunk
	reads  chan delayedChunk
	done   chan struct{}
	closed sync.Once

	mu            sync.Mutex
	writeErr      error         // the first error writing to the socket
	readErr       error         // the socket's read error, after the queued bytes
	head          *delayedChunk // the chunk Read delivers next
	readDeadline  time.Time
	writeDeadline time.Time
	// deadlineMoved is closed (and replaced) when a deadline changes, to
	// wake a Read or Write waiting under the old one.
	deadlineMoved chan struct{}
}

func newDelayedConn(conn net.Conn, delay time.Duration) *delayedConn {
	c := &delayedConn{
		Conn:          conn,
		delay:         delay,
		writes:        make(chan delayedChunk, delayQueueChunks),
		reads:         make(chan delayedChunk, delayQueueChunks),
		done:          make(chan struct{}),
		deadlineMoved: make(chan struct{}),
	}
	go c.sendLoop()
	go c.receiveLoop()
	return c
}

// sendLoop writes each queued chunk to the socket once it is due.
func (c *delayedConn) sendLoop() {
	for {
		select {
		case <-c.done:
			return
		case chunk := <-c.writes:
			if !c.sleepUntil(chunk.due) {
				return
			}
			if _, err := c.Conn.Write(chunk.data); err != nil {
				c.mu.Lock()
				c.writeErr = err
				c.mu.Unlock()
				_ = c.Close()
				return
			}
		}
	}
}

// receiveLoop reads the socket and queues what arrives, stamped with the
// time it may be read.
func (c *delayedConn) receiveLoop() {
	for {
		buf := make([]byte, delayChunkBytes)
		n, err := c.Conn.Read(buf)
		if n > 0 {
			select {
			case c.reads <- delayedChunk{data: buf[:n], due: time.Now().Add(c.delay)}:
			case <-c.done:
				return
			}
		}
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			// A nil chunk after the data tells Read the stream ended.
			select {
			case c.reads <- delayedChunk{due: time.Now().Add(c.delay)}:
			case <-c.done:
			}
			return
		}
	}
}

// sleepUntil waits for t; false if the connection closed first.
func (c *delayedConn) sleepUntil(t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-c.done:
		return false
	}
}

// deadlineWait returns a channel that fires at deadline (nil: never) and
// the channel that says the deadline moved.
func (c *delayedConn) deadlineWait(read bool) (<-chan time.Time, <-chan struct{}, func()) {
	c.mu.Lock()
	deadline := c.writeDeadline
	if read {
		deadline = c.readDeadline
	}
	moved := c.deadlineMoved
	c.mu.Unlock()
	if deadline.IsZero() {
		return nil, moved, func() {}
	}
	timer := time.NewTimer(time.Until(deadline))
	return timer.C, moved, func() { timer.Stop() }
}

func (c *delayedConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		c.mu.Lock()
		err := c.writeErr
		c.mu.Unlock()
		if err != nil {
			return written, err
		}
		n := min(len(p)-written, delayChunkBytes)
		chunk := delayedChunk{data: slices.Clone(p[written : written+n]), due: time.Now().Add(c.delay)}
		if err := c.enqueueWrite(chunk); err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

func (c *delayedConn) enqueueWrite(chunk delayedChunk) error {
	for {
		select {
		case <-c.done:
			return net.ErrClosed
		default:
		}
		expired, moved, stop := c.deadlineWait(false)
		select {
		case c.writes <- chunk:
			stop()
			return nil
		case <-c.done:
			stop()
			return net.ErrClosed
		case <-expired:
			stop()
			return os.ErrDeadlineExceeded
		case <-moved:
			stop()
		}
	}
}

func (c *delayedConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		c.mu.Lock()
		head := c.head
		c.mu.Unlock()
		var due <-chan time.Time
		var stopDue func()
		if head == nil {
			// Wait for the next chunk to arrive.
		} else if wait := time.Until(head.due); wait > 0 {
			timer := time.NewTimer(wait)
			due, stopDue = timer.C, func() { timer.Stop() }
		} else {
			return c.take(p)
		}
		expired, moved, stop := c.deadlineWait(true)
		var arrived <-chan delayedChunk
		if head == nil {
			arrived = c.reads
		}
		select {
		case chunk := <-arrived:
			c.mu.Lock()
			c.head = &chunk
			c.mu.Unlock()
		case <-due:
		case <-c.done:
			stop()
			return 0, net.ErrClosed
		case <-expired:
			stop()
			if stopDue != nil {
				stopDue()
			}
			return 0, os.ErrDeadlineExceeded
		case <-moved:
		}
		stop()
		if stopDue != nil {
			stopDue()
		}
	}
}

// take copies the due head chunk into p; the rest stays the head. The
// chunk that marks the end of the stream stays too, so every later Read
// returns the socket's error.
func (c *delayedConn) take(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head.data == nil {
		return 0, c.readErr
	}
	n := copy(p, c.head.data)
	c.head.data = c.head.data[n:]
	if len(c.head.data) == 0 {
		c.head = nil
	}
	return n, nil
}

func (c *delayedConn) Close() error {
	err := net.ErrClosed
	c.closed.Do(func() {
		close(c.done)
		err = c.Conn.Close()
	})
	return err
}

func (c *delayedConn) SetDeadline(t time.Time) error {
	c.setDeadlines(&t, &t)
	return nil
}

func (c *delayedConn) SetReadDeadline(t time.Time) error {
	c.setDeadlines(&t, nil)
	return nil
}

func (c *delayedConn) SetWriteDeadline(t time.Time) error {
	c.setDeadlines(nil, &t)
	return nil
}

func (c *delayedConn) setDeadlines(read, write *time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if read != nil {
		c.readDeadline = *read
	}
	if write != nil {
		c.writeDeadline = *write
	}
	close(c.deadlineMoved)
	c.deadlineMoved = make(chan struct{})
}
