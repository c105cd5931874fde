package node

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodetls"
)

// Authorization on the gRPC port.
//
// With TLS every caller presents a certificate the CA signed; its Subject
// CommonName is the caller's name (as etcd and CockroachDB take the user
// from the CommonName) and its Subject OrganizationalUnit its role.
// methodRoles says which roles may call each method. A method missing from
// the table is refused to everyone, so a new RPC cannot ship unprotected
// (TestMethodRolesCoverEveryMethod). Without TLS (Config.Plaintext, the demo)
// there is no authorization at all, and the node says so when it starts.
//
// crypto/tls parses and verifies the peer's certificates once, at the
// handshake, and keeps them in the connection's state: a call reads the
// already parsed Subject of the leaf, so authorizing costs a map lookup and
// a few string comparisons (BenchmarkAuthorize), and a Commands or
// ReadSeatMaps stream is authorized once, when it opens.

// PlaintextWarning is what a node without TLS logs (WARN) when it starts,
// and what the start and demo commands print on stderr.
const PlaintextWarning = "PLAINTEXT: no TLS and no authorization on any port — for demos only"

// roleSet is a set of roles as bits, so a check is one AND.
type roleSet uint8

const (
	roleNodeBit roleSet = 1 << iota
	roleOperatorBit
	roleGatewayBit
	roleReaderBit
	// anyCertificate admits every verified certificate, with a role or
	// without (health checks).
	anyCertificate
)

// roleBit is r's bit in a roleSet; 0 for no role or an unknown one.
func roleBit(r nodetls.Role) roleSet {
	switch r {
	case nodetls.RoleNode:
		return roleNodeBit
	case nodetls.RoleOperator:
		return roleOperatorBit
	case nodetls.RoleGateway:
		return roleGatewayBit
	case nodetls.RoleReader:
		return roleReaderBit
	}
	return 0
}

var (
	anyRole      = roleNodeBit | roleOperatorBit | roleGatewayBit | roleReaderBit
	inventoryAll = roleGatewayBit | roleOperatorBit
	reads        = roleGatewayBit | roleOperatorBit | roleReaderBit
	// clusterView is Cluster.Status and Cluster.Routing.
	clusterView = roleGatewayBit | roleOperatorBit | roleReaderBit
	records     = roleGatewayBit
	admin       = roleOperatorBit
)

// methodRoles maps a full gRPC method name to the roles that may call it.
// Every method served on the gRPC port must be here.
var methodRoles = map[string]roleSet{
	boxofficev1.Inventory_CreateEvent_FullMethodName:  inventoryAll,
	boxofficev1.Inventory_DeleteEvent_FullMethodName:  inventoryAll,
	boxofficev1.Inventory_GetEvent_FullMethodName:     reads,
	boxofficev1.Inventory_ListEvents_FullMethodName:   reads,
	boxofficev1.Inventory_GetSeatMap_FullMethodName:   reads,
	boxofficev1.Inventory_GetHold_FullMethodName:      reads,
	boxofficev1.Inventory_Hold_FullMethodName:         inventoryAll,
	boxofficev1.Inventory_ExtendHold_FullMethodName:   inventoryAll,
	boxofficev1.Inventory_Release_FullMethodName:      inventoryAll,
	boxofficev1.Inventory_Sell_FullMethodName:         inventoryAll,
	boxofficev1.Inventory_Refund_FullMethodName:       inventoryAll,
	boxofficev1.Inventory_Watch_FullMethodName:        reads,
	boxofficev1.Inventory_ReadSeatMaps_FullMethodName: reads,
	boxofficev1.Inventory_Commands_FullMethodName:     inventoryAll,

	boxofficev1.Cluster_Status_FullMethodName:     clusterView,
	boxofficev1.Cluster_Routing_FullMethodName:    clusterView,
	boxofficev1.Cluster_RemoveNode_FullMethodName: admin,
	// Moving leaderships stalls a group's writes for a moment.
	boxofficev1.Cluster_TransferLeader_FullMethodName: admin,
	boxofficev1.Cluster_Drain_FullMethodName:          admin,
	// A backup holds every seat, order and record of the cluster.
	boxofficev1.Cluster_Backup_FullMethodName: admin,
	// An operator's step of an upgrade.
	boxofficev1.Cluster_CheckFeatureLevel_FullMethodName: admin,
	// New groups take disk, memory and elections on every replica.
	boxofficev1.Cluster_AddGroups_FullMethodName: admin,
	// A move stalls the shard's writes while it runs.
	boxofficev1.Cluster_MoveShard_FullMethodName: admin,
	// Decommission moves every replica off a node; a plan only reads.
	boxofficev1.Cluster_Decommission_FullMethodName:  admin,
	boxofficev1.Cluster_PlanRebalance_FullMethodName: roleOperatorBit | roleReaderBit,

	boxofficev1.Records_Get_FullMethodName:            records,
	boxofficev1.Records_CompareAndSwap_FullMethodName: records,
	boxofficev1.Records_Delete_FullMethodName:         records,
	boxofficev1.Records_Add_FullMethodName:            records,
	boxofficev1.Records_Scan_FullMethodName:           records,
	boxofficev1.Records_Batch_FullMethodName:          records,

	// Load balancers and orchestrators probe health with whatever
	// certificate they have; it tells nothing but serving or not.
	healthpb.Health_Check_FullMethodName: anyCertificate,
	healthpb.Health_List_FullMethodName:  anyCertificate,
	healthpb.Health_Watch_FullMethodName: anyCertificate,
	// Reflection describes the API to tools (grpcurl) of any role.
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      anyRole,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": anyRole,
}

