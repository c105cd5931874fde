package jepsen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// PurchaseResult is what the purchase workload did and what its checkers
// found. Enabled is false when the run had no gateways.
type PurchaseResult struct {
	Enabled  bool `json:"enabled"`
	Gateways int  `json:"gateways"`
	Fans     int  `json:"fans"`

	Counts purchaseCounts `json:"counts"`
	// From the final state: orders paid (refunded later included),
	// released (declined or abandoned at the provider), refunded.
	Orders, Paid, Released, Refunded, SeatsLost int
	Tickets                                     int
	TrafficSeconds                              float64
	PaymentFaults                               map[string]int `json:"payment_faults"`
	// OrdersEndedIn is how long after the fans finished and every webhook
	// was delivered the last order took to reach a terminal state.
	OrdersEndedIn time.Duration `json:"orders_ended_in"`
	Checks        []MoneyCheck  `json:"checks"`
	// Problems are failures to carry out the check (fans that never
	// finished, webhooks never delivered, unreadable state).
	Problems []string `json:"problems,omitempty"`
}

func (p PurchaseResult) valid() bool {
	if !p.Enabled {
		return true
	}
	if len(p.Problems) > 0 || len(p.Checks) == 0 {
		return false
	}
	for _, c := range p.Checks {
		if c.Compared == 0 || len(c.Violations) > 0 {
			return false
		}
	}
	return true
}

// Violations counts the money checkers' violations.
func (p PurchaseResult) Violations() int {
	n := 0
	for _, c := range p.Checks {
		n += len(c.Violations)
	}
	return n
}

// finish waits for the fans, the webhooks and the orders after the heal,
// reads the final state and runs the money checkers. fansDone closes when
// every fan has stopped.
func (s *shop) finish(ctx context.Context, fansDone <-chan struct{}, traffic time.Duration, dir string) PurchaseResult {
	res := PurchaseResult{Enabled: true, Gateways: len(s.gws.procs), Fans: s.cfg.Fans, TrafficSeconds: traffic.Seconds()}
	select {
	case <-fansDone:
	case <-ctx.Done():
		res.Problems = append(res.Problems, "interrupted")
		return res
	}
	if s.cfg.tamper != nil {
		if err := s.cfg.tamper(ctx, s); err != nil {
			res.Problems = append(res.Problems, "tamper: "+err.Error())
		}
	}
	dctx, cancel := context.WithTimeout(ctx, shopDeliverLimit)
	err := s.pay.WaitDelivered(dctx)
	cancel()
	if err != nil {
		res.Problems = append(res.Problems, fmt.Sprintf("%d webhook events still undelivered %s after the fans finished", s.pay.Undelivered(), shopDeliverLimit))
	}
	s.mu.Lock()
	fans := append([]string(nil), s.fans...)
	hist := s.hist
	res.Counts = s.counts
	s.mu.Unlock()

	// Orders: re-read the fans with an order not yet terminal until none
	// is left or the bound passes.
	start := time.Now()
	orders := map[string][]ShopOrder{}
	todo := fans
	for {
		got, problems := readEach(ctx, s, todo, s.readOrders)
		for fan, list := range got {
			orders[fan] = list
		}
		todo = nil
		for _, fan := range fans {
			for _, o := range orders[fan] {
				if o.State == orderStatePending || o.State == orderStateRefunding || (o.State == orderStatePaid && len(o.TicketIDs) < len(o.Seats)) {
					todo = append(todo, fan)
					break
				}
			}
		}
		if len(todo) == 0 || time.Since(start) > OrderEndBound || ctx.Err() != nil {
			res.Problems = append(res.Problems, problems...)
			break
		}
		sleepCtx(ctx, time.Second)
	}
	res.OrdersEndedIn = time.Since(start)
	final := ShopFinal{Limit: shopTicketLimit}
	for _, fan := range fans {
		final.Orders = append(final.Orders, orders[fan]...)
	}
	tickets, problems := readEach(ctx, s, fans, s.readTickets)
	res.Problems = append(res.Problems, problems...)
	seenTicket := map[string]bool{}
	for _, fan := range fans {
		for _, t := range tickets[fan] {
			if t.Owner == fan && !seenTicket[t.TicketID] { // a ticket is its owner's
				seenTicket[t.TicketID] = true
				final.Tickets = append(final.Tickets, t)
			}
		}
	}
	seats, err := s.readSeats(ctx)
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	final.Seats = seats
	ledger := s.pay.Ledger()
	res.PaymentFaults = s.pay.Stats()
	res.Checks = CheckMoney(ledger, final, hist)
	res.Tickets = len(final.Tickets)
	for _, o := range final.Orders {
		res.Orders++
		switch o.State {
		case orderStatePaid:
			res.Paid++
		case orderStateReleased:
			res.Released++
		case orderStateRefunded:
			res.Paid++
			res.Refunded++
		case orderStateSeatsLost:
			res.SeatsLost++
		}
	}
	writeJSON(filepath.Join(dir, "purchase-final.json"), struct {
		Final  ShopFinal `json:"final"`
		Ledger any       `json:"ledger"`
	}{final, ledger})
	writeJSONLines(filepath.Join(dir, "purchase-history.jsonl"), hist)
	return res
}

