package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/cluster/client"
)

// benchProgress is where a run's progress line goes (nowhere when quiet)
// and whether it may redraw one line in place (stderr is a terminal).
func benchProgress(quiet bool, stderr io.Writer) (progress io.Writer, inPlace bool) {
	if quiet {
		return nil, false
	}
	if f, ok := stderr.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			inPlace = true
		}
	}
	return stderr, inPlace
}

// benchSettleMax bounds how long a run waits for a fresh cluster's leaders
// to reach their preferred nodes before it starts anyway.
const benchSettleMax = 30 * time.Second

// benchSettle waits until every group of the cluster has a leader and that
// leader is the group's preferred one (the rebalancer moves leaders there
// shortly after a cluster starts or heals). A run that began while leaders
// were still moving would measure the hand-offs, not the steady state:
// every hand-off stalls its group's writes for a moment. It gives up after
// benchSettleMax and says so; the run then goes ahead.
func benchSettle(ctx context.Context, addrs []string, tlsConfig *tls.Config, progress io.Writer) error {
	c, err := client.Dial(ctx, client.Config{Addrs: addrs, TLS: tlsConfig})
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(benchSettleMax)
	for {
		unsettled, err := benchUnsettled(ctx, c)
		if err == nil && len(unsettled) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("bench: cluster status: %w", err)
			}
			if progress != nil {
				fmt.Fprintf(progress, "bench: leaders still moving after %s (%s); running anyway\n",
					benchSettleMax, strings.Join(unsettled, ", "))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// benchUnsettled lists the groups whose leader is missing or is not the
// preferred one while the preferred node is alive.
func benchUnsettled(ctx context.Context, c *client.Client) ([]string, error) {
	status, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	alive := map[string]bool{}
	for _, n := range status.GetNodes() {
		alive[n.GetNodeId()] = n.GetState() == "alive"
	}
	var unsettled []string
	for _, g := range status.GetGroups() {
		switch preferred := g.GetPreferredLeaderNodeId(); {
		case g.GetLeaderNodeId() == "":
			unsettled = append(unsettled, g.GetGroupId()+" has no leader")
		case preferred != "" && alive[preferred] && g.GetLeaderNodeId() != preferred:
			unsettled = append(unsettled, fmt.Sprintf("%s led by %s, prefers %s", g.GetGroupId(), g.GetLeaderNodeId(), preferred))
		}
	}
	return unsettled, nil
}
