package checkout

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// Tickets. Each sold seat has one record, authoritative for who holds it
// and which QR is current:
//
//	ticket/<ticket id>              ticketRecord
//	fanticket/<fan>/<ticket id>     index of a fan's tickets (stale entries are filtered by owner)
//	eventticket/<event>/<ticket id> index of an event's tickets (notifications)
//	revoked/<event>/<qr id>         revocation list for offline scanners
//
// The QR carries "<payload>.<signature>", both base64url: payload is the
// JSON of qrPayload, signature its Ed25519 signature by TicketKey, so a
// scanner offline verifies it with the public key and checks the qr id
// against its copy of the revocation list. Online check-in also compares
// the qr id with the ticket record's current one.
//
// A transfer is one CAS on the ticket record: new owner, generation + 1,
// a new qr id, the old one appended to RevokedQR. The ticket id (the
// cluster's, tied to the seat sale) stays; the holder gets a fresh QR.
// Revocation entries are written after the CAS and re-written by any
// retry of the same transfer, so the online check is exact at once and the
// offline list catches up.
//
// Check-in is also a CAS on the ticket record: it records the first scan
// (when, where, by whom) in CheckIn, and only if the scanned qr id is still
// the current one. Transfer refuses a record with CheckIn set. Because
// both decide on the same version of the same key, one of them always sees
// the other: a ticket is admitted at most once, a QR replaced by a
// transfer that has returned is never admitted, and a ticket used at the
// door cannot be transferred. (An earlier design wrote a separate
// checkin/<ticket> key, which a transfer read before its own CAS: a scan
// and a transfer racing could both succeed. Rejected.)
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
}

// ticketScan is the scan that admitted a ticket.
type ticketScan struct {
	At        time.Time `json:"at"`
	Gate      string    `json:"gate"`
	Scanner   string    `json:"scanner"`
	QRID      string    `json:"qr_id"`
	RequestID string    `json:"request_id"` // derived from the scan's Idempotency-Key: a retried scan answers "admitted" again
}

type qrPayload struct {
	Version  int    `json:"v"`
	TicketID string `json:"t"`
	QRID     string `json:"q"`
	EventID  string `json:"e"`
	SeatID   string `json:"s"`
	Owner    string `json:"o"`
}

type ticketView struct {
	TicketID  string `json:"ticket_id"`
	EventID   string `json:"event_id"`
	SeatID    string `json:"seat_id"`
	OrderID   string `json:"order_id"`
	PriceTier string `json:"price_tier"`
	Owner     string `json:"owner"`
	State     string `json:"state"`
	QRID      string `json:"qr_id"`
	QRPayload string `json:"qr_payload,omitempty"`
	QRPNGURL  string `json:"qr_png_url"`
	// CheckedInAt is set once the ticket has been admitted at the door.
	CheckedInAt *time.Time `json:"checked_in_at,omitempty"`
}

func ticketKey(id string) string { return "ticket/" + id }

func qrID(ticketID string, generation int) string {
	return deriveID("qr", ticketID, fmt.Sprint(generation))
}