// readEach runs read for every fan, 16 at a time; a fan whose read does
// not answer within a minute is a problem.
func readEach[T any](ctx context.Context, s *shop, fans []string, read func(ctx context.Context, f *fan) ([]T, error)) (map[string][]T, []string) {
	out := make(map[string][]T, len(fans))
	var problems []string
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for id := range work {
				f := &fan{id: id, token: s.token(id, "fan"), gw: w % len(s.gws.procs), xff: fmt.Sprintf("100.127.0.%d", w+1)}
				rctx, cancel := context.WithTimeout(ctx, time.Minute)
				list, err := read(rctx, f)
				cancel()
				mu.Lock()
				if err != nil {
					problems = append(problems, fmt.Sprintf("final read of %s: %v", id, err))
				} else {
					out[id] = list
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range fans {
		work <- id
	}
	close(work)
	wg.Wait()
	sort.Strings(problems)
	return out, problems
}

// readPages GETs every page of path (a list with next_cursor) as f.
func (s *shop) readPages(ctx context.Context, f *fan, path string, page func(body []byte) (next string, err error)) error {
	cursor := ""
	for {
		p := path
		if cursor != "" {
			p += "?cursor=" + url.QueryEscape(cursor)
		}
		r := s.call(ctx, f, "final", http.MethodGet, p, nil, "")
		if r.status != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, r.describe())
		}
		next, err := page(r.body)
		if err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

func (s *shop) readOrders(ctx context.Context, f *fan) ([]ShopOrder, error) {
	var out []ShopOrder
	err := s.readPages(ctx, f, "/v1/orders", func(body []byte) (string, error) {
		var page struct {
			Orders     []orderAnswer `json:"orders"`
			NextCursor string        `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return "", err
		}
		for _, o := range page.Orders {
			so := ShopOrder{OrderID: o.OrderID, Fan: f.id, State: o.State, IntentID: o.Payment.IntentID, Seats: o.Seats, AmountCents: o.AmountCents}
			for _, t := range o.Tickets {
				so.TicketIDs = append(so.TicketIDs, t.TicketID)
			}
			out = append(out, so)
		}
		return page.NextCursor, nil
	})
	return out, err
}

func (s *shop) readTickets(ctx context.Context, f *fan) ([]ShopTicket, error) {
	var out []ShopTicket
	err := s.readPages(ctx, f, "/v1/tickets", func(body []byte) (string, error) {
		var page struct {
			Tickets    []ticketAnswer `json:"tickets"`
			NextCursor string         `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return "", err
		}
		for _, t := range page.Tickets {
			out = append(out, ShopTicket{TicketID: t.TicketID, OrderID: t.OrderID, Owner: t.Owner, SeatID: t.SeatID, State: t.State, QRID: t.QRID})
		}
		return page.NextCursor, nil
	})
	return out, err
}

// readSeats reads the shop event's seat map from the store (a
// linearizable read, from any node that answers).
func (s *shop) readSeats(ctx context.Context) (map[string]SeatView, error) {
	var err error
	for attempt := range 20 {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var m *boxofficev1.SeatMap
		m, err = s.c.inventory(1+attempt%len(s.c.nodes)).GetSeatMap(cctx, &boxofficev1.GetSeatMapRequest{EventId: shopEventID})
		cancel()
		if err == nil {
			seats := map[string]SeatView{}
			for _, sec := range m.GetSections() {
				for _, r := range sec.GetRows() {
					for _, seat := range r.GetSeats() {
						seats[seat.GetSeatId()] = seatView(seat)
					}
				}
			}
			return seats, nil
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			break
		}
	}
	return nil, fmt.Errorf("final seat map of %s: %w", shopEventID, err)
}

// writeJSONLines writes the purchase history, one record a line, each
// tagged with its kind.
func writeJSONLines(path string, h PurchaseHistory) {
	var lines []any
	tag := func(kind string, v any) { lines = append(lines, map[string]any{"kind": kind, "record": v}) }
	for _, c := range h.Calls {
		tag("call", c)
	}
	for _, o := range h.Orders {
		tag("order", o)
	}
	for _, c := range h.Confirms {
		tag("confirm", c)
	}
	for _, r := range h.Refunds {
		tag("refund", r)
	}
	for _, t := range h.Transfers {
		tag("transfer", t)
	}
	for _, sc := range h.Scans {
		tag("scan", sc)
	}
	writeLines(path, lines)
}

func writeLines(path string, lines []any) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jepsen: write %s: %v\n", path, err)
		return
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			fmt.Fprintf(os.Stderr, "jepsen: write %s: %v\n", path, err)
			return
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "jepsen: write %s: %v\n", path, err)
	}
}

