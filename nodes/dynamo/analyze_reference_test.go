package dynamo

import (
	"cmp"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
)

func TestTheSetFullAnalysisIsTheReferenceOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for trial := 0; trial < 400; trial++ {
		var now time.Duration
		h := NewHistory(func() time.Duration { return now })
		h.SiblingsMax = rng.IntN(4)
		keys := []string{"s0", "s1", "r0"}[:1+rng.IntN(3)]
		if trial%4 == 3 {
			// More keys than the analysis scans before it takes its index.
			keys = nil
			for i := range 2 * scannedKeys {
				keys = append(keys, SetKey(i), RegisterKey(i))
			}
		}
		added, lastRead := map[string][]int{}, map[string][]int{}
		element := 0
		var pending []checker.OpID
		for range rng.IntN(200) {
			now += time.Duration(rng.IntN(5)) * time.Millisecond
			key := keys[rng.IntN(len(keys))]
			op := Op{Client: 1 + rng.IntN(3), Key: key, Final: rng.IntN(8) == 0}
			switch rng.IntN(5) {
			case 0, 1:
				element++
				op.Kind, op.Element = OpAdd, element
				added[key] = append(added[key], element)
			case 2:
				op.Kind = OpRead
				for _, e := range added[key] {
					if rng.IntN(4) != 0 {
						op.Elements = append(op.Elements, e)
					}
				}
				if rng.IntN(3) == 0 {
					// Reads of one text share its parse.
					op.Elements = lastRead[key]
				}
				lastRead[key] = op.Elements
				op.Siblings = rng.IntN(20)
			case 3:
				op.Kind, op.Siblings = OpGet, rng.IntN(3)
				for range op.Siblings {
					op.Dots = append(op.Dots, Dot{Node: int64(rng.IntN(3)), Counter: uint64(1 + rng.IntN(4))})
					op.Values = append(op.Values, "v")
				}
			default:
				op.Kind = OpDelete
				for range rng.IntN(3) {
					op.Dots = append(op.Dots, Dot{Node: int64(rng.IntN(3)), Counter: uint64(1 + rng.IntN(4))})
				}
			}
			id := h.invoke(op)
			switch rng.IntN(6) {
			case 0:
				h.fail(id)
			case 1:
				// left pending
			default:
				pending = append(pending, id)
			}
			// Operations complete out of order, some later than others.
			for len(pending) > 0 && rng.IntN(2) == 0 {
				i := rng.IntN(len(pending))
				now += time.Duration(rng.IntN(3)) * time.Millisecond
				h.complete(pending[i], nil)
				pending = slices.Delete(pending, i, i+1)
			}
		}
		got, want := h.analyze(), analyzeByMaps(h)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: the analysis gave\n%+v\nthe reference\n%+v", trial, got, want)
		}
	}
}

