package cache

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/detsim/detsim/sim"
)

// TestRecordsAndKeysAreWhatFmtWrites holds the database's hand-written
// log keys and records to the fmt and string forms they replace, for any
// index, version and value.
func TestRecordsAndKeysAreWhatFmtWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		index := rapid.OneOf(rapid.Uint64(), rapid.SampledFrom([]uint64{0, 1, 9, 10, math.MaxUint64})).Draw(t, "index")
		if got, want := logKey(index), fmt.Sprintf("%s%020d", prefixLog, index); got != want {
			t.Fatalf("logKey(%d) = %q, want %q", index, got, want)
		}
		version, value := rapid.Uint64().Draw(t, "version"), rapid.String().Draw(t, "value")
		prefix := []byte(rapid.String().Draw(t, "before"))
		want := strconv.FormatUint(version, 10) + ":" + value
		if got := encodeVersioned(version, value); got != want {
			t.Fatalf("encodeVersioned(%d, %q) = %q, want %q", version, value, got, want)
		}
		if got := appendVersioned(slices.Clone(prefix), version, value); string(got) != string(prefix)+want {
			t.Fatalf("appendVersioned(%q, %d, %q) = %q, want %q", prefix, version, value, got, string(prefix)+want)
		}
	})
}

// TestRingPointsAreTheHashesOfTheirNames holds the ring, which hashes its
// points' names where it writes them, to the points made by hashing the
// names as strings, and its owners to a binary search by the slices
// package.
func TestRingPointsAreTheHashesOfTheirNames(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		servers := rapid.SliceOfNDistinct(rapid.Custom(func(t *rapid.T) sim.HostID {
			return sim.HostID(rapid.IntRange(-1, 1<<20).Draw(t, "server"))
		}), 1, 6, func(s sim.HostID) sim.HostID { return s }).Draw(t, "servers")
		points := rapid.IntRange(1, 80).Draw(t, "points")
		r, err := NewRing(servers, points)
		if err != nil {
			t.Fatal(err)
		}
		var want []ringPoint
		for _, s := range servers {
			for p := 0; p < points; p++ {
				want = append(want, ringPoint{hash: hash64(strconv.Itoa(int(s)) + "#" + strconv.Itoa(p)), server: s})
			}
		}
		slices.SortFunc(want, func(a, b ringPoint) int {
			if a.hash != b.hash {
				if a.hash < b.hash {
					return -1
				}
				return 1
			}
			return int(a.server) - int(b.server)
		})
		if !slices.Equal(r.points, want) {
			t.Fatalf("ring of %v with %d points each differs from the points hashed from their names", servers, points)
		}
		for _, key := range rapid.SliceOf(rapid.String()).Draw(t, "keys") {
			i, _ := slices.BinarySearchFunc(want, hash64(key), func(p ringPoint, h uint64) int {
				switch {
				case p.hash < h:
					return -1
				case p.hash > h:
					return 1
				}
				return 0
			})
			if got := r.Owner(key); got != want[i%len(want)].server {
				t.Fatalf("Owner(%q) = %v, want %v", key, got, want[i%len(want)].server)
			}
		}
	})
}
