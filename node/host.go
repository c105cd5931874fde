package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/codec"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/internal/sealing"
	"github.com/boxoffice/boxoffice/node/catalog"
	"github.com/boxoffice/boxoffice/node/crossshard"
	"github.com/boxoffice/boxoffice/node/logstore"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Limits of the client API.
const (
	// requestMessageBytesMax caps one gRPC request.
	requestMessageBytesMax = 4 << 20
	// idBytesMax caps request ids, holders, buyers, order ids.
	idBytesMax = 128
	// streamWorkers is how many goroutines serve client requests and are
	// kept between requests; a request waits on Raft for a few
	// milliseconds, so this covers a few hundred concurrent requests.
	streamWorkers = 256
)

// Host is one Boxoffice node: it hosts the meta group and its share of the
// data groups, and serves the client, peer and HTTP ports.
type Host struct {
	cfg     Config
	logger  *slog.Logger
	hclog   hclog.Logger
	metrics *nodeMetrics

	logDB  *logstore.DB
	keys   *sealing.Keyring // Config.EncryptionKeyFile; nil: data in clear
	mux    *peerMux
	dialer peerDialer

	// atCurrentLevel caches the cluster's feature level, for the seat
	// and record commands' paths (atFeatureLevel).
	atCurrentLevel atomic.Pointer[levelCheck]

	grpcListener net.Listener
	httpListener net.Listener
	grpcServer   *grpc.Server
	peerServer   *grpc.Server
	httpServer   *http.Server
	health       *health.Server

	membership  *cluster.Membership
	verifier    *memberVerifier // proves members before they are acted on (verify.go)
	incarnation string
	catalog     *catalog.Catalog
	meta        *group
	hub         *watchHub
	lastSeen    replicaMemory // Status: each other replica's last answer
	peers       *peerClients

	// coordinator runs hold, extend, release, sell and refund across an
	// event's shards.
	coordinator *crossshard.Coordinator

	mu     sync.RWMutex
	groups map[string]*group // data groups running here

	reconcile chan struct{}
	// placed is set once the rebalancer's first pass has handed the
	// groups this node leads to their preferred leaders (or found none to
	// hand, or gave up after placementGrace); ready waits for it.
	placed    atomic.Bool
	started   time.Time
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	// leadersDue: a replica move ended since the rebalancer last balanced
	// leaderships (rebalance.go).
	leadersDue atomic.Bool
}

