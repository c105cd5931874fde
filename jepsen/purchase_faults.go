package jepsen

import (
	"fmt"
	"math/rand/v2"
	"syscall"
)

// injectShop injects the purchase path's faults: a gateway killed
// (restarted at the heal) or paused (resumed at the heal), or the payment
// provider's faults turned on for the window (declines stay on at their
// base rate throughout). Without gateways there is nothing to hit.
func (n *nemesis) injectShop(kind string, rng *rand.Rand) (heal func() error, desc string, err error) {
	s := n.shop
	if s == nil {
		return nil, "no gateways: nothing to do", nil
	}
	switch kind {
	case FaultGatewayKill:
		g := s.gws.procs[rng.IntN(len(s.gws.procs))]
		if !g.running() {
			return nil, g.id + " is already down", nil
		}
		err = s.gws.signal(g, syscall.SIGKILL)
		return func() error {
			if g.running() {
				return nil
			}
			return s.gws.start(g)
		}, "kill -9 " + g.id, err
	case FaultGatewayPause:
		g := s.gws.procs[rng.IntN(len(s.gws.procs))]
		if !g.running() {
			return nil, g.id + " is down: not paused", nil
		}
		err = s.gws.signal(g, syscall.SIGSTOP)
		return func() error {
			if !g.running() {
				return nil
			}
			return s.gws.signal(g, syscall.SIGCONT)
		}, "SIGSTOP " + g.id, err
	case FaultPaymentFaults:
		s.pay.SetFaults(windowPaymentFaults)
		f := windowPaymentFaults
		return func() error { s.pay.SetFaults(basePaymentFaults); return nil },
			fmt.Sprintf("provider: %.0f%% errors, %.0f%% lost answers, +%s, %.0f%% duplicated, delayed up to %s, %.0f%% failed webhook deliveries",
				100*f.ErrorRate, 100*f.LostResponseRate, f.SlowResponse, 100*f.DuplicateWebhookRate, f.WebhookDelayMax, 100*f.WebhookFailRate), nil
	}
	return nil, "", fmt.Errorf("unknown fault %q", kind)
}
