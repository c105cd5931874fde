package fsm

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// appendResult encodes r exactly as proto.Marshal does (fields in number
// order, zero values omitted), without reflection: the dedup table
// encodes every result it stores, and the generic marshaller was a fifth
// of the cost of a hold. TestResultCodecMatchesProto checks the bytes
// against proto.Marshal with every field set, so a field added to the
// proto without being added here fails the test.
//
// Strings that are not valid UTF-8 (possible only through ApplyBatch with
// hand-built commands; decoded entries are validated) are stored with
// U+FFFD replacements, so the stored bytes always decode.
func appendResult(b []byte, r *fsmpb.Result) []byte {
	return appendResultFields(b, r, true)
}

// appendStoredResult encodes r as the dedup table remembers it: without
// its SeatChanges. A retry changes nothing, so its Result lists no changes
// (and a Watch never sees a change twice); the changes were most of the
// bytes of a hold's or sell's result. A FREEZE_SHARD's shard_state is left
// out too: a retry exports the frozen shard again (fsm/move.go).
func appendStoredResult(b []byte, r *fsmpb.Result) []byte {
	return appendResultFields(b, r, false)
}

func appendResultFields(b []byte, r *fsmpb.Result, changes bool) []byte {
	b = appendVarintField(b, 1, uint64(r.Code))
	b = appendStringField(b, 2, r.Message)
	b = appendStringField(b, 3, r.HoldId)
	for _, s := range r.SeatIds {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, validUTF8(s))
	}
	b = appendVarintField(b, 5, uint64(r.ExpiresAtUnixMs))
	b = appendVarintField(b, 6, uint64(r.GeneralAdmissionQuantity))
	for _, t := range r.Tickets {
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		b = appendNested(b, func(b []byte) []byte { return appendTicket(b, t) })
	}
	b = appendVarintField(b, 8, uint64(r.SweptHolds))
	for _, c := range r.Changes {
		if !changes {
			break
		}
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = appendNested(b, func(b []byte) []byte { return appendSeatChange(b, c) })
	}
	b = appendVarintField(b, 10, r.RecordVersion)
	b = appendVarintField(b, 11, uint64(r.CounterValue))
	if changes && len(r.ShardState) > 0 {
		b = protowire.AppendTag(b, 20, protowire.BytesType)
		b = protowire.AppendBytes(b, r.ShardState)
	}
	if ref := r.DedupShard; ref != nil {
		b = protowire.AppendTag(b, 21, protowire.BytesType)
		b = appendNested(b, func(b []byte) []byte {
			b = appendStringField(b, 1, ref.EventId)
			return appendVarintField(b, 2, uint64(ref.Shard))
		})
	}
	for _, o := range r.OpResults {
		b = protowire.AppendTag(b, 22, protowire.BytesType)
		b = appendNested(b, func(b []byte) []byte {
			b = appendVarintField(b, 1, o.Version)
			return appendVarintField(b, 2, uint64(o.Value))
		})
	}
	if r.OpIndex != nil {
		b = protowire.AppendTag(b, 23, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(*r.OpIndex))
	}
	return b
}

// appendNested appends a length-prefixed message written by fn. It
// reserves one length byte (the common case: under 128 bytes) and moves
// the body when the length needs more.
func appendNested(b []byte, fn func([]byte) []byte) []byte {
	at := len(b)
	b = append(b, 0)
	b = fn(b)
	n := len(b) - at - 1
	if n < 128 {
		b[at] = byte(n)
		return b
	}
	size := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, size-1)...)
	copy(b[at+size:], b[at+1:at+1+n])
	protowire.AppendVarint(b[:at], uint64(n))
	return b
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, validUTF8(s))
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func appendTicket(b []byte, t *fsmpb.Ticket) []byte {
	b = appendStringField(b, 1, t.TicketId)
	b = appendStringField(b, 2, t.SeatId)
	b = appendStringField(b, 3, t.OrderId)
	b = appendStringField(b, 4, t.Buyer)
	return appendStringField(b, 5, t.PriceTier)
}

func appendSeatChange(b []byte, c *fsmpb.SeatChange) []byte {
	b = appendStringField(b, 1, c.EventId)
	b = appendVarintField(b, 2, uint64(c.Shard))
	b = appendVarintField(b, 3, c.Sequence)
	b = appendStringField(b, 4, c.SeatId)
	b = appendVarintField(b, 5, uint64(c.State))
	b = appendStringField(b, 6, c.HoldId)
	b = appendStringField(b, 7, c.OrderId)
	b = appendVarintField(b, 8, uint64(c.ExpiresAtUnixMs))
	return appendVarintField(b, 9, uint64(c.GeneralAdmissionAvailable))
}
