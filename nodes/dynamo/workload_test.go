package dynamo

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAnElementSplicedIntoASetEncodesAsTheWholeSetWould(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		var els []int
		for range rng.IntN(12) {
			els = append(els, rng.IntN(1_000_000_000))
		}
		slices.Sort(els)
		els = slices.Compact(els)
		e := rng.IntN(1_000_000_000)
		if slices.Contains(els, e) {
			continue
		}
		i, _ := slices.BinarySearch(els, e)
		want := encodeSet(slices.Insert(slices.Clone(els), i, e))
		if got := insertElement(encodeSet(els), i, e); got != want {
			t.Fatalf("%v plus %d at %d: spliced %q, encoded %q", els, e, i, got, want)
		}
	}
	if got := insertElement("1,2", 3, 9); got != "" {
		t.Fatalf("a position past the set's end spliced into %q", got)
	}
	if got := insertElement("", 1, 9); got != "" {
		t.Fatalf("a position past the empty set spliced into %q", got)
	}
}
