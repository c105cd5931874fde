package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Raft's log lines reach the node's slog logger through raftLog, with
// the fields an operator filters on: node (from the node's logger), group,
// peer (the peer's node id, not its address, where raft names the peer),
// term where raft gives one, and component (raft's module: raft,
// transport, snapshot).
//
// ERROR means an operator must act. A peer that does not answer is not
// that: it is restarting, or down, and the membership and placement
// machinery deals with it. hashicorp/raft logs every failed heartbeat and
// append to such a peer at ERROR, several times a second per group; those
// lines become one WARN naming the peer, then at most one per
// peerReportInterval per peer and message whatever the group, carrying the
// count of the repeats it stood for (from every group). Raft's other ERROR lines (a log it cannot read or
// write, a snapshot it cannot take or restore) stay ERROR.

// peerReportInterval is the least time between two lines about one peer
// and one kind of failure.
const peerReportInterval = time.Minute

// peerReportsMax bounds the rate limiter's memory; past it the limiter
// forgets every peer (a cluster has far fewer peers times messages).
const peerReportsMax = 1024

// peerUnreachable lists raft's messages that say a peer did not answer.
var peerUnreachable = map[string]bool{
	"failed to contact":                                         true,
	"failed to appendEntries to":                                true,
	"failed to heartbeat to":                                    true,
	"failed to make requestVote RPC":                            true,
	"failed to start pipeline replication to":                   true,
	"failed to pipeline appendEntries":                          true,
	"failed to send snapshot to":                                true,
	"target does not support pre-vote RPC, treating as granted": true,
}

// leaderChange lists raft's messages that are the normal course of an
// election; they are INFO.
var leaderChange = map[string]bool{
	"peer has newer term, stopping replication":         true,
	"rejecting pre-vote request since we have a leader": true,
	"rejecting vote request since we have a leader":     true,
}

// connectionMessages lists raft transport messages that, when their error
// is a connection closed by this node's shutdown or by the peer's, are
// the normal end of a connection (DEBUG).
var connectionMessages = map[string]bool{
	"failed to decode incoming command": true,
	"failed to flush response":          true,
	"failed to accept connection":       true,
}

// connectionClosed reports whether err is a connection that was closed,
// by either side or by this node's transport shutting down, rather than a
// fault.
func connectionClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, raft.ErrTransportShutdown) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// leaderElected lists raft's INFO messages worth an INFO line: a group's
// new leader, with its term.
var leaderElected = map[string]bool{
	"election won": true,
}

// raftLog is the hclog sink that forwards raft's lines to slog.
type raftLog struct {
	logger  *slog.Logger
	now     func() time.Time
	resolve func(addr string) string // nil: addresses stay addresses

	mu      sync.Mutex
	names   map[string]string // peer address -> node id, learnt from raft's server values
	reports map[string]*peerReport
}

type peerReport struct {
	last       time.Time
	suppressed int
}

// newHCLogger routes hashicorp/raft's logs (warnings and errors only) to
// l. resolve names the node at a peer address ("" if unknown) for the
// lines where raft gives only the address.
func newHCLogger(l *slog.Logger, resolve func(addr string) string) hclog.Logger {
	sink := newRaftLog(l, time.Now)
	sink.resolve = resolve
	return newRaftLogger(sink)
}

// peerNodeID is the id of the catalog's node at peerAddr, or "".
func (h *Host) peerNodeID(peerAddr string) string {
	if h.catalog == nil { // no raft group runs before the catalog exists
		return ""
	}
	for _, n := range h.catalog.Export().GetNodes() {
		if n.GetPeerAddr() == peerAddr {
			return n.GetNodeId()
		}
	}
	return ""
}

func newRaftLog(l *slog.Logger, now func() time.Time) *raftLog {
	return &raftLog{logger: l, now: now, names: map[string]string{}, reports: map[string]*peerReport{}}
}

func newRaftLogger(sink *raftLog) hclog.Logger {
	// The logger itself writes nothing (level Off); the sink sees every
	// line and keeps those at WARN and above.
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "raft", Level: hclog.Off})
	l.RegisterSink(sink)
	return l
}

