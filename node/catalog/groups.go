package catalog

import (
	"slices"

	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// addGroupsLocked applies ADD_GROUPS: all the groups or none. Their ids
// must sort after every existing group's, so two AddGroups laid out from
// the same catalog cannot both apply: the second is refused
// CATALOG_CODE_GROUPS_CHANGED and its caller lays its groups out again.
func (c *Catalog) addGroupsLocked(requestID string, groups []*nodepb.GroupRecord) *nodepb.CatalogResult {
	if len(groups) == 0 {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "add groups: no groups")
	}
	last := ""
	for id := range c.groups {
		last = max(last, id)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if g.GroupId == "" || len(g.Replicas) == 0 || !slices.Equal(g.Replicas, g.InitialReplicas) {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID,
				"add groups: group %q needs an id and replicas equal to its initial replicas", g.GroupId)
		}
		for _, r := range g.Replicas {
			if c.nodes[r] == nil {
				return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "add groups: group %q: node %q is not registered", g.GroupId, r)
			}
		}
		if _, exists := c.groups[g.GroupId]; exists || seen[g.GroupId] || g.GroupId <= last {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_GROUPS_CHANGED,
				"add groups: group %q is not after the last group %q; lay the groups out again", g.GroupId, last)
		}
		seen[g.GroupId] = true
	}
	for _, g := range groups {
		rec := proto.Clone(g).(*nodepb.GroupRecord)
		rec.AddRequestId = requestID
		c.groups[g.GroupId] = rec
	}
	return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK}
}

// setGroupHomeLocked applies SET_GROUP_HOME. A group homed in a region
// keeps that home while an event homed there (not archived) has a shard
// on it: moving its leader away would move that event's commits away from
// its fans.
func (c *Catalog) setGroupHomeLocked(s *nodepb.SetGroupHome) *nodepb.CatalogResult {
	g, exists := c.groups[s.GetGroupId()]
	if !exists {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "group %q not found", s.GetGroupId())
	}
	i := slices.Index(g.Replicas, s.GetNodeId())
	if i < 0 {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "node %q is not a replica of group %q", s.GetNodeId(), g.GroupId)
	}
	if s.GetRegion() == "" || RegionOf(c.nodes[s.GetNodeId()]) != s.GetRegion() {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "node %q is not in region %q", s.GetNodeId(), s.GetRegion())
	}
	if g.HomeRegion != "" && g.HomeRegion != s.GetRegion() {
		if e := c.homedEventOnLocked(g.GroupId, g.HomeRegion); e != "" {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_HOME_CONFLICT,
				"group %q is led from region %q for event %q", g.GroupId, g.HomeRegion, e)
		}
	}
	g.HomeRegion = s.GetRegion()
	g.Replicas = append([]string{s.GetNodeId()}, slices.Delete(slices.Clone(g.Replicas), i, i+1)...)
	return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK}
}

// homedEventOnLocked returns the first event (by id) not archived, homed
// in region, with a shard on group; "" when none.
func (c *Catalog) homedEventOnLocked(group, region string) string {
	for _, id := range sortedKeys(c.events) {
		e := c.events[id]
		if e.HomeRegion != region || e.Status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
			continue
		}
		if slices.ContainsFunc(e.Shards, func(s *nodepb.ShardRecord) bool { return s.GroupId == group }) {
			return id
		}
	}
	return ""
}

// RegionOf is a node's region: the value of its locality's first tier;
// "" for a node without a locality (or nil).
func RegionOf(n *nodepb.NodeRecord) string {
	if len(n.GetLocality()) == 0 {
		return ""
	}
	return n.GetLocality()[0].GetValue()
}
