package checkout

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// documentedGateway is a gateway with the demo's routes and no
// dependencies: enough to build the OpenAPI document.
func documentedGateway() *Gateway {
	g := &Gateway{cfg: Config{DemoMode: true}}
	g.routes = g.routeTable()
	return g
}

// TestOpenAPIDescribesEveryOperation: every operation has a summary, a
// description, exactly one known tag, its roles and security, described
// parameters, and a problem response for every error its kind and its
// handler can return, each with the type URI and title of errorStatus.
// With BOXOFFICE_OPENAPI_OUT set it writes the document there for
// `make lint-openapi`.
func TestOpenAPIDescribesEveryOperation(t *testing.T) {
	g := documentedGateway()
	raw, err := json.MarshalIndent(g.OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("BOXOFFICE_OPENAPI_OUT"); out != "" {
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type problemExample struct {
		Value struct {
			Type, Title string
			Status      int
		}
	}
	var doc struct {
		Tags  []struct{ Name, Description string }
		Paths map[string]map[string]struct {
			Summary, Description, OperationID string
			Tags                              []string
			Security                          []map[string][]string
			Parameters                        []struct{ Name, In, Description string }
			Responses                         map[string]struct {
				Description string
				Content     map[string]struct {
					Examples map[string]problemExample
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %q has no description", tag.Name)
		}
		tags[tag.Name] = true
	}
	seen := 0
	for _, rt := range g.routes {
		op, ok := doc.Paths[rt.pattern][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not in the document", rt.method, rt.pattern)
			continue
		}
		seen++
		name := rt.method + " " + rt.pattern
		if op.Summary == "" || len(op.Description) < 40 || op.OperationID == "" {
			t.Errorf("%s: summary %q, description %q, operationId %q", name, op.Summary, op.Description, op.OperationID)
		}
		if len(op.Tags) != 1 || !tags[op.Tags[0]] {
			t.Errorf("%s: tags %v, want one of the document's tags", name, op.Tags)
		}
		if (rt.roles != nil) != (len(op.Security) == 1 && op.Security[0]["bearer"] != nil) {
			t.Errorf("%s: security %v with roles %v", name, op.Security, rt.roles)
		}
		if rt.roles != nil && !strings.Contains(op.Description, "Roles: ") {
			t.Errorf("%s: the description does not say who may call it", name)
		}
		for _, p := range op.Parameters {
			if p.Description == "" {
				t.Errorf("%s: parameter %s %q has no description", name, p.In, p.Name)
			}
		}
		if idempotent(rt) && !strings.Contains(op.Description, "Idempotency-Key") {
			t.Errorf("%s: the description does not say how a retry with the same Idempotency-Key behaves", name)
		}
		for _, want := range openAPIErrors(rt) {
			row, ok := problemOf(want)
			if !ok {
				t.Errorf("%s: error %q has no problem type in errorStatus", name, want)
				continue
			}
			resp, ok := op.Responses[strconv.Itoa(row.status)]
			if !ok {
				t.Errorf("%s: no %d response for %s", name, row.status, row.slug)
				continue
			}
			got := resp.Content["application/problem+json"].Examples[row.slug].Value
			if got.Type != problemTypeBase+row.slug || got.Title != want.Error() || got.Status != row.status {
				t.Errorf("%s: %d response documents %s as %+v", name, row.status, row.slug, got)
			}
		}
		if rt.roles != nil {
			for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
				if _, ok := op.Responses[strconv.Itoa(status)]; !ok {
					t.Errorf("%s needs a token but documents no %d", name, status)
				}
			}
		}
	}
	if seen < 30 {
		t.Errorf("only %d routes documented", seen)
	}
}

// TestOpenAPIProblemsCatchAnUndocumentedError shows the check above
// catching a planted bug: a route naming an error that errorStatus does
// not map panics while the document is built.
func TestOpenAPIProblemsCatchAnUndocumentedError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a route with an unmapped error built a document")
		}
	}()
	openAPIProblems(&route{method: "GET", pattern: "/v1/x", doc: routeDoc{errors: []error{ErrVersionMismatch}}})
}

// TestOpenAPIDescribesEveryProperty: every member of every request and
// response body has a description, every request body has an example,
// and every example (of a request or a response) is one the handler's own
// type decodes with unknown members refused.
func TestOpenAPIDescribesEveryProperty(t *testing.T) {
	g := documentedGateway()
	var undescribed func(where string, schema map[string]any)
	undescribed = func(where string, schema map[string]any) {
		if items, ok := schema["items"].(map[string]any); ok {
			undescribed(where+"[]", items)
		}
		props, _ := schema["properties"].(map[string]any)
		for name, p := range props {
			prop := p.(map[string]any)
			if prop["description"] == nil {
				t.Errorf("%s.%s has no description: add it to propertyDescriptions", where, name)
			}
			undescribed(where+"."+name, prop)
		}
	}
	for _, rt := range g.routes {
		name := rt.method + " " + rt.pattern
		if rt.response != nil {
			undescribed(name+" response", schemaOf(reflect.TypeOf(rt.response)))
		}
		if rt.doc.responseExample != "" {
			dec := json.NewDecoder(strings.NewReader(rt.doc.responseExample))
			dec.DisallowUnknownFields()
			if err := dec.Decode(reflect.New(reflect.TypeOf(rt.response)).Interface()); err != nil {
				t.Errorf("%s: response example does not decode as its response: %v", name, err)
			}
		}
		if rt.request == nil {
			continue
		}
		undescribed(name+" request", schemaOf(reflect.TypeOf(rt.request)))
		dec := json.NewDecoder(strings.NewReader(rt.doc.example))
		dec.DisallowUnknownFields()
		if err := dec.Decode(reflect.New(reflect.TypeOf(rt.request)).Interface()); err != nil {
			t.Errorf("%s: example %q does not decode as its request: %v", name, rt.doc.example, err)
		}
	}
}
