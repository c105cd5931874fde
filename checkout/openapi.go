package checkout

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI serves the OpenAPI 3 document generated from the route table.
func (g *Gateway) openAPI(c *call) (int, any, error) {
	return http.StatusOK, g.OpenAPI(), nil
}

// OpenAPI builds the document: one operation per route, request and
// response schemas reflected from the handler's types, the roles in the
// description, problem+json for errors.
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
		op := map[string]any{"summary": rt.summary, "operationId": operationID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
			param := map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
			if m[1] == "ticket" {
				param["description"] = ticketIDDescription
			}
			params = append(params, param)
		}
		if rt.method == "POST" && !rt.noIdempotency {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": true, "schema": map[string]any{"type": "string", "maxLength": idempotencyKeyBytes}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.roles != nil {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
			var roles []string
			for _, r := range rt.roles {
				roles = append(roles, string(r))
			}
			op["x-roles"] = append(roles, string(RoleAdmin))
		}
		if rt.request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.request))}}}
		}
		ok := map[string]any{"description": "success"}
		switch {
		case rt.responseType == "text/event-stream" && rt.response != nil:
			// OpenAPI 3.0 cannot type an event stream; the schema of each
			// event's data line goes in an extension.
			ok["description"] = "an event stream; each data line is JSON of x-event-data"
			ok["content"] = map[string]any{rt.responseType: map[string]any{"schema": map[string]any{"type": "string"},
				"x-event-data": schemaOf(reflect.TypeOf(rt.response))}}
		case rt.responseType != "":
			ok["content"] = map[string]any{rt.responseType: map[string]any{}}
		case rt.response != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.response))}}
		}
		okCode := "200"
		if rt.method == "POST" && (rt.pattern == "/v1/orders" || strings.HasSuffix(rt.pattern, "/holds")) {
			okCode = "201"
		}
		if rt.pattern == "/v1/events/{event}/notices" {
			okCode = "202"
		}
		op["responses"] = map[string]any{okCode: ok, "default": map[string]any{"description": "RFC 9457 problem",
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}}
		ops[strings.ToLower(rt.method)] = op
	}
	paths["/metrics"] = map[string]any{"get": map[string]any{"summary": "Prometheus metrics", "operationId": "metrics",
		"responses": map[string]any{"200": map[string]any{"description": "text exposition format", "content": map[string]any{"text/plain": map[string]any{}}}}}}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Boxoffice gateway", "version": "1"},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
			"schemas": map[string]any{"Problem": map[string]any{"type": "object", "required": []string{"type", "title", "status"},
				"properties": map[string]any{"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
					"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"}, "instance": map[string]any{"type": "string"}}}},
		},
	}
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
		props[name] = schemaOf(f.Type)
	}
}
