package checkout

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The OpenAPI document is generated from the route table, so it cannot
// drift from the handlers: each route's doc (routes.go) gives its tag,
// description, query and header parameters and the errors its handler
// returns; the errors every route of its kind can return (rate limits,
// tokens, roles, Idempotency-Key, body limits, streams) are added here from
// the route's own fields, and each error's status, type URI and title come
// from errorStatus (errors.go). `make lint-openapi` lints the result with
// Spectral's spectral:oas ruleset and fails on any warning.

// routeDoc is a route's documentation in the OpenAPI document.
type routeDoc struct {
	// tag groups the operation (one of the tag constants in routes.go).
	tag string
	// description says what the operation does, who may call it, what it
	// changes and how a retry behaves.
	description string
	// errors are the sentinels the handler itself returns; openAPIErrors
	// adds those the route's kind implies.
	errors []error
	// params are the query and header parameters; path parameters and
	// Idempotency-Key are added from the pattern and the method.
	params []param
	// example is a request body, as JSON; the tests decode it strictly
	// into the route's request type.
	example string
	// responseExample is a success body, as JSON; the tests decode it
	// strictly into the route's response type.
	responseExample string
	// fromMemory: the GET is answered from the gateway's views (views.go)
	// with an ETag, so the document adds If-None-Match, the 304 and the
	// caching headers.
	fromMemory bool
}

// param is one query or header parameter.
type param struct {
	in, name    string // in: "query" or "header"
	typ         string // JSON schema type; "" is string
	required    bool
	description string
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// pathParamDescriptions describes each path parameter of the route table.
var pathParamDescriptions = map[string]string{
	"event":  "Event id, as listed by GET /v1/events.",
	"hold":   "Hold id, from POST /v1/events/{event}/holds.",
	"order":  "Order id, from POST /v1/orders.",
	"ticket": ticketIDDescription + " From GET /v1/tickets.",
}

// openAPITags describes each tag, in the order a reader meets them.
var openAPITags = []struct{ name, description string }{
	{tagAuth, "Bearer tokens. Production tokens come from the configured OIDC issuers; the demo mints them."},
	{tagEvents, "Events, their seat maps and live seat changes."},
	{tagQueue, "The waiting room of a high-demand on-sale: join, wait, get an admission token."},
	{tagHolds, "Seats held for a fan until the hold expires."},
	{tagOrders, "Orders of held seats, their payments and refunds."},
	{tagTickets, "A fan's tickets, their QR codes and transfers."},
	{tagScanning, "Checking tickets in at the gates, online or offline."},
	{tagOrganizer, "What an event's organizer configures and does."},
	{tagOperations, "Health, readiness, metrics and this document."},
}

// Where the document points a reader for help and terms. The repository
// carries no license file, so the document grants none.
const (
	openAPIContactName = "Boxoffice maintainers"
	openAPIContactURL  = "https://github.com/boxoffice/boxoffice/issues"
	openAPILicenseName = "All rights reserved"
	openAPILicenseURL  = "https://github.com/boxoffice/boxoffice"
)

const openAPIDescription = `The Boxoffice gateway: the HTTP/JSON API that mobile and web apps use to browse events, queue, hold seats, pay, receive tickets and scan them at the gates.

**Authentication.** Every operation under /v1 except the Stripe webhook takes a bearer JWT (Authorization: Bearer ...) whose role claim is fan, organizer, scanner or admin. Each operation says which roles it admits; an admin may call every operation. Organizer and scanner tokens name the events they may act on. A missing or invalid token is answered 401 with a WWW-Authenticate challenge; a valid token without the right role or event is answered 403.

**Retries.** Every POST except the Stripe webhook and the waiting room's join (idempotent per fan by itself) requires an Idempotency-Key header (at most 255 bytes): a retry with the same key and body applies once and answers the first result, the same key with a different body is refused with 422, and a retry while the first request still runs is refused with 409. PUT sets a value, so repeating it is harmless.

**Errors.** Every refusal is an RFC 9457 problem (application/problem+json) whose type URI names the reason; each operation lists the types it can return. 429 and 503 carry Retry-After.

**Backpressure.** When the seat cluster is saturated (measured by the gateway from its own calls) or the gateway has too many requests in flight, it refuses new work before calling the cluster: 503 overloaded with Retry-After (the seconds until it expects to take new work). New holds and joins are refused first; orders and payments already underway are refused last. A caller with too many requests in flight on one gateway gets 429 too-many-in-flight with Retry-After. Reads answered from memory (event views, seat maps, waiting-room polls and streams) are never refused this way.

**Pagination.** Lists answer a page and a next_cursor; pass it back as ?cursor= for the next page.`

// openAPI serves the OpenAPI 3 document generated from the route table.
func (g *Gateway) openAPI(c *call) (int, any, error) {
	return http.StatusOK, g.OpenAPI(), nil
}

// OpenAPI builds the document: one operation per route, request and
// response schemas reflected from the handler's types, the roles in the
// description and in x-roles, and the problem types of every error the
// operation can return.
func (g *Gateway) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range g.routes {
		if rt.demoOnly && !g.cfg.DemoMode {
			continue
		}
		ops, _ := paths[rt.pattern].(map[string]any)
		if ops == nil {
			ops = map[string]any{}
			paths[rt.pattern] = ops
		}
		ops[strings.ToLower(rt.method)] = openAPIOperation(rt)
	}
	paths["/metrics"] = map[string]any{"get": map[string]any{
		"summary":     "Prometheus metrics",
		"description": "The gateway's metrics in the Prometheus text exposition format: requests by route and status, latencies, open streams. No token; changes nothing. Serve it only where the scraper reaches it.",
		"operationId": "metrics",
		"tags":        []string{tagOperations},
		"security":    []any{},
		"responses": map[string]any{"200": map[string]any{"description": "The metrics in the text exposition format.",
			"content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}},
	}}
	var tags []any
	for _, t := range openAPITags {
		tags = append(tags, map[string]any{"name": t.name, "description": t.description})
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Boxoffice gateway",
			"version":     "1",
			"description": openAPIDescription,
			"contact":     map[string]any{"name": openAPIContactName, "url": openAPIContactURL},
			"license":     map[string]any{"name": openAPILicenseName, "url": openAPILicenseURL},
		},
		"servers": []any{
			map[string]any{"url": "http://127.0.0.1:8080", "description": "The gateway of `boxoffice demo` (make run): plaintext HTTP, for the demo only."},
			map[string]any{"url": "https://{host}", "description": "A gateway serving HTTPS (boxoffice gateway --tls-cert ...).",
				"variables": map[string]any{"host": map[string]any{"default": "127.0.0.1:8443", "description": "host:port the gateway serves."}}},
		},
		"tags":  tags,
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
				"description": "A JWT from a configured OIDC issuer (or, in the demo, from POST /v1/dev/login) whose role claim is fan, organizer, scanner or admin."}},
			"schemas": map[string]any{"Problem": problemSchema},
		},
	}
}

