package node

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/sealing"
	"github.com/boxoffice/boxoffice/node/backup"
	"github.com/boxoffice/boxoffice/node/logstore"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Restore builds a new cluster from a backup (package node/backup): each
// node of the new cluster gets its data dir prepared by RestoreDataDir
// before its first start, every node with the same backup and the same
// list of nodes. The data dir then holds, for every group the node is a
// replica of, the backed-up state as the group's latest Raft snapshot, at
// the backup's index and term, with a Raft configuration of the new
// nodes; its log is empty. On start each group restores that snapshot,
// finds itself already configured (so nothing bootstraps) and elects a
// leader among the new nodes; the term is the backup's, so the new
// entries' terms are never below the snapshot's.
//
// The new cluster's nodes replace the old ones everywhere:
//   - the catalog's node records are the new nodes (id and peer address;
//     a node's other addresses and incarnation are filled in when its
//     first gossip registers it, as for any node whose addresses change),
//     and the old cluster's tombstones of removed nodes are dropped;
//   - every data group gets replicas among the new nodes laid out as at
//     bootstrap (group i, in id order, starts at the i-th node in id
//     order), as many as it had, at most one per node; the meta group has
//     every new node (the first five in id order voting).
//
// Events, shards and their groups, seats, holds, orders, records and the
// request-id dedup tables are restored as they were: the number of data
// groups is the backup's, so every record key lives in the same group. A
// hold keeps its expiry time: one that has expired when the new cluster
// runs is released by its first sweep, as after any outage.

// RestoreConfig is what RestoreDataDir restores where.
type RestoreConfig struct {
	// From is the backup directory (`boxoffice ctl backup --to`).
	From string
	// DataDir is the new node's --data-dir. It must not exist or be empty.
	DataDir string
	// NodeID is the new node's --node-id; it must be in Peers.
	NodeID string
	// Peers maps every node of the new cluster, this one included, to the
	// peer address the others reach it at (its --advertise-peer-addr, or
	// --peer-addr). Every node's restore must get the same map.
	Peers map[string]string
	// EncryptionKeyFile seals the restored data dir with this key file, as
	// the node's --encryption-key-file will read it; empty: in clear.
	EncryptionKeyFile string
}

// Errors of RestoreDataDir besides package backup's.
var (
	// ErrDataDirNotEmpty: a restore never writes into a used data dir.
	ErrDataDirNotEmpty = errors.New("data dir is not empty")
	// ErrRestoreConfig: a RestoreConfig field is missing or wrong.
	ErrRestoreConfig = errors.New("restore")
)

// Validate names the field and value it refuses.
func (c RestoreConfig) Validate() error {
	switch {
	case c.From == "":
		return fmt.Errorf("%w: From (--from) is empty", ErrRestoreConfig)
	case c.DataDir == "":
		return fmt.Errorf("%w: DataDir (--data-dir) is empty", ErrRestoreConfig)
	case c.NodeID == "":
		return fmt.Errorf("%w: NodeID (--node-id) is empty", ErrRestoreConfig)
	case len(c.Peers) == 0:
		return fmt.Errorf("%w: Peers (--peers) is empty: list every node of the new cluster as id=host:port", ErrRestoreConfig)
	}
	if _, ok := c.Peers[c.NodeID]; !ok {
		return fmt.Errorf("%w: NodeID %q is not in Peers (--peers %s)", ErrRestoreConfig, c.NodeID, formatPeers(c.Peers))
	}
	seen := map[string]string{}
	for _, id := range sortedKeys(c.Peers) {
		addr := c.Peers[id]
		if id == "" {
			return fmt.Errorf("%w: Peers: a node with an empty id (address %q)", ErrRestoreConfig, addr)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%w: Peers: node %s: address %q: %v", ErrRestoreConfig, id, addr, err)
		}
		if other, dup := seen[addr]; dup {
			return fmt.Errorf("%w: Peers: nodes %s and %s share the address %s", ErrRestoreConfig, other, id, addr)
		}
		seen[addr] = id
	}
	return nil
}

func formatPeers(peers map[string]string) string {
	out := ""
	for i, id := range sortedKeys(peers) {
		if i > 0 {
			out += ","
		}
		out += id + "=" + peers[id]
	}
	return out
}