// Start validates cfg, opens storage, binds every port and starts the node.
// It returns once the node serves; the cluster may still be forming (see
// WaitReady).
func Start(cfg Config) (*Host, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	keys, err := openDataDir(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Host{
		cfg:       cfg,
		logger:    cfg.Logger.With("node", cfg.NodeID),
		groups:    make(map[string]*group),
		reconcile: make(chan struct{}, 1),
		started:   time.Now(),
		ctx:       ctx,
		cancel:    cancel,
		hub:       newWatchHub(),
		keys:      keys,
	}
	h.hclog = newHCLogger(h.logger, h.peerNodeID)
	h.coordinator = &crossshard.Coordinator{Shards: hostShards{h}, Now: h.now, Logger: h.logger}
	h.metrics = newNodeMetrics(h)
	ok := false
	defer func() {
		if !ok {
			_ = h.Close()
		}
	}()

	logPath := filepath.Join(cfg.DataDir, "raft.db")
	if err := checkLogPresent(cfg.DataDir, logPath); err != nil {
		return nil, logDamaged(cfg.NodeID, err)
	}
	h.logDB, err = logstore.Open(logPath, logstore.Options{
		NoSync:  cfg.Group.NoSync,
		Metrics: h.metrics.registry,
		Keys:    keys,
		// bbolt's default map (32 KiB, doubled as the file grows). A 1 GiB
		// initial map removed the few-ms commit stalls of each doubling
		// (BenchmarkGrowFreshFile in node/logstore) but a busy node's RSS
		// rose from 331 to 435 MiB in `make bench-memory` (one run each):
		// not adopted.
	})
	if errors.Is(err, logstore.ErrEncrypted) {
		err = errDataDirEncrypted
	}
	if errors.Is(err, logstore.ErrDamaged) {
		return nil, logDamaged(cfg.NodeID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("log store: %w", err)
	}

	// Bind every port first so that a port in use fails Start, not later.
	peerListener, err := net.Listen("tcp", cfg.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("peer port: %w", err)
	}
	h.grpcListener, err = net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		_ = peerListener.Close()
		return nil, fmt.Errorf("gRPC port: %w", err)
	}
	h.httpListener, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = peerListener.Close()
		return nil, fmt.Errorf("HTTP port: %w", err)
	}

	var peerServerTLS *tls.Config
	if cfg.TLS != nil {
		peerServerTLS = cfg.TLS.peerServerTLS()
		h.dialer = peerDialer{tls: cfg.TLS.ClientTLS()}
	}
	if cfg.PeerSourceAddr != "" {
		h.dialer.source = &net.TCPAddr{IP: net.ParseIP(cfg.PeerSourceAddr)}
	}
	h.dialer.admit = cfg.Testing.admitPeerConn
	if len(cfg.Testing.RegionLatency) > 0 {
		h.dialer.delay = h.regionDelay
	}
	h.mux = newPeerMux(peerListener, peerServerTLS, h.logger)
	h.verifier = newMemberVerifier(h)
	h.peers = newPeerClients(h.dialer)

	// Peer RPCs: the mux has already authenticated the connection.
	h.peerServer = grpc.NewServer(grpc.MaxRecvMsgSize(64<<20), grpc.ForceServerCodecV2(codec.Server()))
	nodepb.RegisterPeerServer(h.peerServer, &peerService{host: h})

	serverOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(requestMessageBytesMax),
		// Answers are encoded with the generated code; requests are
		// decoded with gRPC's codec, which refuses strings that are not
		// UTF-8 (see api/codec).
		grpc.ForceServerCodecV2(codec.Server()),
		grpc.ChainUnaryInterceptor(h.unaryMetrics),
		grpc.MaxConcurrentStreams(uint32(cfg.StreamsPerConnectionMax)),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// Reuse goroutines for requests instead of starting one per
		// request: a fresh goroutine grows its stack through the handler
		// every time (runtime.newstack was ~6% of a leader's CPU at an
		// on-sale). Requests beyond the workers still get their own
		// goroutine, so a slow request never queues behind another.
		grpc.NumStreamWorkers(streamWorkers),
	}
	// Authorization runs inside the metrics interceptor, so a refused
	// call is also counted as an operation (PermissionDenied), and before
	// the stream limiter, so a caller that will be refused never takes one
	// of an identity's stream places.
	serverOpts = append(serverOpts, h.authzServerOptions()...)
	serverOpts = append(serverOpts, grpc.ChainStreamInterceptor(newStreamLimiter(cfg.StreamsPerIdentityMax, h.metrics.streamsRefused).intercept))
	if cfg.TLS != nil {
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(cfg.TLS.server)))
	} else {
		serverOpts = append(serverOpts, grpc.Creds(insecure.NewCredentials()))
	}
	h.grpcServer = grpc.NewServer(serverOpts...)
	boxofficev1.RegisterInventoryServer(h.grpcServer, &inventoryService{host: h})
	boxofficev1.RegisterClusterServer(h.grpcServer, &clusterService{host: h})
	boxofficev1.RegisterRecordsServer(h.grpcServer, &recordsService{host: h})
	h.health = health.NewServer()
	h.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	h.health.SetServingStatus(boxofficev1.Inventory_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(h.grpcServer, h.health)
	reflection.Register(h.grpcServer)

	httpMux := http.NewServeMux()
	httpMux.Handle("GET /metrics", h.httpRequireRole("/metrics", httpMetricsRoles, promhttp.HandlerFor(h.metrics.gatherer(), promhttp.HandlerOpts{})))
	httpMux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	httpMux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := h.ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if cfg.Pprof {
		debug := func(f http.HandlerFunc) http.Handler { return h.httpRequireRole("/debug/pprof", httpDebugRoles, f) }
		httpMux.Handle("/debug/pprof/", debug(pprof.Index))
		httpMux.Handle("/debug/pprof/cmdline", debug(pprof.Cmdline))
		httpMux.Handle("/debug/pprof/profile", debug(pprof.Profile))
		httpMux.Handle("/debug/pprof/symbol", debug(pprof.Symbol))
		httpMux.Handle("/debug/pprof/trace", debug(pprof.Trace))
	}
	h.httpServer = &http.Server{Handler: httpMux, ReadHeaderTimeout: 5 * time.Second}
	if cfg.TLS != nil {
		h.httpServer.TLSConfig = cfg.TLS.httpTLS()
	}

	incarnation, err := loadIncarnation(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	h.incarnation = incarnation

	// The meta group always runs; it is bootstrapped once enough nodes
	// have joined (or was bootstrapped in an earlier life of this node).
	h.catalog = catalog.New(h.kickReconcile)
	h.meta, err = h.openGroup(cluster.MetaGroupID, h.catalog, nil)
	if err != nil {
		return nil, err
	}

	h.membership, err = h.startGossip()
	if err != nil {
		return nil, err
	}

	h.goServe("peer mux", func() error { h.mux.serve(); return nil })
	h.goServe("peer gRPC", func() error { return h.peerServer.Serve(h.mux.peer) })
	h.goServe("gRPC", func() error { return h.grpcServer.Serve(h.grpcListener) })
	h.goServe("HTTP", func() error {
		if h.httpServer.TLSConfig != nil {
			return h.httpServer.ServeTLS(h.httpListener, "", "")
		}
		return h.httpServer.Serve(h.httpListener)
	})
	h.goLoop(h.joinLoop)
	h.goLoop(h.reconcileLoop)
	h.goLoop(h.sweepLoop)
	if cfg.RebalanceInterval > 0 {
		h.goLoop(h.rebalanceLoop)
	} else {
		h.placed.Store(true)
	}
	h.kickReconcile()
	ok = true
	if cfg.TLS == nil {
		h.logger.Warn(PlaintextWarning)
	}
	h.logger.Info("node started", "grpc", cfg.GRPCAddr, "peer", cfg.PeerAddr, "http", cfg.HTTPAddr,
		"gossip", cfg.GossipAddr, "tls", cfg.TLS != nil, "bootstrap_expect", cfg.BootstrapExpect)
	return h, nil
}

func (h *Host) goServe(name string, serve func() error) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := serve(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) &&
			!errors.Is(err, grpc.ErrServerStopped) {
			h.logger.Error("server stopped", "server", name, "error", err)
		}
	}()
}

