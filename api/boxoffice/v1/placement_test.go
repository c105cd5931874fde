package boxofficev1

import "testing"

func TestRecordPlacement(t *testing.T) {
	for _, c := range []struct {
		key, want string
		tagged    bool
	}{
		{"order/{fan:ann}/ord_1", "fan:ann", true},
		{"buyer/{fan:ann}/ev1", "fan:ann", true},
		{"{a}{b}", "a", true},
		{"x{a}}", "a", true},
		{"x{{a}", "{a", true},
		{"plain/key", "plain/key", false},
		{"empty/{}/tag", "empty/{}/tag", false},
		{"open/{no-close", "open/{no-close", false},
		{"close}/{", "close}/{", false},
		{"{}{a}", "{}{a}", false}, // only the first "{" counts
	} {
		tag, ok := RecordPlacementTag(c.key)
		if got := RecordPlacement(c.key); got != c.want || ok != c.tagged || (ok && tag != c.want) {
			t.Errorf("RecordPlacement(%q) = %q (tag %q, %v), want %q (tagged %v)", c.key, got, tag, ok, c.want, c.tagged)
		}
	}
}
