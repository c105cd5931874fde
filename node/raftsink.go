package node

import (
	"math"
	"strings"
	"sync"

	metrics "github.com/hashicorp/go-metrics/compat"
	"github.com/prometheus/client_golang/prometheus"
)

// raftSink is the go-metrics sink hashicorp/raft's own metrics go through
// to Prometheus. go-metrics' Prometheus sink turns every timing into a
// Summary with quantile streams of a few tens of KB each; with a series
// per metric, group and peer that was ~4 MB of a node's heap, about 4 bytes
// per seat of a node holding a million seats. Timings here are Histograms
// instead (fixed buckets, a few hundred bytes a series), which also
// aggregate across nodes, unlike quantiles. Values keep go-metrics' unit:
// milliseconds for timings.
type raftSink struct {
	registerer prometheus.Registerer

	mu         sync.Mutex
	histograms map[string]*prometheus.HistogramVec
	counters   map[string]*prometheus.CounterVec
	gauges     map[string]*prometheus.GaugeVec
	refused    map[string]bool // name clashes with another kind or label set
}

// raftSampleBuckets cover 10 µs to 60 s (as milliseconds) and the small
// counts raft also reports as samples (entries per dispatch).
var raftSampleBuckets = prometheus.ExponentialBucketsRange(0.01, 60_000, 24)

func newRaftSink(r prometheus.Registerer) *raftSink {
	return &raftSink{
		registerer: r,
		histograms: map[string]*prometheus.HistogramVec{},
		counters:   map[string]*prometheus.CounterVec{},
		gauges:     map[string]*prometheus.GaugeVec{},
		refused:    map[string]bool{},
	}
}

var _ metrics.MetricSink = (*raftSink)(nil)

// flatName turns go-metrics' key into a Prometheus name the way
// go-metrics' own sink does: parts joined by '_', other characters that
// Prometheus refuses replaced by '_'.
func flatName(key []string) string {
	name := strings.Join(key, "_")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ':' {
			return r
		}
		return '_'
	}, name)
}

func labelNames(labels []metrics.Label) ([]string, []string) {
	names := make([]string, len(labels))
	values := make([]string, len(labels))
	for i, l := range labels {
		names[i] = flatName([]string{l.Name})
		values[i] = l.Value
	}
	return names, values
}

// vecKey identifies a series family: one name with one set of label names.
func vecKey(name string, labels []string) string {
	return name + "\x00" + strings.Join(labels, "\x00")
}

// lookup returns the vec of (name, label names), creating and registering
// it with create on first use; nil when it cannot be registered (the name
// is taken by another kind or label set), which drops the sample.
func lookup[V prometheus.Collector](s *raftSink, m map[string]V, name string, labels []string, create func() V) (V, bool) {
	key := vecKey(name, labels)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := m[key]; ok {
		return v, true
	}
	var zero V
	if s.refused[key] {
		return zero, false
	}
	v := create()
	if err := s.registerer.Register(v); err != nil {
		s.refused[key] = true
		return zero, false
	}
	m[key] = v
	return v, true
}

func (s *raftSink) observe(key []string, val float32, labels []metrics.Label) {
	name := flatName(key)
	names, values := labelNames(labels)
	h, ok := lookup(s, s.histograms, name, names, func() *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Buckets: raftSampleBuckets,
			Help: "hashicorp/raft sample " + strings.Join(key, ".") + " (timings in milliseconds)"}, names)
	})
	if ok {
		h.WithLabelValues(values...).Observe(float64(val))
	}
}

func (s *raftSink) add(key []string, val float32, labels []metrics.Label) {
	name := flatName(key)
	names, values := labelNames(labels)
	c, ok := lookup(s, s.counters, name, names, func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "hashicorp/raft counter " + strings.Join(key, ".")}, names)
	})
	if ok && val >= 0 && !math.IsInf(float64(val), 0) {
		c.WithLabelValues(values...).Add(float64(val))
	}
}

func (s *raftSink) set(key []string, val float64, labels []metrics.Label) {
	name := flatName(key)
	names, values := labelNames(labels)
	g, ok := lookup(s, s.gauges, name, names, func() *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "hashicorp/raft gauge " + strings.Join(key, ".")}, names)
	})
	if ok {
		g.WithLabelValues(values...).Set(val)
	}
}

func (s *raftSink) SetGauge(key []string, val float32) { s.set(key, float64(val), nil) }
func (s *raftSink) SetGaugeWithLabels(key []string, val float32, labels []metrics.Label) {
	s.set(key, float64(val), labels)
}
func (s *raftSink) SetPrecisionGauge(key []string, val float64) { s.set(key, val, nil) }
func (s *raftSink) SetPrecisionGaugeWithLabels(key []string, val float64, labels []metrics.Label) {
	s.set(key, val, labels)
}
func (s *raftSink) EmitKey(key []string, val float32)     {} // unused by raft; no Prometheus shape
func (s *raftSink) IncrCounter(key []string, val float32) { s.add(key, val, nil) }
func (s *raftSink) IncrCounterWithLabels(key []string, val float32, labels []metrics.Label) {
	s.add(key, val, labels)
}
func (s *raftSink) AddSample(key []string, val float32) { s.observe(key, val, nil) }
func (s *raftSink) AddSampleWithLabels(key []string, val float32, labels []metrics.Label) {
	s.observe(key, val, labels)
}
