package checkout

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// Tickets. Each sold seat has one record, authoritative for who holds it
// and which QR is current:
//
//	ticket/{t:<event>~<shard>}~<n>           ticketRecord of ticket <event>~<shard>~<n> (sealed, records.go): a sale's
//	                                        tickets in one shard share a placement (one Batch), and a scan of
//	                                        ticket/{t:<event>~ lists an event's tickets
//	fanticket/{f:<fan>}/<ticket id>         index of a fan's tickets (sealed; stale entries are filtered by owner)
//	revfeed/<event>/<unix ns>/<qr id>       revocation feed for offline scanners (sealed RevocationEntry)
//	refundpolicy/<event>                    the event's refund policy (sealed, orders.go)
//	fan/<fan>                               the fan exists: first sign-in or first request
//
// The QR (qr.go) is a signed payload plus a rotating code: a scanner
// offline verifies the signature with the public key named in it, the code
// with the event's scan key, and checks the qr id and ticket id against
// its copy of the revocation feed. Online check-in also compares the qr id
// with the ticket record's current one. Every ticket record is sealed with
// the gateways' record key and checked before a QR is signed, a ticket is
// shown, a scan is admitted, or a transfer or refund acts on it, so a
// record written to the store by anything but a gateway is refused.
//
// A transfer is one CAS on the ticket record: new owner, generation + 1,
// a new qr id, the old one appended to RevokedQR. The ticket id (the
// cluster's, tied to the seat sale) stays; the holder gets a fresh QR. The
// recipient must be a known fan (fan/<id>). Feed entries are written after
// the CAS and re-written by any retry of the same transfer, so the online
// check is exact at once and the offline feed catches up.
//
// Check-in is also a CAS on the ticket record: it records the first scan
// (when, where, by whom) in CheckIn, and only if the scanned qr id is still
// the current one. Transfer refuses a record with CheckIn set. Because
// both decide on the same version of the same key, one of them always sees
// the other: a ticket is admitted at most once, a QR replaced by a
// transfer that has returned is never admitted, and a ticket used at the
// door cannot be transferred. (An earlier design wrote a separate
// checkin/<ticket> key, which a transfer read before its own CAS: a scan
// and a transfer racing could both succeed. Rejected.) The admission goes
// to the feed after the CAS, so other gates refuse a copy offline.
//
// The revocation feed is ordered by the writing gateway's clock. A scanner
// syncs with the cursor of its last page; the cursor never passes
// now - revocationFeedSettle, so an entry whose write was still in flight
// (or whose gateway's clock lags by less than that) is returned by the
// next sync rather than skipped. Entries may repeat; applying one twice
// is harmless.
type ticketRecord struct {
	TicketID     string      `json:"ticket_id"`
	EventID      string      `json:"event_id"`
	SeatID       string      `json:"seat_id"`
	OrderID      string      `json:"order_id"`
	PriceTier    string      `json:"price_tier"`
	Owner        string      `json:"owner"`
	Generation   int         `json:"generation"`
	QRID         string      `json:"qr_id"`
	State        string      `json:"state"` // valid, revoked
	RevokedQR    []string    `json:"revoked_qr,omitempty"`
	IssuedAt     time.Time   `json:"issued_at"`
	LastTransfer string      `json:"last_transfer,omitempty"` // request id of the last transfer
	CheckIn      *ticketScan `json:"check_in,omitempty"`      // the first admitting scan; nil until then
	// RefundOrder is the order whose refund revoked this ticket; a refund
	// that has to be abandoned restores exactly the tickets it revoked.
	RefundOrder string `json:"refund_order,omitempty"`
}

// ticketScan is the scan that admitted a ticket.
type ticketScan struct {
	At        time.Time `json:"at"`
	Gate      string    `json:"gate"`
	Scanner   string    `json:"scanner"`
	QRID      string    `json:"qr_id"`
	RequestID string    `json:"request_id"` // derived from the scan's Idempotency-Key: a retried scan answers "admitted" again
}

