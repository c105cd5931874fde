package fsm

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"google.golang.org/protobuf/proto"
)

const (
	ok           = fsmpb.Code_CODE_OK
	invalid      = fsmpb.Code_CODE_INVALID
	notFound     = fsmpb.Code_CODE_NOT_FOUND
	conflict     = fsmpb.Code_CODE_CONFLICT
	unavailable  = fsmpb.Code_CODE_UNAVAILABLE
	expired      = fsmpb.Code_CODE_EXPIRED
	notOwner     = fsmpb.Code_CODE_NOT_OWNER
	alreadyExist = fsmpb.Code_CODE_ALREADY_EXISTS
	tooLarge     = fsmpb.Code_CODE_TOO_LARGE
)

// commandCase is one row of a command table: on a fresh test venue, apply
// setup (each must succeed), move the clock, apply cmd, expect want. A
// refusal must leave the inventory unchanged.
type commandCase struct {
	name      string
	setup     []*fsmpb.Command
	advanceMs int64
	cmd       *fsmpb.Command
	want      fsmpb.Code
	check     func(t *testing.T, h *harness, r *fsmpb.Result)
}

func runCommandCases(t *testing.T, cases []commandCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestStore(t)
			for _, c := range tc.setup {
				h.mustOK(c)
			}
			h.advance(tc.advanceMs)
			before := inventoryHash(h.s)
			r := h.apply(tc.cmd)
			if r.Code != tc.want {
				t.Fatalf("got %v (%q), want %v", r.Code, r.Message, tc.want)
			}
			if r.Code != ok {
				if inventoryHash(h.s) != before {
					t.Fatalf("refusal %v changed the inventory", r.Code)
				}
				if len(r.Changes) != 0 {
					t.Fatalf("refusal lists %d changes", len(r.Changes))
				}
			}
			h.check()
			if tc.check != nil {
				tc.check(t, h, r)
			}
		})
	}
}

func seatsOf(m *SeatMap, state fsmpb.SeatState) []string {
	var out []string
	for _, sec := range m.Sections {
		for _, r := range sec.Rows {
			for _, st := range r.Seats {
				if st.State == state {
					out = append(out, st.ID)
				}
			}
		}
	}
	return out
}

func TestCreateShard(t *testing.T) {
	venue := func(mutate func(c *fsmpb.CreateShard)) *fsmpb.Command {
		c := proto.Clone(testVenue()).(*fsmpb.Command)
		c.GetCreateShard().Shard = 7
		mutate(c.GetCreateShard())
		return c
	}
	bad := func(name string, mutate func(c *fsmpb.CreateShard)) commandCase {
		return commandCase{name: name, cmd: venue(mutate), want: invalid}
	}
	cases := []commandCase{
		{name: "second shard", cmd: venue(func(*fsmpb.CreateShard) {}), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			m, err := h.s.SeatMap("ev", 7)
			if err != nil || m.Event.HoldTTLDefaultMs != DefaultHoldTTLMs || m.Event.SeatsPerHoldMax != DefaultSeatsPerHoldMax {
				t.Fatalf("defaults not applied: %v %+v", err, m)
			}
			if got := len(seatsOf(m, fsmpb.SeatState_SEAT_STATE_AVAILABLE)); got != 26 {
				t.Fatalf("%d available seats, want 26", got)
			}
		}},
		{name: "existing shard, other request", cmd: testVenue(), want: alreadyExist},
		bad("no event", func(c *fsmpb.CreateShard) { c.Event = nil }),
		bad("empty event id", func(c *fsmpb.CreateShard) { c.Event.EventId = "" }),
		bad("nothing to sell", func(c *fsmpb.CreateShard) { c.Sections, c.Pools = nil, nil }),
		bad("section id with dash", func(c *fsmpb.CreateShard) { c.Sections[0].Id = "S-1" }),
		bad("row label with dash", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[0].Label = "A-" }),
		bad("row label empty", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[0].Label = "" }),
		bad("duplicate section", func(c *fsmpb.CreateShard) { c.Sections[1].Id = "S1" }),
		bad("duplicate row", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[1].Label = "A" }),
		bad("empty row", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[1].SeatCount = 0 }),
		bad("row too long", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[1].SeatCount = MaxSeatsPerRow + 1 }),
		bad("section without rows", func(c *fsmpb.CreateShard) { c.Sections[1].Rows = nil }),
		bad("aisle outside row", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[0].AisleAfter = []uint32{11} }),
		bad("accessible outside row", func(c *fsmpb.CreateShard) { c.Sections[1].Rows[0].Accessible = []uint32{1} }),
		bad("unknown section tier", func(c *fsmpb.CreateShard) { c.Sections[0].PriceTier = "Z" }),
		bad("unknown row tier", func(c *fsmpb.CreateShard) { c.Sections[0].Rows[0].PriceTier = "Z" }),
		bad("unknown pool tier", func(c *fsmpb.CreateShard) { c.Pools[0].PriceTier = "Z" }),
		bad("duplicate tier", func(c *fsmpb.CreateShard) { c.Event.PriceTiers[1].Id = "A" }),
		bad("pool without capacity", func(c *fsmpb.CreateShard) { c.Pools[0].Capacity = 0 }),
		bad("pool id with hash", func(c *fsmpb.CreateShard) { c.Pools[0].Id = "G#A" }),
		bad("ttl default over max", func(c *fsmpb.CreateShard) { c.Event.HoldTtlDefaultMs, c.Event.HoldTtlMaxMs = 2000, 1000 }),
		bad("negative ttl", func(c *fsmpb.CreateShard) { c.Event.HoldTtlDefaultMs = -1 }),
		bad("lifetime under ttl max", func(c *fsmpb.CreateShard) { c.Event.HoldTtlMaxMs, c.Event.HoldLifetimeMaxMs = 5000, 4000 }),
		bad("seats per hold over limit", func(c *fsmpb.CreateShard) { c.Event.SeatsPerHoldMax = MaxSeatsPerHoldLimit + 1 }),
	}
	runCommandCases(t, cases)

	t.Run("same request id is a no-op even after the dedup window", func(t *testing.T) {
		h := newHarness(t, Options{DedupWindowMs: 1000})
		h.mustOK(withRequest(testVenue(), "create"))
		h.advance(5000)
		h.mustOK(sweepCmd())
		before := inventoryHash(h.s)
		h.mustOK(withRequest(testVenue(), "create"))
		if inventoryHash(h.s) != before {
			t.Fatal("re-create changed the shard")
		}
	})
}

