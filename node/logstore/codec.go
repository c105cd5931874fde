package logstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/boxoffice/boxoffice/internal/sealing"
)

// logEncodingV1 is the first byte of every stored log value. A future
// layout gets a new number; decodeLog refuses numbers it does not know
// rather than guess.
//
// Layout of version 1 (all varints are encoding/binary's):
//
//	byte     version (1)
//	uvarint  Index
//	uvarint  Term
//	byte     Type
//	uvarint  len(Data),       then Data
//	uvarint  len(Extensions), then Extensions
//	byte     0 if AppendedAt.IsZero(), else 1 followed by
//	varint   AppendedAt.Unix()
//	uvarint  AppendedAt.Nanosecond()
//
// Index is also the key; it is repeated in the value so a read can check
// that the value belongs under its key.
//
// Version 2 is version 1 with Data sealed (Options.Keys): the Data field
// holds internal/sealing's value (key id, AES-256-GCM ciphertext and tag)
// under the group's subkey with the nonce logNonce(Index, Term). Entries
// without Data are written as version 1 either way: nothing to hide.
const (
	logEncodingV1       = 1
	logEncodingV2Sealed = 2
)

// logNonce is an entry's nonce: its index and the low 32 bits of its term.
// Raft writes at most one entry per (index, term) in a group, so a group's
// subkey never seals two different Data under one nonce; terms do not
// reach 2^32.
func logNonce(index, term uint64) *[12]byte {
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[:8], index)
	binary.BigEndian.PutUint32(nonce[8:], uint32(term))
	return &nonce
}

// logHeaderBytesMax bounds everything in a value except Data and
// Extensions: version, type and time flag, five varints of up to 10 bytes,
// and what sealing adds to Data.
const logHeaderBytesMax = 3 + 5*binary.MaxVarintLen64 + sealing.Overhead + sealing.KeyIDBytesMax

// encodedLogBytesMax is the buffer size that always fits encodeLog(log).
func encodedLogBytesMax(log *raft.Log) int {
	return logHeaderBytesMax + len(log.Data) + len(log.Extensions)
}

// appendLog appends the version-1 encoding of log to dst.
func appendLog(dst []byte, log *raft.Log) []byte { return appendLogSealed(dst, log, nil) }