type ticketView struct {
	TicketID  string `json:"ticket_id"`
	EventID   string `json:"event_id"`
	SeatID    string `json:"seat_id"`
	OrderID   string `json:"order_id"`
	PriceTier string `json:"price_tier"`
	Owner     string `json:"owner"`
	// State is valid, checked_in (admitted at the door: see CheckedInAt)
	// or revoked (refunded). A ticket transferred away is no longer the
	// caller's and is not found.
	State string `json:"state"`
	QRID  string `json:"qr_id"`
	// QRPayload is the signed part of the QR; the app appends "." and the
	// current code of TOTPSecret to make the QR's text.
	QRPayload string `json:"qr_payload,omitempty"`
	// TOTPSecret (base32) makes the rotating code: RFC 6238, HMAC-SHA1, 6
	// digits, TOTPPeriodSeconds. Only the owner receives it.
	TOTPSecret        string `json:"totp_secret,omitempty"`
	TOTPPeriodSeconds int    `json:"totp_period_seconds,omitempty"`
	// QRText is what the QR encodes at the time of the answer (it stops
	// being accepted within 30 s); QRPNGURL renders the current one.
	QRText   string `json:"qr_text,omitempty"`
	QRPNGURL string `json:"qr_png_url"`
	// CheckedInAt is set once the ticket has been admitted at the door.
	CheckedInAt *time.Time `json:"checked_in_at,omitempty"`
}

// ticketKeys is the gateway's key material for tickets, and the fans it
// knows exist.
type ticketKeys struct {
	kid           string                       // TicketKeyID of Config.TicketKey
	public        map[string]ed25519.PublicKey // every accepted QR signing key by id
	sealer        sealer
	untrustedSeen boundedSet                // keys whose forged record was logged (max untrustedLogKeysMax)
	fans          boundedSet                // fans with a fan/ record (max knownFansMax)
	events        eventCache                // events read lately (eventcache.go)
	holds         writtenCache[holdRecord]  // hold records this gateway wrote (eventcache.go)
	orders        writtenCache[orderRecord] // order records this gateway wrote
}

func newTicketKeys(cfg Config) *ticketKeys {
	pub := cfg.TicketKey.Public().(ed25519.PublicKey)
	k := &ticketKeys{kid: TicketKeyID(pub), public: map[string]ed25519.PublicKey{TicketKeyID(pub): pub}, sealer: sealer{ring: cfg.RecordKeys},
		untrustedSeen: boundedSet{max: untrustedLogKeysMax}, fans: boundedSet{max: knownFansMax},
		events: eventCache{max: eventCacheMax, ttl: eventCacheTTL}}
	for _, older := range cfg.TicketKeysOlder {
		k.public[TicketKeyID(older)] = older
	}
	return k
}

// Ticket ids. The cluster names a ticket "<event>/<shard>/<n>" (Sell's
// answer, Refund's request); the gateway spells the same id with '~' for
// '/' ("<event>~<shard>~<n>") so that it is one URL path segment and one
// store key segment. Event ids never contain '~' (or '/'), so the two
// spellings map one to one: GatewayTicketID and ClusterTicketID are the
// only places that convert.
const ticketIDDescription = "The gateway's ticket id, <event>~<shard>~<n>: the cluster's ticket id (<event>/<shard>/<n>, as gRPC Sell answers it) with each '/' spelled '~'."

// GatewayTicketID is the gateway's spelling of a cluster ticket id.
func GatewayTicketID(clusterID string) string { return strings.ReplaceAll(clusterID, "/", "~") }

// ClusterTicketID is the cluster's spelling of a gateway ticket id.
func ClusterTicketID(gatewayID string) string { return strings.ReplaceAll(gatewayID, "~", "/") }

// Ticket states in a ticket view. A ticket record is valid or revoked; a
// valid ticket the door has admitted reads as checked_in (with
// checked_in_at), so an app never shows a used ticket as unused.
const (
	ticketStateValid     = "valid"
	ticketStateCheckedIn = "checked_in"
)

// ticketKey places a ticket with the other tickets of its event shard.
func ticketKey(id string) string {
	if i := strings.LastIndexByte(id, '~'); i > 0 {
		return "ticket/{t:" + id[:i] + "}~" + id[i+1:]
	}
	return "ticket/" + id
}

// eventTicketsPrefix is the prefix of every ticket record of an event
// (event ids never hold '~').
func eventTicketsPrefix(event string) string { return "ticket/{t:" + event + "~" }