func TestHold(t *testing.T) {
	many := []string{}
	for i := 1; i <= 10; i++ {
		many = append(many, fmt.Sprintf("S1-A-%d", i), fmt.Sprintf("S1-B-%d", i))
	}
	many = append(many, "S2-A-101")
	cases := []commandCase{
		{name: "explicit seats", cmd: holdSeatsCmd("h1", "alice", "S1-A-1", "S2-A-106"), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if r.HoldId != "h1" || !slices.Equal(r.SeatIds, []string{"S1-A-1", "S2-A-106"}) || r.ExpiresAtUnixMs != h.nowMs+DefaultHoldTTLMs {
					t.Fatalf("result %v", r)
				}
				if len(r.Changes) != 2 || r.Changes[0].Sequence != 1 || r.Changes[1].Sequence != 2 || r.Changes[0].State != fsmpb.SeatState_SEAT_STATE_HELD {
					t.Fatalf("changes %v", r.Changes)
				}
				st := seatState(t, h.s, 0, "S1-A-1")
				if st.State != fsmpb.SeatState_SEAT_STATE_HELD || st.HoldID != "h1" || st.Holder != "alice" || !st.Accessible || st.PriceTier != "A" {
					t.Fatalf("seat %+v", st)
				}
				info, err := h.s.GetHold("ev", 0, "h1")
				if err != nil || info.Holder != "alice" || len(info.SeatIDs) != 2 || info.CreatedAtUnixMs != h.nowMs {
					t.Fatalf("hold %+v %v", info, err)
				}
			}},
		{name: "ttl capped at the event max", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.GetHold().TtlMs = 1 << 40
			return c
		}(), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			if r.ExpiresAtUnixMs != h.nowMs+DefaultHoldTTLMaxMs {
				t.Fatalf("expiry %d, want now+%d", r.ExpiresAtUnixMs-h.nowMs, DefaultHoldTTLMaxMs)
			}
		}},
		{name: "nothing to hold", cmd: holdSeatsCmd("h1", "alice"), want: invalid},
		{name: "two kinds at once", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.GetHold().Best = &fsmpb.BestAvailable{Quantity: 1}
			return c
		}(), want: invalid},
		{name: "too many seats", cmd: holdSeatsCmd("h1", "alice", many...), want: tooLarge},
		{name: "duplicate seat", cmd: holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2", "S1-A-1"), want: invalid},
		{name: "unknown seat number", cmd: holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-11"), want: notFound,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if !slices.Equal(r.SeatIds, []string{"S1-A-11"}) {
					t.Fatalf("seat ids %v", r.SeatIds)
				}
			}},
		{name: "unknown row", cmd: holdSeatsCmd("h1", "alice", "S1-Z-1"), want: notFound},
		{name: "unknown section", cmd: holdSeatsCmd("h1", "alice", "S9-A-1"), want: notFound},
		{name: "number below first", cmd: holdSeatsCmd("h1", "alice", "S2-A-100"), want: notFound},
		{name: "no dashes", cmd: holdSeatsCmd("h1", "alice", "S1A1"), want: invalid},
		{name: "not a number", cmd: holdSeatsCmd("h1", "alice", "S1-A-x"), want: invalid},
		{name: "leading zero", cmd: holdSeatsCmd("h1", "alice", "S1-A-01"), want: invalid},
		{name: "extra part", cmd: holdSeatsCmd("h1", "alice", "S1-A-1-2"), want: invalid},
		{name: "empty seat id", cmd: holdSeatsCmd("h1", "alice", ""), want: invalid},
		{name: "seat held by another", setup: []*fsmpb.Command{holdSeatsCmd("h0", "bob", "S1-A-2")},
			cmd: holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), want: conflict,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if !slices.Equal(r.SeatIds, []string{"S1-A-2"}) {
					t.Fatalf("conflicting seats %v", r.SeatIds)
				}
			}},
		{name: "seat sold", setup: []*fsmpb.Command{holdSeatsCmd("h0", "bob", "S1-A-2"), sellCmd("h0", "bob", "o0", "bob")},
			cmd: holdSeatsCmd("h1", "alice", "S1-A-2"), want: conflict},
		{name: "hold id exists", setup: []*fsmpb.Command{holdSeatsCmd("h1", "bob", "S1-A-2")},
			cmd: holdSeatsCmd("h1", "alice", "S1-A-3"), want: alreadyExist},
		{name: "unknown event", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.GetHold().EventId = "other"
			return c
		}(), want: notFound},
		{name: "unknown shard", cmd: onShard(holdSeatsCmd("h1", "alice", "S1-A-1"), 3), want: notFound},
		{name: "empty holder", cmd: holdSeatsCmd("h1", "", "S1-A-1"), want: invalid},
		{name: "empty hold id", cmd: holdSeatsCmd("", "alice", "S1-A-1"), want: invalid},
		{name: "negative ttl", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.GetHold().TtlMs = -5
			return c
		}(), want: invalid},
		{name: "best quantity 0", cmd: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{}), want: invalid},
		{name: "best quantity over max", cmd: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 21}), want: tooLarge},
		{name: "best unknown section", cmd: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 1, SectionId: "S9"}), want: notFound},
		{name: "best unknown tier", cmd: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 1, PriceTier: "Z"}), want: notFound},
		{name: "best not enough together", cmd: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 7, SectionId: "S2"}), want: unavailable},
		{name: "best ok", cmd: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 2}), want: ok},
		{name: "GA ok", cmd: holdGACmd("h1", "alice", "GA", 5), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			if r.GeneralAdmissionQuantity != 5 || len(r.Changes) != 1 || r.Changes[0].SeatId != "GA" || r.Changes[0].GeneralAdmissionAvailable != 0 {
				t.Fatalf("result %v", r)
			}
		}},
		{name: "GA quantity 0", cmd: holdGACmd("h1", "alice", "GA", 0), want: invalid},
		{name: "GA over capacity", cmd: holdGACmd("h1", "alice", "GA", 6), want: unavailable},
		{name: "GA over what is left", setup: []*fsmpb.Command{holdGACmd("h0", "bob", "GA", 3)},
			cmd: holdGACmd("h1", "alice", "GA", 3), want: unavailable},
		{name: "GA unknown pool", cmd: holdGACmd("h1", "alice", "XX", 1), want: notFound},
		{name: "no request id", cmd: withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), strings.Repeat("r", MaxIDBytes+1)), want: invalid},
		{name: "no time", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.NowUnixMs = -1
			return c
		}(), want: invalid},
		{name: "type does not match body", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.Type = fsmpb.CommandType_COMMAND_TYPE_SELL
			return c
		}(), want: invalid},
		{name: "unknown type", cmd: func() *fsmpb.Command {
			c := holdSeatsCmd("h1", "alice", "S1-A-1")
			c.Type = 99
			return c
		}(), want: invalid},
	}
	runCommandCases(t, cases)
}

