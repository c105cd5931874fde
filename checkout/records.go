package checkout

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Records the gateway can trust. The Store is the cluster's Records
// service, which other holders of a gateway certificate (and, on a cluster
// without authorization, anyone who reaches it) can write. A ticket record
// decides who gets a signed QR and who is admitted, and an order record
// decides what is refunded; so these records, and the fan indexes that lead
// to them, are sealed with an HMAC-SHA256 under a key only gateways hold
// (Config.RecordKeys), and every read checks the seal before the record is
// acted on. A record that fails is never served: the caller gets a
// record-untrusted problem, the failure is counted
// (boxoffice_gateway_untrusted_records_total) and logged once per key.
//
// A sealed value is
//
//	<key id>.<base64url MAC>.<JSON body>
//
// and the MAC covers a domain string, the store key and the body's exact
// bytes, so a valid record cannot be replayed under another key (a ticket
// of one fan copied to another's index) and nothing is canonicalized on
// read. Key ids are derived from the keys (RecordKeyID), so an operator
// only ever handles key bytes. Values written without a seal (by code that
// predates sealing, or by anything without the key) are refused: there is
// no migration path that would not also accept a forgery.
//
// Alternatives rejected: Ed25519 signatures (each gateway would verify with
// a public key, but every gateway also signs, so every gateway holds the
// private key anyway and HMAC is ~50x cheaper); a MAC field inside the
// JSON (verification would re-marshal the decoded struct and refuse
// records written by a newer version with extra fields).

// KeyRing is a set of HMAC keys by id: Current seals new records; every key
// in Keys verifies. Build it with NewKeyRing.
type KeyRing struct {
	// Current is the id of the key that seals new records; Keys must hold it.
	Current string
	// Keys maps each accepted key id to its key (at least 32 bytes).
	Keys map[string][]byte
}

// RecordKeyBytesMin is the shortest accepted record key.
const RecordKeyBytesMin = 32

// NewKeyRing returns a ring whose current key is current and which still
// accepts older, with ids derived by RecordKeyID.
func NewKeyRing(current []byte, older ...[]byte) KeyRing {
	r := KeyRing{Current: RecordKeyID(current), Keys: map[string][]byte{RecordKeyID(current): current}}
	for _, k := range older {
		r.Keys[RecordKeyID(k)] = k
	}
	return r
}

// RecordKeyID names a key without revealing it: the first 12 hex digits of
// SHA-256 over a domain string and the key.
func RecordKeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("boxoffice record key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// validate names what is wrong with the ring.
func (r KeyRing) validate(field string) error {
	if r.Current == "" || len(r.Keys) == 0 {
		return fmt.Errorf("checkout config: %s is empty", field)
	}
	if _, ok := r.Keys[r.Current]; !ok {
		return fmt.Errorf("checkout config: %s.Current %q is not in %s.Keys", field, r.Current, field)
	}
	for id, k := range r.Keys {
		if id == "" || strings.ContainsAny(id, ". /") || len(id) > 64 {
			return fmt.Errorf("checkout config: %s key id %q: want 1..64 bytes without '.', '/' or spaces", field, id)
		}
		if len(k) < RecordKeyBytesMin {
			return fmt.Errorf("checkout config: %s key %q has %d bytes, want at least %d", field, id, len(k), RecordKeyBytesMin)
		}
	}
	return nil
}

// sealer seals and opens records with a key ring.
type sealer struct {
	ring KeyRing
}

func recordMAC(key []byte, storeKey string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("boxoffice record v1\x00"))
	m.Write([]byte(storeKey))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)
}

// seal returns body sealed for storeKey with the current key.
func (s *sealer) seal(storeKey string, body []byte) []byte {
	mac := recordMAC(s.ring.Keys[s.ring.Current], storeKey, body)
	out := make([]byte, 0, len(s.ring.Current)+2+base64.RawURLEncoding.EncodedLen(len(mac))+len(body))
	out = append(out, s.ring.Current...)
	out = append(out, '.')
	out = base64.RawURLEncoding.AppendEncode(out, mac)
	out = append(out, '.')
	return append(out, body...)
}

// errUntrusted is what every record that fails its seal reads as.
var errUntrusted = problem(ErrRecordUntrusted, "the stored record is not trusted: it was not written by a gateway of this deployment")

// open checks value's seal for storeKey and returns the body, or an error
// wrapping ErrRecordUntrusted.
func (s *sealer) open(storeKey string, value []byte) ([]byte, error) {
	untrusted := errUntrusted
	kid, rest, ok1 := strings.Cut(string(value[:min(len(value), 200)]), ".")
	macText, _, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return nil, untrusted
	}
	key, ok := s.ring.Keys[kid]
	if !ok {
		return nil, untrusted
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil {
		return nil, untrusted
	}
	body := value[len(kid)+1+len(macText)+1:]
	if !hmac.Equal(mac, recordMAC(key, storeKey, body)) {
		return nil, untrusted
	}
	return body, nil
}

// untrustedLogKeysMax bounds the keys whose forged record was logged: a
// forged record is logged once per process, not once per read.
const untrustedLogKeysMax = 10_000

func (g *Gateway) recordUntrusted(key string) {
	g.metrics.forged.WithLabelValues(strings.SplitN(key, "/", 2)[0]).Inc()
	if g.ticketing.untrustedSeen.add(key) {
		g.cfg.Logger.Error("refusing a stored record whose seal does not verify (written by something other than a gateway, or with a key no longer in --record-key)", "key", key)
	}
}

// getSealed reads the sealed JSON record under key into v. It returns the
// version, ErrNotFound, or an error wrapping ErrRecordUntrusted.
func (g *Gateway) getSealed(ctx context.Context, key string, v any) (uint64, error) {
	raw, version, err := g.cfg.Store.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	body, err := g.openSealed(key, raw)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return 0, fmt.Errorf("store record %q is corrupt: %w", key, err)
	}
	return version, nil
}

// casSealed writes v sealed under key if its version is still expected.
func (g *Gateway) casSealed(ctx context.Context, key string, expected uint64, v any) (uint64, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return g.cfg.Store.CompareAndSwap(ctx, key, expected, g.ticketing.sealer.seal(key, body))
}

// createSealedOnce writes raw sealed under key unless the key exists.
func (g *Gateway) createSealedOnce(ctx context.Context, key string, raw []byte) error {
	if _, err := g.cfg.Store.CompareAndSwap(ctx, key, 0, g.ticketing.sealer.seal(key, raw)); err != nil && !errors.Is(err, ErrVersionMismatch) {
		return err
	}
	return nil
}

// openIndex checks a sealed index entry (fanticket/) or feed
// entry (revfeed/) and returns its body.
func (g *Gateway) openIndex(kv KeyValue) ([]byte, error) { return g.openSealed(kv.Key, kv.Value) }

// openSealed opens a sealed value, counting and logging one that fails.
func (g *Gateway) openSealed(key string, value []byte) ([]byte, error) {
	body, err := g.ticketing.sealer.open(key, value)
	if err != nil {
		g.recordUntrusted(key)
	}
	return body, err
}

// updateSealed is update for sealed records: a read-modify-write of the
// JSON record under key until its CAS wins, refusing a record whose seal
// does not verify.
func updateSealed[T any](ctx context.Context, g *Gateway, key string, mutate func(rec *T, exists bool) (write bool, err error)) (T, error) {
	return updateWith(ctx, key, g.getSealed, g.casSealed, mutate)
}
