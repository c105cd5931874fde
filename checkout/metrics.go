package checkout

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	payments *prometheus.CounterVec
	checkins *prometheus.CounterVec
	forged   *prometheus.CounterVec // stored records whose seal does not verify (records.go)
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "request_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"route"}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "order_outcomes_total",
			Help: "Orders settled, by outcome (paid, released, refunded_seats_lost, refunded, expired).",
		}, []string{"outcome"}),
		checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "checkins_total",
			Help: "Ticket scans by result (admitted, already_scanned, revoked, invalid, untrusted).",
		}, []string{"result"}),
		forged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "untrusted_records_total",
			Help: "Stored records refused because their seal did not verify, by key prefix (ticket, order, fanticket, ...).",
		}, []string{"prefix"}),
	}
	reg.MustRegister(m.forged)
	reg.MustRegister(m.requests, m.latency, m.payments, m.checkins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	if code == 0 {
		code = 200
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}