func TestHoldTakesSeatsOfExpiredHolds(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("old", "bob", "S1-A-1", "S1-A-2"))
	h.mustOK(holdGACmd("oldga", "bob", "GA", 4))
	if r := h.apply(holdSeatsCmd("h1", "alice", "S1-A-2")); r.Code != conflict {
		t.Fatalf("live hold: got %v", r.Code)
	}
	h.advance(DefaultHoldTTLMs) // now == expires: expired
	r := h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-2"))
	if len(r.Changes) != 1 || r.Changes[0].HoldId != "h1" {
		t.Fatalf("changes %v", r.Changes)
	}
	h.check()
	old, err := h.s.GetHold("ev", 0, "old")
	if err != nil || !slices.Equal(old.SeatIDs, []string{"S1-A-1"}) {
		t.Fatalf("old hold %+v %v: want it to keep only S1-A-1", old, err)
	}
	// Taking the last seat of an expired hold forgets the hold.
	h.mustOK(holdSeatsCmd("h2", "carol", "S1-A-1"))
	if _, err := h.s.GetHold("ev", 0, "old"); err == nil {
		t.Fatal("emptied expired hold still exists")
	}
	// GA: 1 free unit + 4 of the expired hold.
	h.mustOK(holdGACmd("ga2", "carol", "GA", 3))
	h.check()
	info, err := h.s.GetHold("ev", 0, "oldga")
	if err != nil || info.GeneralAdmissionQuantity != 2 {
		t.Fatalf("expired GA hold %+v %v: want 2 units left", info, err)
	}
	if r := h.apply(holdGACmd("ga3", "carol", "GA", 3)); r.Code != unavailable {
		t.Fatalf("GA over reclaimable: %v", r.Code)
	}
	h.mustOK(holdGACmd("ga3", "carol", "GA", 2))
	if _, err := h.s.GetHold("ev", 0, "oldga"); err == nil {
		t.Fatal("emptied expired GA hold still exists")
	}
	// Best available sees expired seats too: hold all of S2 and let it expire.
	h.mustOK(holdBestCmd("all", "bob", &fsmpb.BestAvailable{Quantity: 6, SectionId: "S2"}))
	h.advance(DefaultHoldTTLMs)
	r = h.mustOK(holdBestCmd("again", "alice", &fsmpb.BestAvailable{Quantity: 6, SectionId: "S2"}))
	if len(r.SeatIds) != 6 {
		t.Fatalf("seats %v", r.SeatIds)
	}
	h.check()
}

