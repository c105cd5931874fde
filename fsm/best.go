package fsm

import (
	"slices"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Best-available search. The steps, tried in order until one finds seats:
//
//  1. n adjacent seats in one row, not crossing an aisle, leaving no
//     orphan (a lone free seat between the block and a taken seat, the row
//     end or an aisle);
//  2. the same, orphans allowed;
//  3. if allow_across_aisle: n adjacent seats in one row, aisles ignored;
//  4. if allow_split_rows: the group split over rows (see splitRows).
//
// Each step scans sections in venue order (or the one asked for) and rows
// in listed order (closest to the stage first); the first row with a
// block wins, and within that row the block that leaves the fewest free
// runs that even-sized groups cannot fill (see fragments), then the
// block whose centre is closest to the row's centre, then the lowest seat
// number.
//
// Speed: rows keep counts of available seats and a run summary (longest
// run, the set of run lengths), so rows that cannot satisfy a step are
// skipped in O(1); a row is scanned only when it can. When some hold of the
// shard has expired but not yet been swept, its seats count as free, the
// summaries (which count AVAILABLE seats only) are bypassed and rows are
// scanned with the exact predicate.
type bestSearch struct {
	sh             *shard
	now            int64
	n              uint32
	expiredExist   bool // some hold has expired: use the exact free test
	accessibleOnly bool
	tier           int32 // -2: any tier
}

const anyTier = -2

func (sh *shard) bestAvailable(b *fsmpb.BestAvailable, now int64) ([]uint32, *fsmpb.Result) {
	if b.Quantity == 0 {
		return nil, refuse(codeInvalid, "quantity 0")
	}
	if b.Quantity > sh.policy.seatsPerHoldMax {
		return nil, refuse(codeTooLarge, "quantity %d, at most %d per hold", b.Quantity, sh.policy.seatsPerHoldMax)
	}
	sections := sh.sections
	if b.SectionId != "" {
		si, ok := sh.sectionByID[b.SectionId]
		if !ok {
			return nil, refuse(codeNotFound, "unknown section %q", b.SectionId)
		}
		sections = sh.sections[si : si+1]
	}
	q := bestSearch{
		sh:             sh,
		now:            now,
		n:              b.Quantity,
		expiredExist:   sh.anyExpired(now),
		accessibleOnly: b.AccessibleOnly,
		tier:           anyTier,
	}
	if b.PriceTier != "" {
		t, ok := sh.tierByID[b.PriceTier]
		if !ok {
			return nil, refuse(codeNotFound, "unknown price tier %q", b.PriceTier)
		}
		q.tier = t
	}
	type step struct{ acrossAisles, avoidOrphans bool }
	steps := []step{{false, true}, {false, false}}
	if b.AllowAcrossAisle {
		steps = append(steps, step{true, false})
	}
	for k, st := range steps {
		for si := range sections {
			sec := &sections[si]
			if !q.expiredExist && sec.available < q.n {
				continue
			}
			for ri := sec.firstRow; ri < sec.firstRow+sec.rowCount; ri++ {
				r := &sh.rows[ri]
				if !q.rowMayFit(r, k) {
					continue
				}
				if start, ok := q.bestBlock(r, q.n, st.acrossAisles, st.avoidOrphans); ok {
					seats := make([]uint32, q.n)
					for j := range seats {
						seats[j] = start + uint32(j)
					}
					return seats, nil
				}
			}
		}
	}
	if b.AllowSplitRows {
		if seats := q.splitRows(sections, b.AllowAcrossAisle); seats != nil {
			return seats, nil
		}
	}
	return nil, refuse(codeUnavailable, "no %d seats available as asked", b.Quantity)
}

// rowMayFit is the O(1) filter of step k (0: no orphans, 1: orphans
// allowed, 2: across aisles).
func (q *bestSearch) rowMayFit(r *row, k int) bool {
	if q.tier != anyTier && r.tier != q.tier {
		return false
	}
	if q.expiredExist {
		return r.available+r.held >= q.n
	}
	if r.available < q.n {
		return false
	}
	if q.accessibleOnly {
		return true
	}
	q.sh.refreshSummary(r)
	n := q.n
	switch k {
	case 0:
		// A maximal run of length L admits an orphan-free block iff
		// L == n or L >= n+2.
		if r.maxRun >= n+2 {
			return true
		}
		if n < 64 {
			return r.runMask&(1<<n) != 0
		}
		return r.maxRun >= n
	case 1:
		return r.maxRun >= n
	default:
		return r.maxRunAcross >= n
	}
}

// free is the exact "can be taken now" test, fast when nothing expired.
func (q *bestSearch) free(i uint32) bool {
	if !q.expiredExist {
		return q.sh.seats[i].state == seatAvailable
	}
	return q.sh.seatFree(i, q.now)
}

func (q *bestSearch) eligible(i uint32) bool {
	return q.free(i) && (!q.accessibleOnly || q.sh.seats[i].flags&flagAccessible != 0)
}

func (q *bestSearch) aisleAfter(i uint32) bool { return q.sh.seats[i].flags&flagAisleAfter != 0 }

// orphanLeft reports whether a block starting at seat a leaves a lone free
// seat just left of it.
func (q *bestSearch) orphanLeft(r *row, a uint32) bool {
	if a == r.start {
		return false
	}
	p := a - 1
	if q.aisleAfter(p) || !q.free(p) {
		return false
	}
	return p == r.start || q.aisleAfter(p-1) || !q.free(p-1)
}

// orphanRight is orphanLeft for the seat right of a block ending at e.
func (q *bestSearch) orphanRight(r *row, e uint32) bool {
	end := r.start + r.count - 1
	if e == end || q.aisleAfter(e) {
		return false
	}
	p := e + 1
	if !q.free(p) {
		return false
	}
	return p == end || q.aisleAfter(p) || !q.free(p+1)
}

// centreDistance is twice the distance between the centre of block
// [a, a+k) and the centre of row r.
func centreDistance(r *row, a, k uint32) uint32 {
	x := 2*(a-r.start) + k - 1
	c := r.count - 1
	if x > c {
		return x - c
	}
	return c - x
}

// segments calls fn for each maximal run [start, end) of eligible seats of
// r; runs stop at aisles unless acrossAisles.
func (q *bestSearch) segments(r *row, acrossAisles bool, fn func(start, end uint32)) {
	end := r.start + r.count
	for i := r.start; i < end; {
		if !q.eligible(i) {
			i++
			continue
		}
		j := i + 1
		for j < end && q.eligible(j) && (acrossAisles || !q.aisleAfter(j-1)) {
			j++
		}
		fn(i, j)
		i = j
	}
}

// fragments counts the free runs that a block [a, a+n) of an even size
// leaves beside it, within its run [start, end), with an odd number of
// seats: groups of even size (pairs are the commonest purchase) can never
// fill them. A centred pair in an empty row of 40 leaves 19 + 19 and
// strands a seat on each side once the row fills; seats 19-20 leave 18 + 20
// and the row sells out in pairs. Odd-sized blocks score 0: leftover runs
// of two or more can be filled by a mix of pairs and triples.
func fragments(start, end, a, n uint32) int {
	if n%2 != 0 {
		return 0
	}
	f := 0
	if (a-start)%2 != 0 {
		f++
	}
	if (end-a-n)%2 != 0 {
		f++
	}
	return f
}

// bestBlock returns the start of the best block of n seats in r: fewest
// unfillable fragments, then closest to the centre, then lowest number.
func (q *bestSearch) bestBlock(r *row, n uint32, acrossAisles, avoidOrphans bool) (uint32, bool) {
	best, bestDistance, bestFragments, found := uint32(0), uint32(0), 0, false
	q.segments(r, acrossAisles, func(start, end uint32) {
		if end-start < n {
			return
		}
		for a := start; a+n <= end; a++ {
			if avoidOrphans && (q.orphanLeft(r, a) || q.orphanRight(r, a+n-1)) {
				continue
			}
			f, d := fragments(start, end, a, n), centreDistance(r, a, n)
			if !found || f < bestFragments || (f == bestFragments && d < bestDistance) {
				best, bestDistance, bestFragments, found = a, d, f, true
			}
		}
	})
	return best, found
}

// splitRows (step 4) fills the group from rows in order: in each row it
// takes the longest runs first (ties: closest to the centre, then lowest
// number), each placed as close to the row centre as it can be, until
// the group is complete. Nil if the candidate rows do not have enough.
func (q *bestSearch) splitRows(sections []section, acrossAisles bool) []uint32 {
	type run struct{ start, end uint32 }
	need := q.n
	seats := make([]uint32, 0, need)
	var runs []run
	for si := range sections {
		sec := &sections[si]
		for ri := sec.firstRow; ri < sec.firstRow+sec.rowCount && need > 0; ri++ {
			r := &q.sh.rows[ri]
			if q.tier != anyTier && r.tier != q.tier {
				continue
			}
			if r.available == 0 && (!q.expiredExist || r.held == 0) {
				continue
			}
			runs = runs[:0]
			q.segments(r, acrossAisles, func(start, end uint32) { runs = append(runs, run{start, end}) })
			slices.SortFunc(runs, func(x, y run) int {
				if lx, ly := x.end-x.start, y.end-y.start; lx != ly {
					return int(ly) - int(lx)
				}
				if dx, dy := centreDistance(r, x.start, x.end-x.start), centreDistance(r, y.start, y.end-y.start); dx != dy {
					return int(dx) - int(dy)
				}
				return int(x.start) - int(y.start)
			})
			for _, g := range runs {
				if need == 0 {
					break
				}
				k := min(need, g.end-g.start)
				a := g.start
				bestDistance := centreDistance(r, a, k)
				for b := g.start + 1; b+k <= g.end; b++ {
					if d := centreDistance(r, b, k); d < bestDistance {
						a, bestDistance = b, d
					}
				}
				for j := range k {
					seats = append(seats, a+j)
				}
				need -= k
			}
		}
	}
	if need > 0 {
		return nil
	}
	slices.Sort(seats)
	return seats
}
