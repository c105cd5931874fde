package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// ctlMoveShard runs Cluster.MoveShard and prints the steps it took. The
// catalog records the move, so running the same command again after an
// interruption (or a failure midway) continues it.
func ctlMoveShard(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	timeout := fs.Duration("move-timeout", 2*time.Minute, "how long one node may take to finish the move before the next --addr continues it")
	return func(ctx context.Context, e *ctlEnv, args []string) error {
		eventID, groupID := args[0], args[2]
		shard, err := strconv.ParseUint(args[1], 10, 32)
		if err != nil {
			return fmt.Errorf("%w: shard %q: want a shard number (ctl events get %s lists them)", errCtlUsage, args[1], eventID)
		}
		if *timeout <= 0 {
			return fmt.Errorf("%w: --move-timeout %v: want a positive duration", errCtlUsage, *timeout)
		}
		// Each address gets the whole --move-timeout (ctlEachAddr shares
		// --timeout among them).
		opts := *e.opts
		opts.timeout = *timeout * time.Duration(max(len(opts.addrList()), 1))
		env := *e
		env.opts = &opts
		fmt.Fprintf(e.stderr, "moving shard %d of %s to group %s (the shard's holds and sales wait meanwhile)\n", shard, eventID, groupID)
		var resp *boxofficev1.MoveShardResponse
		_, _, err = ctlEachAddr(ctx, &env, func(ctx context.Context, c boxofficev1.ClusterClient) error {
			var err error
			resp, err = c.MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: eventID, Shard: uint32(shard), GroupId: groupID})
			return err
		})
		if err != nil {
			return fmt.Errorf("%w (if the move was recorded, run the same command again to continue it)", err)
		}
		return e.print(resp, func(out io.Writer) {
			if resp.Resumed {
				fmt.Fprintf(out, "continued move %s\n", resp.MoveId)
			}
			for i, s := range resp.Steps {
				fmt.Fprintf(out, "%d. %s\n", i+1, s)
			}
		})
	}
}