func (h *Host) goLoop(loop func()) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		loop()
	}()
}

// NodeID returns the node's id.
func (h *Host) NodeID() string { return h.cfg.NodeID }

// GRPCAddr returns the bound client address (useful with port 0).
func (h *Host) GRPCAddr() string { return h.grpcListener.Addr().String() }

// HTTPAddr returns the bound HTTP address.
func (h *Host) HTTPAddr() string { return h.httpListener.Addr().String() }

// now is the leader's clock as stamped into proposals.
func (h *Host) now() time.Time { return time.Now().Add(h.cfg.Testing.ClockOffset) }

func (h *Host) kickReconcile() {
	select {
	case h.reconcile <- struct{}{}:
	default:
	}
}

// ready reports whether this node can serve: the catalog has data groups and
// every local group has a leader.
func (h *Host) ready() error {
	if err := h.formed(); err != nil {
		return err
	}
	if !h.placed.Load() {
		return fmt.Errorf("%w: handing leadership of groups to their preferred leaders", ErrNotReady)
	}
	if h.logDB.NoSpace() {
		return fmt.Errorf("no space left on the data dir's disk (%s): Raft log writes fail until space is freed", h.cfg.DataDir)
	}
	return nil
}

// formed says whether the cluster is formed as far as this node can tell:
// bootstrapped, and every group it hosts started, with a leader.
func (h *Host) formed() error {
	if h.ctx.Err() != nil {
		return ErrShuttingDown
	}
	snap := h.catalog.Export()
	if len(snap.Groups) == 0 {
		return ErrNotReady
	}
	if _, id := h.meta.leader(); id == "" {
		return fmt.Errorf("%w: meta group has no leader", ErrNoLeader)
	}
	for _, g := range h.groupList() {
		if _, id := g.leader(); id == "" {
			return fmt.Errorf("%w: group %s has no leader", ErrNoLeader, g.id)
		}
	}
	for _, rec := range snap.Groups {
		if slices.Contains(rec.Replicas, h.cfg.NodeID) && h.group(rec.GroupId) == nil {
			return fmt.Errorf("%w: group %s not started", ErrNotReady, rec.GroupId)
		}
	}
	return nil
}

