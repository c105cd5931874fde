package sealing

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// A sealed stream (a snapshot file) is
//
//	magic        "BXSEALS1" (8 bytes)
//	byte         len(key id), then the key id
//	salt         32 random bytes: the stream's subkey is HKDF(key, salt)
//	chunks       each StreamChunkBytes of plaintext sealed (the tag adds
//	             16 bytes), except the last, which is shorter (possibly
//	             empty) and sealed with the last-chunk flag in its nonce
//
// Nonce of chunk n: 8 bytes big-endian n, 3 zero bytes, 1 if last else 0.
// A stream cut at a chunk boundary, chunks swapped or replayed from
// another stream do not open.
const (
	// StreamChunkBytes is the plaintext of every chunk but the last.
	StreamChunkBytes = 64 << 10

	streamMagic    = "BXSEALS1"
	streamSaltSize = 32
)

// IsSealedStream reports whether a stream starts like a sealed one; prefix
// needs at least len(streamMagic) bytes.
func IsSealedStream(prefix []byte) bool { return bytes.HasPrefix(prefix, []byte(streamMagic)) }

// StreamMagicBytes is how many bytes IsSealedStream needs.
const StreamMagicBytes = len(streamMagic)

// StreamPlainBytes is the plaintext length of a sealed stream of total
// bytes whose key id is keyIDBytes long, or -1 if no stream has that
// length.
func StreamPlainBytes(total int64, keyIDBytes int) int64 {
	body := total - int64(len(streamMagic)+1+keyIDBytes+streamSaltSize)
	if body < tagBytes {
		return -1
	}
	chunks := body/(StreamChunkBytes+tagBytes) + 1
	return body - chunks*tagBytes
}

func streamNonce(n uint64, last bool) []byte {
	nonce := make([]byte, nonceBytes)
	binary.BigEndian.PutUint64(nonce, n)
	if last {
		nonce[nonceBytes-1] = 1
	}
	return nonce
}

// StreamWriter seals what is written to it onto an underlying writer.
// Close writes the last chunk; without it the stream does not open.
type StreamWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	buf    []byte // plaintext of the chunk being filled
	sealed []byte
	n      uint64
	err    error
}

// NewStreamWriter writes a stream header with a fresh salt and returns a
// writer sealing with the current key.
func (kr *Keyring) NewStreamWriter(w io.Writer) (*StreamWriter, error) {
	salt := make([]byte, streamSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	aead, err := kr.derive(0, salt, "boxoffice sealing v1 stream")
	if err != nil {
		return nil, err
	}
	header := append([]byte(streamMagic), byte(len(kr.keys[0].id)))
	header = append(append(header, kr.keys[0].id...), salt...)
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &StreamWriter{w: w, aead: aead, buf: make([]byte, 0, StreamChunkBytes),
		sealed: make([]byte, 0, StreamChunkBytes+tagBytes)}, nil
}

// Write seals p in chunks.
func (s *StreamWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 && s.err == nil {
		if len(s.buf) == StreamChunkBytes {
			s.flush(false)
			continue
		}
		n := min(len(p), StreamChunkBytes-len(s.buf))
		s.buf = append(s.buf, p[:n]...)
		p, written = p[n:], written+n
	}
	return written, s.err
}

func (s *StreamWriter) flush(last bool) {
	s.sealed = s.aead.Seal(s.sealed[:0], streamNonce(s.n, last), s.buf, nil)
	s.n++
	s.buf = s.buf[:0]
	if _, err := s.w.Write(s.sealed); err != nil {
		s.err = err
	}
}

// Close writes the last chunk. It does not close the underlying writer.
func (s *StreamWriter) Close() error {
	if s.err == nil && len(s.buf) == StreamChunkBytes {
		s.flush(false) // the last chunk is always short, here empty
	}
	if s.err == nil {
		s.flush(true)
	}
	return s.err
}

// StreamReader opens a sealed stream chunk by chunk; a chunk's plaintext
// is returned only once it has authenticated.
type StreamReader struct {
	r     io.Reader
	aead  cipher.AEAD
	keyID string
	chunk []byte // sealed chunk buffer
	plain []byte // unread plaintext of the current chunk
	n     uint64
	done  bool
	err   error
}

// NewStreamReader reads the header of a sealed stream.
func (kr *Keyring) NewStreamReader(r io.Reader) (*StreamReader, error) {
	id, err := StreamKeyID(r)
	if err != nil {
		return nil, err
	}
	i, ok := kr.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: key id %q", ErrUnknownKey, id)
	}
	salt := make([]byte, streamSaltSize)
	if _, err := io.ReadFull(r, salt); err != nil {
		return nil, fmt.Errorf("%w: stream header: %v", ErrOpen, err)
	}
	aead, err := kr.derive(i, salt, "boxoffice sealing v1 stream")
	if err != nil {
		return nil, err
	}
	return &StreamReader{r: r, aead: aead, keyID: id, chunk: make([]byte, StreamChunkBytes+tagBytes)}, nil
}

// StreamKeyID reads a sealed stream's magic and key id from r.
func StreamKeyID(r io.Reader) (string, error) {
	head := make([]byte, len(streamMagic)+1)
	if _, err := io.ReadFull(r, head); err != nil || !IsSealedStream(head) {
		return "", fmt.Errorf("%w: not a sealed stream", ErrOpen)
	}
	id := make([]byte, head[len(streamMagic)])
	if _, err := io.ReadFull(r, id); err != nil {
		return "", fmt.Errorf("%w: stream header: %v", ErrOpen, err)
	}
	return string(id), nil
}

// KeyID is the id of the key that sealed the stream.
func (s *StreamReader) KeyID() string { return s.keyID }

func (s *StreamReader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			return 0, io.EOF
		}
		s.next()
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

// next reads and opens one chunk: a full one is not the last, a short one
// must be.
func (s *StreamReader) next() {
	n, err := io.ReadFull(s.r, s.chunk)
	last := false
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		last = true
	case err != nil:
		s.err = err
		return
	}
	plain, err := s.aead.Open(s.chunk[:0], streamNonce(s.n, last), s.chunk[:n], nil)
	if err != nil {
		s.err = fmt.Errorf("%w: chunk %d of a stream sealed with key id %q (cut short or altered)", ErrOpen, s.n, s.keyID)
		return
	}
	s.n++
	s.plain, s.done = plain, last
}