func TestExtendHold(t *testing.T) {
	base := []*fsmpb.Command{holdSeatsCmd("h1", "alice", "S1-A-1")}
	cases := []commandCase{
		{name: "extend", setup: base, advanceMs: 1000, cmd: extendCmd("h1", "alice", 0), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if r.ExpiresAtUnixMs != h.nowMs+DefaultHoldTTLMs || len(r.Changes) != 1 || r.Changes[0].ExpiresAtUnixMs != r.ExpiresAtUnixMs {
					t.Fatalf("result %v", r)
				}
			}},
		{name: "capped at ttl max", setup: base, cmd: extendCmd("h1", "alice", 1<<40), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if r.ExpiresAtUnixMs != h.nowMs+DefaultHoldTTLMaxMs {
					t.Fatalf("expiry now+%d", r.ExpiresAtUnixMs-h.nowMs)
				}
			}},
		{name: "capped at lifetime", setup: []*fsmpb.Command{
			holdSeatsCmd("h1", "alice", "S1-A-1"),
			withTime(extendCmd("h1", "alice", 1<<40), startMs+500_000), // expires at +2,300,000
		}, advanceMs: 2_200_000, cmd: extendCmd("h1", "alice", 1<<40), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if r.ExpiresAtUnixMs != startMs+DefaultHoldLifetimeMaxMs {
					t.Fatalf("expiry created+%d, want created+%d", r.ExpiresAtUnixMs-startMs, DefaultHoldLifetimeMaxMs)
				}
			}},
		{name: "expired", setup: base, advanceMs: DefaultHoldTTLMs, cmd: extendCmd("h1", "alice", 0), want: expired},
		{name: "not owner", setup: base, cmd: extendCmd("h1", "bob", 0), want: notOwner},
		{name: "unknown", setup: base, cmd: extendCmd("h2", "alice", 0), want: notFound},
		{name: "negative ttl", setup: base, cmd: extendCmd("h1", "alice", -1), want: invalid},
		{name: "released", setup: append(base, releaseCmd("h1", "alice")), cmd: extendCmd("h1", "alice", 0), want: notFound},
	}
	runCommandCases(t, cases)
}

func withTime(c *fsmpb.Command, nowMs int64) *fsmpb.Command {
	c = proto.Clone(c).(*fsmpb.Command)
	c.NowUnixMs = nowMs
	return c
}

func TestRelease(t *testing.T) {
	base := []*fsmpb.Command{holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), holdGACmd("g1", "alice", "GA", 2)}
	cases := []commandCase{
		{name: "release", setup: base, cmd: releaseCmd("h1", "alice"), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			if len(r.Changes) != 2 || r.Changes[0].State != fsmpb.SeatState_SEAT_STATE_AVAILABLE {
				t.Fatalf("changes %v", r.Changes)
			}
			if st := seatState(t, h.s, 0, "S1-A-1"); st.State != fsmpb.SeatState_SEAT_STATE_AVAILABLE || st.HoldID != "" {
				t.Fatalf("seat %+v", st)
			}
		}},
		{name: "release GA", setup: base, cmd: releaseCmd("g1", "alice"), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			if len(r.Changes) != 1 || r.Changes[0].GeneralAdmissionAvailable != 5 {
				t.Fatalf("changes %v", r.Changes)
			}
		}},
		{name: "not owner", setup: base, cmd: releaseCmd("h1", "bob"), want: notOwner},
		{name: "unknown", setup: base, cmd: releaseCmd("h9", "alice"), want: notFound},
		{name: "already released", setup: append(base, releaseCmd("h1", "alice")), cmd: releaseCmd("h1", "alice"), want: notFound},
		{name: "expired, not swept", setup: base, advanceMs: DefaultHoldTTLMs, cmd: releaseCmd("h1", "alice"), want: expired},
		{name: "expired and swept", setup: append(base, withTime(sweepCmd(), startMs+DefaultHoldTTLMs)), cmd: releaseCmd("h1", "alice"), want: notFound},
	}
	runCommandCases(t, cases)
}

