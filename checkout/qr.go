package checkout

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Rotating QR codes, after Ticketmaster's SafeTix: a screenshot of a
// ticket stops working within seconds. The text a ticket's QR encodes is
//
//		<payload>.<signature>.<code>
//
//	  - payload: base64url of the JSON of QRPayload (version 2, the signing
//	    key's id "k", ticket "t", qr id "q", event "e", seat "s", owner "o");
//	  - signature: base64url of the Ed25519 signature of the payload bytes by
//	    the key named "k" (GET /v1/tickets/public-key lists every accepted
//	    key by id);
//	  - code: the 6-digit TOTP (RFC 6238: HMAC-SHA1, 15 s period, Unix epoch)
//	    of the QR's secret, computed by the owner's app at the moment the QR
//	    is shown.
//
// The secrets: an event's scan key is HMAC-SHA256(Config.ScanSecret,
// "boxoffice event scan key\x00" + event id); a QR's secret is
// HMAC-SHA256(scan key, "boxoffice qr secret\x00" + qr id), handed as the
// TOTP secret (base32, no padding) only to the ticket's owner in
// GET /v1/tickets and GET /v1/tickets/{id}. Keyed by the qr id rather than
// the ticket id, the secret changes with every transfer, so a previous
// holder cannot make codes for the new holder's QR. Offline scanners of
// an event fetch its scan key (GET /v1/events/{event}/scan-key, scanner
// role) and derive any QR's secret themselves.
//
// A code is accepted in the current 15 s step and one step either side
// (clock skew between phone and scanner), so a copy of a QR stops
// verifying at most 30 s after it was shown. The signed payload still
// changes only on transfer, refund or check-in; the revocation feed
// (tickets.go) carries those to offline scanners.
const (
	// QRCodePeriod is the TOTP step of a QR's rotating code.
	QRCodePeriod = 15 * time.Second
	// QRCodeSkewSteps is how many steps before or after the current one a
	// code is still accepted.
	QRCodeSkewSteps  = 1
	qrPayloadVersion = 2
	// qrTextBytesMax bounds the scanned text a check-in accepts.
	qrTextBytesMax = 2048
)

var totpOptions = totp.ValidateOpts{Period: uint(QRCodePeriod / time.Second), Skew: QRCodeSkewSteps, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// QRPayload is the signed part of a ticket's QR.
type QRPayload struct {
	Version  int    `json:"v"`
	KeyID    string `json:"k"`
	TicketID string `json:"t"`
	QRID     string `json:"q"`
	EventID  string `json:"e"`
	SeatID   string `json:"s"`
	Owner    string `json:"o"`
}

// QRKeys is what verifying a QR needs. A gateway fills every field; an
// offline scanner fills Public and the ScanKeys of its events.
type QRKeys struct {
	// Public holds every accepted signing key by key id.
	Public map[string]ed25519.PublicKey
	// ScanKeys holds event scan keys by event id.
	ScanKeys map[string][]byte
	// ScanSecret, when set, derives the scan key of any event not in
	// ScanKeys (gateways only: it must never leave them).
	ScanSecret []byte
}

// TicketKeyID names an Ed25519 signing key by its public half: the first
// 12 hex digits of SHA-256 over it.
func TicketKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])[:12]
}

// EventScanKey derives an event's scan key from the gateways' scan secret.
func EventScanKey(scanSecret []byte, event string) []byte {
	m := hmac.New(sha256.New, scanSecret)
	m.Write([]byte("boxoffice event scan key\x00"))
	m.Write([]byte(event))
	return m.Sum(nil)
}

// QRSecret derives the TOTP secret (base32, no padding) of one QR id from
// its event's scan key.
func QRSecret(scanKey []byte, qrID string) string {
	m := hmac.New(sha256.New, scanKey)
	m.Write([]byte("boxoffice qr secret\x00"))
	m.Write([]byte(qrID))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil))
}

// QRCode is the rotating code of a QR secret at t (what the app shows).
func QRCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOptions)
}

// SplitQRText splits what a scanner read into the signed payload
// ("<payload>.<signature>") and the rotating code.
func SplitQRText(text string) (payload, code string, err error) {
	text = strings.TrimSpace(text)
	if len(text) > qrTextBytesMax {
		return "", "", problem(ErrBadSignature, "not a ticket QR")
	}
	i := strings.LastIndexByte(text, '.')
	if i < 0 || strings.Count(text, ".") != 2 {
		return "", "", problem(ErrBadSignature, "not a ticket QR: want <payload>.<signature>.<code>")
	}
	return text[:i], text[i+1:], nil
}