// WaitReady blocks until the node is ready or ctx ends.
func (h *Host) WaitReady(ctx context.Context) error {
	for {
		err := h.ready()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (h *Host) group(id string) *group {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.groups[id]
}

// groupList returns the meta group and every local data group.
func (h *Host) groupList() []*group {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*group, 0, len(h.groups)+1)
	if h.meta != nil && h.meta.raft != nil {
		out = append(out, h.meta)
	}
	for _, id := range sortedKeys(h.groups) {
		out = append(out, h.groups[id])
	}
	return out
}

// joinLoop joins the gossip cluster, retrying until it succeeds.
func (h *Host) joinLoop() {
	if len(h.cfg.Join) == 0 {
		return
	}
	backoff := 100 * time.Millisecond
	for {
		n, err := h.membership.Join(h.cfg.Join)
		if err == nil && n > 0 {
			h.logger.Info("joined cluster", "contacted", n)
			return
		}
		h.logger.Debug("join failed; retrying", "error", err, "in", backoff)
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// reconcileLoop makes the node match the catalog: it bootstraps the meta
// group when the expected nodes have joined, starts the data groups this
// node is a replica of, and, on the meta leader, registers nodes and lays
// out the data groups.
func (h *Host) reconcileLoop() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.reconcile:
		case <-tick.C:
		}
		if err := h.reconcileOnce(); err != nil && h.ctx.Err() == nil {
			// Failures during elections are expected and retried each
			// second; say so once they persist.
			failures++
			if failures%10 == 0 {
				h.logger.Warn("reconcile keeps failing", "attempts", failures, "error", err)
			} else {
				h.logger.Debug("reconcile", "error", err)
			}
		} else {
			failures = 0
		}
		if h.ready() == nil {
			h.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
			h.health.SetServingStatus(boxofficev1.Inventory_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
		}
	}
}

func (h *Host) reconcileOnce() error {
	if err := h.maybeBootstrapMeta(); err != nil {
		return err
	}
	snap := h.catalog.Export()
	nodes := make(map[string]*nodepb.NodeRecord, len(snap.Nodes))
	for _, n := range snap.Nodes {
		nodes[n.NodeId] = n
	}
	var errs []error
	for _, rec := range snap.Groups {
		if !slices.Contains(rec.Replicas, h.cfg.NodeID) || h.group(rec.GroupId) != nil {
			continue
		}
		if err := h.startDataGroup(rec, nodes); err != nil {
			errs = append(errs, err)
		}
	}
	for _, g := range h.groupList() {
		if g.store != nil {
			g.seatViews.prune(g.store) // views of shards DeleteEvent dropped
		}
	}
	h.hub.endArchived(func(id string) bool {
		return h.catalog.Event(id).GetStatus() == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED
	})
	if h.meta.raft.State() == raft.Leader {
		if err := h.metaLeaderDuties(snap); err != nil {
			errs = append(errs, err)
		}
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RequestTimeout)
		if err := h.repairReplicas(ctx, snap); err != nil {
			errs = append(errs, err)
		}
		if err := h.keepGroupHomes(ctx, h.catalog.Export()); err != nil {
			errs = append(errs, err)
		}
		cancel()
		if err := h.reconcileMeta(h.catalog.Export()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := h.reconcileMembers(h.catalog.Export()); err != nil {
		errs = append(errs, err)
	}
	// Only a node the catalog still knows acts on its own removal from
	// groups; a node removed entirely waits to be registered again.
	if h.catalog.Node(h.cfg.NodeID) != nil {
		h.stopRemovedGroups(h.catalog.Export())
	}
	return errors.Join(errs...)
}

// maybeBootstrapMeta bootstraps the meta group once BootstrapExpect nodes
// are alive, if this node has no Raft state for it. Every node of the
// initial cluster does this with the same configuration, which hashicorp/raft
// allows.
func (h *Host) maybeBootstrapMeta() error {
	if h.cfg.BootstrapExpect == 0 {
		return nil
	}
	if _, id := h.meta.leader(); id != "" {
		return nil
	}
	cfgFuture := h.meta.raft.GetConfiguration()
	if err := cfgFuture.Error(); err != nil {
		return err
	}
	if len(cfgFuture.Configuration().Servers) > 0 {
		return nil // bootstrapped before
	}
	var alive []cluster.Member
	for _, m := range h.membership.Members() {
		if m.State == "alive" && h.memberProven(m.NodeID, m.PeerAddr, m.GRPCAddr) {
			alive = append(alive, m)
		}
	}
	if len(alive) < h.cfg.BootstrapExpect {
		return nil
	}
	alive = alive[:h.cfg.BootstrapExpect]
	if !slices.ContainsFunc(alive, func(m cluster.Member) bool { return m.NodeID == h.cfg.NodeID }) {
		return nil // this node joins later as a non-voter
	}
	// A node that lost its disk and restarts with the same flags must not
	// bootstrap a second catalog: if any peer already has one, wait to be
	// added by its leader instead.
	for _, m := range alive {
		if m.NodeID != h.cfg.NodeID && h.peerHasCatalog(m.PeerAddr) {
			return nil
		}
	}
	servers := make([]raft.Server, 0, len(alive))
	for i, m := range alive {
		suffrage := raft.Voter
		if i >= 5 {
			suffrage = raft.Nonvoter // the catalog needs no more than 5 voters
		}
		servers = append(servers, raft.Server{ID: raft.ServerID(m.NodeID), Address: raft.ServerAddress(m.PeerAddr), Suffrage: suffrage})
	}
	err := h.meta.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrap meta group: %w", err)
	}
	h.logger.Info("bootstrapped meta group", "voters", len(servers))
	return nil
}

// loadIncarnation reads the id this data dir was created with, creating it
// on first start.
func loadIncarnation(dir string) (string, error) {
	path := filepath.Join(dir, "incarnation")
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(id+"\n"), dataFileMode); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	return id, nil
}

