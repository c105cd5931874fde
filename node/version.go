package node

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Version is the release this binary was built from. `make build` sets it
// from `git describe --tags --always --dirty` with
//
//	-ldflags "-X github.com/boxoffice/boxoffice/node.Version=v0.2.0"
//
// Empty (go build, go run, go test): ReleaseVersion falls back on the
// module's build information, then on "dev".
var Version string

// ReleaseVersion is the release a node announces in gossip, in the catalog
// and in Cluster.Status, and `boxoffice version` prints.
func ReleaseVersion() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// Feature levels. A build of level N can apply every catalog and
// state-machine command of levels <= N. Level 1 is v0.1.0, which announces
// no level at all: its catalog panics on a command type it does not know,
// so a command that a level-1 build cannot apply is proposed only once
// every registered node runs at least the level that introduced it
// (requireFeatureLevel). Raise featureLevelCurrent when a release adds
// such a command, and gate the command on the new level.
//
// Levels:
//
//	1: v0.1.0
//	2: added data groups, shard moves, decommission, survival goals and
//	   rebalancing (the catalog and fsm commands gated on 2)
//	3: record placement tags and RECORD_BATCH
const (
	// featureLevelUnannounced is the level of a node that gossips none.
	featureLevelUnannounced = 1
	// featureLevelRememberShard marks seat commands remember_shard, so
	// that a shard move (level 2 too) carries their dedup entries.
	featureLevelRememberShard = 2
	// featureLevelRecordBatch places Records keys by their placement tag
	// and opens Records.Batch (fsm RECORD_BATCH).
	featureLevelRecordBatch = 3
	featureLevelCurrent     = 3
)

// FeatureLevel is the feature level of this build.
func FeatureLevel() int { return featureLevelCurrent }

// ErrClusterUpgrading refuses a feature that some registered node's build
// cannot apply yet (requireFeatureLevel).
var ErrClusterUpgrading = errors.New("cluster upgrading")

// clusterUpgradingError names the nodes that hold a feature back.
type clusterUpgradingError struct {
	level   int
	nodeIDs []string // sorted
	levels  []int    // levels[i] is nodeIDs[i]'s
}

func (e *clusterUpgradingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "feature level %d needs every node on a newer build; still older: ", e.level)
	for i, id := range e.nodeIDs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (level %d)", id, e.levels[i])
	}
	b.WriteString("; upgrade them and retry")
	return b.String()
}

func (e *clusterUpgradingError) Unwrap() error { return ErrClusterUpgrading }

// metadata is the refusal's ErrorInfo metadata.
func (e *clusterUpgradingError) metadata() map[string]string {
	return map[string]string{boxofficev1.MetadataNodeIDs: strings.Join(e.nodeIDs, ",")}
}

// recordFeatureLevel is the level a catalog record announces: a node of a
// release that announces none is level 1.
func recordFeatureLevel(n *nodepb.NodeRecord) int {
	if n.GetFeatureLevel() == 0 {
		return featureLevelUnannounced
	}
	return int(n.GetFeatureLevel())
}

// clusterFeatureLevel is the lowest level of the registered nodes (the
// catalog keeps removed nodes apart, so they do not count), and whether
// they run more than one release. With no node registered yet it is this
// build's level.
func clusterFeatureLevel(nodes []*nodepb.NodeRecord) (level int, mixed bool) {
	level = featureLevelCurrent
	for i, n := range nodes {
		level = min(level, recordFeatureLevel(n))
		if i > 0 && n.GetReleaseVersion() != nodes[0].GetReleaseVersion() {
			mixed = true
		}
	}
	return level, mixed
}

// checkFeatureLevel returns nil when every node in nodes announces at least
// level, and otherwise a *clusterUpgradingError naming those that do not.
func checkFeatureLevel(nodes []*nodepb.NodeRecord, level int) error {
	older := &clusterUpgradingError{level: level}
	byID := slices.Clone(nodes)
	slices.SortFunc(byID, func(a, b *nodepb.NodeRecord) int { return strings.Compare(a.NodeId, b.NodeId) })
	for _, n := range byID {
		if l := recordFeatureLevel(n); l < level {
			older.nodeIDs = append(older.nodeIDs, n.NodeId)
			older.levels = append(older.levels, l)
		}
	}
	if len(older.nodeIDs) > 0 {
		return older
	}
	return nil
}

