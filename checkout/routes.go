package checkout

var (
	anyRole      = []Role{RoleFan, RoleOrganizer, RoleScanner}
	fanOnly      = []Role{RoleFan}
	organizer    = []Role{RoleOrganizer}
	scannerRoles = []Role{RoleScanner}
)

// Tags group the operations of the OpenAPI document; openAPITags describes
// each one.
const (
	tagOperations = "operations"
	tagAuth       = "auth"
	tagEvents     = "events"
	tagOrganizer  = "organizer"
	tagQueue      = "waiting room"
	tagHolds      = "holds"
	tagOrders     = "orders"
	tagTickets    = "tickets"
	tagScanning   = "scanning"
)

// Parameters shared by several routes.
var (
	cursorParam = param{in: "query", name: "cursor", description: "Opaque cursor from the previous page's next_cursor; omit for the first page."}
	// queueTicketParam: the signed place a join or poll answered.
	queueTicketParam = param{in: "header", name: queueTicketHeader, description: "The queue_ticket of an earlier answer: the caller's signed place, so that any gateway answers without reading it. Optional."}
)

// routeTable is every endpoint. The OpenAPI document is generated from it
// (doc: tag, description, the errors the handler returns beyond those
// serve adds, query and header parameters) and TestOpenAPIMatchesHandlers
// and TestOpenAPIDescribesEveryOperation check it.
func (g *Gateway) routeTable() []*route {
	return []*route{
		{method: "GET", pattern: "/healthz", summary: "Liveness", handle: g.health, response: map[string]string{},
			doc: routeDoc{tag: tagOperations, description: "Answers 200 while the process serves HTTP. No token; changes nothing. For a load balancer's liveness probe."}},
		{method: "GET", pattern: "/readyz", summary: "Readiness: store and cluster answer", handle: g.ready, response: map[string]string{},
			doc: routeDoc{tag: tagOperations, description: "Answers 200 when the record store and the seat cluster both answer, 503 otherwise. No token; changes nothing. For a load balancer's readiness probe.",
				errors: []error{ErrUnavailable}}},
		{method: "GET", pattern: "/openapi.json", summary: "This document", handle: g.openAPI, response: map[string]any{},
			doc: routeDoc{tag: tagOperations, description: "This OpenAPI 3 document, generated from the gateway's route table. No token; changes nothing."}},
		{method: "POST", pattern: "/v1/dev/login", summary: "Demo only: a bearer token for any subject and role", demoOnly: true,
			handle: g.devLogin, request: devLoginRequest{}, response: tokenResponse{},
			doc: routeDoc{responseExample: `{"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl", "subject": "alice", "role": "fan", "expires_at": "2026-12-24T22:00:00Z"}`,
				example: `{"subject": "alice", "role": "fan"}`,
				tag:     tagAuth, description: "Mints a bearer token for any subject, role (fan, organizer, scanner, admin), events and amr values. Exists only when the gateway runs in demo mode; production tokens come from the configured OIDC issuers. No token needed; changes nothing but the caller's Idempotency-Key record."}},

		{method: "GET", pattern: "/v1/events", summary: "List events", roles: anyRole, handle: g.listEvents, response: eventList{},
			doc: routeDoc{tag: tagEvents, description: "Lists the on-sale events, a page at a time (cursor pagination). Served from the gateway's memory, read from the cluster at most once a second (the gateway's view refresh), with an ETag: If-None-Match answers 304 while the page is unchanged. Any role; changes nothing.",
				fromMemory: true,
				params:     []param{{in: "query", name: "limit", typ: "integer", description: "Events per page, 1..500; default 50."}, cursorParam}}},
		{method: "GET", pattern: "/v1/events/{event}", summary: "Event detail", roles: anyRole, handle: g.getEvent, response: eventView{},
			doc: routeDoc{tag: tagEvents, description: "One event: its venue, sections and price tiers. Served from the gateway's memory, read from the cluster at most once a second (the gateway's view refresh), with an ETag: If-None-Match answers 304 while it is unchanged. Any role; changes nothing.",
				fromMemory: true, errors: []error{ErrMissing}}},
		{method: "GET", pattern: "/v1/events/{event}/seats", summary: "Seat map with prices and availability", roles: anyRole, handle: g.seatMap, response: seatMapView{},
			doc: routeDoc{tag: tagEvents, description: "The event's seat map: every seat's state and price, per section, and the general-admission pools. Served from the gateway's memory, kept current by the cluster's change stream, so it lags a write by the stream's delivery (milliseconds; X-Boxoffice-View-Age-Ms says when the gateway knows it is behind); a hold never relies on it. The ETag derives from the change-stream positions the map reflects: If-None-Match answers 304 while the map is unchanged. The cursor resumes the seat stream from this map. An archived event's seat map is refused with 409. Any role; changes nothing.",
				fromMemory: true, errors: []error{ErrMissing, ErrConflict},
				params: []param{{in: "query", name: "section", description: "Only this section (repeat for several); default all."},
					{in: "query", name: "summary", typ: "boolean", description: "true: counts per section without the seats."}}}},
		{method: "GET", pattern: "/v1/events/{event}/seats/stream", summary: "Server-Sent Events of seat changes", roles: anyRole, handle: g.seatStream, responseType: "text/event-stream",
			doc: routeDoc{tag: tagEvents, description: "A Server-Sent Events stream of the event's seat changes, each event's id a cursor. Resume after a disconnect with Last-Event-ID (or ?after= with the seat map's cursor). Open streams per caller and per gateway are bounded; an archived event has no stream (409). Any role; changes nothing.",
				errors: []error{ErrMissing, ErrInvalid, ErrConflict},
				params: []param{{in: "query", name: "after", description: "Cursor to resume after (a seat map's cursor or an event id); Last-Event-ID wins."},
					{in: "header", name: "Last-Event-ID", description: "The id of the last event received; the stream resumes after it."}}}},

		{method: "POST", pattern: "/v1/events/{event}/archive", summary: "Archive an event after its show", roles: organizer, eventScoped: true, handle: g.archiveEvent, response: eventView{},
			doc: routeDoc{tag: tagOrganizer, description: "Archives an event after its show: its seats are dropped from the cluster and its orders and tickets stay readable. Refused with 409 while holds are active. Organizers of the event (and admins); retried with the same Idempotency-Key it answers the first result.",
				errors: []error{ErrMissing, ErrConflict}}},

		{method: "PUT", pattern: "/v1/events/{event}/waiting-room", summary: "Put an event in queue mode", roles: organizer, eventScoped: true, handle: g.configureQueue, request: queueConfigRequest{}, response: queueConfig{},
			doc: routeDoc{example: `{"on_sale_at": "2026-12-24T10:00:00Z", "admit_per_second": 50}`,
				tag: tagQueue, description: "Configures the event's waiting room: while it is on, fans join a queue and hold seats only with an admission token. Organizers of the event (and admins); a PUT, so repeating it sets the same configuration.",
				errors: []error{ErrMissing, ErrConflict}}},
		{method: "POST", pattern: "/v1/events/{event}/waiting-room/join", summary: "Join the waiting room", roles: fanOnly, handle: g.joinQueue, response: queueStatus{},
			noIdempotency: true, // idempotent per event and fan by itself (queue.go)
			doc: routeDoc{tag: tagQueue, description: "Puts the calling fan in the event's queue and answers their position. Joining again, on any gateway, keeps the first position (a fan who joined after the on-sale and rejoins more than an hour later, once the cluster has forgotten the join, is placed again at the back, unless already admitted); it needs no Idempotency-Key and ignores one. Fans only.",
				errors: []error{ErrMissing, ErrConflict}}},
		{method: "GET", pattern: "/v1/events/{event}/waiting-room/me", summary: "My position; an admission token once admitted", roles: fanOnly, handle: g.queueStatus, response: queueStatus{},
			doc: routeDoc{responseExample: `{"event_id": "demo_arena", "state": "waiting", "position": 1542, "admitted_count": 12000, "estimated_wait_seconds": 31}`,
				tag: tagQueue, description: "The calling fan's place in the event's queue; once admitted, the admission token to send as X-Admission-Token when holding seats. Answered from the gateway's memory of the waiting room (never shed under load); send the queue_ticket of an earlier answer as X-Queue-Ticket so that a gateway that has not seen the caller need not read their place. Fans only; changes nothing.",
				errors: []error{ErrMissing}, params: []param{queueTicketParam}}},
		{method: "GET", pattern: "/v1/events/{event}/waiting-room/me/stream", summary: "Server-Sent Events of my position", roles: fanOnly, handle: g.queueStream, responseType: "text/event-stream", response: queueStatus{},
			doc: routeDoc{tag: tagQueue, description: "A Server-Sent Events stream of the calling fan's position and the admitted count, computed from the gateway's memory of the waiting room (never shed under load); the last event carries the admission token. Fans only; changes nothing.",
				params: []param{queueTicketParam},
				errors: []error{ErrMissing}}},

		{method: "POST", pattern: "/v1/events/{event}/holds", summary: "Hold seats", roles: fanOnly, handle: g.createHold, request: holdRequest{}, response: holdView{},
			doc: routeDoc{responseExample: `{"hold_id": "hold_5d0c2f4e9a7b13c8e2f1a6d4", "event_id": "demo_arena", "seats": ["floor-A-7", "floor-A-8"], "expires_at": "2026-12-24T10:10:00Z"}`,
				example: `{"best": {"quantity": 2, "section_id": "floor"}}`,
				tag:     tagHolds, description: "Holds chosen seats, the best available seats, or general-admission places for the calling fan until the hold expires; all or nothing. In queue mode the X-Admission-Token header is required. Holds and tickets per fan are capped. Fans only; retried with the same Idempotency-Key it holds once and answers the first result.",
				errors: []error{ErrMissing, ErrNotAdmitted, ErrSeatUnavailable, ErrNotEnoughSeats, ErrLimitExceeded, ErrQuotaExceeded, ErrConflict},
				params: []param{{in: "header", name: "X-Admission-Token", description: "The admission token from the waiting room; required while the event is in queue mode."}}}},
		{method: "GET", pattern: "/v1/holds", summary: "My active holds", roles: fanOnly, handle: g.listHolds, response: struct {
			Holds []holdView `json:"holds"`
		}{},
			doc: routeDoc{tag: tagHolds, description: "The calling fan's active holds, 100 a page. Fans only; changes nothing.", params: []param{cursorParam}}},
		{method: "GET", pattern: "/v1/holds/{hold}", summary: "One of my holds", roles: fanOnly, handle: g.getHold, response: holdView{},
			doc: routeDoc{tag: tagHolds, description: "One of the calling fan's holds; another fan's hold is not found. Fans only; changes nothing.", errors: []error{ErrMissing}}},
		{method: "POST", pattern: "/v1/holds/{hold}/release", summary: "Release one of my holds", roles: fanOnly, handle: g.releaseHold, response: map[string]string{},
			doc: routeDoc{tag: tagHolds, description: "Gives the hold's seats back before it expires. Fans only, their own holds; retried with the same Idempotency-Key it answers the first result.",
				errors: []error{ErrMissing, ErrConflict, ErrHoldExpired}}},

		{method: "POST", pattern: "/v1/orders", summary: "Create the order of a hold", roles: fanOnly, handle: g.createOrder, request: createOrderRequest{}, response: orderView{},
			doc: routeDoc{responseExample: `{"order_id": "ord_0b9e4c1f7a2d58e6c3b1f0a9", "event_id": "demo_arena", "state": "pending", "seats": ["floor-A-7", "floor-A-8"], "amount_cents": 17000, "currency": "USD", "pay_by": "2026-12-24T10:15:00Z", "payment": {"provider": "stripe", "intent_id": "pi_3Nf2", "client_secret": "pi_3Nf2_secret_x7"}, "tickets": []}`,
				example: `{"hold_id": "hold_3f9c2a"}`,
				tag:     tagOrders, description: "Turns one of the calling fan's holds into an order and creates its payment intent (the client secret pays it); the seats stay held through the payment window. One order per hold. Fans only; retried with the same Idempotency-Key it creates one order and one payment intent and answers the first result.",
				errors: []error{ErrMissing, ErrConflict, ErrHoldExpired, ErrSeatUnavailable}}},
		{method: "GET", pattern: "/v1/orders", summary: "My orders", roles: fanOnly, handle: g.listOrders, response: struct {
			Orders []orderView `json:"orders"`
		}{},
			doc: routeDoc{tag: tagOrders, description: "The calling fan's orders, 100 a page. Fans only; changes nothing.", params: []param{cursorParam}}},
		{method: "GET", pattern: "/v1/orders/{order}", summary: "One of my orders", roles: fanOnly, handle: g.getOrder, response: orderView{},
			doc: routeDoc{tag: tagOrders, description: "One of the calling fan's orders with its payment state and tickets; another fan's order is not found. Fans only; changes nothing.", errors: []error{ErrMissing}}},
		{method: "POST", pattern: "/v1/orders/{order}/refund", summary: "Refund a paid order", roles: fanOnly, handle: g.refundOrder, response: orderView{},
			doc: routeDoc{tag: tagOrders, description: "Refunds a paid order: the money goes back, the seats return to sale and the tickets are revoked. Refused when a ticket was checked in or transferred, or by the event's refund policy. Fans only, their own orders; retried with the same Idempotency-Key it refunds once.",
				errors: []error{ErrMissing, ErrConflict, ErrRefundCheckedIn, ErrRefundTransferred, ErrRefundClosed}}},
		{method: "POST", pattern: "/v1/orders/{order}/fake-pay", summary: "Demo only: settle the fake payment", roles: fanOnly, demoOnly: true, handle: g.fakePay, request: fakePayRequest{}, response: orderView{},
			doc: routeDoc{example: `{"outcome": "succeeded"}`,
				tag: tagOrders, description: "Pays (or fails) the order's fake payment, as a card would; a paid order gets its tickets. Exists only in demo mode. Fans only, their own orders; retried with the same Idempotency-Key it settles once.",
				errors: []error{ErrMissing, ErrConflict}}},
		{method: "POST", pattern: "/v1/webhooks/stripe", summary: "Stripe webhook", noIdempotency: true, handle: g.webhook, response: map[string]any{},
			doc: routeDoc{tag: tagOrders, description: "Stripe's payment events, authenticated by the Stripe-Signature header over the raw body (no bearer token). A succeeded payment completes its order; a redelivered event is acknowledged and applied once, by its event id.",
				errors: []error{ErrBadSignature, ErrInvalid, ErrMissing, ErrConflict, ErrUnavailable},
				params: []param{{in: "header", name: "Stripe-Signature", required: true, description: "Stripe's signature of the raw body (t=timestamp,v1=HMAC-SHA256)."}}}},

		{method: "GET", pattern: "/v1/tickets", summary: "My tickets", roles: fanOnly, handle: g.listTickets, response: struct {
			Tickets []ticketView `json:"tickets"`
		}{},
			doc: routeDoc{tag: tagTickets, description: "The calling fan's tickets with their signed QR payloads, 100 a page. Fans only; changes nothing.", params: []param{cursorParam}}},
		{method: "GET", pattern: "/v1/tickets/public-key", summary: "The keys that sign QR payloads", roles: anyRole, handle: g.publicKey, response: map[string]string{},
			doc: routeDoc{tag: tagScanning, description: "Every accepted Ed25519 public key that signs QR payloads, by key id, so scanners verify tickets offline across a key rotation. Any role; changes nothing."}},
		{method: "GET", pattern: "/v1/tickets/{ticket}", summary: "One of my tickets", roles: fanOnly, handle: g.getTicket, response: ticketView{},
			doc: routeDoc{tag: tagTickets, description: "One of the calling fan's tickets with its current QR payload; another fan's ticket is not found. Fans only; changes nothing.", errors: []error{ErrMissing}}},
		{method: "GET", pattern: "/v1/tickets/{ticket}/qr.png", summary: "The ticket's QR code", roles: fanOnly, handle: g.qrPNG, responseType: "image/png",
			doc: routeDoc{tag: tagTickets, description: "The ticket's current QR code as a PNG image. Fans only, their own tickets; changes nothing.", errors: []error{ErrMissing, ErrTicketRevoked}}},
		{method: "POST", pattern: "/v1/tickets/{ticket}/transfer", summary: "Give a ticket to another fan", roles: fanOnly, handle: g.transferTicket, request: transferRequest{}, response: ticketView{},
			doc: routeDoc{example: `{"to": "bob"}`,
				tag: tagTickets, description: "Gives one of the calling fan's tickets to another known fan: the new owner gets a fresh QR code and the old one is revoked. Fans only; retried with the same Idempotency-Key it transfers once.",
				errors: []error{ErrMissing, ErrConflict, ErrTicketRevoked, ErrAlreadyCheckedIn, ErrUnknownFan}}},
		{method: "GET", pattern: "/v1/events/{event}/revocations", summary: "Revocation feed for offline scanners", roles: scannerRoles, eventScoped: true, handle: g.revocations, response: revocationFeed{},
			doc: routeDoc{tag: tagScanning, description: "The event's revocations in order: check-ins, transfers and refunds, so an offline scanner refuses a revoked or already-scanned ticket. Continue with the cursor of the last page. Scanners of the event (and admins); changes nothing.",
				errors: []error{ErrInvalid}, params: []param{cursorParam}}},
		{method: "GET", pattern: "/v1/events/{event}/scan-key", summary: "The event's scan key", roles: scannerRoles, eventScoped: true, handle: g.scanKey, response: map[string]any{},
			doc: routeDoc{tag: tagScanning, description: "The event's scan key, with which offline scanners check rotating QR codes. Scanners of the event (and admins); changes nothing."}},
		{method: "POST", pattern: "/v1/checkins", summary: "Scan a QR code", roles: scannerRoles, handle: g.checkin, request: checkinRequest{}, response: checkinRecord{},
			doc: routeDoc{responseExample: `{"ticket_id": "tkt_7c2e9b04d1f6a38e5b0c4d27", "seat_id": "floor-A-7", "at": "2026-12-24T19:42:05Z", "gate": "north-3", "scanner": "gate-north-3", "qr_id": "qr_1a4f0c9e2b7d63e8a5c1f0b2", "event_id": "demo_arena", "admitted": true}`,
				example: `{"qr": "eyJ0IjoidGt0XzEifQ.c2lnbmF0dXJl.492039", "gate": "north-3"}`,
				tag:     tagScanning, description: "Checks a ticket in by its QR payload: the first scan admits; later scans are refused with 409 and the first scan's time and gate. Scanners of the ticket's event (and admins); retried with the same Idempotency-Key it answers the first result.",
				errors: []error{ErrQRCodeInvalid, ErrBadSignature, ErrMissing, ErrTicketRevoked, ErrAlreadyCheckedIn, ErrEventOutOfScope, ErrRecordUntrusted}}},
		{method: "GET", pattern: "/v1/events/{event}/refund-policy", summary: "The event's refund policy", roles: anyRole, handle: g.getRefundPolicy, response: refundPolicy{},
			doc: routeDoc{tag: tagEvents, description: "Until when the event's orders may be refunded. Any role; changes nothing.", errors: []error{ErrMissing}}},
		{method: "PUT", pattern: "/v1/events/{event}/refund-policy", summary: "Set the event's refund policy", roles: organizer, eventScoped: true, handle: g.setRefundPolicy, request: refundPolicy{}, response: refundPolicy{},
			doc: routeDoc{example: `{"refunds": "until", "until": "2026-12-24T18:00:00Z"}`,
				tag: tagOrganizer, description: "Sets until when the event's orders may be refunded: until_check_in, until a time, or never. Organizers of the event (and admins); a PUT, so repeating it sets the same policy.",
				errors: []error{ErrMissing, ErrConflict}}},

		{method: "POST", pattern: "/v1/events/{event}/notices", summary: "Notify every ticket holder", roles: organizer, eventScoped: true, handle: g.eventNotice, request: eventNoticeRequest{}, response: map[string]any{},
			doc: routeDoc{example: `{"kind": "event.changed", "message": "Doors open at 19:00 instead of 18:30."}`,
				tag: tagOrganizer, description: "Queues a reminder or a change notice for every ticket holder of the event; delivery is asynchronous (202). Organizers of the event (and admins); retried with the same Idempotency-Key each fan is notified once.",
				errors: []error{ErrMissing}}},
	}
}
