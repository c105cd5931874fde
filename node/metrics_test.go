package node

import (
	"testing"
	"time"
)

// counterSum is the sum over every series of the counter family name in
// h's registry (0 if it has none yet).
func counterSum(t testing.TB, h *Host, name string) float64 {
	t.Helper()
	families, err := h.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// clusterCounterSum is counterSum over every running host of tc, waiting
// up to wait for it to reach at least want.
func clusterCounterSum(t testing.TB, tc *TestCluster, name string, want float64, wait time.Duration) float64 {
	t.Helper()
	sum := 0.0
	waitUntil(wait, func() bool {
		sum = 0
		for _, h := range tc.hosts {
			if h != nil {
				sum += counterSum(t, h, name)
			}
		}
		return sum >= want
	})
	return sum
}

// gaugeValues maps each series of the gauge family name in h's registry,
// by the value of its "group" label ("" without one), to its value.
func gaugeValues(t testing.TB, h *Host, name string) map[string]float64 {
	t.Helper()
	families, err := h.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			group := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "group" {
					group = l.GetValue()
				}
			}
			out[group] = m.GetGauge().GetValue()
		}
	}
	return out
}

// The gauges the operator's alerts read (deploy/prometheus/alerts.yml):
// every replica of every group is one of its configuration's voters, the
// data groups' proposal queues are empty and bounded, the data dir's disk
// is measured and the node's clock is reported.
func TestHealthMetrics(t *testing.T) {
	tc := NewTestCluster(t, 3)
	before := float64(time.Now().UnixNano()) / 1e9
	votersOf := map[string]float64{}
	for i := range tc.Len() {
		h := tc.Host(i)
		voters := gaugeValues(t, h, "boxoffice_raft_voters")
		if len(voters) == 0 || voters["meta"] != 3 {
			t.Fatalf("node %d: boxoffice_raft_voters = %v, want 3 for every group (meta too)", i, voters)
		}
		for group, v := range gaugeValues(t, h, "boxoffice_raft_voter") {
			if voters[group] != 3 {
				t.Errorf("node %d group %s: boxoffice_raft_voters = %v, want 3", i, group, voters[group])
			}
			votersOf[group] += v
		}
		if rf := gaugeValues(t, h, "boxoffice_node_replication_factor")[""]; rf != 3 {
			t.Errorf("node %d: boxoffice_node_replication_factor = %v, want 3", i, rf)
		}
		depth := gaugeValues(t, h, "boxoffice_group_proposal_queue_depth")
		capacity := gaugeValues(t, h, "boxoffice_group_proposal_queue_capacity")
		if len(depth) == 0 || len(depth) != len(capacity) {
			t.Errorf("node %d: queue depth %v, capacity %v: want one of each per data group", i, depth, capacity)
		}
		if _, ok := depth["meta"]; ok {
			t.Errorf("node %d: the meta group has no proposal queue, yet reports a depth", i)
		}
		for group, c := range capacity {
			if c != float64(h.cfg.Group.ProposalQueueMax) || depth[group] != 0 {
				t.Errorf("node %d group %s: queue depth %v of %v on an idle cluster, want 0 of %d", i, group, depth[group], c, h.cfg.Group.ProposalQueueMax)
			}
		}
		free := gaugeValues(t, h, "boxoffice_node_data_dir_free_bytes")[""]
		size := gaugeValues(t, h, "boxoffice_node_data_dir_size_bytes")[""]
		if free <= 0 || size < free {
			t.Errorf("node %d: data dir free %v bytes of %v, want 0 < free <= size", i, free, size)
		}
		now := gaugeValues(t, h, "boxoffice_node_time_seconds")[""]
		if after := float64(time.Now().UnixNano()) / 1e9; now < before || now > after {
			t.Errorf("node %d: boxoffice_node_time_seconds = %f, want within [%f, %f]", i, now, before, after)
		}
	}
	for group, n := range votersOf {
		if n != 3 {
			t.Errorf("group %s: %v replicas report boxoffice_raft_voter 1, want 3", group, n)
		}
	}
}
