package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// memberlist's complaints about a member that does not answer are WARN;
// its other [ERR] lines stay ERROR.
func TestMemberlistLogLevels(t *testing.T) {
	for _, tc := range []struct{ line, level string }{
		{"[ERR] memberlist: Push/Pull with n3 failed: dial tcp 127.0.0.1:7403: connect: connection refused", "WARN"},
		{"[ERR] memberlist: Failed fallback TCP ping: timeout 1s: read tcp: i/o timeout", "WARN"},
		{"[ERR] memberlist: Failed to send gossip to 127.0.0.1:7403: write udp: connection refused", "WARN"},
		{"[ERR] memberlist: Decrypt packet failed: No installed keys could decrypt the message from=127.0.0.1:9", "ERROR"},
		{"[WARN] memberlist: Was able to connect to n2 over TCP but UDP probes failed", "WARN"},
	} {
		var buf bytes.Buffer
		w := &slogWriter{logger: slog.New(slog.NewTextHandler(&buf, nil))}
		_, _ = w.Write([]byte(tc.line))
		if !strings.Contains(buf.String(), "level="+tc.level) {
			t.Errorf("%q logged as %q, want level %s", tc.line, buf.String(), tc.level)
		}
	}
}
