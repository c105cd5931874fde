package cluster

import (
	"fmt"
	"strings"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Locality is where a node runs, as ordered tiers from the widest to the
// narrowest: region=eu-west,zone=eu-west-1a. Placement spreads a group's
// replicas over distinct values of the first tier, then of the second,
// and so on (see InitialGroups). Nodes compare tier by tier, by position:
// the first tier of every node should name the same kind of place.
// A nil Locality says nothing of where the node runs; placement counts
// nodes without one as being in the same place.
type Locality []LocalityTier

// LocalityTier is one key=value tier of a Locality.
type LocalityTier struct {
	Key   string
	Value string
}

// Limits of a Locality. It travels in the node's gossip metadata, which
// memberlist caps at 512 bytes together with the node's id and addresses.
const (
	LocalityTiersMax = 8
	LocalityKeyMax   = 32
	LocalityValueMax = 64
	LocalityTextMax  = 128 // the whole key=value,key=value text
)

// ParseLocality reads "key=value,key=value" (tiers widest first). The empty
// string is no locality. The error names the tier at fault.
func ParseLocality(text string) (Locality, error) {
	if text == "" {
		return nil, nil
	}
	var l Locality
	for i, part := range strings.Split(text, ",") {
		key, value, found := strings.Cut(part, "=")
		if !found {
			return nil, fmt.Errorf("tier %d %q: want key=value", i+1, part)
		}
		l = append(l, LocalityTier{Key: key, Value: value})
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// Validate checks the limits: at most LocalityTiersMax tiers, keys of
// 1..LocalityKeyMax characters from [a-z0-9-_], each key once, values of
// 1..LocalityValueMax letters, digits, '-', '_' or '.', and at most
// LocalityTextMax characters as text. The error names the tier at fault.
func (l Locality) Validate() error {
	if len(l) > LocalityTiersMax {
		return fmt.Errorf("%d tiers: at most %d", len(l), LocalityTiersMax)
	}
	seen := map[string]bool{}
	for i, t := range l {
		part := t.Key + "=" + t.Value
		switch {
		case t.Key == "" || len(t.Key) > LocalityKeyMax:
			return fmt.Errorf("tier %d %q: the key must be 1..%d characters", i+1, part, LocalityKeyMax)
		case strings.IndexFunc(t.Key, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) >= 0:
			return fmt.Errorf("tier %d %q: the key may hold only a-z, 0-9, '-' and '_'", i+1, part)
		case seen[t.Key]:
			return fmt.Errorf("tier %d %q: key %q given twice", i+1, part, t.Key)
		case t.Value == "" || len(t.Value) > LocalityValueMax:
			return fmt.Errorf("tier %d %q: the value must be 1..%d characters", i+1, part, LocalityValueMax)
		case strings.IndexFunc(t.Value, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		}) >= 0:
			return fmt.Errorf("tier %d %q: the value may hold only letters, digits, '-', '_' and '.'", i+1, part)
		}
		seen[t.Key] = true
	}
	if text := l.String(); len(text) > LocalityTextMax {
		return fmt.Errorf("%q: longer than %d characters", text, LocalityTextMax)
	}
	return nil
}

// String is the text ParseLocality reads; "" for no locality.
func (l Locality) String() string {
	parts := make([]string, len(l))
	for i, t := range l {
		parts[i] = t.Key + "=" + t.Value
	}
	return strings.Join(parts, ",")
}

// Equal reports whether l and o have the same tiers in the same order.
func (l Locality) Equal(o Locality) bool {
	if len(l) != len(o) {
		return false
	}
	for i := range l {
		if l[i] != o[i] {
			return false
		}
	}
	return true
}

// sharedTiers is how many of the first depth tiers l and o have in
// common, from the first: 0 when their first tiers differ. A tier missing
// from both counts as shared (nothing says the nodes are apart there).
func (l Locality) sharedTiers(o Locality, depth int) int {
	n := 0
	for n < depth && l.tier(n) == o.tier(n) {
		n++
	}
	return n
}

func (l Locality) tier(i int) LocalityTier {
	if i < len(l) {
		return l[i]
	}
	return LocalityTier{}
}

// Proto is l as the API and the catalog carry it; nil for no locality.
func (l Locality) Proto() []*boxofficev1.LocalityTier {
	if len(l) == 0 {
		return nil
	}
	tiers := make([]*boxofficev1.LocalityTier, len(l))
	for i, t := range l {
		tiers[i] = &boxofficev1.LocalityTier{Key: t.Key, Value: t.Value}
	}
	return tiers
}

// LocalityFromProto is the inverse of Proto.
func LocalityFromProto(tiers []*boxofficev1.LocalityTier) Locality {
	if len(tiers) == 0 {
		return nil
	}
	l := make(Locality, len(tiers))
	for i, t := range tiers {
		l[i] = LocalityTier{Key: t.GetKey(), Value: t.GetValue()}
	}
	return l
}
