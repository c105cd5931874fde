package boxofficev1

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// reasonConstants reads reasons.go and returns its Reason* constants, name
// to value, so that a reason added to the file is checked without being
// listed again here.
func reasonConstants(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			value := spec.(*ast.ValueSpec)
			for i, name := range value.Names {
				if !strings.HasPrefix(name.Name, "Reason") {
					continue
				}
				if value.Doc == nil {
					t.Errorf("%s has no doc comment: say when it is sent, with which code and metadata", name.Name)
				}
				literal, ok := value.Values[i].(*ast.BasicLit)
				if !ok || literal.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				out[name.Name], _ = strconv.Unquote(literal.Value)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no Reason constants in reasons.go")
	}
	return out
}

// TestReasonsAreUniqueUpperSnakeCase: every reason is a distinct
// UPPER_SNAKE_CASE string, as google.rpc.ErrorInfo asks.
func TestReasonsAreUniqueUpperSnakeCase(t *testing.T) {
	upperSnake := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
	byValue := map[string]string{}
	for name, reason := range reasonConstants(t) {
		if !upperSnake.MatchString(reason) {
			t.Errorf("%s = %q is not UPPER_SNAKE_CASE", name, reason)
		}
		if other, dup := byValue[reason]; dup {
			t.Errorf("%s and %s are both %q", name, other, reason)
		}
		byValue[reason] = name
	}
}

// TestReasonsAreDocumentedInProto: the proto, which clients in other
// languages read, documents every reason this package exports.
func TestReasonsAreDocumentedInProto(t *testing.T) {
	proto, err := os.ReadFile("boxoffice.proto")
	if err != nil {
		t.Fatal(err)
	}
	for name, reason := range reasonConstants(t) {
		if !regexp.MustCompile(`\b` + reason + `\b`).Match(proto) {
			t.Errorf("%s (%s) is not documented in boxoffice.proto", name, reason)
		}
	}
}

func TestReasonOf(t *testing.T) {
	refused, err := status.New(codes.Aborted, "seat A-1 is held").WithDetails(&errdetails.ErrorInfo{
		Reason: ReasonSeatUnavailable, Domain: ErrorDomain,
		Metadata: map[string]string{MetadataSeatIDs: "A-1", MetadataSeatCount: "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		err        error
		wantReason string
		wantSeats  string
	}{
		{"status with ErrorInfo", refused.Err(), ReasonSeatUnavailable, "A-1"},
		{"wrapped status", fmt.Errorf("hold for alice: %w", refused.Err()), ReasonSeatUnavailable, "A-1"},
		{"twice wrapped status", fmt.Errorf("attempt 2: %w", fmt.Errorf("hold: %w", refused.Err())), ReasonSeatUnavailable, "A-1"},
		{"status without details", status.Error(codes.DeadlineExceeded, "too late"), "", ""},
		{"not a status", fmt.Errorf("dial: connection refused"), "", ""},
		{"nil", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReasonOf(tt.err); got != tt.wantReason {
				t.Errorf("ReasonOf = %q, want %q", got, tt.wantReason)
			}
			info := ErrorInfoOf(tt.err)
			if got := info.GetMetadata()[MetadataSeatIDs]; got != tt.wantSeats {
				t.Errorf("ErrorInfoOf(...).Metadata[%q] = %q, want %q", MetadataSeatIDs, got, tt.wantSeats)
			}
			if tt.wantReason != "" && info.GetDomain() != ErrorDomain {
				t.Errorf("domain %q, want %q", info.GetDomain(), ErrorDomain)
			}
		})
	}
}
