package node

import (
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
)

// TestConfigBoundsDefaultsAndValidate: the stream and budget bounds have
// finite defaults, and Validate names the field and value it rejects.
func TestConfigBoundsDefaultsAndValidate(t *testing.T) {
	base := Config{NodeID: "n1", DataDir: t.TempDir(), Plaintext: true}.WithDefaults()
	if base.StreamsPerConnectionMax != 1024 || base.StreamsPerIdentityMax != 512 || base.EventsMax != 10_000 || base.SeatsMax != 50_000_000 {
		t.Fatalf("defaults: %d streams per connection, %d per identity, %d events, %d seats",
			base.StreamsPerConnectionMax, base.StreamsPerIdentityMax, base.EventsMax, base.SeatsMax)
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.StreamsPerConnectionMax = 8 }, "StreamsPerConnectionMax = 8"},
		{func(c *Config) { c.StreamsPerIdentityMax = -1 }, "StreamsPerIdentityMax = -1"},
		{func(c *Config) { c.EventsMax = -5 }, "EventsMax = -5"},
		{func(c *Config) { c.SeatsMax = 1 << 41 }, "SeatsMax = 2199023255552"},
		{func(c *Config) { c.Locality = cluster.Locality{{Key: "region", Value: "eu"}, {Key: "zone", Value: ""}} },
			`Locality = "region=eu,zone=": tier 2 "zone=": the value must be 1..64 characters`},
		{func(c *Config) { c.Locality = cluster.Locality{{Key: "Region", Value: "eu"}} }, `Locality = "Region=eu": tier 1`},
	} {
		c := base
		tt.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate: %v, want an error naming %q", err, tt.want)
		}
	}
}

// TestSnapshotSettingsValidate: the small snapshot settings a test cluster
// or the fault-injection harness uses are accepted; an interval Raft
// cannot honour is refused, naming the field.
func TestSnapshotSettingsValidate(t *testing.T) {
	base := Config{NodeID: "n1", DataDir: t.TempDir(), Plaintext: true}
	base.Group.SnapshotThreshold, base.Group.SnapshotInterval, base.Group.TrailingLogs = 256, time.Second, 128
	c := base.WithDefaults()
	if c.Group.SnapshotThreshold != 256 || c.Group.SnapshotInterval != time.Second || c.Group.TrailingLogs != 128 {
		t.Fatalf("defaults changed the settings: %+v", c.Group)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-time.Second, 5 * time.Millisecond} {
		c := c
		c.Group.SnapshotInterval = d
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Group.SnapshotInterval = "+d.String()) {
			t.Errorf("interval %s: %v, want an error naming Group.SnapshotInterval", d, err)
		}
	}
}