func TestPinHold(t *testing.T) {
	base := []*fsmpb.Command{holdSeatsCmd("h1", "alice", "S1-A-1")}
	pinned := append(base, pinCmd("h1", "alice", startMs+DefaultHoldTTLMs+5000))
	cases := []commandCase{
		{name: "pin", setup: base, cmd: pinCmd("h1", "alice", startMs+DefaultHoldTTLMs+5000), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				info, _ := h.s.GetHold("ev", 0, "h1")
				if info.PinnedUntilUnixMs != startMs+DefaultHoldTTLMs+5000 || info.ExpiresAtUnixMs != startMs+DefaultHoldTTLMs {
					t.Fatalf("hold %+v", info)
				}
				if len(r.Changes) != 1 || r.Changes[0].ExpiresAtUnixMs != info.PinnedUntilUnixMs {
					t.Fatalf("changes %v: want the seat free at the pin", r.Changes)
				}
				if st := seatState(t, h.s, 0, "S1-A-1"); st.ExpiresAtUnixMs != info.PinnedUntilUnixMs {
					t.Fatalf("seat %+v", st)
				}
			}},
		{name: "pinned hold outlives its expiry", setup: pinned, advanceMs: DefaultHoldTTLMs + 1000,
			cmd: sellCmd("h1", "alice", "o1", "alice"), want: ok},
		{name: "pinned hold is not swept", setup: append(pinned, withTime(sweepCmd(), startMs+DefaultHoldTTLMs+1000)),
			advanceMs: DefaultHoldTTLMs + 1000, cmd: releaseCmd("h1", "alice"), want: ok},
		{name: "pinned hold seats are not free", setup: pinned, advanceMs: DefaultHoldTTLMs + 1000,
			cmd: holdSeatsCmd("h2", "bob", "S1-A-1"), want: conflict},
		{name: "pin expires", setup: pinned, advanceMs: DefaultHoldTTLMs + 5000, cmd: sellCmd("h1", "alice", "o1", "alice"), want: expired},
		{name: "expired", setup: base, advanceMs: DefaultHoldTTLMs, cmd: pinCmd("h1", "alice", startMs+DefaultHoldTTLMs*2), want: expired},
		{name: "not owner", setup: base, cmd: pinCmd("h1", "bob", startMs+1000), want: notOwner},
		{name: "unknown", setup: base, cmd: pinCmd("h2", "alice", startMs+1000), want: notFound},
		{name: "zero", setup: base, cmd: pinCmd("h1", "alice", 0), want: invalid},
		{name: "too far", setup: base, cmd: pinCmd("h1", "alice", startMs+DefaultHoldLifetimeMaxMs+1), want: tooLarge},
	}
	runCommandCases(t, cases)
}