// Accept implements hclog.SinkAdapter.
func (s *raftLog) Accept(name string, level hclog.Level, msg string, args ...interface{}) {
	if level < hclog.Warn && !(level == hclog.Info && leaderElected[msg]) {
		return
	}
	slogLevel := slog.LevelWarn
	if level < hclog.Warn {
		slogLevel = slog.LevelInfo
	}
	if level >= hclog.Error {
		slogLevel = slog.LevelError
	}
	attrs := make([]slog.Attr, 0, len(args)/2+2)
	attrs = append(attrs, slog.String("component", name))
	peer := ""
	closed := false
	for i := 0; i+1 < len(args); i += 2 {
		key, _ := args[i].(string)
		if err, ok := args[i+1].(error); ok && key == "error" && connectionClosed(err) {
			closed = true
		}
		attr, isPeer := s.attr(key, args[i+1])
		if isPeer {
			peer = attr.Value.String()
		}
		attrs = append(attrs, attr)
	}
	switch {
	case closed && connectionMessages[msg]:
		slogLevel = slog.LevelDebug
	case leaderChange[msg]:
		slogLevel = slog.LevelInfo
	case peerUnreachable[msg]:
		slogLevel = slog.LevelWarn
		suppressed, ok := s.admit(peer, msg)
		if !ok {
			return
		}
		if suppressed > 0 {
			attrs = append(attrs, slog.Int("suppressed", suppressed))
		}
	}
	s.logger.LogAttrs(context.Background(), slogLevel, msg, attrs...)
}

// admit reports whether a line about peer and msg may be written now, and
// how many lines were held back since the last one.
func (s *raftLog) admit(peer, msg string) (int, bool) {
	key := peer + "\x00" + msg
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reports[key]
	if r == nil {
		if len(s.reports) >= peerReportsMax {
			clear(s.reports)
		}
		s.reports[key] = &peerReport{last: now}
		return 0, true
	}
	if now.Sub(r.last) < peerReportInterval {
		r.suppressed++
		return 0, false
	}
	suppressed := r.suppressed
	r.last, r.suppressed = now, 0
	return suppressed, true
}

// attr turns one of raft's key/value pairs into a slog field; true when
// it names the peer the line is about.
func (s *raftLog) attr(key string, value any) (slog.Attr, bool) {
	switch key {
	case "peer", "target", "server-id":
		switch v := value.(type) {
		case raft.Server:
			s.learn(v)
			return slog.String("peer", string(v.ID)), true
		case *raft.Server:
			if v != nil {
				s.learn(*v)
				return slog.String("peer", string(v.ID)), true
			}
		case raft.ServerID:
			return slog.String("peer", string(v)), true
		case raft.ServerAddress:
			return slog.String("peer", s.name(string(v))), true
		case string:
			return slog.String("peer", s.name(v)), true
		}
	case "from", "leader":
		// Other nodes raft names by address: by node id where known.
		switch v := value.(type) {
		case raft.ServerAddress:
			return slog.String(key, s.name(string(v))), false
		case string:
			return slog.String(key, s.name(v)), false
		}
	case "error":
		if err, ok := value.(error); ok {
			return slog.String("error", err.Error()), false
		}
	}
	key = strings.ReplaceAll(strings.ReplaceAll(key, " ", "_"), "-", "_")
	switch v := value.(type) {
	case hclog.Format:
		if len(v) > 0 {
			if format, ok := v[0].(string); ok {
				return slog.String(key, fmt.Sprintf(format, v[1:]...)), false
			}
		}
	case error:
		return slog.String(key, v.Error()), false
	case fmt.Stringer:
		return slog.String(key, v.String()), false
	}
	return slog.Any(key, value), false
}

func (s *raftLog) learn(server raft.Server) {
	if server.ID == "" || server.Address == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.names) >= peerReportsMax {
		clear(s.names)
	}
	s.names[string(server.Address)] = string(server.ID)
}

// name is the node id of the peer at addr, or addr when raft has not
// named it yet.
func (s *raftLog) name(addr string) string {
	s.mu.Lock()
	id, ok := s.names[addr]
	s.mu.Unlock()
	if ok {
		return id
	}
	if s.resolve != nil {
		if id := s.resolve(addr); id != "" {
			s.learn(raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(addr)})
			return id
		}
	}
	return addr
}

var _ hclog.SinkAdapter = (*raftLog)(nil)