// requireFeatureLevel returns nil when every registered node runs a build
// of at least level, and otherwise an error that tells the caller the
// cluster is being upgraded (FAILED_PRECONDITION, CLUSTER_UPGRADING),
// naming the nodes on an older build. It also refreshes the level
// atFeatureLevel caches, so that a node that has just let a gated command
// through places record keys as that command does.
func (h *Host) requireFeatureLevel(level int) error {
	nodes := h.announcedNodes()
	clusterLevel, _ := clusterFeatureLevel(nodes)
	h.atCurrentLevel.Store(&levelCheck{level: clusterLevel, at: time.Now()})
	return checkFeatureLevel(nodes, level)
}

// levelCheck is a cached cluster feature level (clusterFeatureLevel of
// announcedNodes).
type levelCheck struct {
	level int
	at    time.Time
}

// levelCheckMaxAge bounds how old the cached level of atFeatureLevel may
// be.
const levelCheckMaxAge = time.Second

// atFeatureLevel reports whether every registered node runs at least
// level, as requireFeatureLevel does, from an answer at most
// levelCheckMaxAge old: the seat and record commands ask it on every
// call, and requireFeatureLevel copies the catalog's node list. Only what
// does not change the outcome of a command may depend on it
// (Command.remember_shard: a replica of an older build ignores it), or
// what the upgrade procedure keeps unused until the level is reached (the
// group of a tagged record key: see recordGroup); a command older builds
// cannot apply must ask requireFeatureLevel itself.
func (h *Host) atFeatureLevel(level int) bool {
	if c := h.atCurrentLevel.Load(); c != nil && time.Since(c.at) < levelCheckMaxAge {
		return c.level >= level
	}
	clusterLevel, _ := clusterFeatureLevel(h.announcedNodes())
	h.atCurrentLevel.Store(&levelCheck{level: clusterLevel, at: time.Now()})
	return clusterLevel >= level
}

// announcedNodes is the catalog's registered nodes, each at the lower of
// the level its record holds and the level it gossips now. The record
// changes only when the meta leader, on an upgraded build, sees new
// gossip: alone it would count a node just upgraded as older for a while
// (harmless), and a node just rolled back to an older build as newer
// (not: a gated command would stop it). What the node gossips covers the
// second case at once.
func (h *Host) announcedNodes() []*nodepb.NodeRecord {
	nodes := h.catalog.Export().Nodes
	gossiped := map[string]int{}
	if h.membership != nil {
		for _, m := range h.membership.Members() {
			if m.Incarnation != "" { // "": known by name only, no metadata yet
				gossiped[m.NodeID] = max(m.FeatureLevel, featureLevelUnannounced)
			}
		}
	}
	for _, n := range nodes {
		if g, ok := gossiped[n.NodeId]; ok && g < recordFeatureLevel(n) {
			n.FeatureLevel = uint32(g)
		}
	}
	return nodes
}

// CheckFeatureLevel answers Cluster.CheckFeatureLevel: whether features of
// a level may be used, the last step of an upgrade.
func (c *clusterService) CheckFeatureLevel(ctx context.Context, req *boxofficev1.CheckFeatureLevelRequest) (*boxofficev1.CheckFeatureLevelResponse, error) {
	level := int(req.GetFeatureLevel())
	if level == 0 {
		level = featureLevelCurrent
	}
	if level > featureLevelCurrent {
		return nil, toStatus(ctx, invalid("feature_level %d is above this node's build (level %d)", level, featureLevelCurrent))
	}
	nodes := c.host.announcedNodes()
	if err := checkFeatureLevel(nodes, level); err != nil {
		return nil, toStatus(ctx, err)
	}
	clusterLevel, _ := clusterFeatureLevel(nodes)
	return &boxofficev1.CheckFeatureLevelResponse{FeatureLevel: uint32(level), ClusterFeatureLevel: uint32(clusterLevel)}, nil
}
