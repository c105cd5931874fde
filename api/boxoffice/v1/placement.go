package boxofficev1

import "strings"

// RecordPlacement is the part of a Records key that decides its data
// group: the text between the first "{" and the next "}" when that is not
// empty (a placement tag, as in Redis Cluster's hash tags), otherwise the
// whole key. Keys with equal placements live in one group, so one
// Records.Batch can write them: "order/{fan:ann}/ord_1" and
// "buyer/{fan:ann}/ev1" share the placement "fan:ann". checkout.Placement
// is the same function.
func RecordPlacement(key string) string {
	if tag, ok := RecordPlacementTag(key); ok {
		return tag
	}
	return key
}

// RecordPlacementTag returns the placement tag of key and true when key
// has one (a non-empty "{...}" after its first "{"). Every key that starts
// with a prefix holding a tag has that tag as its placement, which is what
// lets a Scan of such a prefix read one data group.
func RecordPlacementTag(key string) (string, bool) {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j], true
		}
	}
	return "", false
}