func fanTicketKey(fan, id string) string { return "fanticket/" + fanTag(fan) + "/" + id }

func qrID(ticketID string, generation int) string {
	return deriveID("qr", ticketID, fmt.Sprint(generation))
}

// ticketView shows t; owner adds the QR and its secret (only ever the
// ticket's owner: not an admin reading it).
func (g *Gateway) ticketView(t ticketRecord, owner bool) ticketView {
	v := ticketView{TicketID: t.TicketID, EventID: t.EventID, SeatID: t.SeatID, OrderID: t.OrderID, PriceTier: t.PriceTier,
		Owner: t.Owner, State: t.State, QRID: t.QRID, QRPNGURL: "/v1/tickets/" + t.TicketID + "/qr.png"}
	if t.CheckIn != nil {
		at := t.CheckIn.At
		v.CheckedInAt = &at
		if t.State == ticketStateValid {
			v.State = ticketStateCheckedIn
		}
	}
	if owner && t.State == "valid" {
		v.QRPayload = g.signQR(t)
		v.TOTPSecret = g.qrSecret(t)
		v.TOTPPeriodSeconds = int(QRCodePeriod / time.Second)
		if code, err := QRCode(v.TOTPSecret, g.now()); err == nil {
			v.QRText = v.QRPayload + "." + code
		}
	}
	return v
}

// issueTickets finishes the sale of o (paid, its tickets named by Sell),
// whose record is at version (0: unknown, read it). The ticket records go
// first, one Batch per event shard (in parallel), then one Batch in the
// fan's placement: the order paid with its tickets, its reconciler marker
// gone, the hold record turned into owned seats, the fan's ticket index
// and the confirmation notice. A crash between the two leaves the order
// pending with its marker: the reconciler sells again (the same request
// id answers the same tickets), finds the ticket records written and
// writes the rest. Readers therefore never meet a paid order without its
// tickets.
func (g *Gateway) issueTickets(ctx context.Context, o orderRecord, version uint64) (orderRecord, error) {
	now := g.now()
	groups := map[string][]Op{}
	var order []string
	for _, t := range o.Tickets {
		rec, err := json.Marshal(ticketRecord{TicketID: t.TicketID, EventID: o.EventID, SeatID: t.SeatID, OrderID: o.OrderID, PriceTier: t.PriceTier,
			Owner: o.Fan, QRID: qrID(t.TicketID, 0), State: "valid", IssuedAt: now})
		if err != nil {
			return o, err
		}
		key := ticketKey(t.TicketID)
		p := Placement(key)
		if _, ok := groups[p]; !ok {
			order = append(order, p)
		}
		groups[p] = append(groups[p], Op{Kind: OpPut, Key: key, Expected: 0, Value: g.ticketing.sealer.seal(key, rec)})
	}
	var writes []func() error
	for _, p := range order {
		ops := groups[p]
		writes = append(writes, func() error {
			_, err := g.cfg.Store.Batch(ctx, "", ops)
			if !errors.Is(err, ErrVersionMismatch) {
				return err
			}
			// Written before (a ticket record is created once): write
			// whichever of them is missing.
			for _, op := range ops {
				if _, err := g.cfg.Store.CompareAndSwap(ctx, op.Key, 0, op.Value); err != nil && !errors.Is(err, ErrVersionMismatch) {
					return err
				}
			}
			return nil
		})
	}
	if err := inParallel(writes...); err != nil {
		return o, err
	}
	return g.finishSale(ctx, o, version)
}

