package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// GatewayPurchase is an order the gateway answered "paid" to (or that the
// run found paid at the end), with the tickets the fan then listed.
type GatewayPurchase struct {
	OrderID string `json:"order_id"`
	HoldID  string `json:"hold_id"`
	// Buyer is the fan's subject.
	Buyer   string          `json:"buyer,omitempty"`
	Seats   []string        `json:"seats"`
	Tickets []GatewayTicket `json:"tickets"`
	// TicketsUnknown: the payment's answer was lost, so the run never
	// listed this order's tickets; only its seats are checked.
	TicketsUnknown bool `json:"tickets_unknown,omitempty"`
}

// GatewayTicket is one ticket of a purchase as GET /v1/tickets shows it.
type GatewayTicket struct {
	TicketID string `json:"ticket_id"`
	SeatID   string `json:"seat_id"`
}

// GatewayCheckResult is the verdict of CheckGateway.
type GatewayCheckResult struct {
	OK       bool     `json:"ok"`
	Detail   string   `json:"detail"`
	Problems []string `json:"problems,omitempty"`

	PaidOrders     int `json:"paid_orders"`
	SeatsOfOrders  int `json:"seats_of_paid_orders"`
	TicketsIssued  int `json:"tickets_issued"`
	SeatsSoldByRun int `json:"seats_sold_by_run"` // sold after the run and not before
	SeatsSoldTotal int `json:"seats_sold_total"`
	SeatsHeld      int `json:"seats_held"` // at the end, by anyone (holds of failed fans expire)
	// UncertainOrders are orders whose payment outcome the run never
	// learned; seats sold to them are not counted as problems.
	UncertainOrders int `json:"uncertain_orders"`
}

// CheckGateway verifies a gateway run against linearizable seat maps of
// its event read before and after it. The event must have had no other
// buyers during the run.
//
//   - no seat is in two paid orders (sold twice);
//   - every seat of a paid order is SOLD to that order (no lost sale);
//   - every seat sold during the run is a seat of a paid order of the run,
//     or of an order whose payment outcome is unknown (no sale from nowhere);
//   - every paid order whose tickets were listed has exactly one ticket per
//     seat, with the cluster's ticket id of that seat, and no ticket id
//     appears twice; so seats sold = tickets issued for paid orders;
//   - no seat is still HELD by a hold the run released.
func CheckGateway(before, after *boxofficev1.SeatMap, purchases []GatewayPurchase, uncertainOrders, releasedHolds []string) GatewayCheckResult {
	res := GatewayCheckResult{PaidOrders: len(purchases), UncertainOrders: len(uncertainOrders)}
	var problems []string
	problem := func(examples []string, count int, what string) {
		if count == 0 {
			return
		}
		line := fmt.Sprintf("%d %s", count, what)
		if len(examples) > 0 {
			line += " (e.g. " + strings.Join(examples, ", ") + ")"
		}
		problems = append(problems, line)
	}
	type seatState struct {
		state               boxofficev1.SeatState
		order, ticket, hold string
	}
	seats := func(sm *boxofficev1.SeatMap) map[string]seatState {
		out := map[string]seatState{}
		for _, section := range sm.GetSections() {
			for _, row := range section.GetRows() {
				for _, s := range row.GetSeats() {
					out[s.GetSeatId()] = seatState{s.GetState(), s.GetOrderId(), s.GetTicketId(), s.GetHoldId()}
				}
			}
		}
		return out
	}
	was, now := seats(before), seats(after)

	// What the fans were told.
	soldTo := map[string]string{}
	var twice, lost, badTickets []string
	twiceN, lostN, badTicketsN := 0, 0, 0
	ticketIDs := map[string]string{}
	example := func(list *[]string, n *int, s string) {
		*n++
		if len(*list) < examplesMax {
			*list = append(*list, s)
		}
	}
	for _, p := range purchases {
		res.SeatsOfOrders += len(p.Seats)
		for _, seat := range p.Seats {
			if earlier, dup := soldTo[seat]; dup && earlier != p.OrderID {
				example(&twice, &twiceN, fmt.Sprintf("%s to %s and %s", seat, earlier, p.OrderID))
				continue
			}
			soldTo[seat] = p.OrderID
			if st := now[seat]; st.state != boxofficev1.SeatState_SEAT_STATE_SOLD || st.order != p.OrderID {
				example(&lost, &lostN, fmt.Sprintf("%s of %s is %s/%s", seat, p.OrderID, st.state, st.order))
			}
		}
		if p.TicketsUnknown {
			continue
		}
		res.TicketsIssued += len(p.Tickets)
		ticketSeats := map[string]bool{}
		for _, t := range p.Tickets {
			if other, dup := ticketIDs[t.TicketID]; dup {
				example(&badTickets, &badTicketsN, fmt.Sprintf("ticket %s in %s and %s", t.TicketID, other, p.OrderID))
			}
			ticketIDs[t.TicketID] = p.OrderID
			ticketSeats[t.SeatID] = true
			if want := strings.ReplaceAll(now[t.SeatID].ticket, "/", "~"); want != t.TicketID {
				example(&badTickets, &badTicketsN, fmt.Sprintf("ticket %s for seat %s, which the cluster sold with ticket %q", t.TicketID, t.SeatID, want))
			}
		}
		for _, seat := range p.Seats {
			if !ticketSeats[seat] {
				example(&badTickets, &badTicketsN, fmt.Sprintf("no ticket for seat %s of %s", seat, p.OrderID))
			}
		}
		if len(p.Tickets) != len(p.Seats) {
			example(&badTickets, &badTicketsN, fmt.Sprintf("%s has %d tickets for %d seats", p.OrderID, len(p.Tickets), len(p.Seats)))
		}
	}
	problem(twice, twiceN, "seats in two paid orders")
	problem(lost, lostN, "seats of paid orders not sold to them")
	problem(badTickets, badTicketsN, "ticket mismatches")

	// What the cluster says.
	uncertain := map[string]bool{}
	for _, id := range uncertainOrders {
		uncertain[id] = true
	}
	released := map[string]bool{}
	for _, id := range releasedHolds {
		released[id] = true
	}
	var nowhere, stillHeld []string
	nowhereN, stillHeldN := 0, 0
	for _, id := range slices.Sorted(maps.Keys(now)) {
		st := now[id]
		switch st.state {
		case boxofficev1.SeatState_SEAT_STATE_SOLD:
			res.SeatsSoldTotal++
			if old := was[id]; old.state == boxofficev1.SeatState_SEAT_STATE_SOLD && old.order == st.order {
				continue // sold before the run
			}
			res.SeatsSoldByRun++
			if soldTo[id] != st.order && !uncertain[st.order] {
				example(&nowhere, &nowhereN, fmt.Sprintf("%s to %s", id, st.order))
			}
		case boxofficev1.SeatState_SEAT_STATE_HELD:
			res.SeatsHeld++
			if released[st.hold] {
				example(&stillHeld, &stillHeldN, fmt.Sprintf("%s by %s", id, st.hold))
			}
		}
	}
	problem(nowhere, nowhereN, "seats sold during the run to no paid order of it")
	problem(stillHeld, stillHeldN, "seats still held by released holds")

	res.Problems = problems
	res.OK = len(problems) == 0
	if res.OK {
		unlisted := ""
		if n := countUnlisted(purchases); n > 0 {
			unlisted = fmt.Sprintf(" (tickets not listed for %d paid orders whose payment answer was lost)", n)
		}
		res.Detail = fmt.Sprintf("invariants hold: %d paid orders, %d seats sold during the run = %d seats of paid orders; %d tickets issued, one per seat%s; no seat sold twice; %d seats held at the end; %d orders of unknown outcome",
			res.PaidOrders, res.SeatsSoldByRun, res.SeatsOfOrders, res.TicketsIssued, unlisted, res.SeatsHeld, res.UncertainOrders)
	} else {
		res.Detail = "INVARIANT VIOLATED: " + strings.Join(problems, "; ")
	}
	return res
}