func TestSell(t *testing.T) {
	base := []*fsmpb.Command{holdSeatsCmd("h1", "alice", "S1-A-1", "S2-A-101"), holdGACmd("g1", "alice", "GA", 2)}
	cases := []commandCase{
		{name: "sell seats", setup: base, cmd: sellCmd("h1", "alice", "o1", "alice@example.com"), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				want := []*fsmpb.Ticket{
					{TicketId: "ev/0/1", SeatId: "S1-A-1", OrderId: "o1", Buyer: "alice@example.com", PriceTier: "A"},
					{TicketId: "ev/0/2", SeatId: "S2-A-101", OrderId: "o1", Buyer: "alice@example.com", PriceTier: "B"},
				}
				if len(r.Tickets) != 2 || !proto.Equal(r.Tickets[0], want[0]) || !proto.Equal(r.Tickets[1], want[1]) {
					t.Fatalf("tickets %v", r.Tickets)
				}
				st := seatState(t, h.s, 0, "S2-A-101")
				if st.State != fsmpb.SeatState_SEAT_STATE_SOLD || st.OrderID != "o1" || st.TicketID != "ev/0/2" || st.Buyer != "alice@example.com" {
					t.Fatalf("seat %+v", st)
				}
				if _, err := h.s.GetHold("ev", 0, "h1"); err == nil {
					t.Fatal("sold hold still exists")
				}
			}},
		{name: "sell GA", setup: base, cmd: sellCmd("g1", "alice", "o1", "alice"), want: ok,
			check: func(t *testing.T, h *harness, r *fsmpb.Result) {
				if len(r.Tickets) != 2 || r.Tickets[0].SeatId != "GA#1" || r.Tickets[1].SeatId != "GA#2" || r.Tickets[1].PriceTier != "B" {
					t.Fatalf("tickets %v", r.Tickets)
				}
				m, _ := h.s.SeatMap("ev", 0)
				if p := m.Pools[0]; p.Sold != 2 || p.Held != 0 {
					t.Fatalf("pool %+v", p)
				}
			}},
		{name: "two sells, one order", setup: append(base, sellCmd("h1", "alice", "o1", "alice")),
			cmd: sellCmd("g1", "alice", "o1", "alice"), want: ok},
		{name: "order of another buyer", setup: append(base, sellCmd("h1", "alice", "o1", "alice")),
			cmd: sellCmd("g1", "alice", "o1", "mallory"), want: invalid},
		{name: "not owner", setup: base, cmd: sellCmd("h1", "bob", "o1", "bob"), want: notOwner},
		{name: "unknown hold", setup: base, cmd: sellCmd("h9", "alice", "o1", "alice"), want: notFound},
		{name: "expired", setup: base, advanceMs: DefaultHoldTTLMs, cmd: sellCmd("h1", "alice", "o1", "alice"), want: expired},
		{name: "already sold", setup: append(base, sellCmd("h1", "alice", "o1", "alice")), cmd: sellCmd("h1", "alice", "o2", "alice"), want: notFound},
		{name: "no order id", setup: base, cmd: sellCmd("h1", "alice", "", "alice"), want: invalid},
		{name: "no buyer", setup: base, cmd: sellCmd("h1", "alice", "o1", ""), want: invalid},
	}
	runCommandCases(t, cases)
}

func TestRefund(t *testing.T) {
	base := []*fsmpb.Command{
		holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), sellCmd("h1", "alice", "o1", "alice"),
		holdGACmd("g1", "alice", "GA", 2), sellCmd("g1", "alice", "o1", "alice"),
	}
	cases := []commandCase{
		{name: "whole order", setup: base, cmd: refundCmd("o1"), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			if len(r.Tickets) != 4 || len(r.Changes) != 3 {
				t.Fatalf("tickets %v changes %v", r.Tickets, r.Changes)
			}
			m, _ := h.s.SeatMap("ev", 0)
			if len(seatsOf(m, fsmpb.SeatState_SEAT_STATE_SOLD)) != 0 || m.Pools[0].Sold != 0 {
				t.Fatal("refunded seats still sold")
			}
			if r := h.apply(refundCmd("o1")); r.Code != notFound {
				t.Fatalf("refunded order refunded again: %v", r.Code)
			}
		}},
		{name: "some tickets", setup: base, cmd: refundCmd("o1", "ev/0/2", "ev/0/3"), want: ok, check: func(t *testing.T, h *harness, r *fsmpb.Result) {
			if len(r.Tickets) != 2 || r.Tickets[0].SeatId != "S1-A-2" || r.Tickets[1].SeatId != "GA#1" {
				t.Fatalf("tickets %v", r.Tickets)
			}
			if st := seatState(t, h.s, 0, "S1-A-1"); st.State != fsmpb.SeatState_SEAT_STATE_SOLD {
				t.Fatal("unrefunded seat not sold")
			}
			// Refunded seats sell again with new ticket numbers.
			h.mustOK(holdSeatsCmd("h2", "bob", "S1-A-2"))
			r2 := h.mustOK(sellCmd("h2", "bob", "o2", "bob"))
			if r2.Tickets[0].TicketId != "ev/0/5" {
				t.Fatalf("resold ticket %v", r2.Tickets[0])
			}
		}},
		{name: "unknown order", setup: base, cmd: refundCmd("o9"), want: notFound},
		{name: "unknown ticket", setup: base, cmd: refundCmd("o1", "ev/0/2", "ev/0/99"), want: notFound},
		{name: "ticket twice", setup: base, cmd: refundCmd("o1", "ev/0/2", "ev/0/2"), want: invalid},
		{name: "no order id", setup: base, cmd: refundCmd(""), want: invalid},
	}
	runCommandCases(t, cases)
}