func (g *Gateway) signQR(t ticketRecord) string {
	payload, _ := json.Marshal(qrPayload{Version: 1, TicketID: t.TicketID, QRID: t.QRID, EventID: t.EventID, SeatID: t.SeatID, Owner: t.Owner})
	sig := ed25519.Sign(g.cfg.TicketKey, payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// VerifyQR checks a QR payload's signature with pub and decodes it: what a
// scanner does offline.
func VerifyQR(pub ed25519.PublicKey, qr string) (qrPayload, error) {
	var p qrPayload
	enc, sigEnc, ok := strings.Cut(strings.TrimSpace(qr), ".")
	payload, err1 := base64.RawURLEncoding.DecodeString(enc)
	sig, err2 := base64.RawURLEncoding.DecodeString(sigEnc)
	if !ok || err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return p, problem(ErrBadSignature, "not a ticket QR")
	}
	if !ed25519.Verify(pub, payload, sig) {
		return p, problem(ErrBadSignature, "QR signature does not verify")
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.Version != 1 {
		return p, problem(ErrBadSignature, "QR payload is not a version 1 ticket")
	}
	return p, nil
}

func (g *Gateway) ticketView(t ticketRecord, withQR bool) ticketView {
	v := ticketView{TicketID: t.TicketID, EventID: t.EventID, SeatID: t.SeatID, OrderID: t.OrderID, PriceTier: t.PriceTier,
		Owner: t.Owner, State: t.State, QRID: t.QRID, QRPNGURL: "/v1/tickets/" + t.TicketID + "/qr.png"}
	if t.CheckIn != nil {
		at := t.CheckIn.At
		v.CheckedInAt = &at
	}
	if withQR && t.State == "valid" {
		v.QRPayload = g.signQR(t)
	}
	return v
}

// issueTickets writes the ticket records of a paid order and finishes it.
func (g *Gateway) issueTickets(ctx context.Context, o orderRecord) (orderRecord, error) {
	now := g.now()
	// Every record below is written once (version 0, or an idempotent
	// update), so they are written at once, and the order is marked
	// TicketsIssued only after all of them: until then settle runs this
	// again. Readers meet an index entry before its ticket record at most
	// while this runs, and skip it (listTickets, notifications).
	createOnce := func(key string, value []byte) func() error {
		return func() error {
			if _, err := g.cfg.Store.CompareAndSwap(ctx, key, 0, value); err != nil && !errors.Is(err, ErrVersionMismatch) {
				return err
			}
			return nil
		}
	}
	var writes []func() error
	for _, t := range o.Tickets {
		rec, err := json.Marshal(ticketRecord{TicketID: t.TicketID, EventID: o.EventID, SeatID: t.SeatID, OrderID: o.OrderID, PriceTier: t.PriceTier,
			Owner: o.Fan, QRID: qrID(t.TicketID, 0), State: "valid", IssuedAt: now})
		if err != nil {
			return o, err
		}
		writes = append(writes, createOnce(ticketKey(t.TicketID), rec),
			createOnce("fanticket/"+o.Fan+"/"+t.TicketID, []byte(o.Fan)),
			createOnce("eventticket/"+o.EventID+"/"+t.TicketID, []byte(o.Fan)))
	}
	seats := len(o.Seats) + int(o.GAQty)
	writes = append(writes,
		func() error { return g.convertReservation(ctx, o.EventID, o.Fan, o.ReservationID, o.OrderID, seats) },
		func() error {
			return g.notify(ctx, "order.confirmed", o.Fan, o.EventID, "order-confirmed/"+o.OrderID,
				map[string]any{"order_id": o.OrderID, "tickets": len(o.Tickets)})
		})
	if err := inParallel(writes...); err != nil {
		return o, err
	}
	o, err := g.updateOrder(ctx, o.OrderID, func(rec *orderRecord) bool {
		if rec.TicketsIssued {
			return false
		}
		rec.TicketsIssued = true
		return true
	})
	if err != nil {
		return o, err
	}
	// Two clean-ups of different records.
	return o, inParallel(
		func() error {
			if _, v, err := g.cfg.Store.Get(ctx, fanHoldKey(o.Fan, o.HoldID)); err == nil {
				_ = g.cfg.Store.Delete(ctx, fanHoldKey(o.Fan, o.HoldID), v)
			}
			return nil
		},
		func() error { return g.closeOrder(ctx, o) },
	)
}

func (g *Gateway) loadTicket(ctx context.Context, id string) (ticketRecord, uint64, error) {
	var t ticketRecord
	v, err := getJSON(ctx, g.cfg.Store, ticketKey(id), &t)
	if errors.Is(err, ErrNotFound) {
		return t, 0, problem(ErrMissing, "no ticket "+id)
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
	kvs, err := g.cfg.Store.Scan(c.ctx, "fanticket/"+c.subject+"/", c.r.URL.Query().Get("cursor"), 100)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Tickets    []ticketView `json:"tickets"`
		NextCursor string       `json:"next_cursor,omitempty"`
	}{Tickets: []ticketView{}}
	for _, kv := range kvs {
		t, _, err := g.loadTicket(c.ctx, kv.Key[strings.LastIndexByte(kv.Key, '/')+1:])
		if err != nil || t.Owner != c.subject || t.State != "valid" {
			continue // transferred away or refunded
		}
		out.Tickets = append(out.Tickets, g.ticketView(t, true))
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
	return http.StatusOK, g.ticketView(t, true), nil
}

// qrPNG serves the current QR of a ticket as a PNG.
func (g *Gateway) qrPNG(c *call) (int, any, error) {
	t, err := g.ownTicket(c, c.r.PathValue("ticket"))
	if err != nil {
		return 0, nil, err
	}
	if t.State != "valid" {
		return 0, nil, problem(ErrTicketRevoked, "ticket "+t.TicketID+" is "+t.State)
	}
	png, err := qrcode.Encode(g.signQR(t), qrcode.Medium, 320)
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
	id := c.r.PathValue("ticket")
	reqID := c.requestID("transfer")
	t, err := update(c.ctx, g.cfg.Store, ticketKey(id), func(t *ticketRecord, exists bool) (bool, error) {
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
	if err := g.writeRevocations(c.ctx, t, "transferred"); err != nil {
		return 0, nil, err
	}
	if _, err := g.cfg.Store.CompareAndSwap(c.ctx, "fanticket/"+req.To+"/"+id, 0, []byte(req.To)); err != nil && !errors.Is(err, ErrVersionMismatch) {
		return 0, nil, err
	}
	if err := g.notify(c.ctx, "ticket.received", req.To, t.EventID, "ticket-received/"+reqID, map[string]any{"ticket_id": id, "from": c.subject}); err != nil {
		return 0, nil, err
	}
	v := g.ticketView(t, false)
	return http.StatusOK, v, nil
}

func (g *Gateway) writeRevocations(ctx context.Context, t ticketRecord, reason string) error {
	for _, q := range t.RevokedQR {
		body, _ := json.Marshal(map[string]string{"ticket_id": t.TicketID, "reason": reason})
		if _, err := g.cfg.Store.CompareAndSwap(ctx, "revoked/"+t.EventID+"/"+q, 0, body); err != nil && !errors.Is(err, ErrVersionMismatch) {
			return err
		}
	}
	return nil
}

// revokeTicket invalidates a ticket (refund).
func (g *Gateway) revokeTicket(ctx context.Context, id, reason string) error {
	t, err := update(ctx, g.cfg.Store, ticketKey(id), func(t *ticketRecord, exists bool) (bool, error) {
		if !exists || t.State == "revoked" {
			return false, nil
		}
		t.State = "revoked"
		t.RevokedQR = append(t.RevokedQR, t.QRID)
		return true, nil
	})
	if err != nil || t.TicketID == "" {
		return err
	}
	return g.writeRevocations(ctx, t, reason)
}

func (g *Gateway) revocations(c *call) (int, any, error) {
	event := c.r.PathValue("event")
	kvs, err := g.cfg.Store.Scan(c.ctx, "revoked/"+event+"/", c.r.URL.Query().Get("cursor"), ScanLimitMax)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		EventID    string   `json:"event_id"`
		QRIDs      []string `json:"revoked_qr_ids"`
		NextCursor string   `json:"next_cursor,omitempty"`
	}{EventID: event, QRIDs: []string{}}
	for _, kv := range kvs {
		out.QRIDs = append(out.QRIDs, kv.Key[strings.LastIndexByte(kv.Key, '/')+1:])
	}
	if len(kvs) == ScanLimitMax {
		out.NextCursor = kvs[len(kvs)-1].Key
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) publicKey(c *call) (int, any, error) {
	return http.StatusOK, map[string]string{"algorithm": "Ed25519",
		"public_key": base64.RawURLEncoding.EncodeToString(g.ticketPub)}, nil
}

type checkinRequest struct {
	QRPayload string `json:"qr_payload"`
	Gate      string `json:"gate"`
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
	p, err := VerifyQR(g.ticketPub, req.QRPayload)
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
	t, err := update(c.ctx, g.cfg.Store, ticketKey(p.TicketID), func(t *ticketRecord, exists bool) (bool, error) {
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
		if outcome != "admitted" {
			g.metrics.checkins.WithLabelValues(outcome).Inc()
		}
		return 0, nil, err
	}
	g.metrics.checkins.WithLabelValues("admitted").Inc()
	first := t.CheckIn
	return http.StatusOK, checkinRecord{TicketID: t.TicketID, SeatID: t.SeatID, At: first.At, Gate: first.Gate, Scanner: first.Scanner,
		QRID: first.QRID, EventID: t.EventID, Admitted: true}, nil
}