// finishSale is issueTickets' Batch in the fan's placement.
func (g *Gateway) finishSale(ctx context.Context, o orderRecord, version uint64) (orderRecord, error) {
	seats := len(o.Seats) + int(o.GAQty)
	tickets := o.Tickets
	withOwned := true
	for attempt := 0; attempt < casRetriesMax; attempt++ {
		if version == 0 {
			cur, v, err := g.loadOrderV(ctx, o.OrderID)
			if err != nil {
				return o, err
			}
			if cur.TicketsIssued {
				return cur, g.closeOrder(ctx, cur)
			}
			if cur.State != orderPending && cur.State != orderPaid && cur.State != orderReleased {
				return cur, nil
			}
			if len(cur.Tickets) > 0 {
				tickets = cur.Tickets
			}
			o, version = cur, v
		}
		done := o
		done.State, done.Tickets, done.TicketsIssued = orderPaid, tickets, true
		put, err := g.sealedPut(orderKey(o.OrderID), version, &done)
		if err != nil {
			return o, err
		}
		ops := []Op{put, {Kind: OpDelete, Key: openOrderKey(o.OrderID), Expected: AnyVersion}}
		holdAt := -1
		if withOwned {
			ops = append(ops, Op{Kind: OpPut, Key: ownedKey(o.Fan, o.OrderID), Expected: 0, Value: []byte(strconv.Itoa(seats))})
			hold, hv, herr := g.loadFanHoldOf(ctx, o.Fan, o.HoldID, true)
			switch {
			case errors.Is(herr, ErrMissing):
				// Released before the money came (then sold after all):
				// the seats count again.
				ops = append(ops, addOp(buyerKey(o.Fan, o.EventID), int64(seats), giveBackMin, math.MaxInt64))
			case herr != nil:
				return o, herr
			default:
				holdAt = len(ops)
				ops = append(ops, Op{Kind: OpDelete, Key: fanHoldKey(o.Fan, hold.Base), Expected: hv})
				if hold.State != holdOrdered {
					ops = append(ops, addOp(holdsCountKey(o.Fan), -1, giveBackMin, math.MaxInt64))
				}
				if d := seats - hold.Count; d != 0 {
					ops = append(ops, addOp(buyerKey(o.Fan, o.EventID), int64(d), giveBackMin, math.MaxInt64))
				}
			}
		}
		for _, t := range tickets {
			key := fanTicketKey(o.Fan, t.TicketID)
			ops = append(ops, Op{Kind: OpPut, Key: key, Expected: AnyVersion, Value: g.ticketing.sealer.seal(key, []byte(o.Fan))})
		}
		n, err := g.notification("order.confirmed", o.Fan, o.EventID, "order-confirmed/"+o.OrderID, g.now(),
			map[string]any{"order_id": o.OrderID, "tickets": len(tickets)})
		if err != nil {
			return o, err
		}
		ops = append(ops, n)
		res, err := g.cfg.Store.Batch(ctx, "", ops)
		if err == nil {
			g.ticketing.orders.put(orderKey(o.OrderID), done, res[0].Version)
			g.ticketing.holds.drop(fanHoldKey(o.Fan, o.HoldID))
			if o.State != orderPaid {
				g.metrics.payments.WithLabelValues("paid").Inc()
			}
			return done, nil
		}
		var be *BatchError
		if !errors.As(err, &be) {
			return o, err
		}
		switch {
		case be.Index == 0:
			version = 0 // the order moved: read it and decide again
			g.ticketing.orders.drop(orderKey(o.OrderID))
		case be.Index == 2 && withOwned:
			withOwned = false // owned already: counted by an earlier run
		case be.Index == holdAt:
			g.ticketing.holds.drop(fanHoldKey(o.Fan, o.HoldID))
		default:
			return o, err
		}
	}
	return o, ErrBusy
}

// loadTicket reads a ticket record and checks its seal.
func (g *Gateway) loadTicket(ctx context.Context, id string) (ticketRecord, uint64, error) {
	var t ticketRecord
	v, err := g.getSealed(ctx, ticketKey(id), &t)
	if errors.Is(err, ErrNotFound) {
		return t, 0, problem(ErrMissing, "no ticket "+id)
	}
	if err == nil && t.TicketID != id {
		// A sealed record is bound to its key, so this is a bug, not a forgery.
		return t, 0, fmt.Errorf("ticket record %q names ticket %q", id, t.TicketID)
	}
	return t, v, err
}

func (g *Gateway) ownTicket(c *call, id string) (ticketRecord, error) {
	t, _, err := g.loadTicket(c.ctx, id)
	if err != nil {
		return t, err
	}
	if c.role != RoleAdmin && t.Owner != c.subject {
		return t, problem(ErrMissing, "no ticket "+id)
	}
	return t, nil
}

