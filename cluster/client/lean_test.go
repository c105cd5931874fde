package client

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/encoding"
)

// serverPackages are the import paths the client must not pull into the
// API servers that import it: a path that is one of these or lies under
// one. cluster/client itself lies under cluster, so cluster is matched
// exactly.
var serverPackages = []struct {
	path    string
	subtree bool
}{
	{"github.com/hashicorp/memberlist", true},
	{"github.com/hashicorp/raft", true},
	{"github.com/boxoffice/boxoffice/cluster", false},
	{"github.com/boxoffice/boxoffice/node", true},
	{"github.com/boxoffice/boxoffice/fsm", true},
	{"github.com/boxoffice/boxoffice/checkout", true},
}

// TestImportsNoServerCode: the packages the client is built from (go list
// -deps) include no membership, Raft, node, state machine or gateway code.
func TestImportsNoServerCode(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the client's dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		var stderr []byte
		if exitErr, ok := err.(*exec.ExitError); ok {
			stderr = exitErr.Stderr
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, dep := range deps {
		for _, server := range serverPackages {
			if dep == server.path || server.subtree && strings.HasPrefix(dep, server.path+"/") {
				t.Errorf("the client imports %s (server code)", dep)
			}
		}
	}
}

// TestImportLeavesGRPCCodec: loading the client leaves gRPC's "proto"
// codec as gRPC registered it; the client sets its codec on its own
// connections only.
func TestImportLeavesGRPCCodec(t *testing.T) {
	c := encoding.GetCodecV2("proto")
	if c == nil {
		t.Fatal(`no "proto" codec registered`)
	}
	const grpcProto = "google.golang.org/grpc/encoding/proto"
	typ := reflect.TypeOf(c)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if got := typ.PkgPath(); got != grpcProto {
		t.Fatalf(`gRPC's "proto" codec is %T from %s, want gRPC's own from %s`, c, got, grpcProto)
	}
}
