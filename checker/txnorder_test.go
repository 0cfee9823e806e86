package checker

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestSortByProcessIsTheComparisonSort sorts random index lists of random
// histories (calls in index order or not, few processes or huge ones,
// lists in index order, shuffled, or in order of call with equal calls
// reversed) both ways: the counting sort gives
// the order of the comparison it stands in for.
func TestSortByProcessIsTheComparisonSort(t *testing.T) {
	counted := 0
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 60).Draw(t, "txns")
		procs := rapid.SampledFrom([]int{1, 3, 8, 1 << 20}).Draw(t, "processes")
		inOrder := rapid.Bool().Draw(t, "calls in index order")
		txns := make([]Txn, n)
		var at time.Duration
		for i := range txns {
			if inOrder {
				at += time.Duration(rapid.IntRange(0, 2).Draw(t, "step"))
			} else {
				at = time.Duration(rapid.IntRange(0, 20).Draw(t, "call"))
			}
			txns[i] = Txn{ID: TxnID(i), Process: rapid.IntRange(0, procs-1).Draw(t, "process"), Call: at}
		}
		var idx []int32
		for i := range int32(n) {
			if rapid.IntRange(0, 3).Draw(t, "keep") > 0 {
				idx = append(idx, i)
			}
		}
		switch rapid.IntRange(0, 2).Draw(t, "arrangement") {
		case 1:
			idx = rapid.Permutation(idx).Draw(t, "shuffled")
		case 2:
			// In order of call, equal calls against index order.
			slices.SortFunc(idx, func(a, b int32) int { return cmp.Or(cmp.Compare(txns[a].Call, txns[b].Call), cmp.Compare(b, a)) })
		}
		want := slices.Clone(idx)
		slices.SortFunc(want, func(a, b int32) int {
			ta, tb := &txns[a], &txns[b]
			return cmp.Or(cmp.Compare(ta.Process, tb.Process), cmp.Compare(ta.Call, tb.Call), cmp.Compare(a, b))
		})
		if slices.IsSortedFunc(idx, func(a, b int32) int {
			return cmp.Or(cmp.Compare(txns[a].Call, txns[b].Call), cmp.Compare(a, b))
		}) && procs < 1<<20 {
			counted++
		}
		got := slices.Clone(idx)
		sortByProcess(txns, got)
		if !slices.Equal(got, want) {
			t.Fatalf("sortByProcess(%v) = %v, want %v", idx, got, want)
		}
	})
	if counted < 10 {
		t.Fatalf("only %d lists took the counting sort", counted)
	}
}
