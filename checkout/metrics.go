package checkout

import (
	"strconv"
	"sync/atomic"
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

	// Bounds: what the gateway holds open and what it keeps in the store.
	clusterWatches  prometheus.Gauge
	seatSubscribers prometheus.Gauge
	streamsOpen     prometheus.Gauge
	streamEnds      *prometheus.CounterVec
	streamsRefused  *prometheus.CounterVec
	quotaRefusals   *prometheus.CounterVec
	janitorDeleted  *prometheus.CounterVec
	janitorKept     *prometheus.GaugeVec

	// Shared rate limits (ratelimit.go, ratelease.go).
	rateLimited       *prometheus.CounterVec
	rateLeaseGateways prometheus.Gauge
	rateLeaseFailures prometheus.Counter
	// Views from memory (views.go): results prebuilt per view and result
	// so counting one costs an atomic add.
	viewResults  map[[2]string]prometheus.Counter
	viewDrops    prometheus.Counter
	viewMaps     prometheus.GaugeFunc
	viewMapsKept atomic.Int64
	// Waiting room and backpressure (queue.go, pressure.go, shed.go).
	admissionRate *prometheus.GaugeVec
	shed          *prometheus.CounterVec
	inFlight      prometheus.Gauge
	queueRooms    prometheus.Gauge
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
		clusterWatches: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "cluster_watches_open",
			Help: "Cluster Watch streams open: at most one per event with seat-stream subscribers (or lingering).",
		}),
		seatSubscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "seat_stream_subscribers",
			Help: "Seat-map SSE streams fed by the shared cluster Watches.",
		}),
		streamsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "sse_streams_open",
			Help: "Server-Sent Event streams open (seat and waiting-room streams).",
		}),
		streamEnds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "seat_stream_cutoffs_total",
			Help: "Seat streams ended by the gateway, by reason (slow: fell behind its buffer; reset: cursor older than the shared Watch can serve; error: the event's Watch failed for good).",
		}, []string{"reason"}),
		streamsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "sse_streams_refused_total",
			Help: "SSE streams refused with 429, by cap (per_fan, gateway).",
		}, []string{"cap"}),
		quotaRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "quota_refusals_total",
			Help: "Requests refused by a per-fan record quota, by quota (holds, idempotency_keys).",
		}, []string{"quota"}),
		janitorDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "janitor_deleted_total",
			Help: "Records the janitor deleted past their lifetime, by key prefix.",
		}, []string{"prefix"}),
		janitorKept: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "janitor_kept_records",
			Help: "Records kept under each swept key prefix by this gateway's last janitor pass that read the whole prefix (the store's fill by kind).",
		}, []string{"prefix"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "rate_limited_total",
			Help: "Requests refused 429 by a shared rate limit, by limit (ip, fan, event).",
		}, []string{"limit"}),
		rateLeaseGateways: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "rate_lease_gateways",
			Help: "Live gateways counted at this gateway's last rate-lease renewal: each shared rate limit's divisor.",
		}),
		rateLeaseFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "rate_lease_failures_total",
			Help: "Rate-lease renewals that failed (the last count of gateways stays in force).",
		}),
	}
	reg.MustRegister(m.rateLimited, m.rateLeaseGateways, m.rateLeaseFailures)
	m.registerViews(reg)
	m.admissionRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "admission_rate",
		Help: "Fans a second the waiting room admits now, by event: admit_per_second scaled down by the store's measured pressure (queue.go), as last published to the store.",
	}, []string{"event"})
	m.shed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "shed_total",
		Help: "Requests refused before any cluster call (shed.go), by reason (pressure, in_flight, per_caller) and route class (first, normal, last).",
	}, []string{"reason", "class"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "requests_in_flight",
		Help: "Requests in flight that may call the cluster (reads from memory are not counted); shed past Config.InFlightMax.",
	})
	m.queueRooms = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "waiting_rooms_in_memory",
		Help: "Waiting rooms this gateway keeps in memory, each refreshed by one background loop.",
	})
	reg.MustRegister(m.admissionRate, m.shed, m.inFlight, m.queueRooms)
	reg.MustRegister(m.forged)
	reg.MustRegister(m.requests, m.latency, m.payments, m.checkins,
		m.clusterWatches, m.seatSubscribers, m.streamsOpen, m.streamEnds, m.streamsRefused, m.quotaRefusals, m.janitorDeleted, m.janitorKept,
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

// registerViews adds the view-cache counters: requests answered from
// memory by view (seats, event, events) and result (hit: from memory;
// miss: this request read the cluster; not_modified: 304 to
// If-None-Match), and the seat maps dropped (unviewed past the linger,
// evicted, or their event gone).
func (m *metrics) registerViews(reg *prometheus.Registry) {
	results := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "view_requests_total",
		Help: "Catalogue, event and seat-map views by view (seats, event, events) and result (hit: served from memory; miss: read the cluster first; not_modified: 304 to If-None-Match).",
	}, []string{"view", "result"})
	m.viewResults = map[[2]string]prometheus.Counter{}
	for _, view := range []string{viewSeats, viewEvent, viewEvents} {
		for _, result := range []string{"hit", "miss", "not_modified"} {
			m.viewResults[[2]string{view, result}] = results.WithLabelValues(view, result)
		}
	}
	m.viewDrops = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "view_seat_maps_dropped_total",
		Help: "Seat maps this gateway stopped keeping in memory: unviewed past the linger, evicted at ViewEventsMax, or their event gone.",
	})
	m.viewMaps = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "boxoffice", Subsystem: "gateway", Name: "view_seat_maps",
		Help: "Seat maps kept in memory (at most ViewEventsMax).",
	}, func() float64 { return float64(m.viewMapsKept.Load()) })
	reg.MustRegister(results, m.viewDrops, m.viewMaps)
}

func (m *metrics) viewResult(view, result string) { m.viewResults[[2]string{view, result}].Inc() }

// registerPressure exports p as boxoffice_gateway_store_pressure, read at
// each scrape.
func registerPressure(reg *prometheus.Registry, p *pressure) {
	signals := []struct {
		name string
		f    func(r pressureReading) float64
	}{
		{"saturated", func(r pressureReading) float64 {
			if r.saturated {
				return 1
			}
			return 0
		}},
		{"busy_ratio", func(r pressureReading) float64 { return r.busyRatio }},
		{"latency_ratio", func(r pressureReading) float64 { return r.latencyRatio }},
		{"in_flight", func(r pressureReading) float64 { return float64(r.storeInFlight) }},
	}
	for _, s := range signals {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "boxoffice", Subsystem: "gateway", Name: "store_pressure",
			Help:        "The cluster's headroom as this gateway measures it from its own store and cluster calls (pressure.go), by signal: saturated (0 or 1), busy_ratio (busy or unavailable answers in the last window), latency_ratio (the last window's mean latency over the baseline), in_flight (calls in flight).",
			ConstLabels: prometheus.Labels{"signal": s.name},
		}, func() float64 { return s.f(p.read()) }))
	}
}
