package checkout

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// The access log is one INFO line per request on Config.Logger:
//
//	method, route, status, bytes, latency, request_id
//
// route is the pattern that matched ("GET /v1/orders/{order}"), never the
// path: the ids in a path name a fan's orders, holds and tickets, which
// are personal data, and so are the query string, the bearer token, the
// token's subject, the client's address and the bodies, none of which is
// logged. request_id is the caller's X-Request-Id when it is sane (1 to
// requestIDBytesMax of letters, digits, '.', '_', '-'), else one made
// here; either way the response carries it back in X-Request-Id, so a
// fan's support ticket and the operator's log meet on it.
//
// Config.AccessLogOff, or a Logger that drops INFO, leaves the handler
// untouched: no wrapper, no allocation (benchmarks).

// requestIDBytesMax bounds an accepted X-Request-Id.
const requestIDBytesMax = 64

const requestIDHeader = "X-Request-Id"

// routeUnmatched is the route of a request no pattern matched (the mux
// answered itself: a redirect or 405).
const routeUnmatched = "unmatched"

func (g *Gateway) accessLog(next http.Handler) http.Handler {
	logger := g.cfg.Logger
	if g.cfg.AccessLogOff || !logger.Enabled(context.Background(), slog.LevelInfo) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID(id) {
			id = randomHex(8)
		}
		w.Header()[requestIDHeader] = []string{id}
		aw := &accessWriter{ResponseWriter: w}
		next.ServeHTTP(aw, r)
		route := r.Pattern // set by the mux on this request
		if route == "" {
			route = routeUnmatched
		}
		status := aw.status
		if status == 0 {
			status = http.StatusOK
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", aw.bytes),
			slog.Duration("latency", time.Since(start)),
			slog.String("request_id", id))
	})
}

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > requestIDBytesMax {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// accessWriter notes the status and counts the body bytes of a response.
type accessWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *accessWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *accessWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush keeps the event streams (queue, seat changes) streaming.
func (w *accessWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *accessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
