package bench

import (
	"fmt"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Defaults of Config: the OSW-1 workload.
const (
	SectionsDefault         = 20
	RowsDefault             = 25
	SeatsPerRowDefault      = 40
	HoldSizeDefault         = 2
	ZipfExponentDefault     = 1.1
	SellRatioDefault        = 0.8
	ClientsDefault          = 64
	DurationLimitDefault    = 30 * time.Second
	OperationTimeoutDefault = 30 * time.Second
	SampleIntervalDefault   = time.Second
	SampleIntervalMin       = 10 * time.Millisecond
)

// Limits of Config, so that a typo cannot ask for a million goroutines or a
// seat map larger than a response may carry.
const (
	ClientsMax         = 10_000
	VenueSeatsMax      = 1_000_000
	SectionsMax        = 1_000
	ReadsPerHoldMax    = 100
	DurationLimitMax   = 24 * time.Hour
	holdSizeMax        = 20 // the default EventPolicy.seats_per_hold_max
	zipfExponentMax    = 10.0
	timelineSamplesMax = 24 * 3600
)

// Config describes one run. The zero value of a field takes its default
// (see withDefaults); Validate names the field and value it refuses.
type Config struct {
	// Sections, Rows and SeatsPerRow shape the venue,
	// cluster.OnSaleVenue(Sections, Rows, SeatsPerRow): seat ids are
	// "S{section}-R{row}-{number}", sections from 0, rows and numbers from 1.
	// Defaults 20 x 25 x 40 = 20,000 seats.
	Sections    int `json:"sections"`
	Rows        int `json:"rows"`
	SeatsPerRow int `json:"seats_per_row"`

	// Shards is CreateEventRequest.shard_count: 0 lets the cluster choose
	// (one per data group, at most one per section).
	Shards int `json:"shards"`
	// Groups is CreateEventRequest.group_count: how many data groups the
	// event is spread over; 0 lets the cluster choose (one).
	Groups int `json:"groups,omitempty"`

	// Clients is the number of concurrent clients, each one goroutine
	// running the loop of OSW-1 (default 64).
	Clients int `json:"clients"`

	// DurationLimit ends the run if the venue has not sold out (default
	// 30s). A client past the limit starts no new hold and no new conflict
	// retry; it always sells or releases a hold it has.
	DurationLimit time.Duration `json:"duration_limit_ns"`

	// SampleInterval is the timeline's resolution (default 1s, at least
	// 10ms): a 20,000-seat sell-out lasts about a second, so make bench
	// samples it every 100ms. The live progress line stays at one a second.
	SampleInterval time.Duration `json:"sample_interval_ns,omitempty"`

	// OperationTimeout bounds one operation including its retries after
	// UNAVAILABLE, DEADLINE_EXCEEDED or BUSY (default 30s).
	OperationTimeout time.Duration `json:"operation_timeout_ns"`

	// Seed seeds every client's random source (client i uses the stream
	// (Seed, i+1)): the section draws and the sell-or-release coin.
	Seed uint64 `json:"seed"`

	// HoldSize is the number of adjacent seats each hold asks for
	// (default 2, at most 20).
	HoldSize int `json:"hold_size"`

	// ZipfExponent is the skew s of the section draw: section k (from 0)
	// has weight 1/(k+1)^s (default 1.1, where section 0 gets ~31% of the
	// draws of a 20-section venue). Negative means uniform (s = 0); 0 takes
	// the default.
	ZipfExponent float64 `json:"zipf_exponent"`

	// SellRatio is the probability that a hold is sold rather than
	// released (default 0.8). Negative means 0 (release every hold); 0
	// takes the default.
	SellRatio float64 `json:"sell_ratio"`

	// ExplicitSeats makes clients choose seats themselves: read the
	// section's seat map (STALE), take the best run of HoldSize available
	// seats (lowest row, then lowest number) and hold those seats by id.
	// A conflict (ABORTED) reads the map again and retries. Off: the
	// cluster picks (best available of HoldSize in the section).
	ExplicitSeats bool `json:"explicit_seats"`

	// SeatMapReads and HoldReads add reads to every iteration: before the
	// hold, SeatMapReads GetSeatMap calls of the chosen section (per-seat
	// detail, as a buyer browsing it); after the hold, HoldReads GetHold
	// calls of the new hold (as a checkout page). ReadConsistency says
	// which consistency they use. Reads are reported separately.
	SeatMapReads    int         `json:"seat_map_reads"`
	HoldReads       int         `json:"hold_reads"`
	ReadConsistency Consistency `json:"read_consistency"`

	// SeatMapView is the view of the seat-map reads (SeatMapReads and
	// ReadOnly): full (every seat with its hold or order, the default),
	// availability (one state byte per seat) or summary (counts).
	SeatMapView SeatMapView `json:"seat_map_view,omitempty"`

	// ReadOnly runs a read-heavy workload instead of OSW-1: each client
	// loops on GetSeatMap of one section (drawn with the Zipf skew) in
	// SeatMapView with ReadConsistency, until DurationLimit; nothing is
	// held or sold. Reads are reported like the reads of OSW-1.
	ReadOnly bool `json:"read_only,omitempty"`

	// ReadStream sends the reads of a ReadOnly run as messages on
	// ReadSeatMaps streams (Inventory.ReadSeatMaps) instead of unary
	// GetSeatMap calls: every Inventory must be a StreamReader (the Go
	// client, one stream per node), and the clients sharing an Inventory
	// share its streams.
	ReadStream bool `json:"read_stream,omitempty"`

	// EventID is the event to create; it must not exist. Empty: a fresh
	// unique id.
	EventID string `json:"event_id"`

	// Label names the run in tables (default "C=<clients>").
	Label string `json:"label"`

	// CPU, when set, reads the CPU time of the system under test before
	// and after the run (Result.CPU). The load generator's own CPU and
	// the machine's are measured without it.
	CPU CPUMeter `json:"-"`
}

// Consistency of the extra reads.
type Consistency string

const (
	ConsistencyStale        Consistency = "stale"
	ConsistencyLinearizable Consistency = "linearizable"
)

// SeatMapView is the view of the seat-map reads (GetSeatMapRequest.view).
type SeatMapView string

const (
	SeatMapViewFull         SeatMapView = "full"
	SeatMapViewAvailability SeatMapView = "availability"
	SeatMapViewSummary      SeatMapView = "summary"
)

// proto returns the API value of v (full for "").
func (v SeatMapView) proto() boxofficev1.SeatMapView {
	switch v {
	case SeatMapViewAvailability:
		return boxofficev1.SeatMapView_SEAT_MAP_VIEW_AVAILABILITY
	case SeatMapViewSummary:
		return boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY
	}
	return boxofficev1.SeatMapView_SEAT_MAP_VIEW_FULL
}

// Validate reports the first field of c that cannot be used.
func (c Config) Validate() error {
	for _, f := range []struct {
		name  string
		value int
		max   int
	}{
		{"Sections", c.Sections, SectionsMax},
		{"Rows", c.Rows, VenueSeatsMax},
		{"SeatsPerRow", c.SeatsPerRow, VenueSeatsMax},
		{"Shards", c.Shards, SectionsMax},
		{"Groups", c.Groups, SectionsMax},
		{"Clients", c.Clients, ClientsMax},
		{"HoldSize", c.HoldSize, holdSizeMax},
		{"SeatMapReads", c.SeatMapReads, ReadsPerHoldMax},
		{"HoldReads", c.HoldReads, ReadsPerHoldMax},
	} {
		if f.value < 0 || f.value > f.max {
			return fmt.Errorf("bench config: %s = %d: want 0..%d (0 takes the default)", f.name, f.value, f.max)
		}
	}
	d := c.withDefaults()
	if seats := d.Sections * d.Rows * d.SeatsPerRow; seats > VenueSeatsMax {
		return fmt.Errorf("bench config: venue of %d x %d x %d = %d seats: at most %d", d.Sections, d.Rows, d.SeatsPerRow, seats, VenueSeatsMax)
	}
	if d.HoldSize > d.SeatsPerRow {
		return fmt.Errorf("bench config: HoldSize = %d is more than SeatsPerRow = %d: no hold could ever succeed", d.HoldSize, d.SeatsPerRow)
	}
	if c.DurationLimit < 0 || c.DurationLimit > DurationLimitMax {
		return fmt.Errorf("bench config: DurationLimit = %v: want 0..%v (0 takes the default)", c.DurationLimit, DurationLimitMax)
	}
	if c.OperationTimeout < 0 {
		return fmt.Errorf("bench config: OperationTimeout = %v is negative", c.OperationTimeout)
	}
	if c.SampleInterval != 0 && (c.SampleInterval < SampleIntervalMin || c.SampleInterval > time.Hour) {
		return fmt.Errorf("bench config: SampleInterval = %v: want %v..1h (0 takes the default)", c.SampleInterval, SampleIntervalMin)
	}
	if c.ZipfExponent > zipfExponentMax {
		return fmt.Errorf("bench config: ZipfExponent = %v: at most %v", c.ZipfExponent, zipfExponentMax)
	}
	if c.SellRatio > 1 {
		return fmt.Errorf("bench config: SellRatio = %v: a probability, at most 1", c.SellRatio)
	}
	switch c.ReadConsistency {
	case "", ConsistencyStale, ConsistencyLinearizable:
	default:
		return fmt.Errorf("bench config: ReadConsistency = %q: want %q or %q", c.ReadConsistency, ConsistencyStale, ConsistencyLinearizable)
	}
	if c.ReadOnly && (c.SeatMapReads > 0 || c.HoldReads > 0) {
		return fmt.Errorf("bench config: ReadOnly with SeatMapReads = %d and HoldReads = %d: a read-only run only reads seat maps; drop the per-hold reads", c.SeatMapReads, c.HoldReads)
	}
	if c.ReadStream && !c.ReadOnly {
		return fmt.Errorf("bench config: ReadStream without ReadOnly: only the read-only workload can read over streams")
	}
	switch c.SeatMapView {
	case "", SeatMapViewFull, SeatMapViewAvailability, SeatMapViewSummary:
	default:
		return fmt.Errorf("bench config: SeatMapView = %q: want %q, %q or %q", c.SeatMapView, SeatMapViewFull, SeatMapViewAvailability, SeatMapViewSummary)
	}
	if c.EventID != "" && !validEventID(c.EventID) {
		return fmt.Errorf("bench config: EventID = %q: want [a-z0-9_.]{1,64}", c.EventID)
	}
	return nil
}

func validEventID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ratioOr is the default rule of the ratio and exponent flags: 0 means the
// default, a negative value means an explicit 0.
func ratioOr(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func (c Config) withDefaults() Config {
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.Sections, SectionsDefault)
	setInt(&c.Rows, RowsDefault)
	setInt(&c.SeatsPerRow, SeatsPerRowDefault)
	setInt(&c.Clients, ClientsDefault)
	setInt(&c.HoldSize, HoldSizeDefault)
	if c.DurationLimit == 0 {
		c.DurationLimit = DurationLimitDefault
	}
	if c.OperationTimeout == 0 {
		c.OperationTimeout = OperationTimeoutDefault
	}
	if c.SampleInterval == 0 {
		c.SampleInterval = SampleIntervalDefault
	}
	c.ZipfExponent = ratioOr(c.ZipfExponent, ZipfExponentDefault)
	c.SellRatio = ratioOr(c.SellRatio, SellRatioDefault)
	if c.ReadConsistency == "" {
		c.ReadConsistency = ConsistencyStale
	}
	if c.SeatMapView == "" {
		c.SeatMapView = SeatMapViewFull
	}
	if c.Label == "" {
		c.Label = fmt.Sprintf("C=%d", c.Clients)
	}
	return c
}
