package checker

import (
	"cmp"
	"slices"
)

// sortByProcess sorts idx, indexes into txns, by process, then call, then
// index: each session in the order its transactions ran.
//
// A history recorded as it ran lists its transactions in the order they
// were invoked, so when idx is already in order of call (then index) the
// wanted order is idx grouped by process, each group keeping its order:
// a counting sort by process, in one pass. Any other idx, or processes
// too large to count, is sorted by comparison. Both give the one order
// the comparison defines.
func sortByProcess(txns []Txn, idx []int32) {
	procs := 0
	for i, x := range idx {
		t := &txns[x]
		if t.Process < 0 || t.Process > 4*len(idx)+64 {
			procs = -1
			break
		}
		procs = max(procs, t.Process+1)
		if i > 0 {
			if prev := &txns[idx[i-1]]; prev.Call > t.Call || prev.Call == t.Call && idx[i-1] > x {
				procs = -1
				break
			}
		}
	}
	if procs < 0 {
		slices.SortFunc(idx, func(a, b int32) int {
			ta, tb := &txns[a], &txns[b]
			return cmp.Or(cmp.Compare(ta.Process, tb.Process), cmp.Compare(ta.Call, tb.Call), cmp.Compare(a, b))
		})
		return
	}
	start := make([]int, procs+1)
	for _, x := range idx {
		start[txns[x].Process+1]++
	}
	for p := 1; p <= procs; p++ {
		start[p] += start[p-1]
	}
	sorted := make([]int32, len(idx))
	for _, x := range idx {
		p := txns[x].Process
		sorted[start[p]] = x
		start[p]++
	}
	copy(idx, sorted)
}
