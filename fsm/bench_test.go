package fsm

import (
	"bytes"
	"fmt"
	"math/rand"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// arena builds one shard of sections x rows x seats, with aisles after
// seats 10 and seats-10 of every row.
func arena(sections, rows, seats int) *fsmpb.Command {
	var secs []*fsmpb.Section
	for s := range sections {
		sec := &fsmpb.Section{Id: fmt.Sprint("S", s+1), PriceTier: []string{"A", "B"}[s%2]}
		for r := range rows {
			row := &fsmpb.Row{Label: fmt.Sprint("R", r+1), SeatCount: uint32(seats)}
			if seats > 20 {
				row.AisleAfter = []uint32{10, uint32(seats - 10)}
			}
			row.Accessible = []uint32{1, uint32(seats)}
			sec.Rows = append(sec.Rows, row)
		}
		secs = append(secs, sec)
	}
	return createCmd("ev", 0, secs)
}

// driver applies commands one per entry through ApplyBatch, as a node
// applying single-command entries would.
type driver struct {
	s     *Store
	index uint64
	nowMs int64
	req   int
	batch fsmpb.Batch
	buf   [1]*fsmpb.Command
}

func (d *driver) apply(c *fsmpb.Command) *fsmpb.Result {
	d.req++
	c.RequestId = "r" + strconv.Itoa(d.req)
	c.NowUnixMs = d.nowMs
	d.index++
	d.buf[0] = c
	d.batch.Commands = d.buf[:]
	return d.s.ApplyBatch(d.index, &d.batch)[0]
}

// BenchmarkHoldBestAvailable: a 20,000-seat arena (20 sections x 25 rows
// x 40 seats), 2-seat best-available holds in a Zipf-chosen section
// (retried in any section when that one is full). Each hold is later sold
// (70%) or released (30%), 2000 holds behind. The arena never sells out:
// with refill=refund the oldest orders are refunded once 60% is sold;
// with refill=recreate a fresh arena shard replaces it instead. One op =
// one successful hold plus its share of the other commands. Rates are per
// CPU-second of the process (GC included), i.e. per core.
func BenchmarkHoldBestAvailable(b *testing.B) {
	for _, refill := range []string{"refund", "recreate"} {
		b.Run("refill="+refill, func(b *testing.B) { benchmarkHoldBestAvailable(b, refill == "recreate") })
	}
}

func benchmarkHoldBestAvailable(b *testing.B, recreate bool) {
	d := &driver{s: New(Options{DedupEntriesMax: 200_000}), nowMs: startMs}
	shard := uint32(0)
	newArena := func() {
		c := arena(20, 25, 40)
		c.GetCreateShard().Shard = shard
		if r := d.apply(c); r.Code != ok {
			b.Fatal(r)
		}
	}
	newArena()
	rng := rand.New(rand.NewSource(1))
	zipf := rand.NewZipf(rng, 1.2, 2, 19)
	sections := make([]string, 1<<16)
	for i := range sections {
		sections[i] = "S" + strconv.Itoa(int(zipf.Uint64())+1)
	}
	type pending struct {
		hold, holder string
		shard        uint32
	}
	type sale struct {
		order string
		shard uint32
	}
	var holds []pending
	var orders []sale
	soldSeats := 0
	holdsMade, holdCommands, commands := 0, 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPUTime()
	for i := 0; b.Loop(); i++ {
		d.nowMs++
		holdID := "h" + strconv.Itoa(i)
		holder := "u" + strconv.Itoa(i%1000)
		cmd := holdBestCmd(holdID, holder, &fsmpb.BestAvailable{Quantity: 2, SectionId: sections[i&(len(sections)-1)]})
		cmd.GetHold().Shard = shard
		r := d.apply(cmd)
		commands++
		holdCommands++
		if r.Code == unavailable { // the wanted section is full: any section
			cmd.GetHold().Best.SectionId = ""
			r = d.apply(cmd)
			commands++
			holdCommands++
		}
		if r.Code != ok {
			b.Fatalf("hold %d: %v", i, r)
		}
		holdsMade++
		holds = append(holds, pending{holdID, holder, shard})
		if len(holds) > 2000 {
			p := holds[0]
			holds = holds[1:]
			if rng.Intn(10) < 7 {
				order := "o" + p.hold
				sell := sellCmd(p.hold, p.holder, order, p.holder)
				sell.GetSell().Shard = p.shard
				if r := d.apply(sell); r.Code != ok {
					b.Fatal(r)
				}
				orders = append(orders, sale{order, p.shard})
				soldSeats += 2
			} else {
				release := releaseCmd(p.hold, p.holder)
				release.GetRelease().Shard = p.shard
				if r := d.apply(release); r.Code != ok {
					b.Fatal(r)
				}
			}
			commands++
		}
		if soldSeats > 12_000 && recreate {
			shard++
			newArena()
			commands++
			soldSeats = 0
		}
		for soldSeats > 12_000 {
			refund := refundCmd(orders[0].order)
			refund.GetRefund().Shard = orders[0].shard
			if r := d.apply(refund); r.Code != ok {
				b.Fatal(r)
			}
			orders = orders[1:]
			soldSeats -= 2
			commands++
		}
	}
	cpu := (processCPUTime() - cpu0).Seconds()
	b.ReportMetric(float64(holdsMade)/cpu, "holds/cpu-s")
	b.ReportMetric(float64(holdCommands)/cpu, "hold-cmds/cpu-s")
	b.ReportMetric(float64(commands)/cpu, "cmds/cpu-s")
}

// BenchmarkHoldBestAvailableOnly times hold commands alone on the same
// arena kept about 80% held: holds are applied in rounds of 1000 (timed,
// in CPU time), then as many random holds are released (untimed).
func BenchmarkHoldBestAvailableOnly(b *testing.B) {
	d := &driver{s: New(Options{DedupEntriesMax: 200_000}), nowMs: startMs}
	d.apply(arena(20, 25, 40))
	rng := rand.New(rand.NewSource(1))
	zipf := rand.NewZipf(rng, 1.2, 2, 19)
	var live []string
	b.ReportAllocs()
	var holdTime time.Duration
	holds, n := 0, 0
	b.StopTimer()
	for holds < b.N {
		round := min(1000, b.N-holds)
		cmds := make([]*fsmpb.Command, round)
		for k := range cmds {
			n++
			cmds[k] = holdBestCmd("h"+strconv.Itoa(n), "u", &fsmpb.BestAvailable{Quantity: 2, SectionId: "S" + strconv.Itoa(int(zipf.Uint64())+1)})
		}
		b.StartTimer()
		t0 := processCPUTime()
		for _, cmd := range cmds {
			d.nowMs++
			r := d.apply(cmd)
			if r.Code == unavailable {
				cmd.GetHold().Best.SectionId = ""
				r = d.apply(cmd)
			}
			if r.Code != ok {
				b.Fatal(r)
			}
			live = append(live, cmd.GetHold().HoldId)
		}
		holdTime += processCPUTime() - t0
		b.StopTimer()
		holds += round
		for len(live) > 8000 { // 16,000 of 20,000 seats held
			k := rng.Intn(len(live))
			d.apply(releaseCmd(live[k], "u"))
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
		}
	}
	b.ReportMetric(float64(holds)/holdTime.Seconds(), "holds/cpu-s")
}

// BenchmarkSell: one op = selling one 2-seat hold (holds are made and the
// orders refunded outside the timer).
func BenchmarkSell(b *testing.B) {
	d := &driver{s: New(Options{DedupEntriesMax: 200_000}), nowMs: startMs}
	d.apply(arena(20, 25, 40))
	const chunk = 4000
	holds := make([]string, 0, chunk)
	orders := make([]string, 0, chunk)
	b.ReportAllocs()
	b.StopTimer()
	sold, n := 0, 0
	var sellTime time.Duration
	for sold < b.N {
		holds = holds[:0]
		for range min(chunk, b.N-sold) {
			n++
			id := "h" + strconv.Itoa(n)
			if r := d.apply(holdBestCmd(id, "u", &fsmpb.BestAvailable{Quantity: 2})); r.Code != ok {
				b.Fatal(r)
			}
			holds = append(holds, id)
		}
		orders = orders[:0]
		b.StartTimer()
		t0 := processCPUTime()
		for _, id := range holds {
			if r := d.apply(sellCmd(id, "u", "o"+id, "buyer")); r.Code != ok {
				b.Fatal(r)
			}
			orders = append(orders, "o"+id)
		}
		sellTime += processCPUTime() - t0
		b.StopTimer()
		sold += len(holds)
		for _, o := range orders {
			d.apply(refundCmd(o))
		}
	}
	b.ReportMetric(float64(sold)/sellTime.Seconds(), "sells/cpu-s")
}

// millionSeats builds a 1,000,000-seat shard (100 sections x 100 rows x
// 100 seats) and, if busy, sells 50% of it in 2-seat orders and holds
// another 20% in 2-seat holds, the way an on-sale would leave it.
func millionSeats(tb testing.TB, busy bool) *Store {
	return millionSeatsWith(tb, busy, Options{DedupEntriesMax: 1000})
}

// millionSeatsWith is millionSeats with the given Options (the default
// Options remember all 600,000 requests of the busy phase for dedup).
func millionSeatsWith(tb testing.TB, busy bool, opts Options) *Store {
	tb.Helper()
	s := New(opts)
	index := uint64(1)
	if r := s.ApplyBatch(index, &fsmpb.Batch{Commands: []*fsmpb.Command{withTime(withRequest(arena(100, 100, 100), "create"), startMs)}}); r[0].Code != ok {
		tb.Fatal(r[0])
	}
	if !busy {
		return s
	}
	req := 0
	batch := func(cmds []*fsmpb.Command) {
		for _, c := range cmds {
			req++
			c.RequestId = "r" + strconv.Itoa(req)
			c.NowUnixMs = startMs + 1
		}
		index++
		for _, r := range s.ApplyBatch(index, &fsmpb.Batch{Commands: cmds}) {
			if r.Code != ok {
				tb.Fatal(r)
			}
		}
	}
	const seats = 1_000_000
	for start := 0; start < seats*7/10; start += 2000 {
		var holds, sells []*fsmpb.Command
		for k := start; k < start+2000; k += 2 {
			sec, row, num := k/10000+1, k/100%100+1, k%100+1
			id := "h" + strconv.Itoa(k)
			c := holdSeatsCmd(id, "holder"+strconv.Itoa(k%5000),
				fmt.Sprintf("S%d-R%d-%d", sec, row, num), fmt.Sprintf("S%d-R%d-%d", sec, row, num+1))
			c.GetHold().TtlMs = DefaultHoldTTLMaxMs
			holds = append(holds, c)
			if k < seats/2 {
				sells = append(sells, sellCmd(id, "holder"+strconv.Itoa(k%5000), "order-"+strconv.Itoa(k), "buyer"+strconv.Itoa(k%5000)+"@example.com"))
			}
		}
		batch(holds)
		if len(sells) > 0 {
			batch(sells)
		}
	}
	return s
}

// BenchmarkSnapshot1M: Snapshot (under the lock) plus WriteTo of the busy
// million-seat shard.
func BenchmarkSnapshot1M(b *testing.B) {
	s := millionSeats(b, true)
	var buf bytes.Buffer
	var captured time.Duration
	for b.Loop() {
		buf.Reset()
		t0 := time.Now()
		snap := s.Snapshot()
		captured += time.Since(t0)
		if _, err := snap.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "snapshot-bytes")
	b.ReportMetric(float64(captured.Microseconds())/float64(b.N), "µs-under-lock/op")
}

// BenchmarkRestore1M: Restore of the busy million-seat shard.
func BenchmarkRestore1M(b *testing.B) { benchmarkRestore(b, millionSeats(b, true)) }

// BenchmarkRestore1MWithDedup: the same with the default Options, whose
// dedup table remembers all 600,000 requests of the busy phase (what a
// node restarting within the dedup window of an on-sale restores).
func BenchmarkRestore1MWithDedup(b *testing.B) {
	benchmarkRestore(b, millionSeatsWith(b, true, Options{}))
}

func benchmarkRestore(b *testing.B, s *Store) {
	var buf bytes.Buffer
	if _, err := s.Snapshot().WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(buf.Len()), "snapshot-bytes")
	for b.Loop() {
		fresh := New(s.opts)
		if err := fresh.Restore(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

func heapBytes() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryPerSeat measures resident heap per seat of a million-seat
// shard: empty (asserted at most 64 bytes) and busy (50% sold in 2-seat
// orders, 20% held in 2-seat holds; logged).
func TestMemoryPerSeat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million seats")
	}
	before := heapBytes()
	s := millionSeats(t, false)
	empty := float64(heapBytes()-before) / 1e6
	runtime.KeepAlive(s)
	t.Logf("empty venue: %.1f bytes/seat", empty)
	if empty > 64 {
		t.Fatalf("%.1f bytes per seat, budget 64", empty)
	}
	s = nil
	before = heapBytes()
	s = millionSeats(t, true)
	busy := float64(heapBytes()-before) / 1e6
	runtime.KeepAlive(s)
	t.Logf("busy venue (50%% sold in 2-seat orders, 20%% held): %.1f bytes/seat", busy)
	s = nil
	before = heapBytes()
	s = millionSeatsWith(t, true, Options{})
	withDedup := float64(heapBytes()-before) / 1e6
	runtime.KeepAlive(s)
	t.Logf("busy venue with its 600,000 requests in the dedup table (default Options): %.1f bytes/seat (%.0f bytes/request)",
		withDedup, (withDedup-busy)*1e6/600_000)
}
