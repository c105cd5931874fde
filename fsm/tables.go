package fsm

import (
	"container/heap"
	"fmt"
)

// noPool marks a hold without GA units.
const noPool = -1

// hold is one live (or expired, not yet swept) hold. Slots of
// shard.holds are reused lowest-first, so slot numbers are a pure function
// of the replicated history and survive snapshot and restore unchanged.
//
// seats is copy-on-write: it is never modified in place, only replaced,
// so that Snapshot can copy the hold table shallowly.
type hold struct {
	live          bool
	id            string
	holder        string
	seats         []uint32 // seat indexes, in the order they were held
	pool          int32    // GA pool index or noPool
	gaQuantity    uint32
	createdMs     int64
	expiresMs     int64
	pinnedUntilMs int64
	heapIndex     int // position in shard.expiry
}

// deadlineMs is when the hold stops protecting its seats: expired means
// now >= expires and now >= pinned_until.
func (h *hold) deadlineMs() int64 { return max(h.expiresMs, h.pinnedUntilMs) }

func (h *hold) expired(nowMs int64) bool { return nowMs >= h.deadlineMs() }

func (h *hold) empty() bool { return len(h.seats) == 0 && h.gaQuantity == 0 }

// order groups the tickets sold under one order id in one shard. tickets
// is copy-on-write like hold.seats.
type order struct {
	live    bool
	id      string
	buyer   string
	tickets []orderTicket
}

// orderTicket is one sold seat or GA unit.
type orderTicket struct {
	number uint32 // ticket number; the id is formatted from it
	seat   uint32 // seat index, or the pool index for a GA unit
	unit   uint32 // 0 for a seat; the GA unit number (>= 1) for a GA unit
}

func (t orderTicket) isGeneralAdmission() bool { return t.unit != 0 }

// seatTicket returns the ticket number of seat index i in the order, which
// must own it (an order lists at most MaxTicketsPerOrder tickets).
func (o *order) seatTicket(i uint32) uint32 {
	for _, t := range o.tickets {
		if t.seat == i && !t.isGeneralAdmission() {
			return t.number
		}
	}
	panic(fmt.Sprintf("fsm: order %q does not list seat %d", o.id, i))
}

// slotHeap is a min-heap of free slot numbers: allocation always takes the
// lowest free slot, which keeps slot numbering deterministic.
type slotHeap []uint32

