package txntable

import (
	"testing"

	"pgregory.net/rapid"
)

type entry struct {
	id [2]uint64
	v  int
}

// drawID draws ids of every shape: a few clients' incarnations counted
// from one, counts far past the end of their run, and any seq at all.
func drawID(t *rapid.T) (client, seq uint64) {
	client = rapid.Uint64Range(0, 2).Draw(t, "client")
	incarnation := rapid.Uint64Range(0, 1).Draw(t, "incarnation")
	switch rapid.IntRange(0, 9).Draw(t, "shape") {
	case 0:
		return client, incarnation<<32 | rapid.Uint64Range(0, 1<<32-1).Draw(t, "count")
	case 1:
		return rapid.Uint64().Draw(t, "any client"), rapid.Uint64().Draw(t, "any seq")
	case 2:
		// Past the end of a run that later grows over them.
		return client, incarnation<<32 | rapid.SampledFrom([]uint64{gapMax - 1, gapMax + 1, gapMax + 30, 3 * gapMax}).Draw(t, "count")
	}
	return client, incarnation<<32 | rapid.Uint64Range(0, 40).Draw(t, "count")
}

func entries(tb *Table[int]) []entry {
	var out []entry
	tb.All(func(client, seq uint64, v int) bool {
		out = append(out, entry{[2]uint64{client, seq}, v})
		return true
	})
	return out
}

// TestTableIsAMap drives a Table and a map with the same random Sets,
// Gets and Deletes and compares every answer, the length and the whole
// content after each; a second Table given the same calls visits its
// ids in the same order.
func TestTableIsAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var tb, twin Table[int]
		model := map[[2]uint64]int{}
		for step := range rapid.IntRange(1, 300).Draw(t, "steps") {
			client, seq := drawID(t)
			id := [2]uint64{client, seq}
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1:
				tb.Set(client, seq, step)
				twin.Set(client, seq, step)
				model[id] = step
			case 2:
				tb.Delete(client, seq)
				twin.Delete(client, seq)
				delete(model, id)
			}
			got, ok := tb.Get(client, seq)
			want, wantOK := model[id]
			if got != want || ok != wantOK {
				t.Fatalf("step %d: Get(%d, %#x) = %d, %v; the map holds %d, %v", step, client, seq, got, ok, want, wantOK)
			}
			if tb.Len() != len(model) {
				t.Fatalf("step %d: Len %d, the map holds %d", step, tb.Len(), len(model))
			}
		}
		all := entries(&tb)
		if len(all) != len(model) {
			t.Fatalf("All visited %d ids, the map holds %d", len(all), len(model))
		}
		for _, e := range all {
			if v, ok := model[e.id]; !ok || v != e.v {
				t.Fatalf("All visited %v = %d; the map holds %d, %v", e.id, e.v, v, ok)
			}
			delete(model, e.id)
		}
		twins := entries(&twin)
		for i := range all {
			if all[i] != twins[i] {
				t.Fatalf("two tables given the same calls visit %v and %v at %d", all[i], twins[i], i)
			}
		}
	})
}

func TestAllStopsWhenYieldSaysSo(t *testing.T) {
	var tb Table[int]
	for i := range uint64(10) {
		tb.Set(1, i, int(i))
		tb.Set(2, 1<<40+i, int(i))
	}
	n := 0
	tb.All(func(uint64, uint64, int) bool { n++; return n < 3 })
	if n != 3 {
		t.Fatalf("All went on to %d ids after yield returned false", n)
	}
}
