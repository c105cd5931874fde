package cluster

import (
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