// VerifyQR checks a scanned QR: the payload's signature by one of the
// accepted keys, and the rotating code at now (±QRCodeSkewSteps steps). It
// is what online check-in and offline scanners both run; neither consults
// the revocation list here (see RevocationList).
func VerifyQR(payload, code string, now time.Time, keys QRKeys) (QRPayload, error) {
	var p QRPayload
	enc, sigEnc, ok := strings.Cut(payload, ".")
	raw, err1 := base64.RawURLEncoding.DecodeString(enc)
	sig, err2 := base64.RawURLEncoding.DecodeString(sigEnc)
	if !ok || err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return p, problem(ErrBadSignature, "not a ticket QR")
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Version != qrPayloadVersion {
		return QRPayload{}, problem(ErrBadSignature, "QR payload is not a version 2 ticket")
	}
	pub, ok := keys.Public[p.KeyID]
	if !ok {
		return QRPayload{}, problem(ErrBadSignature, "QR is signed by a key that is not accepted", "key_id", clipQR(p.KeyID, 64))
	}
	if !ed25519.Verify(pub, raw, sig) {
		return QRPayload{}, problem(ErrBadSignature, "QR signature does not verify")
	}
	scanKey, ok := keys.ScanKeys[p.EventID]
	if !ok && keys.ScanSecret != nil {
		scanKey, ok = EventScanKey(keys.ScanSecret, p.EventID), true
	}
	if !ok {
		return QRPayload{}, problem(ErrQRCodeInvalid, "no scan key for this ticket's event", "event_id", p.EventID)
	}
	valid, err := totp.ValidateCustom(code, QRSecret(scanKey, p.QRID), now, totpOptions)
	if err != nil || !valid {
		return QRPayload{}, problem(ErrQRCodeInvalid, "the QR's rotating code is not current: show the ticket in the app (a screenshot or copy is refused)", "ticket_id", p.TicketID)
	}
	return p, nil
}

// RevocationList is an offline scanner's copy of an event's revocation
// feed (GET /v1/events/{event}/revocations), applied entry by entry.
type RevocationList struct {
	qrIDs     map[string]string // revoked qr id -> reason
	checkedIn map[string]bool   // ticket ids admitted at any gate
}

// RevocationEntry is one entry of the revocation feed.
type RevocationEntry struct {
	Kind     string    `json:"kind"` // checked_in, transferred, refunded
	TicketID string    `json:"ticket_id"`
	QRID     string    `json:"qr_id"`
	At       time.Time `json:"at"`
}

// Revocation kinds.
const (
	RevokedCheckedIn   = "checked_in"
	RevokedTransferred = "transferred"
	RevokedRefunded    = "refunded"
)

// Add applies feed entries (repeats are harmless).
func (l *RevocationList) Add(entries ...RevocationEntry) {
	if l.qrIDs == nil {
		l.qrIDs, l.checkedIn = map[string]string{}, map[string]bool{}
	}
	for _, e := range entries {
		if e.Kind == RevokedCheckedIn {
			l.checkedIn[e.TicketID] = true
		} else {
			l.qrIDs[e.QRID] = e.Kind
		}
	}
}

// Check refuses a verified QR the list revokes: one whose ticket was
// admitted already (at this gate or any other that synced) or whose qr id
// was replaced by a transfer or a refund.
func (l *RevocationList) Check(p QRPayload) error {
	if l.checkedIn[p.TicketID] {
		return problem(ErrAlreadyCheckedIn, "ticket already admitted", "ticket_id", p.TicketID)
	}
	if reason, ok := l.qrIDs[p.QRID]; ok {
		return problem(ErrTicketRevoked, "this QR is no longer valid ("+reason+")", "ticket_id", p.TicketID)
	}
	return nil
}

// qrKeys is the gateway's QRKeys: every accepted signing key, and the scan
// secret.
func (g *Gateway) qrKeys() QRKeys {
	return QRKeys{Public: g.ticketing.public, ScanSecret: g.cfg.ScanSecret}
}

// signQR returns the signed payload ("<payload>.<signature>") of t.
func (g *Gateway) signQR(t ticketRecord) string {
	payload, _ := json.Marshal(QRPayload{Version: qrPayloadVersion, KeyID: g.ticketing.kid, TicketID: t.TicketID, QRID: t.QRID,
		EventID: t.EventID, SeatID: t.SeatID, Owner: t.Owner})
	sig := ed25519.Sign(g.cfg.TicketKey, payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// qrSecret is the TOTP secret of t's current QR.
func (g *Gateway) qrSecret(t ticketRecord) string {
	return QRSecret(EventScanKey(g.cfg.ScanSecret, t.EventID), t.QRID)
}

func clipQR(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
