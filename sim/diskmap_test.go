package sim

import (
	"fmt"
	"maps"
	"testing"

	"pgregory.net/rapid"
)

// A disk's image answers every get, set and delete as a Go map does, and
// lists what the map holds, through growth and deletions that shift
// probe runs back (wrapping round the table's end).
func TestTheDiskImageIsAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.IntRange(1, 200).Draw(t, "keys")
		var m diskMap
		want := map[string]diskValue{}
		for step := range rapid.IntRange(1, 2000).Draw(t, "steps") {
			key := fmt.Sprintf("log/%020d", rapid.IntRange(0, keys-1).Draw(t, "key"))
			wantPrev, wantHad := want[key]
			var prev diskValue
			var had bool
			switch op := rapid.IntRange(0, 2).Draw(t, "op"); op {
			case 0:
				v := diskValue{b: []byte{byte(step)}, corrupt: step%7 == 0}
				prev, had = m.set(key, v)
				want[key] = v
			case 1:
				prev, had = m.del(key)
				delete(want, key)
			default:
				prev, had = m.get(key)
			}
			if had != wantHad || string(prev.b) != string(wantPrev.b) || prev.corrupt != wantPrev.corrupt {
				t.Fatalf("step %d, key %s: got %v, %v; the map has %v, %v", step, key, prev, had, wantPrev, wantHad)
			}
			if m.len() != len(want) {
				t.Fatalf("step %d: %d keys, the map has %d", step, m.len(), len(want))
			}
		}
		got := maps.Collect(m.all())
		if len(got) != len(want) {
			t.Fatalf("lists %d keys, the map has %d", len(got), len(want))
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || string(g.b) != string(v.b) || g.corrupt != v.corrupt {
				t.Fatalf("lists %s as %v, %v; the map has %v", k, g, ok, v)
			}
		}
	})
}

// BenchmarkDiskImageGrowth writes 1,000 new keys, as a Raft log does.
func BenchmarkDiskImageGrowth(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("log/%020d", i)
	}
	for range b.N {
		var m diskMap
		for _, k := range keys {
			m.set(k, diskValue{})
		}
	}
}
