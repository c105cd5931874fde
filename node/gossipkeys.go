package node

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
)

// Gossip keys (Config.GossipKeyFile) encrypt and authenticate memberlist's
// traffic with AES-GCM: a host without a key cannot join, read or forge
// gossip. The key authenticates the group of nodes, not one node: a member
// that has it can still claim any node id, which is why a node enters the
// catalog and the Raft configurations only once its node certificate is
// proven (verify.go).

// gossipKeysMax bounds the keys of a gossip key file (a rotation needs two).
const gossipKeysMax = 16

// gossipKeyFileBytesMax bounds the size of a gossip key file.
const gossipKeyFileBytesMax = 64 << 10

// NewGossipKey returns a fresh 32-byte gossip key from crypto/rand, base64
// encoded as a gossip key file holds it.
func NewGossipKey() (string, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(key[:]), nil
}

// LoadGossipKeys reads a gossip key file: one standard base64 key of 16, 24
// or 32 bytes per line, the first the primary (it encrypts what this node
// sends), the others accepted on receipt (a key being rotated in or out).
// Blank lines and lines starting with '#' are skipped. Errors name the file
// and line, never a key.
func LoadGossipKeys(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gossip key file %q: %w", path, errors.Unwrap(err))
	}
	if len(data) > gossipKeyFileBytesMax {
		return nil, fmt.Errorf("gossip key file %q: %d bytes; at most %d", path, len(data), gossipKeyFileBytesMax)
	}
	var keys [][]byte
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, fmt.Errorf("gossip key file %q, line %d: not standard base64 (boxoffice gossip-key prints a valid key)", path, line)
		}
		switch len(key) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("gossip key file %q, line %d: a key of %d bytes; want 16, 24 or 32", path, line, len(key))
		}
		for _, k := range keys {
			if bytes.Equal(k, key) {
				return nil, fmt.Errorf("gossip key file %q, line %d: the same key twice", path, line)
			}
		}
		if len(keys) == gossipKeysMax {
			return nil, fmt.Errorf("gossip key file %q: more than %d keys", path, gossipKeysMax)
		}
		keys = append(keys, key)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("gossip key file %q: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("gossip key file %q: no key (boxoffice gossip-key prints one)", path)
	}
	return keys, nil
}

// gossipKeyID names a key in logs without revealing it: the first 8 hex
// digits of its SHA-256.
func gossipKeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// ReloadGossipKeys reads Config.GossipKeyFile again and makes the running
// keyring hold exactly its keys, the first as primary (boxoffice start does
// this on SIGHUP). On any error nothing changes. See docs/security.md for
// the rotation procedure.
func (h *Host) ReloadGossipKeys() error {
	if h.cfg.GossipKeyFile == "" {
		return errors.New("gossip keys: this node was started without --gossip-key-file; gossip is unauthenticated")
	}
	keys, err := LoadGossipKeys(h.cfg.GossipKeyFile)
	if err != nil {
		return err
	}
	if err := h.membership.SetGossipKeys(keys); err != nil {
		return err
	}
	h.logger.Info("gossip keys reloaded", "file", h.cfg.GossipKeyFile, "keys", len(keys), "primary", gossipKeyID(keys[0]))
	return nil
}

// startGossip starts memberlist with the node's metadata and gossip keys.
func (h *Host) startGossip() (*cluster.Membership, error) {
	cfg := h.cfg
	var keys [][]byte
	if cfg.GossipKeyFile != "" {
		var err error
		if keys, err = LoadGossipKeys(cfg.GossipKeyFile); err != nil {
			return nil, err
		}
		h.logger.Info("gossip encrypted and authenticated", "keys", len(keys), "primary", gossipKeyID(keys[0]))
		if info, err := os.Stat(cfg.GossipKeyFile); err == nil && info.Mode().Perm()&0o077 != 0 {
			h.logger.Warn("the gossip key file is readable by other users; make it 0600", "file", cfg.GossipKeyFile, "mode", info.Mode().Perm().String())
		}
	} else {
		h.logger.Warn("GOSSIP IS UNAUTHENTICATED: anyone who reaches the gossip port can join and read membership; give --gossip-key-file (plaintext development mode only)",
			"gossip", cfg.GossipAddr)
	}
	return cluster.StartMembership(cluster.MembershipConfig{
		BindAddr: cfg.GossipAddr,
		Meta: cluster.NodeMeta{
			NodeID: cfg.NodeID, GRPCAddr: cfg.AdvertiseGRPCAddr, PeerAddr: cfg.AdvertisePeerAddr,
			HTTPAddr: cfg.AdvertiseHTTPAddr, GossipAddr: cfg.GossipAddr, Incarnation: h.incarnation,
			Locality: cfg.Locality.String(), Version: ReleaseVersion(), FeatureLevel: featureLevelCurrent,
		},
		Logger:     h.logger,
		OnChange:   h.kickReconcile,
		Fast:       cfg.Group.HeartbeatTimeout < 500*time.Millisecond,
		GossipKeys: keys,
	})
}