// peerHasCatalog asks a peer whether its meta group has applied anything.
func (h *Host) peerHasCatalog(peerAddr string) bool {
	client, err := h.peers.get(peerAddr)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(h.ctx, time.Second)
	defer cancel()
	resp, err := client.LocalStatus(ctx, &nodepb.LocalStatusRequest{})
	if err != nil {
		return false
	}
	for _, g := range resp.Groups {
		if g.GroupId == cluster.MetaGroupID {
			for _, r := range g.Replicas {
				if r.AppliedIndex > 0 {
					return true
				}
			}
		}
	}
	return false
}

// metaLeaderDuties runs on the meta leader: register every alive node and
// lay out the data groups once the expected nodes are registered.
func (h *Host) metaLeaderDuties(snap *nodepb.CatalogSnapshot) error {
	registered := make(map[string]*nodepb.NodeRecord)
	for _, n := range snap.Nodes {
		registered[n.NodeId] = n
	}
	for _, m := range h.membership.Members() {
		if m.State != "alive" || h.catalog.Removed(m.NodeID, m.Incarnation) {
			continue
		}
		if !h.memberProven(m.NodeID, m.PeerAddr, m.GRPCAddr) {
			continue // unproven addresses never enter the catalog
		}
		locality, err := cluster.ParseLocality(m.Locality)
		if err != nil {
			// Every node validates its own locality before it gossips it.
			h.logger.Warn("node gossips a locality that does not parse; registered without one",
				"peer", m.NodeID, "locality", m.Locality, "error", err)
		}
		rec := &nodepb.NodeRecord{NodeId: m.NodeID, PeerAddr: m.PeerAddr, GrpcAddr: m.GRPCAddr, HttpAddr: m.HTTPAddr,
			GossipAddr: m.GossipAddr, Incarnation: m.Incarnation, Locality: locality.Proto(),
			ReleaseVersion: m.Version, FeatureLevel: uint32(max(m.FeatureLevel, 0))}
		if old := registered[m.NodeID]; old != nil && old.PeerAddr == rec.PeerAddr && old.GrpcAddr == rec.GrpcAddr &&
			old.HttpAddr == rec.HttpAddr && old.GossipAddr == rec.GossipAddr && old.Incarnation == rec.Incarnation &&
			cluster.LocalityFromProto(old.Locality).Equal(locality) &&
			old.ReleaseVersion == rec.ReleaseVersion && old.FeatureLevel == rec.FeatureLevel {
			continue
		}
		res, err := h.applyCatalog(&nodepb.CatalogCommand{
			Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
			Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: rec},
		})
		if err != nil {
			return err
		}
		if res.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
			h.logger.Warn("node registration refused", "peer", m.NodeID, "incarnation", m.Incarnation, "reason", res.Message)
			continue
		}
		h.logger.Info("node registered", "peer", m.NodeID, "incarnation", m.Incarnation, "peer_addr", m.PeerAddr,
			"locality", locality.String(), "version", m.Version, "feature_level", rec.FeatureLevel)
		registered[m.NodeID] = rec
	}
	if len(snap.Groups) == 0 && h.cfg.BootstrapExpect > 0 && len(registered) >= h.cfg.BootstrapExpect {
		nodes := map[string]cluster.Locality{}
		for _, id := range sortedKeys(registered)[:h.cfg.BootstrapExpect] {
			nodes[id] = cluster.LocalityFromProto(registered[id].Locality)
		}
		groups := cluster.InitialGroups(nodes, h.cfg.DataGroups, h.cfg.ReplicationFactor)
		if _, err := h.applyCatalog(&nodepb.CatalogCommand{
			Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
			RequestId: "initial-groups",
			Body:      &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: groups}},
		}); err != nil {
			return err
		}
		h.logger.Info("laid out data groups", "groups", len(groups), "replication_factor", h.cfg.ReplicationFactor)
	}
	return nil
}

