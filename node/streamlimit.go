package node

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// streamLimiter caps the streams one identity has open on the client gRPC
// port: Watch, ReadSeatMaps, Commands and every other streaming RPC. A
// stream lives as long as its client keeps it, and each costs the node a
// goroutine, transport buffers and, for a Watch, a place in the hub that
// every applied change visits; without a cap one client opened 5,000
// Watch streams on one connection and took a 3-node process from 56 MB to
// 804 MB, with elections in every group. Unary calls are bounded by
// their deadlines and the connection's concurrent streams
// (Config.StreamsPerConnectionMax), not here.
//
// The identity is the TLS client certificate's CommonName when the port
// uses TLS (the gateway's certificate, an operator's), else the remote IP
// (plaintext: the demo and tests), so the cap holds across connections.
// A stream over the cap is refused RESOURCE_EXHAUSTED with reason
// STREAM_LIMIT before its handler runs, and counted in
// boxoffice_api_streams_refused_total.
type streamLimiter struct {
	max     int
	refused *prometheus.CounterVec

	mu   sync.Mutex
	open map[string]int // by identity; absent when zero
}

func newStreamLimiter(max int, refused *prometheus.CounterVec) *streamLimiter {
	return &streamLimiter{max: max, refused: refused, open: make(map[string]int)}
}

// intercept is the grpc.StreamServerInterceptor of the client port.
func (l *streamLimiter) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	id := streamIdentity(ctx)
	if !l.acquire(id) {
		l.refused.WithLabelValues(info.FullMethod).Inc()
		return toStatus(ctx, fmt.Errorf("%w: %d streams are open for this client identity, the most a node allows (close one, or spread clients over nodes)", ErrStreamLimit, l.max))
	}
	defer l.release(id)
	return handler(srv, ss)
}

func (l *streamLimiter) acquire(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[id] >= l.max {
		return false
	}
	l.open[id]++
	return true
}

func (l *streamLimiter) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[id] <= 1 {
		delete(l.open, id)
		return
	}
	l.open[id]--
}

// streamIdentity names the caller of a stream: "cn:" and the verified
// client certificate's CommonName, or "ip:" and the remote address's IP.
func streamIdentity(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "unknown"
	}
	if tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(tlsInfo.State.VerifiedChains) > 0 {
		return "cn:" + tlsInfo.State.VerifiedChains[0][0].Subject.CommonName
	}
	if addr, ok := p.Addr.(*net.TCPAddr); ok {
		return "ip:" + addr.IP.String()
	}
	return "addr:" + p.Addr.String()
}
