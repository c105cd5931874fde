package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/catalog"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// eventPlacement is where a new event goes: its shards, and the groups
// that must first be homed in its home region (SET_GROUP_HOME).
type eventPlacement struct {
	shards []*nodepb.ShardRecord
	homes  []cluster.HomeChoice
}

// placeEvent chooses an event's groups from the catalog snap: those that
// meet its survival goal (cluster.GroupsMeeting), as many as group_count
// or, for 0, as its size asks (cluster.DefaultGroupCount), led from its
// home region when it has one (cluster.HomeGroups); then its shards on
// them (cluster.PlaceShards). Bad input is ErrInvalid; a goal or home the
// groups cannot meet is ErrSurvivalGoal.
func (h *Host) placeEvent(req *boxofficev1.CreateEventRequest, snap *nodepb.CatalogSnapshot) (*eventPlacement, error) {
	if _, known := boxofficev1.SurvivalGoal_name[int32(req.Survive)]; !known {
		return nil, invalid("survive %d is not a survival goal (want ZONE or REGION, or UNSPECIFIED for the cluster's default)", req.Survive)
	}
	if len(snap.Groups) == 0 {
		return nil, ErrNotReady
	}
	localities := map[string]cluster.Locality{}
	regions := map[string]bool{}
	for _, n := range snap.Nodes {
		localities[n.NodeId] = cluster.LocalityFromProto(n.Locality)
		regions[catalog.RegionOf(n)] = true
	}
	if req.HomeRegion != "" && !regions[req.HomeRegion] {
		names := slices.Sorted(func(yield func(string) bool) {
			for r := range regions {
				if r != "" && !yield(r) {
					return
				}
			}
		})
		return nil, invalid("home_region %q: no node runs there (regions: %s)", req.HomeRegion, orNone(names))
	}
	goal := req.Survive
	noun := strings.ToLower(strings.TrimPrefix(goal.String(), "SURVIVAL_GOAL_"))
	eligible := cluster.GroupsMeeting(goal, snap.Groups, localities)
	if len(eligible) == 0 {
		if err := cluster.GoalPossible(goal, localities, h.cfg.ReplicationFactor); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSurvivalGoal, err)
		}
		return nil, fmt.Errorf("%w: no data group has replicas that survive the loss of a %s; add groups (boxoffice ctl groups add)",
			ErrSurvivalGoal, noun)
	}
	seats, ga := cluster.VenueSeatCount(req.Venue)
	groupCount := int(req.GroupCount)
	if groupCount == 0 {
		groupCount = cluster.DefaultGroupCount(uint64(seats)+uint64(ga), h.cfg.SeatsPerGroup, len(eligible))
	}
	if groupCount > len(eligible) {
		if goal != boxofficev1.SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED {
			return nil, fmt.Errorf("%w: group_count %d, but %d data groups survive the loss of a %s",
				ErrSurvivalGoal, groupCount, len(eligible), noun)
		}
		eligible = nil
		for _, g := range snap.Groups {
			eligible = append(eligible, g.GroupId)
		}
	}
	groupIDs, offset := eligible, len(snap.Events)
	var homes []cluster.HomeChoice
	if req.HomeRegion != "" {
		inUse := homedGroupsInUse(snap)
		choices := cluster.HomeGroups(req.HomeRegion, eligible, snap.Groups, localities,
			func(id string) bool { return inUse[id] }, groupCount, offset)
		if len(choices) < groupCount {
			what := "data groups"
			if goal != boxofficev1.SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED {
				what = "data groups that survive the loss of a " + noun
			}
			return nil, fmt.Errorf("%w: home_region %q: %d %s can be led from there, the event needs %d; add groups (boxoffice ctl groups add)",
				ErrSurvivalGoal, req.HomeRegion, len(choices), what, groupCount)
		}
		groupIDs, offset = nil, 0
		for _, c := range choices {
			groupIDs = append(groupIDs, c.GroupID)
			if c.Leader != "" || groupHome(snap, c.GroupID) != req.HomeRegion {
				homes = append(homes, c)
			}
		}
	}
	shards, err := cluster.PlaceShards(req.Venue, groupIDs, int(req.ShardCount), groupCount, offset)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return &eventPlacement{shards: shards, homes: homes}, nil
}

