package cluster

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Venue limits. ValidateVenue refuses a venue that exceeds any of them; the
// state machine may rely on a validated venue staying inside them.
const (
	VenueIDLengthMax            = 32        // section, pool, row and tier ids
	VenueNameLengthMax          = 256       // venue, section and pool names
	VenueSectionsMax            = 10_000    // sections per venue
	VenuePoolsMax               = 10_000    // general-admission pools per venue
	VenuePriceTiersMax          = 1_000     // price tiers per venue
	VenueRowsPerSectionMax      = 1_000     // rows per section
	VenueSeatsPerRowMax         = 1_000     // Row.seat_count
	VenuePoolCapacityMax        = 1_000_000 // GeneralAdmissionPool.capacity
	VenueSeatsMax               = 2_000_000 // reserved seats per venue
	venueSeatNumberLastMax      = math.MaxUint32
	venueCurrencyLength         = 3
	venueSeatIDSeparator   byte = '-'
)

// ErrInvalidVenue is wrapped by every refusal of ValidateVenue; the message
// names the section, row or pool, the field and the offending value.
var ErrInvalidVenue = errors.New("invalid venue")

// ValidateVenue checks a venue as a whole before an event is created from
// it. It returns the first problem found, wrapping ErrInvalidVenue.
//
// Ids (sections, pools, rows, tiers) are 1..32 characters of [A-Za-z0-9_]:
// in particular no '-', which separates the parts of a seat id
// "<section>-<row>-<number>". Section and pool ids share one namespace,
// because both name a unit of placement (a shard holds whole sections and
// pools). If the venue declares price tiers, every tier a section, row or
// pool names must be declared; if it declares none, none may be named.
func ValidateVenue(v *boxofficev1.Venue) error {
	if v == nil {
		return invalidVenue("venue is missing")
	}
	if len(v.GetName()) > VenueNameLengthMax {
		return invalidVenue("venue name is %d bytes, at most %d", len(v.GetName()), VenueNameLengthMax)
	}
	sections, pools := v.GetSections(), v.GetPools()
	if len(sections) == 0 && len(pools) == 0 {
		return invalidVenue("venue has no sections and no pools")
	}
	if len(sections) > VenueSectionsMax {
		return invalidVenue("venue has %d sections, at most %d", len(sections), VenueSectionsMax)
	}
	if len(pools) > VenuePoolsMax {
		return invalidVenue("venue has %d pools, at most %d", len(pools), VenuePoolsMax)
	}

	tiers, err := validatePriceTiers(v.GetPriceTiers())
	if err != nil {
		return err
	}
	checkTier := func(where, tier string) error {
		if tier == "" {
			return nil
		}
		if len(tiers) == 0 {
			return invalidVenue("%s: price_tier %q, but the venue declares no price_tiers", where, tier)
		}
		if _, ok := tiers[tier]; !ok {
			return invalidVenue("%s: price_tier %q is not one of the venue's price_tiers", where, tier)
		}
		return nil
	}

	placementIDs := make(map[string]string, len(sections)+len(pools)) // id -> "section"/"pool"
	var seatsTotal uint64
	for i, section := range sections {
		where := fmt.Sprintf("sections[%d]", i)
		if err := checkID(where+".id", section.GetId()); err != nil {
			return err
		}
		where = fmt.Sprintf("section %q", section.GetId())
		if kind, dup := placementIDs[section.GetId()]; dup {
			return invalidVenue("%s: id already used by a %s", where, kind)
		}
		placementIDs[section.GetId()] = "section"
		if len(section.GetName()) > VenueNameLengthMax {
			return invalidVenue("%s: name is %d bytes, at most %d", where, len(section.GetName()), VenueNameLengthMax)
		}
		if err := checkTier(where, section.GetPriceTier()); err != nil {
			return err
		}
		rows := section.GetRows()
		if len(rows) == 0 {
			return invalidVenue("%s: no rows", where)
		}
		if len(rows) > VenueRowsPerSectionMax {
			return invalidVenue("%s: %d rows, at most %d", where, len(rows), VenueRowsPerSectionMax)
		}
		labels := make(map[string]struct{}, len(rows))
		for j, row := range rows {
			if err := checkID(fmt.Sprintf("%s rows[%d].label", where, j), row.GetLabel()); err != nil {
				return err
			}
			rowWhere := fmt.Sprintf("%s row %q", where, row.GetLabel())
			if _, dup := labels[row.GetLabel()]; dup {
				return invalidVenue("%s: label appears twice in the section", rowWhere)
			}
			labels[row.GetLabel()] = struct{}{}
			if err := validateRow(rowWhere, row); err != nil {
				return err
			}
			if err := checkTier(rowWhere, row.GetPriceTier()); err != nil {
				return err
			}
			seatsTotal += uint64(row.GetSeatCount())
		}
		if seatsTotal > VenueSeatsMax {
			return invalidVenue("venue has more than %d seats (reached %d by %s)", VenueSeatsMax, seatsTotal, where)
		}
	}

	for i, pool := range pools {
		where := fmt.Sprintf("pools[%d]", i)
		if err := checkID(where+".id", pool.GetId()); err != nil {
			return err
		}
		where = fmt.Sprintf("pool %q", pool.GetId())
		if kind, dup := placementIDs[pool.GetId()]; dup {
			return invalidVenue("%s: id already used by a %s", where, kind)
		}
		placementIDs[pool.GetId()] = "pool"
		if len(pool.GetName()) > VenueNameLengthMax {
			return invalidVenue("%s: name is %d bytes, at most %d", where, len(pool.GetName()), VenueNameLengthMax)
		}
		if c := pool.GetCapacity(); c < 1 || c > VenuePoolCapacityMax {
			return invalidVenue("%s: capacity %d, want 1..%d", where, c, VenuePoolCapacityMax)
		}
		if err := checkTier(where, pool.GetPriceTier()); err != nil {
			return err
		}
	}
	return nil
}

