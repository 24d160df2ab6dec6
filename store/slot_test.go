package store

import "testing"

// Known slots from the Redis Cluster specification and CLUSTER KEYSLOT.
func TestSlotOf(t *testing.T) {
	for _, c := range []struct {
		key  string
		slot int
	}{
		{"foo", 12182},
		{"bar", 5061},
		{"123456789", 12739}, // CRC16-XMODEM check value 0x31C3
		{"{user1000}.following", slotOf("user1000")},
		{"realtime:{acme}:notify", slotOf("acme")},
		{"foo{}{bar}", slotOf("foo{}{bar}")}, // empty tag: the whole key
		{"foo{{bar}}zap", slotOf("{bar")},
	} {
		if got := slotOf(c.key); got != c.slot {
			t.Errorf("slotOf(%q) = %d, want %d", c.key, got, c.slot)
		}
	}
	if slotOf("foo{}{bar}") == slotOf("bar") {
		t.Error("an empty hash tag must not fall through to the next one")
	}
}

func TestMovedSlot(t *testing.T) {
	for _, c := range []struct {
		msg  string
		slot int
		ok   bool
	}{
		{"MOVED 3999 127.0.0.1:6381", 3999, true},
		{"ASK 12 127.0.0.1:6381", 12, true},
		{"CROSSSLOT Keys in request don't hash to the same slot", 0, false},
		{"MOVED x 127.0.0.1:6381", 0, false},
		{"ERR unknown command 'ssubscribe'", 0, false},
	} {
		slot, ok := movedSlot(c.msg)
		if slot != c.slot || ok != c.ok {
			t.Errorf("movedSlot(%q) = %d, %v; want %d, %v", c.msg, slot, ok, c.slot, c.ok)
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"7.0.15", true}, {"7.2.4", true}, {"8.0.0", true}, {"10.1", true},
		{"6.2.14", false}, {"6.9.9", false}, {"5.0.7", false}, {"", false}, {"x.y", false},
	} {
		if got := versionAtLeast(c.v, 7, 0); got != c.want {
			t.Errorf("versionAtLeast(%q, 7, 0) = %v, want %v", c.v, got, c.want)
		}
	}
}
