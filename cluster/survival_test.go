package cluster

import (
	"strings"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

const (
	goalZone   = boxofficev1.SurvivalGoal_SURVIVAL_GOAL_ZONE
	goalRegion = boxofficev1.SurvivalGoal_SURVIVAL_GOAL_REGION
	goalNone   = boxofficev1.SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED
)

func TestSurvivesLoss(t *testing.T) {
	nodes := localities(t, "a1:region=a,zone=a1", "a2:region=a,zone=a2", "b1:region=b,zone=b1", "b2:region=b,zone=b2",
		"c1:region=c,zone=c1", "x:")
	tests := []struct {
		goal     boxofficev1.SurvivalGoal
		replicas string
		want     bool
	}{
		{goalRegion, "a1,b1,c1", true},
		{goalRegion, "a1,a2,b1", false},      // losing a leaves 1 of 3
		{goalZone, "a1,a2,b1", true},         // three zones
		{goalRegion, "a1,a2,b1,b2,c1", true}, // 2/2/1 of 5
		{goalRegion, "a1,a2,b1,b2", false},   // losing a leaves 2 of 4
		{goalRegion, "a1", false},
		{goalZone, "x,a1,b1", true},
		{goalNone, "a1", true},
	}
	for _, tt := range tests {
		if got := SurvivesLoss(tt.goal, strings.Split(tt.replicas, ","), nodes); got != tt.want {
			t.Errorf("SurvivesLoss(%v, %s) = %v, want %v", tt.goal, tt.replicas, got, tt.want)
		}
	}
}

func TestGoalPossible(t *testing.T) {
	two := localities(t, "n1:region=us-east", "n2:region=eu-west", "n3:region=eu-west")
	three := localities(t, "n1:region=us-east", "n2:region=eu-west", "n3:region=ap")
	none := localities(t, "n1:", "n2:", "n3:")
	tests := []struct {
		name  string
		goal  boxofficev1.SurvivalGoal
		nodes map[string]Locality
		rf    int
		want  string // "" for possible
	}{
		{"region in 2 regions", goalRegion, two, 3,
			"region survival needs replicas in at least 3 regions; nodes are in 2: eu-west, us-east"},
		{"region in 3 regions", goalRegion, three, 3, ""},
		{"region, RF 5 in 3 regions", goalRegion, three, 5, ""},
		{"region, RF 1", goalRegion, three, 1, "region survival needs a replication factor of at least 3; it is 1"},
		{"zone without localities", goalZone, none, 3,
			"zone survival needs replicas in at least 3 zones; nodes are in 1: (no locality)"},
		{"zone with regions only", goalZone, three, 3, ""},
		{"no goal", goalNone, none, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := GoalPossible(tt.goal, tt.nodes, tt.rf)
			if got := ""; err != nil {
				got = err.Error()
				if got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			} else if tt.want != "" {
				t.Fatalf("possible, want %q", tt.want)
			}
		})
	}
}

func TestGroupsMeeting(t *testing.T) {
	nodes := localities(t, "a1:region=a,zone=a1", "a2:region=a,zone=a2", "b1:region=b,zone=b1", "c1:region=c,zone=c1")
	groups := []*nodepb.GroupRecord{
		{GroupId: "g000", Replicas: []string{"a1", "a2", "b1"}},
		{GroupId: "g001", Replicas: []string{"a1", "b1", "c1"}},
		{GroupId: "g002", Replicas: []string{"a1", "a1", "a1"}},
	}
	if got := strings.Join(GroupsMeeting(goalRegion, groups, nodes), ","); got != "g001" {
		t.Errorf("region: %s, want g001", got)
	}
	if got := strings.Join(GroupsMeeting(goalZone, groups, nodes), ","); got != "g000,g001" {
		t.Errorf("zone: %s, want g000,g001", got)
	}
	if got := strings.Join(GroupsMeeting(goalNone, groups, nodes), ","); got != "g000,g001" {
		t.Errorf("default: %s, want the zone-surviving g000,g001", got)
	}
	if got := strings.Join(GroupsMeeting(goalNone, groups[2:], nodes), ","); got != "g002" {
		t.Errorf("default with no zone-surviving group: %s, want every group", got)
	}
}

func TestDefaultGroupCount(t *testing.T) {
	tests := []struct {
		seats            uint64
		perGroup, groups int
		want             int
	}{
		{0, 0, 6, 1},
		{20_000, 0, 6, 1},
		{500_000, 0, 6, 1},
		{500_001, 0, 6, 2},
		{2_000_000, 0, 6, 4},
		{2_000_000, 0, 3, 3}, // capped by the groups meeting the goal
		{250, 100, 6, 3},
		{250, 100, 0, 1},
	}
	for _, tt := range tests {
		if got := DefaultGroupCount(tt.seats, tt.perGroup, tt.groups); got != tt.want {
			t.Errorf("DefaultGroupCount(%d, %d, %d) = %d, want %d", tt.seats, tt.perGroup, tt.groups, got, tt.want)
		}
	}
}