func validatePriceTiers(priceTiers []*boxofficev1.PriceTier) (map[string]struct{}, error) {
	if len(priceTiers) > VenuePriceTiersMax {
		return nil, invalidVenue("venue has %d price_tiers, at most %d", len(priceTiers), VenuePriceTiersMax)
	}
	tiers := make(map[string]struct{}, len(priceTiers))
	for i, tier := range priceTiers {
		if err := checkID(fmt.Sprintf("price_tiers[%d].id", i), tier.GetId()); err != nil {
			return nil, err
		}
		where := fmt.Sprintf("price tier %q", tier.GetId())
		if _, dup := tiers[tier.GetId()]; dup {
			return nil, invalidVenue("%s: declared twice", where)
		}
		tiers[tier.GetId()] = struct{}{}
		if tier.GetPriceCents() < 0 {
			return nil, invalidVenue("%s: price_cents %d is negative", where, tier.GetPriceCents())
		}
		if c := tier.GetCurrency(); c != "" && !isCurrencyCode(c) {
			return nil, invalidVenue("%s: currency %q is not an ISO 4217 code like \"USD\"", where, c)
		}
	}
	return tiers, nil
}

func validateRow(where string, row *boxofficev1.Row) error {
	count := row.GetSeatCount()
	if count < 1 || count > VenueSeatsPerRowMax {
		return invalidVenue("%s: seat_count %d, want 1..%d", where, count, VenueSeatsPerRowMax)
	}
	first := uint64(rowFirstNumber(row))
	last := first + uint64(count) - 1
	if last > venueSeatNumberLastMax {
		return invalidVenue("%s: first_number %d + seat_count %d overflows the seat numbers", where, row.GetFirstNumber(), count)
	}
	lists := []struct {
		field   string
		numbers []uint32
	}{
		{"aisle_after", row.GetAisleAfter()},
		{"accessible", row.GetAccessible()},
		{"restricted_view", row.GetRestrictedView()},
	}
	for _, list := range lists {
		seen := make(map[uint32]struct{}, len(list.numbers))
		for _, n := range list.numbers {
			if uint64(n) < first || uint64(n) > last {
				return invalidVenue("%s: %s seat %d is outside the row's seats %d..%d", where, list.field, n, first, last)
			}
			if _, dup := seen[n]; dup {
				return invalidVenue("%s: %s lists seat %d twice", where, list.field, n)
			}
			seen[n] = struct{}{}
		}
	}
	return nil
}