// applyCatalog proposes a catalog command on this node, which must lead the
// meta group.
func (h *Host) applyCatalog(cmd *nodepb.CatalogCommand) (*nodepb.CatalogResult, error) {
	cmd.NowUnixMs = h.now().UnixMilli()
	data, err := proto.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	f := h.meta.raft.Apply(data, h.cfg.RequestTimeout)
	if err := f.Error(); err != nil {
		return nil, leadershipError(err)
	}
	res, _ := f.Response().(*nodepb.CatalogResult)
	if res == nil {
		return nil, fmt.Errorf("catalog: entry %d returned no result", f.Index())
	}
	return res, nil
}

func (h *Host) startDataGroup(rec *nodepb.GroupRecord, nodes map[string]*nodepb.NodeRecord) error {
	var bootstrap []raft.Server
	if slices.Contains(rec.InitialReplicas, h.cfg.NodeID) {
		for _, id := range rec.InitialReplicas {
			n := nodes[id]
			if n == nil {
				return fmt.Errorf("group %s: replica %s not registered yet", rec.GroupId, id)
			}
			bootstrap = append(bootstrap, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(n.PeerAddr), Suffrage: raft.Voter})
		}
	}
	store := fsm.New(fsm.Options{})
	g, err := h.openGroup(rec.GroupId, &dataFSM{store: store, onApplied: h.hub.publish}, bootstrap)
	if err != nil {
		return err
	}
	g.store = store
	g.startProposer()
	h.mu.Lock()
	h.groups[rec.GroupId] = g
	h.mu.Unlock()
	h.logger.Info("data group started", "group", rec.GroupId, "replicas", rec.Replicas)
	return nil
}

// sweepLoop makes every group this node leads release expired holds, with
// the leader's time, through the log.
func (h *Host) sweepLoop() {
	tick := time.NewTicker(h.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-tick.C:
		}
		for _, g := range h.groupList() {
			if g.store == nil || g.raft.State() != raft.Leader || !g.store.HasExpiredHolds(h.now().UnixMilli()) {
				continue
			}
			ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RequestTimeout)
			res, err := g.propose(ctx, &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_SWEEP, Body: &fsmpb.Command_Sweep{Sweep: &fsmpb.Sweep{}}})
			cancel()
			if err == nil && h.metrics != nil && res.GetSweptHolds() > 0 {
				h.metrics.holdsSwept.WithLabelValues(g.id).Add(float64(res.GetSweptHolds()))
			}
			if err != nil && !errors.Is(err, errNotLeader) && h.ctx.Err() == nil {
				h.logger.Warn("sweep failed", "group", g.id, "error", err)
			}
		}
	}
}