// authorize decides one call (or one stream, when it opens) from the
// verified certificate of the connection it came on.
func (h *Host) authorize(ctx context.Context, fullMethod string) error {
	allowed := methodRoles[fullMethod]
	p, ok := peer.FromContext(ctx)
	if !ok {
		return h.refuse(fullMethod, nodetls.Identity{}, "no peer")
	}
	tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(tlsInfo.State.PeerCertificates) == 0 {
		return h.refuse(fullMethod, nodetls.Identity{}, "no verified certificate")
	}
	leaf := tlsInfo.State.PeerCertificates[0]
	if allowed&anyCertificate != 0 {
		return nil
	}
	id := nodetls.IdentityOf(leaf)
	if allowed&roleBit(id.Role) != 0 {
		return nil
	}
	return h.refuse(fullMethod, id, "")
}

// refuse counts a refusal and builds its PERMISSION_DENIED status. The
// message names the role and the service, never a handler or library.
func (h *Host) refuse(fullMethod string, id nodetls.Identity, why string) error {
	service, method := splitMethod(fullMethod)
	roleLabel := string(id.Role)
	var msg string
	switch {
	case why != "":
		roleLabel = "none"
		msg = fmt.Sprintf("%s: the %s service needs a client certificate with a role", why, service)
	case id.Role == "" && len(id.OrganizationalUnits) == 0:
		roleLabel = "none"
		msg = fmt.Sprintf("certificate %q has no role (Subject OU); the %s service refuses it", id.Name, service)
	case id.Role == "":
		roleLabel = "unknown"
		msg = fmt.Sprintf("certificate %q has no known role (Subject OU %q; roles: node, operator, gateway, reader); the %s service refuses it",
			id.Name, id.OrganizationalUnits, service)
	default:
		msg = fmt.Sprintf("role %q may not call %s on the %s service", id.Role, method, service)
	}
	h.metrics.permissionDenied.WithLabelValues(fullMethod, roleLabel).Inc()
	st := status.New(codes.PermissionDenied, msg)
	if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason: ReasonRoleNotAllowed, Domain: errorDomain,
		Metadata: map[string]string{boxofficev1.MetadataRole: roleLabel, boxofficev1.MetadataService: service},
	}); err == nil {
		st = withInfo
	}
	return st.Err()
}

// splitMethod turns "/boxoffice.v1.Records/Scan" into ("boxoffice.v1.Records", "Scan").
func splitMethod(fullMethod string) (service, method string) {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// unaryAuthz authorizes a unary call.
func (h *Host) unaryAuthz(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := h.authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// streamAuthz authorizes a stream once, before its first message.
func (h *Host) streamAuthz(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := h.authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

// authzServerOptions are the gRPC port's interceptors: authorization with
// TLS, none in plaintext.
func (h *Host) authzServerOptions() []grpc.ServerOption {
	if h.cfg.TLS == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(h.unaryAuthz), grpc.ChainStreamInterceptor(h.streamAuthz)}
}
