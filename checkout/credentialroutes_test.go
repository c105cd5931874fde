package checkout

import "testing"

// TestCredentialRoutesExist: every route named in credentialRoutes is a
// POST of the route table, so a renamed route cannot silently start
// storing its credentials again.
func TestCredentialRoutesExist(t *testing.T) {
	routes := map[[2]string]bool{}
	for _, rt := range (&Gateway{}).routeTable() {
		routes[[2]string{rt.method, rt.pattern}] = !rt.noIdempotency
	}
	for name := range credentialRoutes {
		if idempotent, ok := routes[name]; !ok || !idempotent {
			t.Errorf("credentialRoutes names %q, which is not an idempotent POST of the route table", name)
		}
	}
}
