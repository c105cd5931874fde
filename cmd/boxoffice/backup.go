package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node"
	"github.com/boxoffice/boxoffice/node/backup"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Backup and restore: `ctl backup --to DIR` copies every group's state
// from its leader (Cluster.Backup) into DIR with a manifest (package
// node/backup); `ctl backup verify DIR` checks a backup's manifest and
// checksums; `ctl backup schedule` takes one each period with retention
// (backupschedule.go); `boxoffice restore` prepares one new node's data
// dir from a backup (node.RestoreDataDir).

// ctlBackupGroupTimeoutDefault bounds the copy of one group, retries
// included (--group-timeout).
const ctlBackupGroupTimeoutDefault = 10 * time.Minute

// ctlBackupRetryPause is the pause before asking Status again when a
// group's leader changed or did not answer.
const ctlBackupRetryPause = 200 * time.Millisecond

func ctlBackup(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	to := fs.String("to", "", "write the backup into this `directory` (created if missing; refused unless empty)")
	groupTimeout := fs.Duration("group-timeout", ctlBackupGroupTimeoutDefault, "give up on a group whose copy takes longer than this `duration`, retries on leader changes included")
	return func(ctx context.Context, e *ctlEnv, _ []string) error {
		if *to == "" {
			return fmt.Errorf("%w: backup: --to is required", errCtlUsage)
		}
		if *groupTimeout <= 0 {
			return fmt.Errorf("%w: backup: --group-timeout %v must be positive", errCtlUsage, *groupTimeout)
		}
		if err := backup.PrepareDir(*to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		m, err := ctlTakeBackup(ctx, e, *to, *groupTimeout)
		if err != nil {
			ctlRemoveBackupFiles(*to)
			return fmt.Errorf("backup failed, %s left empty: %w", *to, err)
		}
		return ctlPrintManifest(e, *to, m, "written to")
	}
}

// ctlTakeBackup copies the meta group first, then every data group its
// copy of the catalog lists: an event the catalog holds then has its
// shards in the data groups' copies, taken later (an event created between
// the two copies has shards there that the restored catalog does not
// know, which nothing reads). The data groups come from the copied
// catalog, not from Status: the node that answers Status may have just
// restarted and not yet opened, or learned of, every group, and a backup
// without one of the catalog's groups cannot be restored.
func ctlTakeBackup(ctx context.Context, e *ctlEnv, dir string, groupTimeout time.Duration) (*backup.Manifest, error) {
	m := &backup.Manifest{StartedAt: time.Now().UTC()}
	statusCtx, cancel := context.WithTimeout(ctx, e.opts.timeout)
	answer, err := ctlAskStatus(statusCtx, e)
	cancel()
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(answer.resp.GetGroups(), func(g *boxofficev1.GroupStatus) bool { return g.GetGroupId() == cluster.MetaGroupID }) {
		return nil, fmt.Errorf("%s answered no %s group: the cluster is not formed", answer.addr, cluster.MetaGroupID)
	}
	copyGroup := func(id string) (backup.Group, error) {
		groupCtx, cancel := context.WithTimeout(ctx, groupTimeout)
		defer cancel()
		return ctlBackupGroup(groupCtx, e, answer.resp, dir, id)
	}
	meta, err := copyGroup(cluster.MetaGroupID)
	if err != nil {
		return nil, err
	}
	m.Groups = append(m.Groups, meta)
	ids, err := ctlBackupCatalogGroups(dir, meta)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		g, err := copyGroup(id)
		if err != nil {
			return nil, err
		}
		m.Groups = append(m.Groups, g)
	}
	m.CompletedAt = time.Now().UTC()
	if err := backup.WriteManifest(dir, m); err != nil {
		return nil, err
	}
	return m, nil
}

