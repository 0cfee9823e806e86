package etcdraft

import (
	"math"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestLogKeysAreTheIndexIn20Digits holds logKey, written by hand, to the
// prefix and zero-padded decimal it has always been, for any index.
func TestLogKeysAreTheIndexIn20Digits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		i := rapid.OneOf(rapid.Uint64(), rapid.SampledFrom([]uint64{0, 1, 9, 10, 99999, math.MaxUint64})).Draw(t, "index")
		d := strconv.FormatUint(i, 10)
		if got, want := logKey(i), prefixLog+"00000000000000000000"[len(d):]+d; got != want {
			t.Fatalf("logKey(%d) = %q, want %q", i, got, want)
		}
	})
}
