package jepsen

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestPurchaseCheckersCatchARefundBehindTheGateways is the purchase path's
// negative control: a short run of real gateways and fans, no faults, and
// then a refund made at the payment provider behind the gateways' back
// (as a gateway that refunds without revoking the tickets would). The
// run must be INVALID, reported by the ticket checker: a live ticket
// whose payment is refunded.
func TestPurchaseCheckersCatchARefundBehindTheGateways(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes and two gateways")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for the namespace network (the loopback one uses fixed ports)")
	}
	cfg := Profiles["ci"]
	cfg.Profile, cfg.Seed, cfg.OutDir, cfg.Network = "purchase-negative", 1, t.TempDir(), NetworkNamespace
	cfg.Duration, cfg.Faults, cfg.Clients, cfg.Fans = 15*time.Second, nil, 2, 4
	cfg.Logf = t.Logf
	cfg.Replay = "go test ./jepsen -run TestPurchaseCheckersCatchARefundBehindTheGateways -count=1 -v"
	var refunded string
	cfg.tamper = func(ctx context.Context, s *shop) error {
		for _, p := range s.pay.Ledger() {
			if !p.Captured || p.RefundedCents != 0 {
				continue
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.pay.URL()+"/v1/refunds",
				strings.NewReader(url.Values{"payment_intent": {p.IntentID}}.Encode()))
			req.Header.Set("Authorization", "Bearer "+s.secrets.stripeKey)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := s.http.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("refund of %s: status %d", p.IntentID, resp.StatusCode)
			}
			refunded = p.IntentID
			return nil
		}
		return fmt.Errorf("no captured payment to refund")
	}
	res, err := Run(context.Background(), cfg)
	if err != nil || res.Setup != nil {
		t.Fatalf("run: %v %v", err, res.Setup)
	}
	if refunded == "" {
		t.Fatal("nothing was refunded behind the gateways")
	}
	if res.Valid() {
		t.Fatalf("VALID with payment %s refunded behind the gateways:\n%s", refunded, Summary(&cfg, res))
	}
	var found bool
	for _, mc := range res.Purchase.Checks {
		for _, v := range mc.Violations {
			if mc.Name == CheckTicketOnePayment && strings.Contains(v, "no captured, unrefunded payment") {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("the ticket checker did not report the refunded payment %s:\n%s", refunded, Summary(&cfg, res))
	}
	t.Logf("caught: %s", strings.Join(res.Purchase.Checks[1].Violations, "; "))
}