// rebalanceLoop hands leadership of a group to its preferred leader (the
// first replica in the catalog that is not draining) when that node is
// alive, so that leaders stay spread evenly over the nodes after failovers
// and leave draining nodes. A draining node also hands the meta group's
// leadership to a voter that is not draining. A hand-off that fails, or
// does not leave the target leading, backs off exponentially for that
// group (a transfer blocks the group's writes while it runs, so a target
// that cannot take over must not be retried every few seconds); a new
// target (a node drained or undrained) starts afresh.
func (h *Host) rebalanceLoop() {
	type attempt struct {
		failures int
		next     time.Time
		pending  string // target of the last hand-off, checked next round
		target   string // target the backoff is about
	}
	const backoffMax = 5 * time.Minute
	state := map[string]*attempt{}
	tick := time.NewTicker(h.cfg.RebalanceInterval)
	defer tick.Stop()
	// The first pass comes as soon as every group here has a leader, and
	// the node is not ready until it has run: a fresh cluster elects its
	// first leaders anywhere, and moving them before traffic arrives
	// costs nothing, while moving them mid-on-sale stalls the group's
	// writes (the on-sale benchmark saw a hand-off 1.5 s into its first
	// run when this pass waited a second).
	first := time.NewTicker(placementPoll)
	defer first.Stop()
	for {
		placement := false
		select {
		case <-h.ctx.Done():
			return
		case <-first.C:
			if !h.placementDue() {
				continue
			}
			placement = true
		case <-tick.C:
		}
		now := time.Now()
		probe := newPeerProbe(h)
		for _, g := range h.groupList() {
			a := state[g.id]
			if a == nil {
				a = &attempt{}
				state[g.id] = a
			}
			if a.pending != "" {
				// Judge the previous hand-off: did the target end up leading?
				if _, leader := g.leader(); leader == a.pending {
					a.failures = 0
				} else {
					a.failures++
					a.next = now.Add(min(h.cfg.RebalanceInterval<<min(a.failures, 16), backoffMax))
				}
				a.pending = ""
			}
			target, ok := h.handOffTo(g)
			if !ok {
				continue
			}
			if target != a.target {
				a.target, a.failures, a.next = target, 0, time.Time{}
			}
			if now.Before(a.next) {
				continue
			}
			n := h.catalog.Node(target)
			if n == nil || !h.membership.Alive(target) {
				continue
			}
			// Gossip takes seconds to see a killed node fail, and a
			// transfer to it stops the group's writes until it times out
			// (an election timeout). Ask the target itself first: it must
			// answer now and have applied nearly all this leader has
			// committed, or the transfer waits for a later round (no
			// back-off: nothing was tried).
			if applied, ok := probe.applied(n.PeerAddr, g.id); !ok || applied+handOffLagMax < g.raft.CommitIndex() {
				continue
			}
			err := g.raft.LeadershipTransferToServer(raft.ServerID(target), raft.ServerAddress(n.PeerAddr)).Error()
			a.pending = target
			h.logger.Info("leadership handed to preferred leader", "group", g.id, "to", target, "error", err,
				"failed_before", a.failures)
		}
		if placement {
			h.placed.Store(true)
			first.Stop()
		}
	}
}

// handOffLagMax is how far, in entries, a hand-off target may be behind
// the leader's commit index: a transfer first brings the target up to
// date, and the group takes no writes meanwhile.
const handOffLagMax = 1024

// Placement at start-up (rebalanceLoop's first pass).
const (
	placementPoll = 20 * time.Millisecond
	// placementGrace bounds how long the first pass waits for the
	// preferred leaders of the groups this node leads to be seen alive.
	placementGrace = 10 * time.Second
)