// summarizePurchases is the purchases: section of summary.txt.
func summarizePurchases(b *strings.Builder, gateways int, p PurchaseResult) {
	switch {
	case !p.Enabled && gateways == 0:
		fmt.Fprintf(b, "purchases: none (no gateways)\n")
		return
	case !p.Enabled:
		fmt.Fprintf(b, "purchases: not run (the run stopped before the purchase checks)\n")
		return
	}
	c := p.Counts
	rate := 0.0
	if p.TrafficSeconds > 0 {
		rate = float64(p.Paid) / p.TrafficSeconds
	}
	fmt.Fprintf(b, "purchases: %d gateways, %d fans at a time, %d fans in all\n", p.Gateways, p.Fans, c.Fans)
	fmt.Fprintf(b, "  attempted (orders) %d, completed (paid) %d (%.1f/s of traffic), declined %d, released %d, refunded %d, seats lost and refunded %d\n",
		p.Orders, p.Paid, rate, c.Declined, p.Released, p.Refunded, p.SeatsLost)
	fmt.Fprintf(b, "  holds %d (refused: %d taken, %d over the limit), abandoned %d, transferred %d, checked in %d (scans refused %d), refunds refused %d, gave up %d\n",
		c.Holds, c.HoldRefused, c.LimitRefused, c.Abandoned, c.Transfers, c.CheckIns, c.ScansRefused, c.RefundsRefused, c.GaveUp)
	var faults []string
	for _, k := range sortedKeys(p.PaymentFaults) {
		faults = append(faults, fmt.Sprintf("%s×%d", k, p.PaymentFaults[k]))
	}
	fmt.Fprintf(b, "  injected payment faults: %s\n", strings.Join(faults, " "))
	fmt.Fprintf(b, "  every order terminal %s after the fans finished and webhooks were delivered (bound %s)\n", p.OrdersEndedIn.Round(time.Millisecond), OrderEndBound)
	for _, mc := range p.Checks {
		fmt.Fprintf(b, "  %-55s %6d compared, %d violations\n", mc.Name+":", mc.Compared, len(mc.Violations))
		if mc.Compared == 0 {
			fmt.Fprintf(b, "    compared nothing: the run cannot pass\n")
		}
		for _, v := range limit(mc.Violations, 10) {
			fmt.Fprintf(b, "    %s\n", v)
		}
	}
	for _, pr := range limit(p.Problems, 10) {
		fmt.Fprintf(b, "  PROBLEM %s\n", pr)
	}
}