func (g *Gateway) listTickets(c *call) (int, any, error) {
	kvs, err := g.cfg.Store.Scan(c.ctx, "fanticket/"+fanTag(c.subject)+"/", c.r.URL.Query().Get("cursor"), 100)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Tickets    []ticketView `json:"tickets"`
		NextCursor string       `json:"next_cursor,omitempty"`
	}{Tickets: []ticketView{}}
	// The ticket records are read at once.
	recs := make([]*ticketRecord, len(kvs))
	var loads []func() error
	for i, kv := range kvs {
		if _, err := g.openIndex(kv); err != nil {
			continue // not written by a gateway: counted and logged by openIndex
		}
		loads = append(loads, func() error {
			t, _, err := g.loadTicket(c.ctx, kv.Key[strings.LastIndexByte(kv.Key, '/')+1:])
			if err == nil && t.Owner == c.subject && t.State == "valid" {
				recs[i] = &t
			} // else transferred away, refunded, or not trusted (counted and logged)
			return nil
		})
	}
	if len(loads) > 0 {
		_ = inParallel(loads...)
	}
	for _, t := range recs {
		if t != nil {
			out.Tickets = append(out.Tickets, g.ticketView(*t, true))
		}
	}
	if len(kvs) == 100 {
		out.NextCursor = kvs[len(kvs)-1].Key
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) getTicket(c *call) (int, any, error) {
	t, err := g.ownTicket(c, c.r.PathValue("ticket"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.ticketView(t, t.Owner == c.subject), nil
}

// qrPNG serves a ticket's QR as it is now (signed payload and current
// code) as a PNG; only its owner gets one.
func (g *Gateway) qrPNG(c *call) (int, any, error) {
	t, err := g.ownTicket(c, c.r.PathValue("ticket"))
	if err != nil {
		return 0, nil, err
	}
	if t.Owner != c.subject {
		return 0, nil, problem(ErrMissing, "no ticket "+t.TicketID+" of yours")
	}
	if t.State != "valid" {
		return 0, nil, problem(ErrTicketRevoked, "ticket "+t.TicketID+" is "+t.State)
	}
	v := g.ticketView(t, true)
	if v.QRText == "" {
		return 0, nil, errors.New("no current QR code")
	}
	png, err := qrcode.Encode(v.QRText, qrcode.Medium, 320)
	if err != nil {
		return 0, nil, err
	}
	c.w.Header().Set("Content-Type", "image/png")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
	_, _ = bytes.NewReader(png).WriteTo(c.w)
	return 0, nil, nil
}

type transferRequest struct {
	To string `json:"to"`
}

// transferTicket moves a ticket to another fan: fresh QR, old one revoked,
// in one CAS on the ticket record, which refuses a checked-in ticket.
func (g *Gateway) transferTicket(c *call) (int, any, error) {
	var req transferRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := validID("to", req.To); err != nil {
		return 0, nil, err
	}
	known, err := g.knownFan(c.ctx, req.To)
	if err != nil {
		return 0, nil, err
	}
	if !known {
		return 0, nil, problem(ErrUnknownFan, fmt.Sprintf("to: no fan %q has signed in: the recipient must sign in once before receiving a ticket", req.To), "field", "to")
	}
	id := c.r.PathValue("ticket")
	reqID := c.requestID("transfer")
	t, err := updateSealed(c.ctx, g, ticketKey(id), func(t *ticketRecord, exists bool) (bool, error) {
		if !exists {
			return false, problem(ErrMissing, "no ticket "+id)
		}
		if t.LastTransfer == reqID {
			return false, nil // this very transfer, retried
		}
		if t.Owner != c.subject && c.role != RoleAdmin {
			return false, problem(ErrMissing, "no ticket "+id)
		}
		if t.State != "valid" {
			return false, problem(ErrTicketRevoked, "ticket is "+t.State)
		}
		if t.CheckIn != nil {
			return false, problem(ErrConflict, fmt.Sprintf("ticket already used at the door (%s, gate %q)", t.CheckIn.At.Format(time.RFC3339), t.CheckIn.Gate))
		}
		if req.To == t.Owner {
			return false, problem(ErrInvalid, "you already hold this ticket")
		}
		t.RevokedQR = append(t.RevokedQR, t.QRID)
		t.Generation++
		t.Owner, t.QRID, t.LastTransfer = req.To, qrID(t.TicketID, t.Generation), reqID
		return true, nil
	})
	if err != nil {
		return 0, nil, err
	}
	if err := g.appendFeed(c.ctx, t.EventID, RevocationEntry{Kind: RevokedTransferred, TicketID: t.TicketID, QRID: t.RevokedQR[len(t.RevokedQR)-1]}); err != nil {
		return 0, nil, err
	}
	if err := g.createSealedOnce(c.ctx, fanTicketKey(req.To, id), []byte(req.To)); err != nil {
		return 0, nil, err
	}
	if err := g.notify(c.ctx, "ticket.received", req.To, t.EventID, "ticket-received/"+reqID, map[string]any{"ticket_id": id, "from": c.subject}); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.ticketView(t, false), nil
}

// revokeForRefund revokes ticket ot of order o for its refund, unless it
// was checked in or no longer belongs to the buyer. Repeating it is
// harmless. A ticket not yet written (issueTickets still running) is
// written revoked, so a late issueTickets cannot create it valid.
func (g *Gateway) revokeForRefund(ctx context.Context, o orderRecord, ot orderTicket) error {
	id, order, fan := ot.TicketID, o.OrderID, o.Fan
	t, err := updateSealed(ctx, g, ticketKey(id), func(t *ticketRecord, exists bool) (bool, error) {
		switch {
		case !exists:
			*t = ticketRecord{TicketID: id, EventID: o.EventID, SeatID: ot.SeatID, OrderID: order, PriceTier: ot.PriceTier,
				Owner: fan, QRID: qrID(id, 0), State: "valid", IssuedAt: g.now()}
		case t.State == "revoked" && t.RefundOrder == order:
			return false, nil // revoked by this refund already
		case t.CheckIn != nil:
			return false, problem(ErrRefundCheckedIn, "ticket "+id+" was checked in: the order can no longer be refunded", "ticket_id", id)
		case t.Owner != fan || t.State != "valid":
			return false, problem(ErrRefundTransferred, "ticket "+id+" was transferred to someone else: the order can no longer be refunded", "ticket_id", id)
		}
		t.State, t.RefundOrder = "revoked", order
		t.RevokedQR = append(t.RevokedQR, t.QRID)
		return true, nil
	})
	if err != nil {
		return err
	}
	return g.appendFeed(ctx, t.EventID, RevocationEntry{Kind: RevokedRefunded, TicketID: t.TicketID, QRID: t.RevokedQR[len(t.RevokedQR)-1]})
}

// restoreAfterRefund undoes revokeForRefund for a refund that was
// abandoned: the ticket is valid again under a fresh qr id (the revoked one
// may already be in offline scanners' feeds, so it stays revoked).
func (g *Gateway) restoreAfterRefund(ctx context.Context, id, order string) error {
	_, err := updateSealed(ctx, g, ticketKey(id), func(t *ticketRecord, exists bool) (bool, error) {
		if !exists || t.State != "revoked" || t.RefundOrder != order {
			return false, nil
		}
		t.Generation++
		t.State, t.RefundOrder, t.QRID = "valid", "", qrID(t.TicketID, t.Generation)
		return true, nil
	})
	return err
}

// revocationFeedSettle is how far behind now a feed cursor stays: longer
// than a feed write takes and than the clock skew between gateways.
const revocationFeedSettle = 30 * time.Second

func revFeedPrefix(event string) string { return "revfeed/" + event + "/" }

// appendFeed adds an entry to an event's revocation feed.
func (g *Gateway) appendFeed(ctx context.Context, event string, e RevocationEntry) error {
	e.At = g.now().UTC()
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return g.createSealedOnce(ctx, fmt.Sprintf("%s%020d/%s", revFeedPrefix(event), e.At.UnixNano(), e.QRID), body)
}

type revocationFeed struct {
	EventID string            `json:"event_id"`
	Entries []RevocationEntry `json:"entries"`
	// RevokedQRIDs are the qr ids of transfer and refund entries;
	// CheckedInTicketIDs the tickets admitted (any QR of theirs is
	// refused). Both repeat what Entries say.
	RevokedQRIDs       []string `json:"revoked_qr_ids"`
	CheckedInTicketIDs []string `json:"checked_in_ticket_ids"`
	// NextCursor continues from here; it is always set (keep it and ask
	// again later for what happened since).
	NextCursor string `json:"next_cursor"`
}

// revocations pages through an event's revocation feed (?cursor=).
func (g *Gateway) revocations(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	if err := validID("event", event); err != nil {
		return 0, nil, err
	}
	prefix := revFeedPrefix(event)
	cursor := c.r.URL.Query().Get("cursor")
	if len(cursor) > 200 || strings.ContainsAny(cursor, "\x00 ") {
		return 0, nil, problem(ErrInvalid, "cursor: not one this endpoint returned")
	}
	kvs, err := g.cfg.Store.Scan(c.ctx, prefix, prefix+cursor, ScanLimitMax)
	if err != nil {
		return 0, nil, err
	}
	out := revocationFeed{EventID: event, Entries: []RevocationEntry{}, RevokedQRIDs: []string{}, CheckedInTicketIDs: []string{}, NextCursor: cursor}
	settled := fmt.Sprintf("%020d", g.now().Add(-revocationFeedSettle).UnixNano())
	for _, kv := range kvs {
		next := strings.TrimPrefix(kv.Key, prefix)
		if next <= settled {
			out.NextCursor = next
		} else if settled > out.NextCursor {
			out.NextCursor = settled
		}
		body, err := g.openIndex(kv)
		if err != nil {
			continue // not written by a gateway: counted and logged
		}
		var e RevocationEntry
		if err := json.Unmarshal(body, &e); err != nil {
			return 0, nil, fmt.Errorf("store record %q is corrupt: %w", kv.Key, err)
		}
		out.Entries = append(out.Entries, e)
		if e.Kind == RevokedCheckedIn {
			out.CheckedInTicketIDs = append(out.CheckedInTicketIDs, e.TicketID)
		} else {
			out.RevokedQRIDs = append(out.RevokedQRIDs, e.QRID)
		}
	}
	if len(kvs) < ScanLimitMax && settled > out.NextCursor {
		out.NextCursor = settled
	}
	return http.StatusOK, out, nil
}

// publicKey lists every accepted QR signing key by id.
func (g *Gateway) publicKey(c *call) (int, any, error) {
	keys := map[string]string{}
	for id, k := range g.ticketing.public {
		keys[id] = base64.RawURLEncoding.EncodeToString(k)
	}
	return http.StatusOK, map[string]any{"algorithm": "Ed25519", "current_key_id": g.ticketing.kid,
		"public_key": keys[g.ticketing.kid], "keys": keys}, nil
}

// scanKey hands an event's scan key to its scanners, so offline gates can
// check rotating codes.
func (g *Gateway) scanKey(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	if err := validID("event", event); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"event_id": event, "scan_key": base64.RawURLEncoding.EncodeToString(EventScanKey(g.cfg.ScanSecret, event)),
		"totp_period_seconds": int(QRCodePeriod / time.Second), "totp_skew_steps": QRCodeSkewSteps}, nil
}

type checkinRequest struct {
	// QR is the text the scanner read: <payload>.<signature>.<code>.
	QR   string `json:"qr"`
	Gate string `json:"gate"`
}

type checkinRecord struct {
	TicketID string    `json:"ticket_id"`
	SeatID   string    `json:"seat_id"`
	At       time.Time `json:"at"`
	Gate     string    `json:"gate"`
	Scanner  string    `json:"scanner"`
	QRID     string    `json:"qr_id"`
	EventID  string    `json:"event_id"`
	Admitted bool      `json:"admitted"`
}

// checkin admits the first scan of a ticket's current QR. The scan is a
// CAS on the ticket record itself (see ticketRecord), so "first" is
// linearizable across all gateways and ordered against transfers.
func (g *Gateway) checkin(c *call) (int, any, error) {
	var req checkinRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if len(req.Gate) > 64 {
		return 0, nil, problem(ErrInvalid, "gate: at most 64 bytes")
	}
	payload, code, err := SplitQRText(req.QR)
	if err != nil {
		g.metrics.checkins.WithLabelValues("invalid").Inc()
		return 0, nil, err
	}
	p, err := VerifyQR(payload, code, g.now(), g.qrKeys())
	if err != nil {
		g.metrics.checkins.WithLabelValues("invalid").Inc()
		return 0, nil, err
	}
	if err := c.inEventScope(p.EventID); err != nil {
		return 0, nil, err
	}
	reqID := c.requestID("checkin")
	scan := ticketScan{At: g.now().UTC(), Gate: req.Gate, Scanner: c.subject, QRID: p.QRID, RequestID: reqID}
	outcome := "admitted"
	t, err := updateSealed(c.ctx, g, ticketKey(p.TicketID), func(t *ticketRecord, exists bool) (bool, error) {
		switch {
		case !exists:
			return false, problem(ErrMissing, "no ticket "+p.TicketID)
		case t.CheckIn != nil && t.CheckIn.RequestID == reqID:
			return false, nil // this very scan, retried after its answer was lost
		case t.State != "valid" || t.QRID != p.QRID:
			outcome = "revoked"
			return false, problem(ErrTicketRevoked, "this QR is no longer valid (ticket refunded or transferred)", "ticket_id", t.TicketID)
		case t.CheckIn != nil:
			first := t.CheckIn
			outcome = "already_scanned"
			return false, problem(ErrAlreadyCheckedIn, fmt.Sprintf("first scanned at %s, gate %q", first.At.Format(time.RFC3339), first.Gate),
				"first_scanned_at", first.At, "first_gate", first.Gate, "first_scanner", first.Scanner, "ticket_id", t.TicketID)
		}
		t.CheckIn = &scan
		return true, nil
	})
	if err != nil {
		if errors.Is(err, ErrRecordUntrusted) {
			outcome = "untrusted"
		}
		if outcome != "admitted" {
			g.metrics.checkins.WithLabelValues(outcome).Inc()
		}
		return 0, nil, err
	}
	// A retry of this scan writes the entry again if this write fails.
	if err := g.appendFeed(c.ctx, t.EventID, RevocationEntry{Kind: RevokedCheckedIn, TicketID: t.TicketID, QRID: t.CheckIn.QRID}); err != nil {
		return 0, nil, err
	}
	g.metrics.checkins.WithLabelValues("admitted").Inc()
	first := t.CheckIn
	return http.StatusOK, checkinRecord{TicketID: t.TicketID, SeatID: t.SeatID, At: first.At, Gate: first.Gate, Scanner: first.Scanner,
		QRID: first.QRID, EventID: t.EventID, Admitted: true}, nil
}

// Known fans. A transfer goes only to a fan who exists: one with a fan/<id>
// record, written the first time a gateway sees the fan sign in (dev
// login) or send a request. Each gateway remembers the fans it has
// recorded in a bounded set, so a fan costs one write per gateway process,
// not one per request.
// knownFansMax bounds the set; when full it starts over (a forgotten fan
// costs one more idempotent write).
const knownFansMax = 100_000

// boundedSet is a set of strings that starts over when it holds max of
// them: a cache whose loss only costs repeated work. The zero value is
// ready; max is set by the holder.
type boundedSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func (s *boundedSet) has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.seen[key]
	return ok
}

// add puts key in the set and reports whether it was new.
func (s *boundedSet) add(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[key]; ok {
		return false
	}
	if s.seen == nil || len(s.seen) >= s.max {
		s.seen = map[string]struct{}{}
	}
	s.seen[key] = struct{}{}
	return true
}

// rememberFan records that fan exists (once per gateway process).
func (g *Gateway) rememberFan(ctx context.Context, fan string) error {
	if g.ticketing.fans.has(fan) {
		return nil
	}
	if _, err := g.cfg.Store.CompareAndSwap(ctx, "fan/"+fan, 0, []byte(g.now().UTC().Format(time.RFC3339))); err != nil && !errors.Is(err, ErrVersionMismatch) {
		return err
	}
	g.ticketing.fans.add(fan)
	return nil
}

// knownFan reports whether fan has a fan/ record.
func (g *Gateway) knownFan(ctx context.Context, fan string) (bool, error) {
	if g.ticketing.fans.has(fan) {
		return true, nil
	}
	_, _, err := g.cfg.Store.Get(ctx, "fan/"+fan)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	g.ticketing.fans.add(fan)
	return true, nil
}