// problemSchema is RFC 9457's problem details object.
var problemSchema = map[string]any{
	"type":        "object",
	"description": "An RFC 9457 problem. The type URI names the reason; some problems add members (the first scan of a ticket, a queue position, the cluster's reason).",
	"required":    []string{"type", "title", "status"},
	"properties": map[string]any{
		"type":     map[string]any{"type": "string", "format": "uri", "description": "The reason, as a URI under " + problemTypeBase + "."},
		"title":    map[string]any{"type": "string", "description": "The reason in a few words; the same for every problem of this type."},
		"status":   map[string]any{"type": "integer", "description": "The HTTP status."},
		"detail":   map[string]any{"type": "string", "description": "What was wrong with this request, at most 512 bytes."},
		"instance": map[string]any{"type": "string", "description": "The request path."},
	},
	"example": map[string]any{"type": problemTypeBase + "seat-unavailable", "title": ErrSeatUnavailable.Error(), "status": http.StatusConflict,
		"detail": "seat A-1-7 is held", "instance": "/v1/events/demo_arena/holds"},
}

func openAPIOperation(rt *route) map[string]any {
	op := map[string]any{
		"summary":     rt.summary,
		"description": operationDescription(rt),
		"operationId": operationID(rt),
		"tags":        []string{rt.doc.tag},
		"security":    []any{},
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"description": pathParamDescriptions[m[1]], "schema": map[string]any{"type": "string", "maxLength": 128}})
	}
	for _, p := range rt.doc.params {
		typ := p.typ
		if typ == "" {
			typ = "string"
		}
		params = append(params, map[string]any{"name": p.name, "in": p.in, "required": p.required,
			"description": p.description, "schema": map[string]any{"type": typ}})
	}
	if rt.doc.fromMemory {
		params = append(params, map[string]any{"name": "If-None-Match", "in": "header", "required": false,
			"description": "The ETag of the body the caller has: while it is still current the answer is 304 with no body.",
			"schema":      map[string]any{"type": "string"}})
	}
	if idempotent(rt) {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": true,
			"description": "The caller's unique key for this request: a retry with the same key and body applies once and answers the first result.",
			"schema":      map[string]any{"type": "string", "maxLength": idempotencyKeyBytes}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.roles != nil {
		op["security"] = []any{map[string]any{"bearer": []any{}}}
		op["x-roles"] = routeRoles(rt)
	}
	if rt.request != nil {
		op["requestBody"] = map[string]any{"required": true, "description": "The request, as JSON; unknown members are refused.",
			"content": map[string]any{"application/json": requestMedia(rt)}}
	}
	ok := map[string]any{"description": "Success."}
	switch {
	case rt.responseType == "text/event-stream" && rt.response != nil:
		// OpenAPI 3.0 cannot type an event stream; the schema of each
		// event's data line goes in an extension.
		ok["description"] = "An event stream; each data line is JSON of x-event-data."
		ok["content"] = map[string]any{rt.responseType: map[string]any{"schema": map[string]any{"type": "string"},
			"x-event-data": schemaOf(reflect.TypeOf(rt.response))}}
	case rt.responseType == "text/event-stream":
		ok["description"] = "An event stream of seat changes; each event's id is a cursor."
		ok["content"] = map[string]any{rt.responseType: map[string]any{"schema": map[string]any{"type": "string"}}}
	case rt.responseType != "":
		ok["content"] = map[string]any{rt.responseType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
	case rt.response != nil:
		media := map[string]any{"schema": schemaOf(reflect.TypeOf(rt.response))}
		var example any
		if err := json.Unmarshal([]byte(rt.doc.responseExample), &example); err == nil {
			media["example"] = example
		}
		ok["content"] = map[string]any{"application/json": media}
	}
	responses := map[string]any{strconv.Itoa(successStatus(rt)): ok}
	if rt.doc.fromMemory {
		ok["headers"] = viewHeaders
		responses["304"] = map[string]any{"description": "Not Modified: the If-None-Match ETag is still current; no body.", "headers": viewHeaders}
	}
	for status, rows := range openAPIProblems(rt) {
		responses[strconv.Itoa(status)] = problemResponse(status, rows)
	}
	responses["default"] = map[string]any{"description": "Any other problem: an internal error (500, type internal).",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	op["responses"] = responses
	return op
}

// viewHeaders are the headers of an answer from the gateway's views.
var viewHeaders = map[string]any{
	"ETag": map[string]any{"description": "A strong validator of this body: send it as If-None-Match to get 304 while it is current. A seat map's ETag derives from the change-stream positions it reflects, so every gateway gives the same one for the same map.",
		"schema": map[string]any{"type": "string"}},
	"Cache-Control": map[string]any{"description": "no-cache: store the body, but revalidate it with If-None-Match before each use.",
		"schema": map[string]any{"type": "string"}},
	viewAgeHeader: map[string]any{"description": "How stale the body may be, in milliseconds. A seat map: 0 while the gateway's change feed is connected and the body holds every change it received; otherwise how long ago the body was last known complete. Event detail and the catalogue: the time since the gateway read them from the cluster (at most about a second).",
		"schema": map[string]any{"type": "integer"}},
}

// requestMedia is rt's request schema and its example.
func requestMedia(rt *route) map[string]any {
	media := map[string]any{"schema": schemaOf(reflect.TypeOf(rt.request))}
	var example any
	if err := json.Unmarshal([]byte(rt.doc.example), &example); err == nil {
		media["example"] = example
	}
	return media
}

// operationDescription is the route's description and who may call it.
func operationDescription(rt *route) string {
	who := "No bearer token."
	if rt.roles != nil {
		who = "Roles: " + strings.Join(routeRoles(rt), ", ") + "."
	}
	return rt.doc.description + "\n\n" + who
}

func routeRoles(rt *route) []string {
	var roles []string
	for _, r := range rt.roles {
		roles = append(roles, string(r))
	}
	return append(roles, string(RoleAdmin))
}

func idempotent(rt *route) bool { return rt.method == http.MethodPost && !rt.noIdempotency }

// successStatus is the status a route answers on success.
func successStatus(rt *route) int {
	switch {
	case rt.method == http.MethodPost && (rt.pattern == "/v1/orders" || strings.HasSuffix(rt.pattern, "/holds")):
		return http.StatusCreated
	case rt.pattern == "/v1/events/{event}/notices":
		return http.StatusAccepted
	}
	return http.StatusOK
}

// openAPIErrors is every error rt can answer: those serve and prepare add
// for a route of its kind, then the handler's own (rt.doc.errors).
func openAPIErrors(rt *route) []error {
	errs := []error{ErrRateLimited}
	if rt.method != http.MethodGet || pathParam.MatchString(rt.pattern) || len(rt.doc.params) > 0 {
		errs = append(errs, ErrInvalid)
	}
	if rt.method != http.MethodGet {
		errs = append(errs, ErrRequestTimeout)
	}
	if rt.roles != nil {
		errs = append(errs, ErrUnauthenticated, ErrForbidden, ErrSecondFactorRequired, ErrUnavailable)
	}
	if rt.eventScoped {
		errs = append(errs, ErrEventOutOfScope)
	}
	if idempotent(rt) {
		errs = append(errs, ErrIdempotencyMissing, ErrIdempotencyReuse, ErrInProgress, ErrBusy, ErrUnavailable)
		if slices.Contains(rt.roles, RoleFan) {
			errs = append(errs, ErrQuotaExceeded)
		}
	}
	if rt.responseType == "text/event-stream" {
		errs = append(errs, ErrTooManyStreams)
	}
	if routeShedClass(rt.method, rt.pattern) != shedNever {
		errs = append(errs, ErrOverloaded) // backpressure (shed.go)
		if rt.roles != nil {
			errs = append(errs, ErrTooManyInFlight)
		}
	}
	return append(errs, rt.doc.errors...)
}

// problemRow is one problem type an operation can answer.
type problemRow struct {
	status      int
	slug, title string
}

// openAPIProblems groups rt's errors by status, one row per problem type.
// An error missing from errorStatus panics: a route documents only errors
// the gateway maps.
func openAPIProblems(rt *route) map[int][]problemRow {
	out := map[int][]problemRow{}
	for _, err := range openAPIErrors(rt) {
		row, ok := problemOf(err)
		if !ok {
			panic(fmt.Sprintf("checkout: %s %s documents an error without a problem type: %v", rt.method, rt.pattern, err))
		}
		if !slices.Contains(out[row.status], row) {
			out[row.status] = append(out[row.status], row)
		}
	}
	return out
}

// problemOf is err's row of errorStatus.
func problemOf(err error) (problemRow, bool) {
	for _, row := range errorStatus {
		if row.err == err {
			return problemRow{row.status, row.slug, row.err.Error()}, true
		}
	}
	return problemRow{}, false
}

// problemResponse documents the problem types rows, all of one status,
// with an example of each.
func problemResponse(status int, rows []problemRow) map[string]any {
	if status == http.StatusServiceUnavailable {
		// classify answers a deadline passed while waiting on the store or
		// the cluster with this type, which has no sentinel.
		rows = append(rows, problemRow{status, "timeout", "timeout"})
	}
	var types []string
	examples := map[string]any{}
	for _, row := range rows {
		types = append(types, row.slug)
		examples[row.slug] = map[string]any{"summary": row.title,
			"value": map[string]any{"type": problemTypeBase + row.slug, "title": row.title, "status": row.status}}
	}
	resp := map[string]any{
		"description": fmt.Sprintf("%s: problem types %s (under %s).", http.StatusText(status), strings.Join(types, ", "), problemTypeBase),
		"content": map[string]any{"application/problem+json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Problem"}, "examples": examples}},
	}
	switch status {
	case http.StatusUnauthorized:
		resp["headers"] = map[string]any{"WWW-Authenticate": map[string]any{"description": "The bearer challenge (RFC 6750).", "schema": map[string]any{"type": "string"}}}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		resp["headers"] = map[string]any{"Retry-After": map[string]any{"description": "Seconds to wait before retrying.", "schema": map[string]any{"type": "integer"}}}
	}
	return resp
}

func operationID(rt *route) string {
	s := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_").Replace(strings.TrimPrefix(rt.pattern, "/"))
	return strings.ToLower(rt.method) + "_" + s
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf reflects a JSON schema from a Go type and its json tags.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map, reflect.Interface:
		return map[string]any{"type": "object"}
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			addFields(f.Type, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		schema := schemaOf(f.Type)
		if d := propertyDescriptions[name]; d != "" {
			schema["description"] = d
		}
		props[name] = schema
	}
}
