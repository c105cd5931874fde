package node

import (
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/boxoffice/boxoffice/node/nodetls"
)

// The HTTP port serves /healthz and /readyz to anyone (load balancers and
// orchestrators probe without certificates), /metrics to the roles that may
// see the cluster (node, operator, reader: a Prometheus scrape job presents
// a reader certificate) and /debug/pprof to operators only. With TLS the
// port speaks HTTPS with the node's certificate and asks for a client
// certificate without requiring one; the role check then reads it. Without
// TLS the port is plain HTTP and open, like every other port of a
// plaintext node.

// httpMetricsRoles may read /metrics; httpDebugRoles may profile.
const (
	httpMetricsRoles = roleNodeBit | roleOperatorBit | roleReaderBit
	httpDebugRoles   = roleOperatorBit
)

// httpTLS is the HTTP port's TLS configuration: the node's certificate, and
// client certificates verified when given.
func (t *TLSConfig) httpTLS() *tls.Config {
	c := t.server.Clone()
	c.ClientAuth = tls.VerifyClientCertIfGiven
	return c
}

// httpRequireRole serves next only to a caller whose verified client
// certificate carries one of allowed; it answers 403 otherwise and counts
// the refusal like a gRPC one, under label (the path's fixed name:
// a caller must not mint label values). A plaintext node serves everyone.
func (h *Host) httpRequireRole(label string, allowed roleSet, next http.Handler) http.Handler {
	if h.cfg.TLS == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			h.metrics.permissionDenied.WithLabelValues(label, "none").Inc()
			http.Error(w, "this path needs a client certificate (role reader, operator or node)", http.StatusForbidden)
			return
		}
		id := nodetls.IdentityOf(r.TLS.PeerCertificates[0])
		if roleBit(id.Role)&allowed == 0 {
			role := string(id.Role)
			if role == "" {
				role = "unknown"
			}
			h.metrics.permissionDenied.WithLabelValues(label, role).Inc()
			http.Error(w, fmt.Sprintf("role %q may not read %s", role, label), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