// SeatsPerBuyerMax is the most seats the purchases give one buyer (for
// the per-fan ticket limit), and that buyer.
func SeatsPerBuyerMax(purchases []GatewayPurchase) (seats int, buyer string) {
	per := map[string]int{}
	for _, p := range purchases {
		per[p.Buyer] += len(p.Seats)
		if per[p.Buyer] > seats {
			seats, buyer = per[p.Buyer], p.Buyer
		}
	}
	return seats, buyer
}

func countUnlisted(purchases []GatewayPurchase) int {
	n := 0
	for _, p := range purchases {
		if p.TicketsUnknown {
			n++
		}
	}
	return n
}

// RoundTrips are request counts per purchase over a run, from the
// Prometheus counters of the gateway and of the cluster's nodes.
type RoundTrips struct {
	// GatewayRequests by route ("POST /v1/orders"), per purchase.
	GatewayRequests map[string]float64 `json:"gateway_requests"`
	// ClusterOperations by gRPC method ("CompareAndSwap", "Hold"), summed
	// over the nodes, per purchase; nil without node metrics.
	ClusterOperations map[string]float64 `json:"cluster_operations,omitempty"`
	// ClusterTotal is the sum of ClusterOperations.
	ClusterTotal float64 `json:"cluster_total"`
	// GatewayServerMs is the gateway's own mean latency by route over the
	// run (request_seconds sum / count), in milliseconds.
	GatewayServerMs map[string]float64 `json:"gateway_server_ms"`
	// GatewayProcessCPUMs is the CPU time of the gateways' processes per
	// purchase (process_cpu_seconds_total), in milliseconds; under
	// `boxoffice demo` that process also runs the three nodes, so this is
	// the whole system's CPU cost of a purchase.
	GatewayProcessCPUMs float64 `json:"gateway_process_cpu_ms"`
}

