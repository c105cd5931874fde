package node

import (
	"fmt"
	"maps"
	"testing"

	metrics "github.com/hashicorp/go-metrics/compat"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// raft's timings, counters and gauges reach Prometheus under go-metrics'
// names, timings as histograms; a name reused with other labels is
// dropped, not a panic.
func TestRaftSink(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newRaftSink(reg)
	group := []metrics.Label{{Name: "group", Value: "g000"}}
	s.AddSampleWithLabels([]string{"boxoffice", "raft", "commitTime"}, 1.5, group)
	s.AddSampleWithLabels([]string{"boxoffice", "raft", "commitTime"}, 30, group)
	s.IncrCounter([]string{"boxoffice", "raft", "apply"}, 3)
	s.IncrCounter([]string{"boxoffice", "raft", "apply"}, 2)
	s.SetGaugeWithLabels([]string{"boxoffice", "raft", "peers"}, 3, group)
	s.AddSample([]string{"boxoffice", "raft", "commitTime"}, 1) // other label set: dropped
	s.AddSample([]string{"boxoffice", "raft", "apply"}, 1)      // a counter's name: dropped

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		m := f.GetMetric()
		if len(m) != 1 {
			t.Errorf("%s: %d series, want 1", f.GetName(), len(m))
			continue
		}
		var labels []string
		for _, l := range m[0].GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			got[f.GetName()] = fmt.Sprintf("histogram%v count %d sum %g", labels, m[0].GetHistogram().GetSampleCount(), m[0].GetHistogram().GetSampleSum())
		case dto.MetricType_COUNTER:
			got[f.GetName()] = fmt.Sprintf("counter%v %g", labels, m[0].GetCounter().GetValue())
		case dto.MetricType_GAUGE:
			got[f.GetName()] = fmt.Sprintf("gauge%v %g", labels, m[0].GetGauge().GetValue())
		}
	}
	want := map[string]string{
		"boxoffice_raft_commitTime": "histogram[group=g000] count 2 sum 31.5",
		"boxoffice_raft_apply":      "counter[] 5",
		"boxoffice_raft_peers":      "gauge[group=g000] 3",
	}
	if !maps.Equal(got, want) {
		t.Errorf("exported %v\nwant %v", got, want)
	}
}
