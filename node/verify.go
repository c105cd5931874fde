package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Gossip says who is up; it never says who someone is. A member with the
// gossip key can still claim any node id and advertise any addresses, so on
// a TLS cluster nothing a member says is acted on until the member has
// proven it: a TLS handshake to the peer address AND to the gRPC address it
// advertises, each answered with a certificate that chains to the CA, names
// the tls server name (server.boxoffice), has the node id as its common
// name and the role node as its organizational unit. Until then the node
// is not registered in the catalog and its addresses there do not change
// (metaLeaderDuties), it is not in the meta group's bootstrap
// configuration (maybeBootstrapMeta), it is not added to the meta group
// (reconcileMeta) nor to any data group (reconcileMembers), and no group
// is given to it (repairReplicas). Each of these asks memberProven.
//
// A proof is kept per node id and addresses, so it is made again when the
// addresses change. A failed proof is tried again after
// proofRetryInterval, doubling with each failure up to
// proofRetryIntervalMax, so a member that cannot prove itself costs a
// handshake or two now and then, and a real node whose ports were not up
// yet gets in on a later pass. A plaintext cluster has no certificates to
// check: everything passes, and the node says at start that gossip is
// unauthenticated.

// nodeRole is the organizational unit of a node certificate.
const nodeRole = "node"

const (
	// proofTimeout bounds one proof (both handshakes).
	proofTimeout = 2 * time.Second
	// proofRetryInterval is how long a first failed proof stands; each
	// further failure doubles it, up to proofRetryIntervalMax, so members
	// that never prove themselves (a blackholed address costs
	// proofTimeout) cannot keep the reconcile loop busy.
	proofRetryInterval    = time.Second
	proofRetryIntervalMax = 30 * time.Second
)

// errMemberUnproven: a member did not prove that it holds the node
// certificate of the id it claims at the addresses it advertises.
var errMemberUnproven = errors.New("member not proven")

// proofsMax bounds the proofs kept; past it the failed ones are dropped
// (they would be redone after proofRetryInterval anyway), then all.
const proofsMax = 4096

// proofKey names one node id at one pair of addresses. The catalog's
// addresses and those a member gossips are proven separately: while a
// member claims a registered node's id from other ports, both are asked
// about, and neither proof may replace the other.
type proofKey struct{ id, peerAddr, grpcAddr string }

// memberProof is the outcome of proving one proofKey.
type memberProof struct {
	err      error // nil: proven
	at       time.Time
	failures int // in a row
}

// retryAfter is when a failed proof may be tried again.
func (p memberProof) retryAfter() time.Time {
	return p.at.Add(min(proofRetryInterval<<min(p.failures-1, 5), proofRetryIntervalMax))
}

// memberVerifier proves members' addresses (see above).
type memberVerifier struct {
	tls     *tls.Config // the node's client config; nil: plaintext, nothing to prove
	source  *net.TCPAddr
	logger  *slog.Logger
	refused prometheus.Counter

	mu     sync.Mutex
	proofs map[proofKey]memberProof
}

func newMemberVerifier(h *Host) *memberVerifier {
	v := &memberVerifier{
		logger: h.logger,
		source: h.dialer.source,
		proofs: map[proofKey]memberProof{},
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "membership", Name: "proofs_refused_total",
			Help: "Gossip members whose advertised peer or gRPC address did not answer with the node certificate of the id they claim; they stay out of the catalog and every Raft configuration.",
		}),
	}
	if h.cfg.TLS != nil {
		v.tls = h.cfg.TLS.ClientTLS()
	}
	h.metrics.registry.MustRegister(v.refused, prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "boxoffice", Subsystem: "membership", Name: "gossip_ignored_total",
		Help: "Gossip updates ignored because the member's metadata named a node id other than its memberlist name.",
	}, func() float64 {
		if h.membership == nil {
			return 0
		}
		return float64(h.membership.IgnoredTotal())
	}))
	return v
}

// memberProven reports whether node id has proven that it answers at
// peerAddr and grpcAddr with its node certificate (always true on a
// plaintext cluster). Refusals are counted and logged once per id and
// addresses.
func (h *Host) memberProven(id, peerAddr, grpcAddr string) bool {
	return h.verifier.prove(h.ctx, id, peerAddr, grpcAddr) == nil
}

func (v *memberVerifier) prove(ctx context.Context, id, peerAddr, grpcAddr string) error {
	if v.tls == nil {
		return nil
	}
	if peerAddr == "" && grpcAddr == "" {
		// Listed by memberlist before its metadata arrived: nothing to
		// prove yet, nothing to report.
		return fmt.Errorf("%w: node %q has advertised no addresses yet", errMemberUnproven, id)
	}
	key := proofKey{id, peerAddr, grpcAddr}
	v.mu.Lock()
	last, tried := v.proofs[key]
	v.mu.Unlock()
	if tried && (last.err == nil || time.Now().Before(last.retryAfter())) {
		return last.err
	}
	ctx, cancel := context.WithTimeout(ctx, proofTimeout)
	defer cancel()
	err := v.handshake(ctx, id, peerAddr, "peer")
	if err == nil {
		err = v.handshake(ctx, id, grpcAddr, "gRPC")
	}
	if err != nil {
		err = fmt.Errorf("%w: node %q at peer %s, gRPC %s: %v", errMemberUnproven, id, peerAddr, grpcAddr, err)
	}
	v.mu.Lock()
	if len(v.proofs) >= proofsMax {
		maps.DeleteFunc(v.proofs, func(_ proofKey, p memberProof) bool { return p.err != nil })
		if len(v.proofs) >= proofsMax {
			clear(v.proofs)
		}
	}
	proof := memberProof{err: err, at: time.Now()}
	if err != nil {
		proof.failures = last.failures + 1
	}
	v.proofs[key] = proof
	v.mu.Unlock()
	if err != nil {
		v.refused.Inc()
		if !tried {
			v.logger.Warn("gossip member refused: it did not prove its node certificate at the addresses it advertises; it stays out of the catalog and the Raft groups",
				"peer", id, "peer_addr", peerAddr, "grpc", grpcAddr, "error", err)
		}
		return err
	}
	v.logger.Info("gossip member proven", "peer", id, "peer_addr", peerAddr, "grpc", grpcAddr)
	return nil
}

// handshake completes a TLS handshake with addr and checks that the server
// certificate is a node certificate for id. It sends nothing after the
// handshake: the peer port closes a connection without a header, the gRPC
// port one without a preface.
func (v *memberVerifier) handshake(ctx context.Context, id, addr, port string) error {
	if addr == "" {
		return fmt.Errorf("no %s address advertised", port)
	}
	cfg := v.tls.Clone()
	if port == "gRPC" {
		cfg.NextProtos = []string{"h2"}
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		leaf := cs.PeerCertificates[0] // verified against the CA and the server name by now
		if leaf.Subject.CommonName != id {
			return fmt.Errorf("certificate names %q, not %q", leaf.Subject.CommonName, id)
		}
		if !slices.Contains(leaf.Subject.OrganizationalUnit, nodeRole) {
			return fmt.Errorf("certificate of %q has roles %v, not %q", id, leaf.Subject.OrganizationalUnit, nodeRole)
		}
		return nil
	}
	dialer := &net.Dialer{}
	if v.source != nil {
		dialer.LocalAddr = v.source
	}
	conn, err := (&tls.Dialer{NetDialer: dialer, Config: cfg}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%s port: %w", port, err)
	}
	return conn.Close()
}
