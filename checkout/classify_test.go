package checkout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// An error that is not one of the gateway's (a store or library failure)
// reaches the client as a sentence; its own text goes only to the log.
func TestUnclassifiedErrorsHideTheirText(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("ticket record %q names ticket %q", "a", "b"),
		errors.New("bolt: database not open"),
		fmt.Errorf("cluster call: %w", context.DeadlineExceeded),
	} {
		p, _ := classify(err)
		if p.Status < 500 {
			t.Fatalf("%v: status %d, want 5xx", err, p.Status)
		}
		if strings.Contains(p.Detail, err.Error()) || strings.Contains(p.Detail, "bolt") || strings.Contains(p.Detail, "deadline exceeded") {
			t.Errorf("%v: detail %q shows the error's text", err, p.Detail)
		}
	}
}