// rowFirstNumber applies the proto's default: first_number 0 means 1.
func rowFirstNumber(row *boxofficev1.Row) uint32 {
	if row.GetFirstNumber() == 0 {
		return 1
	}
	return row.GetFirstNumber()
}

func checkID(where, id string) error {
	if id == "" {
		return invalidVenue("%s is empty", where)
	}
	if len(id) > VenueIDLengthMax {
		return invalidVenue("%s %q is %d characters, at most %d", where, id, len(id), VenueIDLengthMax)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == venueSeatIDSeparator {
			return invalidVenue("%s %q contains '-', which separates the parts of a seat id", where, id)
		}
		if !isIDChar(c) {
			return invalidVenue("%s %q contains %q; use only A-Z, a-z, 0-9 and _", where, id, rune(c))
		}
	}
	return nil
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isCurrencyCode(s string) bool {
	if len(s) != venueCurrencyLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func invalidVenue(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidVenue, fmt.Sprintf(format, args...))
}

// VenueSeatCount returns the number of reserved seats and the total
// general-admission capacity of v. Both saturate at math.MaxUint32, which
// only an invalid venue can reach.
func VenueSeatCount(v *boxofficev1.Venue) (seats, gaCapacity uint32) {
	var seatsTotal, gaTotal uint64
	for _, section := range v.GetSections() {
		for _, row := range section.GetRows() {
			seatsTotal += uint64(row.GetSeatCount())
		}
	}
	for _, pool := range v.GetPools() {
		gaTotal += uint64(pool.GetCapacity())
	}
	return uint32(min(seatsTotal, math.MaxUint32)), uint32(min(gaTotal, math.MaxUint32))
}

// OnSaleVenue is the benchmark venue: sections "S0".."S<sections-1>", each
// with rows "R1".."R<rows>" of seats 1..seatsPerRow, all in one tier "STD".
// OnSaleVenue(20, 25, 40) has 20,000 seats; its first seat is "S0-R1-1".
// Arguments below 1 give a venue that ValidateVenue refuses.
func OnSaleVenue(sections, rows, seatsPerRow int) *boxofficev1.Venue {
	v := &boxofficev1.Venue{
		Name:       fmt.Sprintf("On-sale benchmark %dx%dx%d", sections, rows, seatsPerRow),
		PriceTiers: []*boxofficev1.PriceTier{{Id: "STD", PriceCents: 5000, Currency: "USD"}},
	}
	seatCount := uint32(min(max(seatsPerRow, 0), math.MaxUint32))
	for s := 0; s < sections; s++ {
		section := &boxofficev1.Section{
			Id:        "S" + strconv.Itoa(s),
			Name:      "Section " + strconv.Itoa(s),
			PriceTier: "STD",
		}
		for r := 1; r <= rows; r++ {
			section.Rows = append(section.Rows, &boxofficev1.Row{
				Label:       "R" + strconv.Itoa(r),
				SeatCount:   seatCount,
				FirstNumber: 1,
			})
		}
		v.Sections = append(v.Sections, section)
	}
	return v
}

// Demo arena price tiers, in USD cents.
const (
	demoTierP1 = "P1" // lower bowl, long sides, front rows
	demoTierP2 = "P2" // lower bowl elsewhere, and the floor
	demoTierP3 = "P3" // upper bowl, front rows
	demoTierP4 = "P4" // upper bowl, back rows and restricted view

	demoLowerSections = 24 // "101".."124"
	demoUpperSections = 28 // "201".."228"
	demoFloorCapacity = 1_500
)

// DemoArena returns a deterministic end-stage arena of 17,447 reserved seats
// plus a standing floor ("FLOOR", 1,500): 18,947 places in all.
//
// Sections are numbered clockwise starting just right of the stage, so the
// first and last few sections of each bowl flank the stage and the middle
// ones face it from the far end; the long sides are in between. The lower
// bowl ("101".."124") has 12..16 rows "A".."P" of 18..26 seats, widening
// towards the back, with an aisle in the middle of rows of 22 seats or
// more and four accessible seats (the two at each end) in row A. The upper
// bowl ("201".."228") has 16..20 rows "1".."20" of 16..23 seats; the two
// sections either side of the stage have a restricted view from their four
// seats nearest it. Tiers: P1 the first 8 rows of the lower long sides, P2
// the rest of the lower bowl and the floor, P3 the first 10 upper rows, P4
// the upper rows behind them and the upper sections beside the stage.
func DemoArena(name string) *boxofficev1.Venue {
	v := &boxofficev1.Venue{
		Name: name,
		PriceTiers: []*boxofficev1.PriceTier{
			{Id: demoTierP1, PriceCents: 14_950, Currency: "USD"},
			{Id: demoTierP2, PriceCents: 9_950, Currency: "USD"},
			{Id: demoTierP3, PriceCents: 6_450, Currency: "USD"},
			{Id: demoTierP4, PriceCents: 3_950, Currency: "USD"},
		},
	}
	for i := range demoLowerSections {
		v.Sections = append(v.Sections, demoLowerSection(i))
	}
	for i := range demoUpperSections {
		v.Sections = append(v.Sections, demoUpperSection(i))
	}
	v.Pools = []*boxofficev1.GeneralAdmissionPool{{
		Id: "FLOOR", Name: "Floor (standing)", Capacity: demoFloorCapacity, PriceTier: demoTierP2,
	}}
	return v
}

// demoSideDistance is how far section i of a bowl of n sections is from
// the middle of the nearer long side, scaled to 0 (the side's centre line)
// .. 3 (the stage end or the far end).
func demoSideDistance(i, n int) int {
	// Section i is centred (i+½)/n of a turn round from the stage and the
	// long sides are centred at ¼ and ¾ of a turn. Units of 1/(4n) turn
	// keep the arithmetic in integers.
	centre := 4*i + 2
	side := n
	if centre > 2*n {
		side = 3 * n
	}
	d := centre - side
	if d < 0 {
		d = -d
	}
	return min(3, 4*d/(n+1))
}

func demoLowerSection(i int) *boxofficev1.Section {
	id := strconv.Itoa(101 + i)
	distance := demoSideDistance(i, demoLowerSections) // 0..3
	rowCount := 16 - distance - i%2                    // 12..16
	section := &boxofficev1.Section{Id: id, Name: "Section " + id, PriceTier: demoTierP2}
	for r := range rowCount {
		seats := min(18+(3-distance)+r/2, 26) // 18..26
		row := &boxofficev1.Row{
			Label:     string(rune('A' + r)),
			SeatCount: uint32(seats),
		}
		if distance <= 1 && r < 8 {
			row.PriceTier = demoTierP1
		}
		if seats >= 22 {
			row.AisleAfter = []uint32{uint32(seats / 2)}
		}
		if r == 0 {
			row.Accessible = []uint32{1, 2, uint32(seats - 1), uint32(seats)}
		}
		section.Rows = append(section.Rows, row)
	}
	return section
}

func demoUpperSection(i int) *boxofficev1.Section {
	id := strconv.Itoa(201 + i)
	distance := demoSideDistance(i, demoUpperSections) // 0..3
	rowCount := 20 - distance + (i%3)/2 - 1            // 16..20
	section := &boxofficev1.Section{Id: id, Name: "Section " + id, PriceTier: demoTierP3}
	// The two sections either side of the stage see it from the side: their
	// seats nearest the stage have a restricted view.
	stageSide := 0 // 1: stage on the low-numbered seats' side; -1: on the high side
	switch i {
	case 0, 1:
		stageSide = 1
	case demoUpperSections - 2, demoUpperSections - 1:
		stageSide = -1
	}
	for r := range rowCount {
		seats := min(16+(3-distance)+r/4, 24) // 16..23
		row := &boxofficev1.Row{
			Label:     strconv.Itoa(r + 1),
			SeatCount: uint32(seats),
		}
		if r >= 10 || stageSide != 0 {
			row.PriceTier = demoTierP4
		}
		if seats >= 22 {
			row.AisleAfter = []uint32{uint32(seats / 2)}
		}
		switch stageSide {
		case 1:
			row.RestrictedView = []uint32{1, 2, 3, 4}
		case -1:
			row.RestrictedView = []uint32{uint32(seats - 3), uint32(seats - 2), uint32(seats - 1), uint32(seats)}
		}
		section.Rows = append(section.Rows, row)
	}
	return section
}