// counterSnapshot is the counters a run reads before and after.
type counterSnapshot struct {
	gatewayRequests map[string]float64
	gatewaySeconds  map[string]float64
	gatewayCount    map[string]float64
	clusterOps      map[string]float64
	nodesAnswered   int
	processCPU      float64 // of the gateway's process, seconds
}

// scrapeRoundTrips reads the counters, summed over the gateways; nil if a
// gateway's /metrics does not answer.
func scrapeRoundTrips(ctx context.Context, hc *http.Client, gateways []string, nodes []string) *counterSnapshot {
	s := &counterSnapshot{gatewayRequests: map[string]float64{}, gatewaySeconds: map[string]float64{},
		gatewayCount: map[string]float64{}, clusterOps: map[string]float64{}}
	for _, gateway := range gateways {
		if !s.scrapeGateway(ctx, hc, gateway) {
			return nil
		}
	}
	for _, u := range nodes {
		err := scrapeMetrics(ctx, hc, u, func(name string, labels map[string]string, v float64) {
			if name == "boxoffice_api_operations_total" {
				s.clusterOps[labels["method"]] += v
			}
		})
		if err == nil {
			s.nodesAnswered++
		}
	}
	return s
}

// scrapeGateway adds one gateway's counters; false if it did not answer.
func (s *counterSnapshot) scrapeGateway(ctx context.Context, hc *http.Client, gateway string) bool {
	err := scrapeMetrics(ctx, hc, gateway+"/metrics", func(name string, labels map[string]string, v float64) {
		switch name {
		case "boxoffice_gateway_requests_total":
			s.gatewayRequests[labels["route"]] += v
		case "boxoffice_gateway_request_seconds_sum":
			s.gatewaySeconds[labels["route"]] += v
		case "boxoffice_gateway_request_seconds_count":
			s.gatewayCount[labels["route"]] += v
		case "process_cpu_seconds_total":
			s.processCPU += v
		}
	})
	return err == nil
}

func (s *counterSnapshot) perPurchase(after *counterSnapshot, purchases int64) *RoundTrips {
	if after == nil || purchases == 0 {
		return nil
	}
	n := float64(purchases)
	rt := &RoundTrips{GatewayRequests: map[string]float64{}, GatewayServerMs: map[string]float64{},
		GatewayProcessCPUMs: 1000 * (after.processCPU - s.processCPU) / n}
	for route, v := range after.gatewayRequests {
		if d := v - s.gatewayRequests[route]; d > 0 && route != "GET /metrics" {
			rt.GatewayRequests[route] = d / n
		}
	}
	for route, v := range after.gatewayCount {
		if d := v - s.gatewayCount[route]; d > 0 && route != "GET /metrics" {
			rt.GatewayServerMs[route] = 1000 * (after.gatewaySeconds[route] - s.gatewaySeconds[route]) / d
		}
	}
	if s.nodesAnswered > 0 && after.nodesAnswered == s.nodesAnswered {
		rt.ClusterOperations = map[string]float64{}
		for method, v := range after.clusterOps {
			if d := v - s.clusterOps[method]; d > 0 {
				rt.ClusterOperations[method] = d / n
				rt.ClusterTotal += d / n
			}
		}
	}
	return rt
}

// scrapeMetrics reads a Prometheus text page and calls sample for each
// sample line. Label values may hold anything but are quoted, with \" and
// \\ escaped, as routes like "POST /v1/events/{event}/holds" need.
func scrapeMetrics(ctx context.Context, hc *http.Client, url string, sample func(name string, labels map[string]string, v float64)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body, sample)
}

func parseMetrics(r io.Reader, sample func(name string, labels map[string]string, v float64)) error {
	lines := bufio.NewScanner(r)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for lines.Scan() {
		line := lines.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		labels := map[string]string{}
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			rest = rest[1:]
			for {
				rest = strings.TrimLeft(rest, ", ")
				if strings.HasPrefix(rest, "}") {
					rest = rest[1:]
					break
				}
				eq := strings.Index(rest, "=\"")
				if eq < 0 {
					return fmt.Errorf("metrics line %q: bad labels", line)
				}
				key := rest[:eq]
				rest = rest[eq+2:]
				var value strings.Builder
				closed := false
				for i := 0; i < len(rest); i++ {
					if rest[i] == '\\' && i+1 < len(rest) {
						i++
						switch rest[i] {
						case 'n':
							value.WriteByte('\n')
						default:
							value.WriteByte(rest[i])
						}
						continue
					}
					if rest[i] == '"' {
						rest, closed = rest[i+1:], true
						break
					}
					value.WriteByte(rest[i])
				}
				if !closed {
					return fmt.Errorf("metrics line %q: unterminated label value", line)
				}
				labels[key] = value.String()
			}
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return fmt.Errorf("metrics line %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return fmt.Errorf("metrics line %q: %w", line, err)
		}
		sample(name, labels, v)
	}
	return lines.Err()
}