func (h slotHeap) Len() int           { return len(h) }
func (h slotHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h slotHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)        { *h = append(*h, x.(uint32)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// expiryHeap orders live holds by (deadline, hold id): a total order, so
// the order in which Sweep releases holds does not depend on the heap's
// internal layout (which differs between a replica and its restore).
type expiryHeap struct {
	slots []uint32
	holds *[]hold
}

func (e *expiryHeap) Len() int { return len(e.slots) }
func (e *expiryHeap) Less(i, j int) bool {
	a, b := &(*e.holds)[e.slots[i]], &(*e.holds)[e.slots[j]]
	da, db := a.deadlineMs(), b.deadlineMs()
	if da != db {
		return da < db
	}
	return a.id < b.id
}
func (e *expiryHeap) Swap(i, j int) {
	e.slots[i], e.slots[j] = e.slots[j], e.slots[i]
	(*e.holds)[e.slots[i]].heapIndex = i
	(*e.holds)[e.slots[j]].heapIndex = j
}
func (e *expiryHeap) Push(x any) {
	slot := x.(uint32)
	(*e.holds)[slot].heapIndex = len(e.slots)
	e.slots = append(e.slots, slot)
}
func (e *expiryHeap) Pop() any {
	x := e.slots[len(e.slots)-1]
	e.slots = e.slots[:len(e.slots)-1]
	return x
}

// initExpiryHeap orders expiry.slots after a restore filled it.
func (sh *shard) initExpiryHeap() {
	sh.expiry.holds = &sh.holds
	for k, slot := range sh.expiry.slots {
		sh.holds[slot].heapIndex = k
	}
	heap.Init(&sh.expiry)
}

// earliestDeadlineMs is the deadline of the hold that expires first, or
// MaxInt64 without holds.
func (sh *shard) earliestDeadlineMs() int64 {
	if len(sh.expiry.slots) == 0 {
		return 1<<63 - 1
	}
	return sh.holds[sh.expiry.slots[0]].deadlineMs()
}

// anyExpired reports whether some hold of the shard is expired at now
// (seats of expired holds count as available).
func (sh *shard) anyExpired(nowMs int64) bool { return nowMs >= sh.earliestDeadlineMs() }

// addHold stores h in the lowest free slot and returns the slot.
func (sh *shard) addHold(h hold) uint32 {
	var slot uint32
	if len(sh.freeHolds) > 0 {
		slot = heap.Pop(&sh.freeHolds).(uint32)
	} else {
		slot = uint32(len(sh.holds))
		sh.holds = append(sh.holds, hold{})
	}
	h.live = true
	sh.holds[slot] = h
	sh.holdIndex.insert(h.id, slot)
	heap.Push(&sh.expiry, slot)
	sh.liveHolds++
	return slot
}

// removeHold forgets the hold in slot; its seats and units must already
// have been moved elsewhere.
func (sh *shard) removeHold(slot uint32) {
	h := &sh.holds[slot]
	if !h.live {
		panic(fmt.Sprintf("fsm: removing free hold slot %d", slot))
	}
	heap.Remove(&sh.expiry, h.heapIndex)
	sh.holdIndex.remove(h.id, slot)
	*h = hold{}
	heap.Push(&sh.freeHolds, slot)
	sh.liveHolds--
}

// deadlineChanged restores the heap order after expiry or pin moved.
func (sh *shard) deadlineChanged(slot uint32) {
	heap.Fix(&sh.expiry, sh.holds[slot].heapIndex)
}

func (sh *shard) addOrder(o order) uint32 {
	var slot uint32
	if len(sh.freeOrders) > 0 {
		slot = heap.Pop(&sh.freeOrders).(uint32)
	} else {
		slot = uint32(len(sh.orders))
		sh.orders = append(sh.orders, order{})
	}
	o.live = true
	sh.orders[slot] = o
	sh.orderIndex.insert(o.id, slot)
	return slot
}

func (sh *shard) removeOrder(slot uint32) {
	o := &sh.orders[slot]
	if !o.live {
		panic(fmt.Sprintf("fsm: removing free order slot %d", slot))
	}
	sh.orderIndex.remove(o.id, slot)
	*o = order{}
	heap.Push(&sh.freeOrders, slot)
}

// changeRecord is one retained SeatChange in compact form: 40 bytes, times
// Options.ChangeLogPerShard per busy shard. A change names a hold or an
// order, never both, so one string holds either id. Its sequence is not
// stored: the ring holds consecutive sequences, so a record's position
// gives it.
type changeRecord struct {
	expiresMs   int64
	id          string // the hold id, or the order id if isOrder
	seat        int32  // seat index, or -1-pool for a GA pool
	state       uint8
	isOrder     bool
	gaAvailable uint32
}

func (rec *changeRecord) holdID() string {
	if rec.isOrder {
		return ""
	}
	return rec.id
}

func (rec *changeRecord) orderID() string {
	if rec.isOrder {
		return rec.id
	}
	return ""
}

// changeRing keeps the most recent changes of a shard. floor is the
// sequence just before the oldest retained record: ChangesSince(after)
// works for after >= floor.
type changeRing struct {
	records []changeRecord
	start   int // index of the oldest record once the ring is full
	floor   uint64
}

func (c *changeRing) add(rec changeRecord, capacity int) {
	if len(c.records) < capacity {
		c.records = append(c.records, rec)
		return
	}
	c.floor++ // the record overwritten had sequence floor+1
	c.records[c.start] = rec
	c.start = (c.start + 1) % len(c.records)
}
