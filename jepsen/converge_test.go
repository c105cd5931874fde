package jepsen

import (
	"strings"
	"testing"
)

// TestCompareReplicasCatchesADifferentState: replicas at the same applied
// index with different state hashes are a mismatch; replicas that report
// no hash (Status asked without IncludeStateHashes) are not compared at
// all, which converge reports as a problem of its own rather than a pass.
func TestCompareReplicasCatchesADifferentState(t *testing.T) {
	same := map[string][]replicaState{"g000": {
		{"n1", 40, 40, "aaaaaaaaaaaaaaaa"}, {"n2", 40, 40, "aaaaaaaaaaaaaaaa"}, {"n3", 40, 40, "aaaaaaaaaaaaaaaa"}}}
	if m, pairs, gap := compareReplicas(same); len(m) != 0 || pairs != 3 || gap != "" {
		t.Fatalf("equal replicas: mismatches %v, %d pairs, gap %q; want none, 3, none", m, pairs, gap)
	}

	planted := map[string][]replicaState{"g000": {
		{"n1", 40, 40, "aaaaaaaaaaaaaaaa"}, {"n2", 40, 40, "bbbbbbbbbbbbbbbb"}, {"n3", 40, 40, "aaaaaaaaaaaaaaaa"}}}
	m, pairs, _ := compareReplicas(planted)
	if pairs != 3 || len(m) != 2 || !strings.Contains(m[0], "state hash differs at index 40") {
		t.Fatalf("a replica with another state: mismatches %v, %d pairs; want 2 mismatches over 3 pairs", m, pairs)
	}

	unhashed := map[string][]replicaState{"g000": {{"n1", 40, 0, ""}, {"n2", 40, 0, ""}, {"n3", 40, 0, ""}}}
	if m, pairs, _ := compareReplicas(unhashed); len(m) != 0 || pairs != 0 {
		t.Fatalf("replicas without hashes: mismatches %v, %d pairs; want nothing compared", m, pairs)
	}

	behind := map[string][]replicaState{"g000": {{"n1", 40, 40, "aaaaaaaaaaaaaaaa"}, {"n2", 38, 38, "cccccccccccccccc"}}}
	if m, pairs, gap := compareReplicas(behind); len(m) != 0 || pairs != 0 || gap == "" {
		t.Fatalf("a replica behind: mismatches %v, %d pairs, gap %q; want a gap and nothing compared", m, pairs, gap)
	}
}
