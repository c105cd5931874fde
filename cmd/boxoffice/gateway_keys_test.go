package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

// TestRunGatewayRequiresTicketKeys: outside --demo the gateway does not
// start without a record key and a scan secret, and names the flag.
func TestRunGatewayRequiresTicketKeys(t *testing.T) {
	seed := base64.StdEncoding.EncodeToString(make([]byte, 32))
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ticket-key", seed}, "--record-key"},
		{[]string{"--ticket-key", seed, "--record-key", "c2hvcnQ="}, "--record-key"},
		{[]string{"--ticket-key", seed, "--record-key", key}, "--scan-secret"},
		{[]string{"--ticket-key", seed, "--record-key", key, "--scan-secret", key, "--ticket-key-old", "bm9wZQ=="}, "--ticket-key-old"},
		{[]string{"--ticket-key", seed, "--record-key", key, "--scan-secret", key, "--record-key-old", "c2hvcnQ="}, "--record-key-old"},
	} {
		var out, errOut bytes.Buffer
		err := runGateway(context.Background(), append([]string{"--cluster", "127.0.0.1:1"}, tc.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
