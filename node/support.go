package node

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/boxoffice/boxoffice/api/codec"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// peerClients keeps one gRPC connection per peer address.
type peerClients struct {
	dialer peerDialer
	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
}

func newPeerClients(d peerDialer) *peerClients {
	return &peerClients{dialer: d, conns: make(map[string]*grpc.ClientConn)}
}

func (p *peerClients) get(addr string) (nodepb.PeerClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[addr]; ok {
		return nodepb.NewPeerClient(c), nil
	}
	header := []byte{connKindPeer}
	c, err := grpc.NewClient("passthrough:///"+addr,
		// The dialer does TLS itself (the mux must read the header after
		// the handshake), so gRPC sees an already secured connection.
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return p.dialer.dial(ctx, a, header)
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.ForceCodecV2(codec.Server())),
	)
	if err != nil {
		return nil, err
	}
	p.conns[addr] = c
	return nodepb.NewPeerClient(c), nil
}

func (p *peerClients) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, c := range p.conns {
		_ = c.Close()
		delete(p.conns, addr)
	}
}

// unaryMetrics counts every client call by method and outcome and times it.
func (h *Host) unaryMetrics(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	h.observeCall(info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:], status.Code(err), start)
	return resp, err
}

// observeCall counts one call (a unary call, or one read or command of a
// stream) in the operations and request-seconds metrics.
func (h *Host) observeCall(method string, code codes.Code, began time.Time) {
	h.metrics.operations.WithLabelValues(method, code.String()).Inc()
	h.metrics.requestSecs.WithLabelValues(method).Observe(time.Since(began).Seconds())
}
