package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Decommission and rebalance. Both are driven by the cluster (the meta
// leader's rebalancer); ctl sets the mark, shows what moves, and waits.
// The state is in the catalog, so running the command again after ctl
// crashed or was interrupted resumes the wait.

func ctlDecommission(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	wait := fs.Bool("wait", true, "wait until the node holds no replica, printing how many it and the others hold, then remove it as 'node remove' does; false: return once the node is marked decommissioning")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		nodeID := args[0]
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.Decommission(ctx, &boxofficev1.DecommissionRequest{NodeId: nodeID})
			return err
		})
		if err != nil {
			return err
		}
		if !*wait {
			return e.print(&boxofficev1.DecommissionResponse{}, func(out io.Writer) {
				fmt.Fprintf(out, "%s is decommissioning: its replicas are moving to other nodes (boxoffice ctl decommission %s waits, then removes it)\n", nodeID, nodeID)
			})
		}
		fmt.Fprintf(e.stderr, "%s is decommissioning; waiting until it holds no replica (interrupt to stop waiting: the moves go on)\n", nodeID)
		if err := ctlWaitLeads(ctx, e, func(resp *boxofficev1.StatusResponse) (bool, string) {
			return ctlDecommissionProgress(resp, nodeID)
		}); err != nil {
			return err
		}
		// The same path as 'node remove': RemoveNode answers once no
		// group's Raft configuration lists the node, and UNAVAILABLE
		// until then; ask again.
		for {
			_, _, err = ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
				_, err := c.RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: nodeID})
				return err
			})
			if err == nil || ctx.Err() != nil || status.Code(err) != codes.Unavailable {
				break
			}
			fmt.Fprintf(e.stderr, "remove %s: %s (asking again)\n", nodeID, ctlDescribeError(err))
			select {
			case <-ctx.Done():
			case <-time.After(ctlStatusPollInterval):
			}
		}
		if err != nil {
			return err
		}
		return e.print(&boxofficev1.DecommissionResponse{}, func(out io.Writer) {
			fmt.Fprintf(out, "%s is decommissioned: it holds no replica and is removed from the cluster; stop it (its data may be deleted)\n", nodeID)
		})
	}
}

// ctlDecommissionProgress says whether nodeID holds no replica, and the
// replicas every node holds.
func ctlDecommissionProgress(resp *boxofficev1.StatusResponse, nodeID string) (bool, string) {
	var left uint32
	found := false
	var counts []string
	for _, n := range resp.GetNodes() {
		counts = append(counts, fmt.Sprintf("%s %d", n.GetNodeId(), n.GetReplicaCount()))
		if n.GetNodeId() == nodeID {
			found, left = true, n.GetReplicaCount()
		}
	}
	if !found {
		return true, fmt.Sprintf("%s is no longer registered", nodeID)
	}
	return left == 0, fmt.Sprintf("%s holds %d replica(s) (replicas per node: %s)", nodeID, left, strings.Join(counts, ", "))
}

func ctlRecommission(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			_, err := c.Decommission(ctx, &boxofficev1.DecommissionRequest{NodeId: args[0], Recommission: true})
			return err
		})
		if err != nil {
			return err
		}
		return e.print(&boxofficev1.DecommissionResponse{}, func(out io.Writer) {
			fmt.Fprintf(out, "%s is no longer decommissioning nor draining: the rebalancer may give it replicas and leaderships again\n", args[0])
		})
	}
}

func ctlRebalance(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	dryRun := fs.Bool("dry-run", false, "print what would move and why, and change nothing")
	return func(ctx context.Context, e *ctlEnv, _ []string) error {
		ask := func() (*boxofficev1.PlanRebalanceResponse, error) {
			var plan *boxofficev1.PlanRebalanceResponse
			_, _, err := ctlEachAddr(ctx, e, func(ctx context.Context, c boxofficev1.ClusterClient) error {
				var err error
				plan, err = c.PlanRebalance(ctx, &boxofficev1.PlanRebalanceRequest{})
				return err
			})
			return plan, err
		}
		if *dryRun {
			plan, err := ask()
			if err != nil {
				return err
			}
			return e.print(plan, func(out io.Writer) { ctlPrintPlan(out, plan) })
		}
		// The rebalancer runs on its own; this waits for it and shows it.
		fmt.Fprintln(e.stderr, "waiting until the rebalancer has nothing left to move (interrupt to stop waiting: the moves go on)")
		last := ""
		for {
			plan, err := ask()
			if err != nil && (ctx.Err() != nil || !ctlNextAddrMayAnswer(err)) {
				return err
			}
			progress := ""
			if err != nil {
				progress = "plan: " + ctlDescribeError(err) + " (asking again)"
			} else {
				progress = ctlPlanProgress(plan)
			}
			if progress != last {
				fmt.Fprintln(e.stderr, progress)
				last = progress
			}
			if err == nil && len(plan.GetMoves()) == 0 && len(plan.GetInFlight()) == 0 {
				return e.print(plan, func(out io.Writer) {
					fmt.Fprintln(out, "balanced: nothing left to move")
					ctlPrintBlocked(out, plan)
				})
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(ctlStatusPollInterval):
			}
		}
	}
}

// ctlPlanProgress is one line: moves in flight and left.
func ctlPlanProgress(plan *boxofficev1.PlanRebalanceResponse) string {
	var moving []string
	for _, m := range plan.GetInFlight() {
		moving = append(moving, fmt.Sprintf("%s %s->%s", m.GetGroupId(), m.GetFromNodeId(), m.GetToNodeId()))
	}
	return fmt.Sprintf("%d move(s) in flight%s, %d planned after them", len(moving),
		ctlListSuffix(moving), len(plan.GetMoves()))
}

func ctlListSuffix(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return " (" + strings.Join(items, ", ") + ")"
}

// ctlPrintPlan prints a dry run: moves in flight, then planned moves in
// order, then replicas that cannot move.
func ctlPrintPlan(out io.Writer, plan *boxofficev1.PlanRebalanceResponse) {
	if len(plan.GetMoves()) == 0 && len(plan.GetInFlight()) == 0 {
		fmt.Fprintln(out, "balanced: nothing would move")
		ctlPrintBlocked(out, plan)
		return
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tGROUP\tMOVE\tFROM\tTO\tREASON")
	for _, m := range plan.GetInFlight() {
		fmt.Fprintf(w, "in flight\t%s\t%s\t%s\t%s\t%s\n", m.GetGroupId(), m.GetKind(), m.GetFromNodeId(), m.GetToNodeId(), m.GetReason())
	}
	for i, m := range plan.GetMoves() {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, m.GetGroupId(), m.GetKind(), ctlDash(m.GetFromNodeId()), m.GetToNodeId(), m.GetReason())
	}
	w.Flush()
	replicas, leaders := 0, 0
	for _, m := range plan.GetMoves() {
		if m.GetKind() == "leader" {
			leaders++
		} else {
			replicas++
		}
	}
	fmt.Fprintf(out, "\n%d replica move(s) and %d leader move(s) would be made, a few at a time; nothing was changed\n", replicas, leaders)
	ctlPrintBlocked(out, plan)
}

func ctlPrintBlocked(out io.Writer, plan *boxofficev1.PlanRebalanceResponse) {
	if len(plan.GetBlocked()) == 0 {
		return
	}
	fmt.Fprintln(out, "\ncannot move:")
	for _, b := range slices.Sorted(slices.Values(plan.GetBlocked())) {
		fmt.Fprintf(out, "  %s\n", b)
	}
}
