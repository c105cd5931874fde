package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node"
)

// demoRegions are the regions of demo --regions N, the first N of them.
var demoRegions = []string{"us-east", "eu-west", "ap-south", "sa-east", "af-south"}

// demoLatencyTable is the one-way latency between two of demoRegions,
// roughly half the round trips between such cloud regions.
var demoLatencyTable = map[[2]string]time.Duration{
	{"us-east", "eu-west"}:   40 * time.Millisecond,
	{"eu-west", "ap-south"}:  75 * time.Millisecond,
	{"us-east", "ap-south"}:  120 * time.Millisecond,
	{"us-east", "sa-east"}:   60 * time.Millisecond,
	{"eu-west", "sa-east"}:   95 * time.Millisecond,
	{"ap-south", "sa-east"}:  150 * time.Millisecond,
	{"us-east", "af-south"}:  110 * time.Millisecond,
	{"eu-west", "af-south"}:  80 * time.Millisecond,
	{"ap-south", "af-south"}: 130 * time.Millisecond,
	{"sa-east", "af-south"}:  170 * time.Millisecond,
}

// demoNodesPerRegion is the nodes of each region, one per zone.
const demoNodesPerRegion = 3

// demoLatencies is the default latency table between the first n regions.
func demoLatencies(n int) []node.RegionLatency {
	var table []node.RegionLatency
	for i := range n {
		for j := range i {
			a, b := demoRegions[j], demoRegions[i]
			table = append(table, node.RegionLatency{A: a, B: b, OneWay: demoLatencyTable[[2]string{a, b}]})
		}
	}
	return table
}

// regionsLayout is the cluster of demo --regions n: 3 nodes a region,
// one in each of its zones a, b and c, n1-n3 in the first region. latency
// is --region-latency: "" for the default table, "none" for no delays.
func regionsLayout(n int, latency string, given map[string]bool) (localLayout, error) {
	if n < 1 || n > len(demoRegions) {
		return localLayout{}, fmt.Errorf("--regions %d: must be 1..%d", n, len(demoRegions))
	}
	for _, other := range []string{"nodes", "locality"} {
		if given[other] {
			return localLayout{}, fmt.Errorf("--%s and --regions: --regions %d starts %d nodes with their localities; give one or the other", other, n, demoNodesPerRegion*n)
		}
	}
	layout := localLayout{nodes: demoNodesPerRegion * n, replication: 3, dataGroups: n, latency: demoLatencies(n)}
	if n >= 3 {
		layout.replication = 5
	}
	for _, region := range demoRegions[:n] {
		for _, zone := range []string{"a", "b", "c"} {
			layout.localities = append(layout.localities, cluster.Locality{{Key: "region", Value: region}, {Key: "zone", Value: region + "-" + zone}})
		}
	}
	switch latency {
	case "":
	case "none":
		layout.latency = nil
	default:
		table, err := node.ParseRegionLatencies(latency)
		if err != nil {
			return localLayout{}, fmt.Errorf("--region-latency %q: %w", latency, err)
		}
		for _, pair := range table {
			for _, region := range []string{pair.A, pair.B} {
				if !slices.Contains(demoRegions[:n], region) {
					return localLayout{}, fmt.Errorf("--region-latency %q: region %q is not one of the demo's: %s", latency, region, strings.Join(demoRegions[:n], ", "))
				}
			}
		}
		layout.latency = table
	}
	return layout, nil
}

// regionOfNode is node i's region in layout.
func regionOfNode(layout localLayout, i int) string {
	if i < len(layout.localities) && len(layout.localities[i]) > 0 {
		return layout.localities[i][0].Value
	}
	return ""
}

// regionsBanner says how the regions demo is laid out and what to try.
func regionsBanner(hosts []*node.Host, layout localLayout) string {
	var b strings.Builder
	var regions, addrs []string
	fmt.Fprintf(&b, "\nRegions (replication factor %d, %d data groups):\n", layout.replication, layout.dataGroups)
	for i := 0; i < len(hosts); i += demoNodesPerRegion {
		region := regionOfNode(layout, i)
		regions = append(regions, region)
		addrs = append(addrs, hosts[i].GRPCAddr())
		var ids []string
		for j := i; j < i+demoNodesPerRegion && j < len(hosts); j++ {
			ids = append(ids, hosts[j].NodeID())
		}
		fmt.Fprintf(&b, "  %-9s %s\n", region, strings.Join(ids, " "))
	}
	latency := "none"
	if len(layout.latency) > 0 {
		latency = node.FormatRegionLatencies(layout.latency)
	}
	fmt.Fprintf(&b, "One-way latency between regions (peer traffic only): %s\n", latency)
	fmt.Fprintf(&b, `
Watch leaders and localities (one address a region, so that status and
hold answer whichever region is lost):
  %[1]s ctl --addr %[2]s status
  %[1]s ctl --addr %[2]s hold demo_arena --holder fan1 --best 2
Lose a region: type "kill %[3]s" and Enter here, then run status again:
its nodes show DOWN, each group it led shows no leader (NOT READY) until
the other regions elect one, within seconds, and the event keeps selling
while each group keeps a majority. A region holding a majority of the
meta group's voters (status marks the others nonvoter) also stops
catalog changes (creating events, placing replicas): status then says
the catalog has no leader.
`, demoSelf(), strings.Join(addrs, ","), regions[len(regions)-1])
	return b.String()
}

// demoCommand runs one line typed into the regions demo and says what it
// did: "kill REGION" stops the region's nodes abruptly (as a power cut
// would: no hand-off, no goodbye to gossip).
func demoCommand(line string, hosts []*node.Host, layout localLayout) string {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return `commands: "kill REGION"`
	}
	if fields[0] != "kill" || len(fields) != 2 {
		return fmt.Sprintf("%q: unknown command; commands: \"kill REGION\"", line)
	}
	region := fields[1]
	var known []string
	var killed []string
	for i, h := range hosts {
		r := regionOfNode(layout, i)
		if !slices.Contains(known, r) {
			known = append(known, r)
		}
		if r == region {
			h.Kill() // a second kill of the same node does nothing
			killed = append(killed, h.NodeID())
		}
	}
	if len(killed) == 0 {
		return fmt.Sprintf("kill %q: no such region; the demo's regions: %s", region, strings.Join(known, ", "))
	}
	return fmt.Sprintf("killed %s (%s)", strings.Join(killed, " "), region)
}