// homeGroups makes each group of homes led from region before the event
// is created there: SET_GROUP_HOME sets its home and puts its replica in
// region first, and the rebalancer moves its leadership there.
func (h *Host) homeGroups(ctx context.Context, requestID, region string, homes []cluster.HomeChoice) error {
	if len(homes) == 0 {
		return nil
	}
	if err := h.requireFeatureLevel(2); err != nil {
		return err
	}
	for _, c := range homes {
		leader := c.Leader
		if leader == "" {
			leader = h.catalog.Group(c.GroupID).GetReplicas()[0]
		}
		res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
			Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_GROUP_HOME,
			RequestId: requestID + "/home/" + c.GroupID,
			Body: &nodepb.CatalogCommand_SetGroupHome{SetGroupHome: &nodepb.SetGroupHome{
				GroupId: c.GroupID, Region: region, NodeId: leader}},
		})
		if err != nil {
			return err
		}
		switch res.Code {
		case nodepb.CatalogCode_CATALOG_CODE_OK:
		case nodepb.CatalogCode_CATALOG_CODE_HOME_CONFLICT, nodepb.CatalogCode_CATALOG_CODE_INVALID:
			// The catalog changed since the placement: another event took
			// the group, or its replicas moved.
			return fmt.Errorf("%w: home_region %q: %s; retry with a new request_id", ErrSurvivalGoal, region, res.Message)
		default:
			return catalogRefusal(res)
		}
	}
	return nil
}

// homedGroupsInUse returns the groups that an event not archived, homed
// in the group's home region, has a shard on.
func homedGroupsInUse(snap *nodepb.CatalogSnapshot) map[string]bool {
	home := map[string]string{}
	for _, g := range snap.Groups {
		home[g.GroupId] = g.HomeRegion
	}
	inUse := map[string]bool{}
	for _, e := range snap.Events {
		if e.HomeRegion == "" || e.Status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
			continue
		}
		for _, s := range e.Shards {
			if home[s.GroupId] == e.HomeRegion {
				inUse[s.GroupId] = true
			}
		}
	}
	return inUse
}

func groupHome(snap *nodepb.CatalogSnapshot, id string) string {
	for _, g := range snap.Groups {
		if g.GroupId == id {
			return g.HomeRegion
		}
	}
	return ""
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// keepGroupHomes runs on the meta leader: a group homed in a region whose
// preferred leader (replicas[0]) is no longer there (its replicas were
// repaired or moved) gets its first replica there that is alive and not
// draining as preferred leader again (SET_PREFERRED_LEADER), one command
// per group per pass.
func (h *Host) keepGroupHomes(ctx context.Context, snap *nodepb.CatalogSnapshot) error {
	nodes := map[string]*nodepb.NodeRecord{}
	for _, n := range snap.Nodes {
		nodes[n.NodeId] = n
	}
	var errs []error
	for _, g := range snap.Groups {
		if g.HomeRegion == "" || len(g.Replicas) == 0 || catalog.RegionOf(nodes[g.Replicas[0]]) == g.HomeRegion {
			continue
		}
		i := slices.IndexFunc(g.Replicas, func(id string) bool {
			n := nodes[id]
			return catalog.RegionOf(n) == g.HomeRegion && !n.Draining && h.membership.Alive(id)
		})
		if i < 0 {
			continue
		}
		if _, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
			Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_PREFERRED_LEADER,
			Body: &nodepb.CatalogCommand_SetPreferredLeader{SetPreferredLeader: &nodepb.SetPreferredLeader{
				GroupId: g.GroupId, NodeId: g.Replicas[i]}},
		}); err != nil {
			errs = append(errs, err)
			continue
		}
		h.logger.Info("homed group led from its home again", "group", g.GroupId, "home_region", g.HomeRegion, "preferred_leader", g.Replicas[i])
	}
	return errors.Join(errs...)
}