// appendLogSealed appends the encoding of log to dst: version 2 with Data
// sealed by sealer, or version 1 if sealer is nil or there is no Data.
// Sealing writes into dst's spare capacity: no allocation when dst has
// encodedLogBytesMax(log) to spare.
func appendLogSealed(dst []byte, log *raft.Log, sealer *sealing.Sealer) []byte {
	sealed := sealer != nil && len(log.Data) > 0
	if sealed {
		dst = append(dst, logEncodingV2Sealed)
	} else {
		dst = append(dst, logEncodingV1)
	}
	dst = binary.AppendUvarint(dst, log.Index)
	dst = binary.AppendUvarint(dst, log.Term)
	dst = append(dst, byte(log.Type))
	if sealed {
		dst = binary.AppendUvarint(dst, uint64(sealer.SealedBytes(len(log.Data))))
		dst = sealer.Seal(dst, logNonce(log.Index, log.Term), log.Data)
	} else {
		dst = binary.AppendUvarint(dst, uint64(len(log.Data)))
		dst = append(dst, log.Data...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(log.Extensions)))
	dst = append(dst, log.Extensions...)
	if log.AppendedAt.IsZero() {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendVarint(dst, log.AppendedAt.Unix())
	return binary.AppendUvarint(dst, uint64(log.AppendedAt.Nanosecond()))
}

// decodeLog fills out from a stored value. Data and Extensions are copied
// out of buf (bbolt memory is only valid inside its transaction) into one
// allocation. Errors wrap ErrCorrupt.
func decodeLog(buf []byte, out *raft.Log) error { return decodeLogSealed(buf, out, nil) }

// decodeLogSealed is decodeLog that also opens version-2 values with
// sealer. A sealed value without a sealer fails with ErrEncrypted; one that
// does not open, with an error wrapping sealing.ErrUnknownKey or
// sealing.ErrOpen.
func decodeLogSealed(buf []byte, out *raft.Log, sealer *sealing.Sealer) error {
	d := decoder{buf: buf}
	version := d.byte()
	if version != logEncodingV1 && version != logEncodingV2Sealed {
		if d.err != nil {
			return d.err
		}
		return fmt.Errorf("%w: log encoding version %d unknown", ErrCorrupt, version)
	}
	index := d.uvarint()
	term := d.uvarint()
	logType := raft.LogType(d.byte())
	data := d.bytes()
	extensions := d.bytes()
	var appendedAt time.Time
	switch d.byte() {
	case 0:
	case 1:
		seconds := d.varint()
		nanoseconds := d.uvarint()
		if d.err == nil && nanoseconds >= uint64(time.Second) {
			return fmt.Errorf("%w: log AppendedAt nanoseconds %d out of range", ErrCorrupt, nanoseconds)
		}
		appendedAt = time.Unix(seconds, int64(nanoseconds))
	default:
		if d.err == nil {
			return fmt.Errorf("%w: log AppendedAt flag invalid", ErrCorrupt)
		}
	}
	if d.err != nil {
		return d.err
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%w: log value has %d trailing bytes", ErrCorrupt, len(d.buf))
	}
	if version == logEncodingV2Sealed {
		return openLog(out, index, term, logType, appendedAt, data, extensions, sealer)
	}

	// One allocation for both slices; the three-index slices stop an
	// append to Data from overwriting Extensions.
	var payload []byte
	if len(data)+len(extensions) > 0 {
		payload = make([]byte, len(data)+len(extensions))
		copy(payload, data)
		copy(payload[len(data):], extensions)
	}
	*out = raft.Log{Index: index, Term: term, Type: logType, AppendedAt: appendedAt}
	if len(data) > 0 {
		out.Data = payload[:len(data):len(data)]
	}
	if len(extensions) > 0 {
		out.Extensions = payload[len(data):]
	}
	return nil
}

// openLog fills out from the fields of a version-2 value, opening its Data
// into the one allocation that also holds Extensions.
func openLog(out *raft.Log, index, term uint64, logType raft.LogType, appendedAt time.Time, sealed, extensions []byte, sealer *sealing.Sealer) error {
	if sealer == nil {
		id, _ := sealing.KeyID(sealed)
		return fmt.Errorf("%w: entry sealed with key id %q", ErrEncrypted, id)
	}
	payload := make([]byte, 0, len(sealed)+len(extensions))
	data, err := sealer.Open(payload, logNonce(index, term), sealed)
	if err != nil {
		return err
	}
	payload = append(data, extensions...)
	*out = raft.Log{Index: index, Term: term, Type: logType, AppendedAt: appendedAt}
	if len(data) > 0 {
		out.Data = payload[:len(data):len(data)]
	}
	if len(extensions) > 0 {
		out.Extensions = payload[len(data):]
	}
	return nil
}

// sealedKeyID returns the key id that sealed a version-2 value's Data.
func sealedKeyID(buf []byte) (string, error) {
	d := decoder{buf: buf}
	d.byte()
	d.uvarint()
	d.uvarint()
	d.byte()
	sealed := d.bytes()
	if d.err != nil {
		return "", d.err
	}
	id, err := sealing.KeyID(sealed)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return id, nil
}

// decoder reads a value, remembering the first error so the
// caller checks once.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: log value truncated or malformed at %s", ErrCorrupt, what)
	}
	d.buf = nil
}

func (d *decoder) byte() byte {
	if len(d.buf) < 1 {
		d.fail("byte")
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// bytes returns a length-prefixed slice aliasing the input.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.fail("length")
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

// Keys of the logs bucket: big-endian so bbolt's byte order is index order.
func indexKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), index)
}

func keyIndex(key []byte) (uint64, error) {
	if len(key) != 8 {
		return 0, fmt.Errorf("%w: log key of %d bytes", ErrCorrupt, len(key))
	}
	return binary.BigEndian.Uint64(key), nil
}
