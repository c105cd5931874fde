package node

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/crossshard"
)

// Every error of the coordinator reaches the client as the node's own
// error would: the same status code and the same message.
func TestCoordinatorErrorsMapLikeTheNodes(t *testing.T) {
	tests := []struct {
		coordinator, node error
	}{
		{fmt.Errorf("%w: seat id %q is bad", crossshard.ErrInvalid, "x"), invalid("seat id %q is bad", "x")},
		{fmt.Errorf("%w: no section", crossshard.ErrNotFound), fmt.Errorf("%w: no section", ErrNotFound)},
		{fmt.Errorf("%w: 101 seats", crossshard.ErrTooLarge), fmt.Errorf("%w: 101 seats", ErrTooLarge)},
		{fmt.Errorf("%w: ticket t", crossshard.ErrTicketNotInOrder), fmt.Errorf("%w: ticket t", ErrTicketNotInOrder)},
		{&crossshard.RefusalError{Code: fsmpb.Code_CODE_CONFLICT, Message: "seat held", SeatIDs: []string{"A-1-1"}},
			&RefusalError{Code: fsmpb.Code_CODE_CONFLICT, Message: "seat held", SeatIDs: []string{"A-1-1"}}},
		{errors.Join(&noLeaderError{group: "g1"}), errors.Join(&noLeaderError{group: "g1"})},
	}
	for _, tt := range tests {
		got, want := status.Convert(toStatus(t.Context(), coordinatorError(tt.coordinator))), status.Convert(toStatus(t.Context(), tt.node))
		if got.Code() != want.Code() || got.Message() != want.Message() || fmt.Sprint(got.Details()) != fmt.Sprint(want.Details()) {
			t.Errorf("%v: status %v %q %v, want %v %q %v", tt.coordinator, got.Code(), got.Message(), got.Details(), want.Code(), want.Message(), want.Details())
		}
		if got.Code() == codes.Internal {
			t.Errorf("%v maps to Internal", tt.coordinator)
		}
	}
	if coordinatorError(nil) != nil {
		t.Error("coordinatorError(nil) is not nil")
	}
}
