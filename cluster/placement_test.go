package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPlaceShards(t *testing.T) {
	groups := []string{"g000", "g001", "g002"}
	venue := OnSaleVenue(6, 1, 2)
	tests := []struct {
		name                         string
		shardCount, groupCount, offs int
		wantGroups                   []string // group of each shard
		wantSections                 [][]string
	}{
		{name: "default: one group, one shard", wantGroups: []string{"g000"},
			wantSections: [][]string{{"S0", "S1", "S2", "S3", "S4", "S5"}}},
		{name: "the next event goes to the next group", offs: 1, wantGroups: []string{"g001"}},
		{name: "offset wraps", offs: 5, wantGroups: []string{"g002"}},
		{name: "several shards in one group", shardCount: 3, wantGroups: []string{"g000", "g000", "g000"},
			wantSections: [][]string{{"S0", "S3"}, {"S1", "S4"}, {"S2", "S5"}}},
		{name: "spread over every group", groupCount: 3, wantGroups: []string{"g000", "g001", "g002"}},
		{name: "spread from an offset", groupCount: 2, offs: 2, wantGroups: []string{"g002", "g000"}},
		{name: "more shards than groups", shardCount: 4, groupCount: 2, offs: 1,
			wantGroups: []string{"g001", "g002", "g001", "g002"}},
		{name: "shards capped by sections", shardCount: 9, wantGroups: []string{"g000", "g000", "g000", "g000", "g000", "g000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shards, err := PlaceShards(venue, groups, tt.shardCount, tt.groupCount, tt.offs)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, s := range shards {
				if int(s.Shard) != i {
					t.Fatalf("shard %d numbered %d", i, s.Shard)
				}
				got = append(got, s.GroupId)
				if tt.wantSections != nil && strings.Join(s.SectionIds, ",") != strings.Join(tt.wantSections[i], ",") {
					t.Errorf("shard %d has sections %v, want %v", i, s.SectionIds, tt.wantSections[i])
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantGroups, ",") {
				t.Errorf("groups %v, want %v", got, tt.wantGroups)
			}
		})
	}
}

func TestPlaceShardsRefusesMoreGroupsThanExist(t *testing.T) {
	_, err := PlaceShards(OnSaleVenue(6, 1, 2), []string{"g000", "g001"}, 0, 3, 0)
	if err == nil || !strings.Contains(err.Error(), "group_count 3 exceeds the 2 data groups") {
		t.Fatalf("err = %v", err)
	}
}

// localities builds a node → locality map from "id:key=value,..." specs.
func localities(t *testing.T, specs ...string) map[string]Locality {
	t.Helper()
	nodes := map[string]Locality{}
	for _, spec := range specs {
		id, text, _ := strings.Cut(spec, ":")
		l, err := ParseLocality(text)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		nodes[id] = l
	}
	return nodes
}

