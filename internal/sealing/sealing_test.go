package sealing

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func keyLine(id string) string {
	k := make([]byte, KeyBytes)
	_, _ = rand.Read(k)
	return id + " " + base64.StdEncoding.EncodeToString(k) + "\n"
}

func mustKeys(t *testing.T, text string) *Keyring {
	t.Helper()
	kr, err := ParseKeys([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestKeyFileRefusals(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "# nothing\n\n",
		"short key":    "k1 " + base64.StdEncoding.EncodeToString(make([]byte, 16)) + "\n",
		"not base64":   "k1 !!!\n",
		"bad id":       strings.Replace(keyLine("x"), "x", "a/b", 1),
		"duplicate id": keyLine("k1") + keyLine("k1"),
		"three fields": "k1 a b\n",
	} {
		if _, err := ParseKeys([]byte(text)); !errors.Is(err, ErrKeyFile) {
			t.Errorf("%s: err %v, want ErrKeyFile", name, err)
		}
	}
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte(keyLine("k1")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if kr, err := LoadKeyFile(path); err != nil || kr.CurrentID() != "k1" {
		t.Fatalf("a 0600 key file: %v", err)
	}
}

// TestSealerRotation: a value sealed with the old key opens while the old
// key is still in the file, names its key when it is not, and a value
// sealed under another context (group) or nonce does not open.
func TestSealerRotation(t *testing.T) {
	oldLine, newLine := keyLine("k1"), keyLine("k2")
	old, err := mustKeys(t, oldLine).Sealer("g1")
	if err != nil {
		t.Fatal(err)
	}
	nonce := &[12]byte{1, 2, 3}
	sealed := old.Seal(nil, nonce, []byte("seat A-1 sold to alice"))
	if len(sealed) != old.SealedBytes(len("seat A-1 sold to alice")) {
		t.Fatalf("sealed %d bytes, SealedBytes says %d", len(sealed), old.SealedBytes(22))
	}
	if bytes.Contains(sealed, []byte("alice")) {
		t.Fatal("the plaintext shows through")
	}
	rotated, _ := mustKeys(t, newLine+oldLine).Sealer("g1")
	if got, err := rotated.Open(nil, nonce, sealed); err != nil || string(got) != "seat A-1 sold to alice" {
		t.Fatalf("old value with the rotated keyring: %q %v", got, err)
	}
	if id, _ := KeyID(rotated.Seal(nil, nonce, []byte("x"))); id != "k2" {
		t.Fatalf("the rotated keyring seals with %q, want k2", id)
	}
	retired, _ := mustKeys(t, newLine).Sealer("g1")
	if _, err := retired.Open(nil, nonce, sealed); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("old value after the old key was removed: %v", err)
	}
	otherGroup, _ := mustKeys(t, oldLine).Sealer("g2")
	if _, err := otherGroup.Open(nil, nonce, sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("opened under another group's subkey: %v", err)
	}
	if _, err := old.Open(nil, &[12]byte{9}, sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("opened with another nonce: %v", err)
	}
}

func TestStreamRoundTripAndTamper(t *testing.T) {
	kr := mustKeys(t, keyLine("k1"))
	for _, size := range []int{0, 1, StreamChunkBytes - 1, StreamChunkBytes, StreamChunkBytes + 1, 3*StreamChunkBytes + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			plain := make([]byte, size)
			_, _ = rand.Read(plain)
			var out bytes.Buffer
			w, err := kr.NewStreamWriter(&out)
			if err != nil {
				t.Fatal(err)
			}
			// Uneven writes cross chunk boundaries.
			for rest := plain; len(rest) > 0; {
				n := min(len(rest), 1000+len(rest)%7777)
				if _, err := w.Write(rest[:n]); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sealed := out.Bytes()
			if got := StreamPlainBytes(int64(len(sealed)), 2); got != int64(size) {
				t.Fatalf("StreamPlainBytes = %d, want %d", got, size)
			}
			r, err := kr.NewStreamReader(bytes.NewReader(sealed))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("round trip: %d bytes, %v", len(got), err)
			}
			// Cut at the last chunk boundary, or one byte short: refused.
			header := StreamMagicBytes + 1 + 2 + streamSaltSize
			cuts := []int{len(sealed) - 1}
			if size >= StreamChunkBytes {
				cuts = append(cuts, header+StreamChunkBytes+tagBytes)
			}
			for _, cut := range cuts {
				r, _ := kr.NewStreamReader(bytes.NewReader(sealed[:cut]))
				if _, err := io.ReadAll(r); !errors.Is(err, ErrOpen) {
					t.Fatalf("stream cut to %d of %d bytes: %v", cut, len(sealed), err)
				}
			}
			flipped := bytes.Clone(sealed)
			flipped[len(flipped)-1] ^= 1
			r, _ = kr.NewStreamReader(bytes.NewReader(flipped))
			if _, err := io.ReadAll(r); !errors.Is(err, ErrOpen) {
				t.Fatalf("altered stream: %v", err)
			}
		})
	}
	other := mustKeys(t, keyLine("k9"))
	var out bytes.Buffer
	w, _ := kr.NewStreamWriter(&out)
	_ = w.Close()
	if _, err := other.NewStreamReader(bytes.NewReader(out.Bytes())); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("stream sealed with k1 opened by a keyring of k9: %v", err)
	}
}
