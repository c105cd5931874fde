package checkout

import (
	"encoding/json"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// SeatMapJSON is the body the gateway answers for sm, encoded per request
// from a cluster read as writeJSON would: the reference the views from
// memory must match byte for byte.
func SeatMapJSON(eventID string, ev *boxofficev1.Event, sm *boxofficev1.SeatMap) []byte {
	raw, err := json.Marshal(seatMapOf(eventID, ev, sm))
	if err != nil {
		panic(err)
	}
	return append(raw, '\n')
}