func TestInitialGroups(t *testing.T) {
	tests := []struct {
		name      string
		nodes     []string
		count, rf int
		want      []string // replicas of each group, preferred leader first
	}{
		{name: "no locality: consecutive nodes from node i",
			nodes: []string{"n1", "n2", "n3", "n4", "n5"}, count: 5, rf: 3,
			want: []string{"n1,n2,n3", "n2,n3,n4", "n3,n4,n5", "n4,n5,n1", "n5,n1,n2"}},
		{name: "one locality for all: as without",
			nodes: []string{"n1:region=a", "n2:region=a", "n3:region=a", "n4:region=a"}, count: 4, rf: 3,
			want: []string{"n1,n2,n3", "n2,n3,n4", "n3,n4,n1", "n4,n1,n2"}},
		{name: "RF above the nodes: every node",
			nodes: []string{"n1", "n2"}, count: 2, rf: 3,
			want: []string{"n1,n2", "n2,n1"}},
		{name: "RF=3 over 3 regions of 1: one in each",
			nodes: []string{"n1:region=a", "n2:region=b", "n3:region=c"}, count: 3, rf: 3,
			want: []string{"n1,n2,n3", "n2,n3,n1", "n3,n1,n2"}},
		{name: "RF=3 over 3 regions of 2 (ids not in region order): one in each",
			nodes: []string{"n1:region=a", "n2:region=a", "n3:region=b", "n4:region=c", "n5:region=b", "n6:region=c"}, count: 6, rf: 3,
			want: []string{"n1,n3,n4", "n2,n5,n6", "n3,n4,n1", "n5,n6,n2", "n6,n5,n1", "n4,n2,n3"}},
		{name: "RF=5 over 3 regions: 2, 2 and 1",
			nodes: []string{"n1:region=a", "n2:region=a", "n3:region=b", "n4:region=b", "n5:region=c", "n6:region=c"}, count: 6, rf: 5,
			want: []string{"n1,n3,n5,n2,n4", "n6,n2,n3,n4,n5", "n3,n6,n1,n4,n5", "n2,n6,n4,n1,n5", "n5,n1,n3,n6,n2", "n4,n6,n1,n2,n3"}},
		{name: "uneven regions: the lone nodes are in every group",
			nodes: []string{"a1:region=a", "a2:region=a", "a3:region=a", "b1:region=b", "c1:region=c"}, count: 5, rf: 3,
			want: []string{"a1,b1,c1", "a2,b1,c1", "a3,b1,c1", "b1,a1,c1", "c1,a2,b1"}},
		{name: "zones within a region come before a second replica in a zone",
			nodes: []string{"n1:region=a,zone=a1", "n2:region=a,zone=a1", "n3:region=a,zone=a2", "n4:region=b,zone=b1"}, count: 4, rf: 3,
			want: []string{"n1,n4,n3", "n2,n4,n3", "n3,n4,n1", "n4,n2,n3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for i, g := range InitialGroups(localities(t, tt.nodes...), tt.count, tt.rf) {
				if g.GroupId != GroupID(i) || strings.Join(g.InitialReplicas, ",") != strings.Join(g.Replicas, ",") {
					t.Fatalf("group %d: %v", i, g)
				}
				got = append(got, strings.Join(g.Replicas, ","))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("replicas\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestInitialGroupsSpreadAndBalance checks the promises over larger
// layouts: each group spans as many regions as it can with the most even
// counts, and every node holds the same replicas and leads the same groups
// when the regions are equal.
func TestInitialGroupsSpreadAndBalance(t *testing.T) {
	for _, tc := range []struct {
		regions, perRegion, rf int
		wantPerRegion          []int // replicas per region of every group, sorted
	}{
		{3, 1, 3, []int{1, 1, 1}},
		{3, 2, 3, []int{1, 1, 1}},
		{3, 3, 3, []int{1, 1, 1}},
		{3, 2, 5, []int{1, 2, 2}},
		{3, 3, 5, []int{1, 2, 2}},
		{5, 1, 5, []int{1, 1, 1, 1, 1}},
		{2, 3, 3, []int{1, 2}},
	} {
		var specs []string
		for r := range tc.regions {
			for k := range tc.perRegion {
				specs = append(specs, fmt.Sprintf("n%d%d:region=r%d,zone=z%d", r, k, r, k))
			}
		}
		nodes := localities(t, specs...)
		count := 4 * len(nodes)
		replicas, leaders := map[string]int{}, map[string]int{}
		for _, g := range InitialGroups(nodes, count, tc.rf) {
			perRegion := map[string]int{}
			for _, id := range g.Replicas {
				perRegion[nodes[id][0].Value]++
				replicas[id]++
			}
			leaders[g.Replicas[0]]++
			var counts []int
			for _, c := range perRegion {
				counts = append(counts, c)
			}
			slices.Sort(counts)
			if !slices.Equal(counts, tc.wantPerRegion) {
				t.Errorf("%+v: group %s has %v per region (%v), want %v", tc, g.GroupId, counts, g.Replicas, tc.wantPerRegion)
			}
		}
		for id := range nodes {
			if replicas[id] != count*tc.rf/len(nodes) || leaders[id] != count/len(nodes) {
				t.Errorf("%+v: %s holds %d replicas and leads %d groups, want %d and %d",
					tc, id, replicas[id], leaders[id], count*tc.rf/len(nodes), count/len(nodes))
			}
		}
	}
}

func TestPickReplica(t *testing.T) {
	nodes := localities(t, "a1:region=a,zone=x", "a2:region=a,zone=y", "a3:region=a,zone=x",
		"b1:region=b", "b2:region=b", "c1:region=c", "n1", "n2")
	tests := []struct {
		name     string
		replicas []string
		load     map[string]int
		want     string
	}{
		{name: "a missing region first, even on a busier node",
			replicas: []string{"a1", "b1"}, load: map[string]int{"a2": 0, "b2": 0, "c1": 9}, want: "c1"},
		{name: "then a missing zone",
			replicas: []string{"a1", "b1", "c1"}, load: map[string]int{"a2": 5, "a3": 0}, want: "a2"},
		{name: "then the least loaded",
			replicas: []string{"a1", "c1"}, load: map[string]int{"b1": 3, "b2": 2}, want: "b2"},
		{name: "then the smallest id",
			replicas: []string{"a1", "c1"}, load: map[string]int{"b2": 2, "b1": 2}, want: "b1"},
		{name: "replicas are never candidates",
			replicas: []string{"a1", "c1"}, load: map[string]int{"a1": 0, "c1": 0}, want: ""},
		{name: "no locality: the least loaded, as before",
			replicas: []string{"n1"}, load: map[string]int{"n1": 0, "n2": 4, "a2": 1}, want: "a2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PickReplica(nodes, tt.replicas, tt.load); got != tt.want {
				t.Errorf("PickReplica(%v) = %q, want %q", tt.replicas, got, tt.want)
			}
		})
	}
}

func TestParseLocality(t *testing.T) {
	for _, tc := range []struct {
		text, want, wantErr string
	}{
		{text: "", want: ""},
		{text: "region=eu-west,zone=eu-west-1a", want: "region=eu-west,zone=eu-west-1a"},
		{text: "region=EU.West_2", want: "region=EU.West_2"},
		{text: "region", wantErr: `tier 1 "region": want key=value`},
		{text: "region=eu,zone=", wantErr: `tier 2 "zone=": the value must be 1..64 characters`},
		{text: "region=eu,=x", wantErr: `tier 2 "=x": the key must be 1..32 characters`},
		{text: "Region=eu", wantErr: `tier 1 "Region=eu": the key may hold only a-z, 0-9, '-' and '_'`},
		{text: "region=eu,zone=a,region=us", wantErr: `tier 3 "region=us": key "region" given twice`},
		{text: "region=eu west", wantErr: `tier 1 "region=eu west": the value may hold only letters, digits, '-', '_' and '.'`},
		{text: "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1", wantErr: "9 tiers: at most 8"},
		{text: "region=" + strings.Repeat("x", 64) + ",zone=" + strings.Repeat("y", 60), wantErr: "longer than 128 characters"},
	} {
		l, err := ParseLocality(tc.text)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseLocality(%q) = %v, %v; want error %q", tc.text, l, err, tc.wantErr)
			}
		case err != nil || l.String() != tc.want:
			t.Errorf("ParseLocality(%q) = %q, %v; want %q", tc.text, l, err, tc.want)
		}
	}
}
