package fsm

import (
	"fmt"
	"hash/maphash"
)

// idIndex maps the ids of a slot table (a shard's holds or orders) to their
// slots. It stores no ids: the table has them, and every method that must
// compare ids is given the table's idOf. It replaced a map[string]uint32,
// whose entry (a string header, the value, the map's slack) was about 53
// bytes an order and kept the GC scanning; this is 8 bytes a slot, 4/7 to
// 3/4 full: about 12 bytes an entry, without pointers.
//
// Open addressing with linear probing. A slot is tag<<32 | table slot,
// tag the top 32 bits of the id's maphash with the low bit set (0 marks an
// empty slot); the tag also picks the home slot (multiply-shift), so the
// index regrows from its own contents. Deletion shifts the rest of the
// probe run back: no tombstones. As for Go maps (and the dedup table), the
// seed is drawn per index: the layout differs between replicas, but it is
// never iterated, and lookups compare whole ids, so nothing observable
// depends on it.
type idIndex struct {
	slots  []uint64
	count  int
	seed   maphash.Seed
	hashOf func(maphash.Seed, string) uint64 // maphash.String; tests plant collisions
}

const idIndexMinSlots = 16

// newIDIndex returns an index sized for n entries.
func newIDIndex(n int) idIndex {
	x := idIndex{seed: maphash.MakeSeed(), hashOf: maphash.String}
	if n > 0 {
		x.slots = make([]uint64, max(idIndexMinSlots, n*7/4))
	}
	return x
}

func (x *idIndex) tag(id string) uint32 { return uint32(x.hashOf(x.seed, id)>>32) | 1 }

func (x *idIndex) home(tag uint32) int { return int(uint64(tag) * uint64(len(x.slots)) >> 32) }

func (x *idIndex) next(i int) int {
	if i++; i == len(x.slots) {
		return 0
	}
	return i
}

// find returns the table slot of id.
func (x *idIndex) find(id string, idOf func(uint32) string) (uint32, bool) {
	if x.count == 0 {
		return 0, false
	}
	tag := x.tag(id)
	for i := x.home(tag); ; i = x.next(i) {
		v := x.slots[i]
		if v == 0 {
			return 0, false
		}
		if uint32(v>>32) == tag && idOf(uint32(v)) == id {
			return uint32(v), true
		}
	}
}

// insert indexes id at table slot slot; id must not be indexed.
func (x *idIndex) insert(id string, slot uint32) {
	if (x.count+1)*4 > len(x.slots)*3 {
		x.rebuild((x.count + 1) * 7 / 4)
	}
	x.put(uint64(x.tag(id))<<32 | uint64(slot))
	x.count++
}

func (x *idIndex) put(v uint64) {
	i := x.home(uint32(v >> 32))
	for x.slots[i] != 0 {
		i = x.next(i)
	}
	x.slots[i] = v
}

// remove forgets id, indexed at table slot slot.
func (x *idIndex) remove(id string, slot uint32) {
	want := uint64(x.tag(id))<<32 | uint64(slot)
	i := x.home(uint32(want >> 32))
	for x.slots[i] != want {
		if x.slots[i] == 0 {
			panic(fmt.Sprintf("fsm: id %q (slot %d) is not indexed", id, slot))
		}
		i = x.next(i)
	}
	x.count--
	for j := x.next(i); x.slots[j] != 0; j = x.next(j) {
		h := x.home(uint32(x.slots[j] >> 32))
		// j may move to i iff its home is not cyclically within (i, j].
		if (i <= j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	if len(x.slots) > idIndexMinSlots && x.count*8 < len(x.slots) {
		x.rebuild(x.count * 2)
	}
}

// rebuild re-places every entry into size slots (at least the minimum).
func (x *idIndex) rebuild(size int) {
	old := x.slots
	x.slots = make([]uint64, max(size, idIndexMinSlots))
	for _, v := range old {
		if v != 0 {
			x.put(v)
		}
	}
}

// holdSlot returns the slot of the hold with id.
func (sh *shard) holdSlot(id string) (uint32, bool) {
	return sh.holdIndex.find(id, func(slot uint32) string { return sh.holds[slot].id })
}

// orderSlot returns the slot of the order with id.
func (sh *shard) orderSlot(id string) (uint32, bool) {
	return sh.orderIndex.find(id, func(slot uint32) string { return sh.orders[slot].id })
}