func TestHomeGroups(t *testing.T) {
	nodes := localities(t, "e1:region=eu", "e2:region=eu", "u1:region=us", "u2:region=us", "a1:region=ap")
	groups := []*nodepb.GroupRecord{
		{GroupId: "g000", Replicas: []string{"u1", "e1", "a1"}},                   // a replica in eu
		{GroupId: "g001", Replicas: []string{"e2", "u2", "a1"}},                   // led from eu
		{GroupId: "g002", Replicas: []string{"u2", "e2", "a1"}, HomeRegion: "us"}, // homed in us
		{GroupId: "g003", Replicas: []string{"e1", "u1", "a1"}, HomeRegion: "eu"}, // homed in eu
		{GroupId: "g004", Replicas: []string{"u1", "u2", "a1"}},                   // nothing in eu
	}
	ids := []string{"g000", "g001", "g002", "g003", "g004"}
	usInUse := func(id string) bool { return id == "g002" }
	got := HomeGroups("eu", ids, groups, nodes, usInUse, 5, 0)
	want := []HomeChoice{{GroupID: "g003"}, {GroupID: "g001", Leader: "e2"}, {GroupID: "g000", Leader: "e1"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Once no event homed in us needs g002, it can be homed in eu.
	got = HomeGroups("eu", ids, groups, nodes, func(string) bool { return false }, 5, 0)
	if len(got) != 4 || got[3] != (HomeChoice{GroupID: "g002", Leader: "e2"}) {
		t.Fatalf("got %v, want g002 last with leader e2", got)
	}
	if got := HomeGroups("eu", ids, groups, nodes, usInUse, 1, 0); len(got) != 1 || got[0].GroupID != "g003" {
		t.Fatalf("one group: got %v, want g003", got)
	}
}

// TestMetaVoters: six nodes, two per region, named so that the first
// three ids are not in three regions.
func TestMetaVoters(t *testing.T) {
	nodes := localities(t, "n1:region=a,zone=a1", "n2:region=a,zone=a2", "n3:region=b,zone=b1", "n4:region=b,zone=b2",
		"n5:region=c,zone=c1", "n6:region=c,zone=c2")
	regions := func(voters []string) string {
		var r []string
		for _, v := range voters {
			r = append(r, Region(nodes[v]))
		}
		return strings.Join(r, ",")
	}
	tests := []struct {
		name    string
		current []string
		keep    string
		count   int
		want    string
	}{
		{"three from the first three ids", []string{"n1", "n2", "n3"}, "n1", 3, "n1,n3,n5"},
		{"the leader keeps its seat", []string{"n1", "n2", "n3"}, "n2", 3, "n2,n3,n5"},
		{"a spread set is left alone", []string{"n2", "n4", "n6"}, "n4", 3, "n2,n4,n6"},
		{"five sit 2/2/1", []string{"n1", "n2", "n3", "n4", "n5"}, "n1", 5, "n1,n2,n3,n4,n5"},
		{"five from three in one region", []string{"n1", "n2"}, "n1", 5, "n1,n2,n3,n4,n5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MetaVoters(nodes, tt.current, tt.keep, tt.count)
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("voters %v (regions %s), want %s", got, regions(got), tt.want)
			}
		})
	}
	// With region a lost, the voters are in b and c.
	delete(nodes, "n1")
	delete(nodes, "n2")
	if got := MetaVoters(nodes, []string{"n1", "n3", "n5"}, "n3", 3); strings.Join(got, ",") != "n3,n4,n5" {
		t.Fatalf("region a lost: voters %v, want n3,n4,n5", got)
	}
	if MetaVotersFor(3) != 3 || MetaVotersFor(4) != 3 || MetaVotersFor(5) != 5 || MetaVotersFor(9) != 5 {
		t.Fatal("MetaVotersFor: want 3 below 5 nodes, 5 from 5")
	}
}

// TestMoreGroups: groups added to a running cluster continue the ids,
// spread over regions, and go first to the nodes that lead and hold
// fewest.
func TestMoreGroups(t *testing.T) {
	nodes := localities(t, "n1:region=a", "n2:region=b", "n3:region=c", "n4:region=a")
	existing := InitialGroups(localities(t, "n1:region=a", "n2:region=b", "n3:region=c"), 3, 3)
	added := MoreGroups(nodes, existing, 2, 3)
	if len(added) != 2 || added[0].GroupId != "g003" || added[1].GroupId != "g004" {
		t.Fatalf("added %v, want g003 and g004", added)
	}
	for _, g := range added {
		if !SurvivesLoss(goalRegion, g.Replicas, nodes) {
			t.Errorf("group %s on %v does not span 3 regions", g.GroupId, g.Replicas)
		}
		if g.Replicas[0] != "n4" && added[0].Replicas[0] != "n4" {
			t.Errorf("group %s led by %s: n4, which leads none, should lead the first new group", g.GroupId, g.Replicas[0])
		}
	}
	if added[0].Replicas[0] != "n4" {
		t.Errorf("first new group led by %s, want n4 (leads no group yet)", added[0].Replicas[0])
	}
}