// ctlBackupCatalogGroups returns the data groups, in id order, of the
// catalog copied into dir as meta.
func ctlBackupCatalogGroups(dir string, meta backup.Group) ([]string, error) {
	state, err := backup.ReadGroup(dir, meta)
	if err != nil {
		return nil, err
	}
	var catalog nodepb.CatalogSnapshot
	if err := proto.Unmarshal(state, &catalog); err != nil {
		return nil, fmt.Errorf("the copied catalog (group %s) does not decode: %v", cluster.MetaGroupID, err)
	}
	var ids []string
	for _, g := range catalog.GetGroups() {
		ids = append(ids, g.GetGroupId())
	}
	slices.Sort(ids)
	return ids, nil
}

// ctlBackupGroup copies group id from its leader, asking Status again
// after a leader change until ctx ends.
func ctlBackupGroup(ctx context.Context, e *ctlEnv, resp *boxofficev1.StatusResponse, dir, id string) (backup.Group, error) {
	for {
		g, err := ctlBackupGroupOnce(ctx, e, resp, dir, id)
		if err == nil {
			return g, nil
		}
		_ = os.Remove(filepath.Join(dir, backup.FileName(id)))
		if ctx.Err() != nil || status.Code(err) != codes.Unavailable {
			return backup.Group{}, fmt.Errorf("group %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return backup.Group{}, fmt.Errorf("group %s: %w (last: %v)", id, ctx.Err(), err)
		case <-time.After(ctlBackupRetryPause):
		}
		answer, serr := ctlAskStatus(ctx, e)
		if serr == nil {
			resp = answer.resp
		}
	}
}

func ctlBackupGroupOnce(ctx context.Context, e *ctlEnv, resp *boxofficev1.StatusResponse, dir, id string) (backup.Group, error) {
	var leader string
	for _, g := range resp.GetGroups() {
		if g.GetGroupId() == id {
			leader = g.GetLeaderNodeId()
		}
	}
	var addr string
	for _, n := range resp.GetNodes() {
		if n.GetNodeId() == leader {
			addr = n.GetGrpcAddr()
		}
	}
	if addr == "" {
		return backup.Group{}, status.Errorf(codes.Unavailable, "group %s has no known leader (leader %q)", id, leader)
	}
	tlsConfig, err := e.opts.tlsConfig()
	if err != nil {
		return backup.Group{}, err
	}
	creds := insecure.NewCredentials()
	if tlsConfig != nil {
		creds = credentials.NewTLS(tlsConfig)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return backup.Group{}, err
	}
	defer conn.Close()
	stream, err := boxofficev1.NewClusterClient(conn).Backup(ctx, &boxofficev1.BackupRequest{GroupId: id})
	if err != nil {
		return backup.Group{}, err
	}
	first, err := stream.Recv()
	if err != nil {
		return backup.Group{}, err
	}
	if first.GetGroupId() != id {
		return backup.Group{}, fmt.Errorf("%s answered group %q for group %q", addr, first.GetGroupId(), id)
	}
	g, err := backup.WriteGroup(dir, id, first.GetIndex(), first.GetTerm(), &chunkReader{stream: stream, data: first.GetData()})
	if err != nil {
		return backup.Group{}, err
	}
	if uint64(g.Bytes) != first.GetSize() {
		return backup.Group{}, status.Errorf(codes.Unavailable, "group %s: received %d bytes of %d", id, g.Bytes, first.GetSize())
	}
	return g, nil
}

// chunkReader reads the data of a Backup stream's chunks in order.
type chunkReader struct {
	stream grpc.ServerStreamingClient[boxofficev1.BackupChunk]
	data   []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.data) == 0 {
		chunk, err := r.stream.Recv()
		if err != nil {
			return 0, err // io.EOF at the end
		}
		r.data = chunk.GetData()
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// ctlRemoveBackupFiles empties a backup directory this run wrote into
// (it was empty before: PrepareDir).
func ctlRemoveBackupFiles(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}

func ctlBackupVerify(fs *flag.FlagSet) func(context.Context, *ctlEnv, []string) error {
	return func(_ context.Context, e *ctlEnv, args []string) error {
		m, err := backup.Verify(args[0])
		if err != nil {
			return scheduledBackupHint(args[0], "the directory", err)
		}
		return ctlPrintManifest(e, args[0], m, "verified in")
	}
}

// ctlPrintManifest prints m (as JSON with --json).
func ctlPrintManifest(e *ctlEnv, dir string, m *backup.Manifest, verb string) error {
	if e.opts.json {
		out, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
		return err
	}
	fmt.Fprintf(e.stdout, "backup of %d groups %s %s: started %s, completed %s\n", len(m.Groups), verb, dir,
		m.StartedAt.Format(time.RFC3339Nano), m.CompletedAt.Format(time.RFC3339Nano))
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tINDEX\tTERM\tBYTES\tSHA-256")
	for _, g := range m.Groups {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\n", g.GroupID, g.Index, g.Term, g.Bytes, g.SHA256)
	}
	return w.Flush()
}

// ------------------------------------------------------------------ restore

var restoreHelp = commandHelp{
	synopsis: []string{"boxoffice restore --from DIR --data-dir DIR --node-id ID --peers ID=HOST:PORT,... [--encryption-key-file F]"},
	about: `Prepares the data dir of one node of a new cluster from a backup written
by 'boxoffice ctl backup'. Run it once for every node of the new cluster,
each time with the same --from and --peers (every node of the new cluster
and its peer address), then start every node with its own flags
(--node-id, --data-dir, its addresses; --bootstrap-expect is not needed).

The restored cluster has the backup's events, seats, holds, sales,
tickets and records, the same number of data groups, and the nodes of
--peers in place of the old ones: their replicas are laid out as at
bootstrap. It checks the backup's checksums first, and refuses a
non-empty --data-dir; on any error it leaves --data-dir as it was.`,
	examples: []string{
		"boxoffice restore --from /backups/2024-06-01 --data-dir /var/lib/boxoffice --node-id n1 --peers n1=10.0.0.1:7201,n2=10.0.0.2:7201,n3=10.0.0.3:7201",
	},
}

func runRestore(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, restoreHelp)
	var cfg node.RestoreConfig
	fs.StringVar(&cfg.From, "from", "", "the backup `directory` (boxoffice ctl backup --to)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "the new node's data `directory` (its start --data-dir); must not exist or be empty")
	fs.StringVar(&cfg.NodeID, "node-id", "", "the new node's `id` (its start --node-id); one of --peers")
	peers := fs.String("peers", "", "every node of the new cluster as `id=host:port` (its peer address, start --peer-addr or --advertise-peer-addr), comma-separated; the same list for every node")
	fs.StringVar(&cfg.EncryptionKeyFile, "encryption-key-file", "", "seal the data dir with this key `file`, as the node's start --encryption-key-file (default: in clear)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("restore takes no arguments (got %q)", fs.Arg(0))
	}
	var err error
	if cfg.Peers, err = parsePeers(*peers); err != nil {
		return err
	}
	switch {
	case cfg.From == "":
		return errors.New("restore: --from is required")
	case cfg.DataDir == "":
		return errors.New("restore: --data-dir is required")
	case cfg.NodeID == "":
		return errors.New("restore: --node-id is required")
	case len(cfg.Peers) == 0:
		return errors.New("restore: --peers is required: every node of the new cluster as id=host:port")
	}
	if err := node.RestoreDataDir(cfg); err != nil {
		return scheduledBackupHint(cfg.From, "--from", err)
	}
	m, err := backup.ReadManifest(cfg.From)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "restored %d groups of the backup started %s into %s for node %s of %d; start the node with --node-id %s --data-dir %s\n",
		len(m.Groups), m.StartedAt.Format(time.RFC3339), cfg.DataDir, cfg.NodeID, len(cfg.Peers), cfg.NodeID, cfg.DataDir)
	return err
}

// parsePeers reads "id=host:port,id=host:port".
func parsePeers(s string) (map[string]string, error) {
	peers := map[string]string{}
	for _, item := range ctlSplitList(s) {
		id, addr, ok := strings.Cut(item, "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("--peers: %q is not id=host:port", item)
		}
		if _, dup := peers[id]; dup {
			return nil, fmt.Errorf("--peers: node %q listed twice", id)
		}
		peers[id] = addr
	}
	return peers, nil
}
