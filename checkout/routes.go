package checkout

var (
	anyRole      = []Role{RoleFan, RoleOrganizer, RoleScanner}
	fanOnly      = []Role{RoleFan}
	organizer    = []Role{RoleOrganizer}
	scannerRoles = []Role{RoleScanner}
)

// routeTable is every endpoint. The OpenAPI document is generated from it
// and TestOpenAPIMatchesHandlers checks both directions.
func (g *Gateway) routeTable() []*route {
	return []*route{
		{method: "GET", pattern: "/healthz", summary: "Liveness", handle: g.health, response: map[string]string{}},
		{method: "GET", pattern: "/readyz", summary: "Readiness: store and cluster answer", handle: g.ready, response: map[string]string{}},
		{method: "GET", pattern: "/openapi.json", summary: "This document", handle: g.openAPI, response: map[string]any{}},
		{method: "POST", pattern: "/v1/dev/login", summary: "Demo only: a bearer token for any subject and role", demoOnly: true,
			handle: g.devLogin, request: devLoginRequest{}, response: tokenResponse{}},

		{method: "GET", pattern: "/v1/events", summary: "List events (cursor pagination: ?limit=&cursor=)", roles: anyRole, handle: g.listEvents, response: eventList{}},
		{method: "GET", pattern: "/v1/events/{event}", summary: "Event detail", roles: anyRole, handle: g.getEvent, response: eventView{}},
		{method: "GET", pattern: "/v1/events/{event}/seats", summary: "Seat map with prices and availability (?section=&summary=true)", roles: anyRole, handle: g.seatMap, response: seatMapView{}},
		{method: "GET", pattern: "/v1/events/{event}/seats/stream", summary: "Server-Sent Events of seat changes; resume with Last-Event-ID or ?after=cursor", roles: anyRole, handle: g.seatStream, responseType: "text/event-stream"},

		{method: "POST", pattern: "/v1/events/{event}/archive", summary: "Archive an event after its show: seats dropped from the cluster, refused while holds are active", roles: organizer, eventScoped: true, handle: g.archiveEvent, response: eventView{}},

		{method: "PUT", pattern: "/v1/events/{event}/waiting-room", summary: "Put an event in queue mode", roles: organizer, eventScoped: true, handle: g.configureQueue, request: queueConfigRequest{}, response: queueConfig{}},
		{method: "POST", pattern: "/v1/events/{event}/waiting-room/join", summary: "Join the waiting room", roles: fanOnly, handle: g.joinQueue, response: queueStatus{}},
		{method: "GET", pattern: "/v1/events/{event}/waiting-room/me", summary: "My position; an admission token once admitted", roles: fanOnly, handle: g.queueStatus, response: queueStatus{}},
		{method: "GET", pattern: "/v1/events/{event}/waiting-room/me/stream", summary: "Server-Sent Events of my position and the admitted count; the last event carries the admission token", roles: fanOnly, handle: g.queueStream, responseType: "text/event-stream", response: queueStatus{}},

		{method: "POST", pattern: "/v1/events/{event}/holds", summary: "Hold chosen, best-available or GA seats (X-Admission-Token in queue mode)", roles: fanOnly, handle: g.createHold, request: holdRequest{}, response: holdView{}},
		{method: "GET", pattern: "/v1/holds", summary: "My active holds", roles: fanOnly, handle: g.listHolds, response: struct {
			Holds []holdView `json:"holds"`
		}{}},
		{method: "GET", pattern: "/v1/holds/{hold}", summary: "One of my holds", roles: fanOnly, handle: g.getHold, response: holdView{}},
		{method: "POST", pattern: "/v1/holds/{hold}/release", summary: "Release one of my holds", roles: fanOnly, handle: g.releaseHold, response: map[string]string{}},

		{method: "POST", pattern: "/v1/orders", summary: "Create the order of a hold and its payment intent", roles: fanOnly, handle: g.createOrder, request: createOrderRequest{}, response: orderView{}},
		{method: "GET", pattern: "/v1/orders", summary: "My orders", roles: fanOnly, handle: g.listOrders, response: struct {
			Orders []orderView `json:"orders"`
		}{}},
		{method: "GET", pattern: "/v1/orders/{order}", summary: "One of my orders", roles: fanOnly, handle: g.getOrder, response: orderView{}},
		{method: "POST", pattern: "/v1/orders/{order}/refund", summary: "Refund a paid order: money and seats back, tickets revoked", roles: fanOnly, handle: g.refundOrder, response: orderView{}},
		{method: "POST", pattern: "/v1/orders/{order}/fake-pay", summary: "Demo only: pay (or fail) the order's fake payment", roles: fanOnly, demoOnly: true, handle: g.fakePay, request: fakePayRequest{}, response: orderView{}},
		{method: "POST", pattern: "/v1/webhooks/stripe", summary: "Stripe webhook (Stripe-Signature over the raw body)", noIdempotency: true, handle: g.webhook, response: map[string]any{}},

		{method: "GET", pattern: "/v1/tickets", summary: "My tickets with signed QR payloads", roles: fanOnly, handle: g.listTickets, response: struct {
			Tickets []ticketView `json:"tickets"`
		}{}},
		{method: "GET", pattern: "/v1/tickets/public-key", summary: "Every accepted Ed25519 key that signs QR payloads, by key id", roles: anyRole, handle: g.publicKey, response: map[string]string{}},
		{method: "GET", pattern: "/v1/tickets/{ticket}", summary: "One of my tickets", roles: fanOnly, handle: g.getTicket, response: ticketView{}},
		{method: "GET", pattern: "/v1/tickets/{ticket}/qr.png", summary: "The ticket's QR code", roles: fanOnly, handle: g.qrPNG, responseType: "image/png"},
		{method: "POST", pattern: "/v1/tickets/{ticket}/transfer", summary: "Give a ticket to another fan (fresh QR, old one revoked)", roles: fanOnly, handle: g.transferTicket, request: transferRequest{}, response: ticketView{}},
		{method: "GET", pattern: "/v1/events/{event}/revocations", summary: "Revocation feed for offline scanners: check-ins, transfers, refunds (?cursor= from the last page)", roles: scannerRoles, eventScoped: true, handle: g.revocations, response: revocationFeed{}},
		{method: "GET", pattern: "/v1/events/{event}/scan-key", summary: "The event's scan key: offline scanners check rotating QR codes with it", roles: scannerRoles, eventScoped: true, handle: g.scanKey, response: map[string]any{}},
		{method: "POST", pattern: "/v1/checkins", summary: "Scan a QR: first scan admits, later ones are refused with the first scan", roles: scannerRoles, handle: g.checkin, request: checkinRequest{}, response: checkinRecord{}},
		{method: "GET", pattern: "/v1/events/{event}/refund-policy", summary: "The event's refund policy", roles: anyRole, handle: g.getRefundPolicy, response: refundPolicy{}},
		{method: "PUT", pattern: "/v1/events/{event}/refund-policy", summary: "Set the event's refund policy (until_check_in, until a time, never)", roles: organizer, eventScoped: true, handle: g.setRefundPolicy, request: refundPolicy{}, response: refundPolicy{}},

		{method: "POST", pattern: "/v1/events/{event}/notices", summary: "Notify every ticket holder (reminder or change)", roles: organizer, eventScoped: true, handle: g.eventNotice, request: eventNoticeRequest{}, response: map[string]any{}},
	}
}