func TestSweep(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("a", "alice", "S1-A-1"))
	h.advance(10)
	h.mustOK(holdSeatsCmd("b", "bob", "S1-A-2"))
	h.mustOK(holdGACmd("c", "carol", "GA", 2))
	h.mustOK(pinCmd("c", "carol", h.nowMs+DefaultHoldTTLMs+100))
	h.advance(DefaultHoldTTLMs - 10) // a expired, b and c not
	r := h.mustOK(sweepCmd())
	if r.SweptHolds != 1 || len(r.Changes) != 1 || r.Changes[0].SeatId != "S1-A-1" {
		t.Fatalf("first sweep %v", r)
	}
	h.advance(10) // b expired, c pinned
	r = h.mustOK(sweepCmd())
	if r.SweptHolds != 1 || r.Changes[0].SeatId != "S1-A-2" {
		t.Fatalf("second sweep %v", r)
	}
	h.advance(100)
	r = h.mustOK(sweepCmd())
	if r.SweptHolds != 1 || r.Changes[0].SeatId != "GA" || r.Changes[0].GeneralAdmissionAvailable != 5 {
		t.Fatalf("third sweep %v", r)
	}
	if r := h.mustOK(sweepCmd()); r.SweptHolds != 0 || len(r.Changes) != 0 {
		t.Fatalf("empty sweep %v", r)
	}
	h.check()
	if sh := h.s.Shards()[0]; sh.Holds != 0 || sh.SeatsHeld != 0 || sh.SeatsAvailable != 26 {
		t.Fatalf("after sweeps %+v", sh)
	}
}

func TestClockNeverRunsBackwards(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("a", "alice", "S1-A-1"))
	h.advance(DefaultHoldTTLMs)
	h.mustOK(sweepCmd())
	// A new leader with a slow clock: the hold stays gone, and new holds
	// are stamped with the replicated clock.
	r := h.mustOK(withTime(holdSeatsCmd("b", "bob", "S1-A-1"), startMs))
	if r.ExpiresAtUnixMs != startMs+2*DefaultHoldTTLMs {
		t.Fatalf("expiry %d, want clock+ttl", r.ExpiresAtUnixMs-startMs)
	}
}

func TestIdempotentRetryReturnsFirstAnswer(t *testing.T) {
	h := newTestStore(t)
	first := h.mustOK(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "r1"))
	if len(first.Changes) != 1 {
		t.Fatalf("first answer lists %d changes, want 1", len(first.Changes))
	}
	// A retry changes nothing, so it lists no SeatChanges; the rest is the
	// first answer.
	first.Changes = nil
	before := inventoryHash(h.s)
	again := h.apply(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "r1"))
	if !proto.Equal(first, again) {
		t.Fatalf("retry answered %v, first was %v", again, first)
	}
	// A different body under the same id is refused, changing nothing.
	again = h.apply(withRequest(releaseCmd("h1", "alice"), "r1"))
	if again.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("reuse answered %v", again)
	}
	if inventoryHash(h.s) != before {
		t.Fatal("retries changed the inventory")
	}
	// Refusals are remembered too.
	refused := h.apply(withRequest(holdSeatsCmd("h2", "bob", "S1-A-1"), "r2"))
	if refused.Code != conflict {
		t.Fatalf("got %v", refused.Code)
	}
	h.mustOK(releaseCmd("h1", "alice"))
	again = h.apply(withRequest(holdSeatsCmd("h2", "bob", "S1-A-1"), "r2"))
	if !proto.Equal(refused, again) {
		t.Fatalf("retry of a refusal answered %v", again)
	}
	if st := seatState(t, h.s, 0, "S1-A-1"); st.State != fsmpb.SeatState_SEAT_STATE_AVAILABLE {
		t.Fatal("retry of a refusal changed state")
	}
	// After the window (and a sweep) the id is new again.
	h.advance(defaultDedupWindowMs)
	h.mustOK(sweepCmd())
	if r := h.apply(withRequest(holdSeatsCmd("h2", "bob", "S1-A-1"), "r2")); r.Code != ok {
		t.Fatalf("after the window: %v", r.Code)
	}
	// Without a sweep, an entry past its window is not used either.
	h.advance(defaultDedupWindowMs)
	if r := h.apply(withRequest(holdSeatsCmd("h3", "bob", "S1-A-2"), "r2")); r.Code != ok {
		t.Fatalf("stale entry answered: %v", r.Code)
	}
	h.check()
}

func TestDedupCapEvictsOldestFirst(t *testing.T) {
	h := newHarness(t, Options{DedupEntriesMax: 3})
	h.mustOK(withRequest(testVenue(), "r0"))
	for i := 1; i <= 3; i++ {
		h.mustOK(withRequest(holdSeatsCmd(fmt.Sprint("h", i), "alice", fmt.Sprint("S1-B-", i)), fmt.Sprint("r", i)))
	}
	// r0 was evicted: replaying it re-executes (ALREADY_EXISTS is avoided
	// because the shard remembers its creating request id).
	if r := h.apply(withRequest(holdSeatsCmd("h1", "alice", "S1-B-1"), "r1")); r.Code != ok || r.HoldId != "h1" {
		t.Fatalf("r1 should still be remembered: %v", r)
	}
	h.mustOK(withRequest(holdSeatsCmd("h4", "alice", "S1-B-4"), "r4")) // evicts r1
	if r := h.apply(withRequest(holdSeatsCmd("h1", "alice", "S1-B-1"), "r1")); r.Code != alreadyExist {
		t.Fatalf("r1 should be forgotten: %v", r.Code)
	}
	h.check()
}