// analyzeByMaps is the set-full analysis as it was written first, with a
// map per key and per element: the reference the analysis is held to.
func analyzeByMaps(h *History) SetReport {
	rep := SetReport{LostElements: map[string][]int{}, SiblingCounts: map[int]int{}}
	type read struct {
		call  time.Duration
		els   []int // sorted
		final bool
	}
	has := func(r read, e int) bool { _, ok := slices.BinarySearch(r.els, e); return ok }
	reads := map[string][]read{}
	finals := map[string][]Op{}
	for op := range h.ops.all() {
		if op.Status != checker.OpCompleted {
			continue
		}
		if op.Kind == OpRead || op.Kind == OpGet {
			rep.SiblingCounts[op.Siblings]++
			rep.SiblingsMax = max(rep.SiblingsMax, op.Siblings)
			if h.SiblingsMax > 0 && op.Siblings > h.SiblingsMax {
				rep.SiblingsOver = append(rep.SiblingsOver, op.ID)
			}
		}
		if op.Final {
			rep.FinalReads++
			finals[op.Key] = append(finals[op.Key], *op)
		}
		if op.Kind == OpRead {
			reads[op.Key] = append(reads[op.Key], read{op.Call, op.Elements, op.Final})
		}
	}
	acked := map[string][]int{}
	for op := range h.ops.all() {
		if op.Kind == OpAdd && op.Status == checker.OpCompleted {
			acked[op.Key] = append(acked[op.Key], op.Element)
		}
	}
	finalReads := map[string][]read{}
	lastMiss := map[int]int{}  // element -> index of the last read of its key that missed it
	for k, rs := range reads { //detsim:maporder each key's reads are sorted and filtered on their own; no order between keys matters
		slices.SortStableFunc(rs, func(a, b read) int { return cmp.Compare(a.call, b.call) })
		for _, r := range rs {
			if r.final {
				finalReads[k] = append(finalReads[k], r)
			}
		}
		// Walking the reads from the last, the elements every later read
		// held shrink by those the current read misses: one merge of two
		// sorted lists per read finds every element's last miss, where a
		// search per add and read would cost a logarithm more.
		held := slices.Clone(acked[k])
		slices.Sort(held)
		for i := len(rs) - 1; i >= 0 && len(held) > 0; i-- {
			kept, els, j := held[:0], rs[i].els, 0
			for _, e := range held {
				for j < len(els) && els[j] < e {
					j++
				}
				if j < len(els) && els[j] == e {
					kept = append(kept, e)
				} else {
					lastMiss[e] = i
				}
			}
			held = kept
		}
	}
	var vis []time.Duration
	for op := range h.ops.all() {
		switch {
		case op.Kind == OpAdd && op.Status == checker.OpCompleted:
			rep.Acked++
			all := reads[op.Key]
			first, _ := slices.BinarySearchFunc(all, op.Return, func(r read, t time.Duration) int {
				if r.call <= t {
					return -1
				}
				return 1
			})
			after := all[first:]
			if len(after) == 0 {
				rep.NeverRead++
				continue
			}
			lost := false
			for _, f := range finalReads[op.Key] {
				if f.call > op.Return && !has(f, op.Element) {
					lost = true
					break
				}
			}
			if lost {
				rep.Lost++
				rep.LostOps = append(rep.LostOps, op.ID)
				rep.LostElements[op.Key] = append(rep.LostElements[op.Key], op.Element)
				continue
			}
			missAfter := -1 // the last read after the add that missed it, by index in after
			if i, ok := lastMiss[op.Element]; ok && i >= first {
				missAfter = i - first
			}
			if missAfter >= 0 {
				rep.Stale++
			}
			if missAfter+1 < len(after) {
				vis = append(vis, max(0, after[missAfter+1].call-op.Return))
			}
		case op.Kind == OpDelete && op.Status == checker.OpCompleted && len(op.Dots) > 0:
			for _, f := range finals[op.Key] {
				if f.Call > op.Return && f.Kind == OpGet && slices.ContainsFunc(f.Dots, func(d Dot) bool { return slices.Contains(op.Dots, d) }) {
					rep.Resurrected++
					rep.ResurrectedOps = append(rep.ResurrectedOps, op.ID)
					break
				}
			}
		}
	}
	total := 0
	for _, k := range sortedInts(rep.SiblingCounts) {
		total += rep.SiblingCounts[k]
	}
	seen := 0
	for _, k := range sortedInts(rep.SiblingCounts) {
		seen += rep.SiblingCounts[k]
		if rep.SiblingsP50 == 0 && seen*2 > total {
			rep.SiblingsP50 = k
		}
		if rep.SiblingsP99 == 0 && seen*100 > total*99 {
			rep.SiblingsP99 = k
		}
	}
	if len(vis) > 0 {
		slices.Sort(vis)
		rank := func(p float64) time.Duration { return vis[min(len(vis)-1, int(p*float64(len(vis))))] }
		rep.VisibilityP50, rep.VisibilityP99, rep.VisibilityMax = rank(0.5), rank(0.99), vis[len(vis)-1]
	}
	return rep
}
