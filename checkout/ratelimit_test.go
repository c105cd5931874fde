package checkout_test

import (
	"net/netip"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
)

// TestRateLimitTrustsForwardedForOnlyFromProxies: behind a trusted proxy
// the per-IP limit charges the address the proxy saw (the right-most
// untrusted X-Forwarded-For hop), so two clients have two budgets and a
// client cannot escape its own by prepending addresses; from an untrusted
// peer the header is ignored.
func TestRateLimitTrustsForwardedForOnlyFromProxies(t *testing.T) {
	e := newEnv(t)
	oneRequest := func(c *checkout.Config) { c.RatePerIP = 0.001 } // a burst of one, refilled after 1000 s
	behind := e.gateway(oneRequest, func(c *checkout.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	})
	direct := e.gateway(oneRequest)
	cases := []struct {
		name      string
		g         *gw
		forwarded string
		want      int
	}{
		{"first client behind the proxy", behind, "203.0.113.1", 200},
		{"second client behind the proxy", behind, "203.0.113.2", 200},
		{"first client again", behind, "203.0.113.1", 429},
		{"first client forging an earlier hop", behind, "198.51.100.7, 203.0.113.1", 429},
		{"a third client through two trusted proxies", behind, "203.0.113.3, 10.1.2.3", 200},
		{"the third client through one", behind, "203.0.113.3", 429},
		{"direct peer", direct, "203.0.113.1", 200},
		{"direct peer claiming another address", direct, "203.0.113.2", 429},
	}
	for _, c := range cases {
		if got := c.g.do("GET", "/healthz", "", nil, "X-Forwarded-For", c.forwarded).status; got != c.want {
			t.Errorf("%s (X-Forwarded-For: %s): %d, want %d", c.name, c.forwarded, got, c.want)
		}
	}
}