func TestMissingRequestIDIsRefusedAndNotRemembered(t *testing.T) {
	h := newTestStore(t)
	c := holdSeatsCmd("h1", "alice", "S1-A-1")
	c.NowUnixMs = h.nowMs
	h.index++
	r := h.s.ApplyBatch(h.index, &fsmpb.Batch{Commands: []*fsmpb.Command{c, nil}})
	if r[0].Code != invalid || r[1].Code != invalid {
		t.Fatalf("got %v", r)
	}
}

func TestApplyPanicsOnCorruption(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Fatalf("%s: no panic", name)
			}
		}()
		f()
	}
	s := New(Options{})
	mustPanic("garbage entry", func() { s.Apply(1, []byte{0xff, 0xff, 0xff}) })
	s.Apply(5, nil) // an empty batch is valid
	mustPanic("index going back", func() { s.Apply(5, nil) })
	mustPanic("bad options", func() { New(Options{DedupWindowMs: -1}) })
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{DedupWindowMs: 10}, {DedupEntriesMax: -1}, {ChangeLogPerShard: 1}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestChangesSince(t *testing.T) {
	h := newHarness(t, Options{ChangeLogPerShard: 16})
	h.mustOK(testVenue())
	h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"))
	h.mustOK(releaseCmd("h1", "alice"))
	ch, err := h.s.ChangesSince("ev", 0, 1)
	if err != nil || len(ch) != 3 || ch[0].Sequence != 2 || ch[2].State != fsmpb.SeatState_SEAT_STATE_AVAILABLE {
		t.Fatalf("changes %v %v", ch, err)
	}
	if ch, err := h.s.ChangesSince("ev", 0, 4); err != nil || len(ch) != 0 {
		t.Fatalf("at the head: %v %v", ch, err)
	}
	for i := range 10 {
		h.mustOK(holdSeatsCmd(fmt.Sprint("x", i), "alice", "S1-B-1", "S1-B-2"))
		h.mustOK(releaseCmd(fmt.Sprint("x", i), "alice"))
	}
	if _, err := h.s.ChangesSince("ev", 0, 1); err == nil {
		t.Fatal("wrapped ring answered")
	}
	ch, err = h.s.ChangesSince("ev", 0, 44-16)
	if err != nil || len(ch) != 16 || ch[15].Sequence != 44 {
		t.Fatalf("last 16: %d %v", len(ch), err)
	}
	if _, err := h.s.ChangesSince("ev", 9, 0); err == nil {
		t.Fatal("unknown shard answered")
	}
	// After a restore, only positions from the restore on are served.
	var buf strings.Builder
	if _, err := h.s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s2 := New(Options{ChangeLogPerShard: 16})
	if err := s2.Restore(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.ChangesSince("ev", 0, 43); err == nil {
		t.Fatal("restored store served changes from before the snapshot")
	}
	if ch, err := s2.ChangesSince("ev", 0, 44); err != nil || len(ch) != 0 {
		t.Fatalf("restored head: %v %v", ch, err)
	}
}

func TestNodeQueries(t *testing.T) {
	h := newTestStore(t)
	if h.s.HasExpiredHolds(h.nowMs) || h.s.ShardSequence("ev", 0) != 0 || h.s.ShardSequence("nope", 0) != 0 {
		t.Fatal("fresh store")
	}
	h.mustOK(holdSeatsCmd("a", "alice", "S1-A-1", "S1-A-2"))
	if h.s.ShardSequence("ev", 0) != 2 {
		t.Fatalf("sequence %d", h.s.ShardSequence("ev", 0))
	}
	if h.s.HasExpiredHolds(h.nowMs+DefaultHoldTTLMs-1) || !h.s.HasExpiredHolds(h.nowMs+DefaultHoldTTLMs) {
		t.Fatal("expiry boundary")
	}
	h.advance(DefaultHoldTTLMs)
	h.mustOK(sweepCmd())
	if h.s.HasExpiredHolds(h.nowMs) || h.s.ShardSequence("ev", 0) != 4 {
		t.Fatal("after sweep")
	}
}

func TestAppliedHash(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("a", "alice", "S1-A-1"))
	index, sum := h.s.AppliedHash()
	if index != h.s.AppliedIndex() || sum != h.s.StateHash() {
		t.Fatal("AppliedHash disagrees with AppliedIndex and StateHash")
	}
}
