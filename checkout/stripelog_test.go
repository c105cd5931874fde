package checkout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStripeMessagesGoToTheGatewayLog: stripe-go's own messages (a
// failed request) arrive as structured records on the configured logger,
// tagged component=stripe, instead of its plain-text default logger on
// stderr.
func TestStripeMessagesGoToTheGatewayLog(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"No such payment_intent: 'pi_x'"}}`))
	}))
	defer srv.Close()
	var buf bytes.Buffer
	sp, err := NewStripePayments(StripeConfig{SecretKey: "sk_test_x", WebhookSecret: "whsec_x", BaseURL: srv.URL,
		Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.GetIntent(context.Background(), "pi_x"); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("GetIntent: %v; want a refusal", err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON record: %q", line)
		}
		if rec["component"] == "stripe" && strings.Contains(rec["msg"].(string), "No such payment_intent") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no stripe record about the failed request in the log:\n%s", buf.String())
	}
}
