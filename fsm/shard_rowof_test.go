package fsm

import "testing"

// rowOf must agree with the rows' layout for every seat, including around
// rows of no seats.
func TestRowOf(t *testing.T) {
	sh := &shard{}
	start := uint32(0)
	for _, count := range []uint32{0, 3, 0, 0, 1, 5, 0, 2, 0} {
		sh.rows = append(sh.rows, row{start: start, count: count})
		start += count
	}
	for r, row := range sh.rows {
		for i := row.start; i < row.start+row.count; i++ {
			if got := sh.rowOf(i); got != uint32(r) {
				t.Errorf("rowOf(%d) = %d, want %d", i, got, r)
			}
		}
	}
}
