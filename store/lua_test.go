package store_test

import (
	"strings"
	"testing"

	"github.com/rtgw/realtime/internal/testutil"
)

// TestLuaSharedBlock: Lua scripts cannot include each other, so the epoch
// logic is copied into both; the copies must not drift.
func TestLuaSharedBlock(t *testing.T) {
	t.Parallel()
	block := func(file string) string {
		s := testutil.ReadFile(t, file)
		i, j := strings.Index(s, "-- >>> shared"), strings.Index(s, "-- <<< shared")
		if i < 0 || j < i {
			t.Fatalf("%s: shared block markers missing", file)
		}
		return s[i:j]
	}
	if p, h := block("lua/publish.lua"), block("lua/head.lua"); p != h {
		t.Fatalf("shared blocks differ:\npublish.lua:\n%s\nhead.lua:\n%s", p, h)
	}
}