// placementDue says whether the rebalancer's first pass can run: the
// cluster is formed (every group here started, with a leader), and the
// preferred leader of each group this node leads is known and alive (or
// placementGrace has passed since start, for a preferred node that never
// comes).
func (h *Host) placementDue() bool {
	if h.placed.Load() {
		return false
	}
	graceOver := time.Since(h.started) > placementGrace
	if h.formed() != nil {
		return false
	}
	for _, g := range h.groupList() {
		preferred, ok := h.handOffTo(g)
		if ok && (h.catalog.Node(preferred) == nil || !h.membership.Alive(preferred)) {
			return graceOver
		}
	}
	return true
}

// handOffTo returns the node this node should hand group g to, when this
// node leads g: for a data group its preferred leader (preferredLeader),
// when that is another node; when this node is draining, the first
// replica (for meta: voter) that is not draining and is alive.
func (h *Host) handOffTo(g *group) (string, bool) {
	if g.raft.State() != raft.Leader {
		return "", false
	}
	self := h.catalog.Node(h.cfg.NodeID)
	draining := self != nil && self.Draining
	var candidates []string
	if g.store == nil {
		if !draining {
			return "", false // the meta group has no preferred leader
		}
		f := g.raft.GetConfiguration()
		if f.Error() != nil {
			return "", false
		}
		for _, s := range f.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				candidates = append(candidates, string(s.ID))
			}
		}
		slices.Sort(candidates)
	} else {
		rec := h.catalog.Group(g.id)
		if rec == nil {
			return "", false
		}
		if !draining {
			preferred := h.preferredLeader(rec)
			return preferred, preferred != "" && preferred != h.cfg.NodeID
		}
		candidates = rec.Replicas
	}
	for _, id := range candidates {
		if n := h.catalog.Node(id); id != h.cfg.NodeID && n != nil && !n.Draining && h.membership.Alive(id) {
			return id, true
		}
	}
	return "", false
}

// preferredLeader returns the node that should lead a data group: the
// first of its replicas that is not draining ("" when every one is).
func (h *Host) preferredLeader(rec *nodepb.GroupRecord) string {
	for _, id := range rec.Replicas {
		if n := h.catalog.Node(id); n == nil || !n.Draining {
			return id
		}
	}
	return ""
}

// Close shuts the node down in reverse dependency order: stop taking client
// traffic, leave gossip, stop Raft groups (so no entry is half-written),
// close the peer port, then the log store last (Raft must be stopped
// before its storage goes away).
func (h *Host) Close() error {
	var errs []error
	h.closeOnce.Do(func() {
		h.cancel()
		if h.health != nil {
			h.health.Shutdown()
		}
		if h.grpcServer != nil {
			stopped := make(chan struct{})
			go func() { h.grpcServer.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(2 * time.Second):
				h.grpcServer.Stop()
			}
		} else if h.grpcListener != nil {
			_ = h.grpcListener.Close()
		}
		if h.httpServer != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = h.httpServer.Shutdown(ctx)
			cancel()
		} else if h.httpListener != nil {
			_ = h.httpListener.Close()
		}
		h.hub.closeAll()
		if h.membership != nil {
			// Leave returns once the broadcast is out, usually within a
			// gossip interval; the bound covers a loaded machine, where a
			// lost leave makes the others see a failure instead, and a
			// replacement node under the same name is then refused.
			_ = h.membership.Leave(2 * time.Second)
		}
		for _, g := range h.groupList() {
			if err := g.shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("group %s: %w", g.id, err))
			}
		}
		if h.peerServer != nil {
			h.peerServer.Stop()
		}
		if h.mux != nil {
			_ = h.mux.close()
		}
		if h.peers != nil {
			h.peers.close()
		}
		h.wg.Wait()
		if h.logDB != nil {
			if err := h.logDB.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// Kill stops the node abruptly for tests: no leadership hand-off, no gossip
// leave. Storage is closed so the same data dir can be reopened.
func (h *Host) Kill() {
	h.closeOnce.Do(func() {
		h.cancel()
		h.grpcServer.Stop()
		_ = h.httpServer.Close()
		h.hub.closeAll()
		_ = h.membership.Shutdown()
		_ = h.mux.close()
		h.peerServer.Stop()
		for _, g := range h.groupList() {
			_ = g.shutdown()
		}
		h.peers.close()
		h.wg.Wait()
		_ = h.logDB.Close()
	})
}