// RestoreDataDir prepares cfg.DataDir from the backup in cfg.From (see
// above). It checks everything it can before it writes anything: the
// config, the backup's manifest and checksums, the catalog, an empty data
// dir. If it fails after it started writing, it removes what it wrote.
func RestoreDataDir(cfg RestoreConfig) (err error) {
	if err := cfg.Validate(); err != nil {
		return err
	}
	manifest, err := backup.Verify(cfg.From)
	if err != nil {
		return err
	}
	states := map[string]backup.Group{}
	for _, g := range manifest.Groups {
		states[g.GroupID] = g
	}
	metaEntry, ok := states[cluster.MetaGroupID]
	if !ok {
		return fmt.Errorf("%w: %s has no %s group (the catalog)", backup.ErrIncomplete, cfg.From, cluster.MetaGroupID)
	}
	metaState, err := backup.ReadGroup(cfg.From, metaEntry)
	if err != nil {
		return err
	}
	var catalogState nodepb.CatalogSnapshot
	if err := proto.Unmarshal(metaState, &catalogState); err != nil {
		return fmt.Errorf("%w: %s: the catalog does not decode: %v", backup.ErrCorrupt, metaEntry.File, err)
	}
	for _, g := range catalogState.Groups {
		if _, ok := states[g.GroupId]; !ok {
			return fmt.Errorf("%w: the catalog has group %s, the backup has no %s", backup.ErrIncomplete, g.GroupId, backup.FileName(g.GroupId))
		}
	}
	if len(states) != len(catalogState.Groups)+1 {
		return fmt.Errorf("%w: the backup has %d data groups, its catalog %d", backup.ErrCorrupt, len(states)-1, len(catalogState.Groups))
	}

	ids := sortedKeys(cfg.Peers)
	relayCatalog(&catalogState, ids, cfg.Peers)
	newCatalog, err := proto.Marshal(&catalogState)
	if err != nil {
		return err
	}

	var keys *sealing.Keyring
	if cfg.EncryptionKeyFile != "" {
		if keys, err = sealing.LoadKeyFile(cfg.EncryptionKeyFile); err != nil {
			return fmt.Errorf("--encryption-key-file: %w", err)
		}
	}
	created, err := claimEmptyDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			undoDataDir(cfg.DataDir, created)
		}
	}()
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return err
	}
	db, err := logstore.Open(filepath.Join(cfg.DataDir, "raft.db"), logstore.Options{Keys: keys})
	if err != nil {
		return fmt.Errorf("log store: %w", err)
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()

	metaConfig := raft.Configuration{}
	for i, id := range ids {
		suffrage := raft.Voter
		if i >= 5 {
			suffrage = raft.Nonvoter // as at bootstrap: the catalog needs no more than 5 voters
		}
		metaConfig.Servers = append(metaConfig.Servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(cfg.Peers[id]), Suffrage: suffrage})
	}
	if err := seedGroup(cfg.DataDir, db, keys, metaEntry, metaConfig, newCatalog); err != nil {
		return err
	}
	for _, rec := range catalogState.Groups {
		if !slices.Contains(rec.Replicas, cfg.NodeID) {
			continue
		}
		var config raft.Configuration
		for _, id := range rec.Replicas {
			config.Servers = append(config.Servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(cfg.Peers[id]), Suffrage: raft.Voter})
		}
		state, err := backup.ReadGroup(cfg.From, states[rec.GroupId])
		if err != nil {
			return err
		}
		if err := seedGroup(cfg.DataDir, db, keys, states[rec.GroupId], config, state); err != nil {
			return err
		}
	}
	return nil
}

// relayCatalog replaces the old cluster's nodes in the catalog with the
// new ones (ids sorted) and lays the data groups out over them.
func relayCatalog(s *nodepb.CatalogSnapshot, ids []string, peers map[string]string) {
	s.Nodes = nil
	for _, id := range ids {
		s.Nodes = append(s.Nodes, &nodepb.NodeRecord{NodeId: id, PeerAddr: peers[id]})
	}
	s.RemovedNodes = nil
	for i, g := range s.Groups {
		count := min(max(len(g.Replicas), 1), len(ids))
		replicas := make([]string, 0, count)
		for r := range count {
			replicas = append(replicas, ids[(i+r)%len(ids)])
		}
		g.Replicas, g.InitialReplicas = replicas, slices.Clone(replicas)
	}
}

// seedGroup writes state as group g's only snapshot, at the backup's index
// and term with configuration, and the backup's term as the group's
// current term.
func seedGroup(dataDir string, db *logstore.DB, keys *sealing.Keyring, g backup.Group, configuration raft.Configuration, state []byte) error {
	dir := filepath.Join(dataDir, "snapshots", g.GroupID)
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return err
	}
	files, err := raft.NewFileSnapshotStore(dir, 2, nil)
	if err != nil {
		return fmt.Errorf("group %s: snapshot store: %w", g.GroupID, err)
	}
	snaps := &sealedSnapshots{SnapshotStore: files, keys: keys}
	// The file store only asks a transport to encode the voters' addresses
	// for old readers of its metadata.
	_, trans := raft.NewInmemTransport("")
	defer trans.Close()
	sink, err := snaps.Create(raft.SnapshotVersionMax, g.Index, g.Term, configuration, g.Index, trans)
	if err != nil {
		return fmt.Errorf("group %s: snapshot: %w", g.GroupID, err)
	}
	if _, err := sink.Write(state); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("group %s: snapshot: %w", g.GroupID, err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("group %s: snapshot: %w", g.GroupID, err)
	}
	logs, err := db.Group(g.GroupID)
	if err != nil {
		return fmt.Errorf("group %s: log store: %w", g.GroupID, err)
	}
	if err := logs.SetUint64([]byte("CurrentTerm"), g.Term); err != nil {
		return fmt.Errorf("group %s: term: %w", g.GroupID, err)
	}
	return nil
}

// claimEmptyDataDir refuses a data dir with anything in it; created says
// whether it did not exist.
func claimEmptyDataDir(dir string) (created bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("data dir %s: %w", dir, err)
	case len(entries) > 0:
		return false, fmt.Errorf("%w: %s holds %s and %d other entries: restore only into a new data dir", ErrDataDirNotEmpty, dir, entries[0].Name(), len(entries)-1)
	}
	return false, nil
}

// undoDataDir removes what a failed restore wrote.
func undoDataDir(dir string, created bool) {
	if created {
		_ = os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
