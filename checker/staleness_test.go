package checker

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

func TestStaleness(t *testing.T) {
	h := newKV()
	// Key x: three writes in sequence.
	h.done(0, 0, 10, put("x", "v1"), none)
	h.done(0, 20, 30, put("x", "v2"), none)
	h.done(0, 40, 50, put("x", "v3"), none)
	r1 := h.done(1, 60, 70, get("x"), found("v1"))  // v2, v3 newer: 2 behind since 30
	h.done(2, 60, 70, get("x"), found("v3"))        // fresh
	r3 := h.done(3, 35, 45, get("x"), found("v1"))  // v2 newer: 1 behind since 30
	h.done(4, 5, 8, get("x"), notFound)             // initial, fresh
	r5 := h.done(5, 60, 70, get("x"), notFound)     // initial: 3 behind since 10
	u6 := h.done(6, 60, 70, get("x"), found("zzz")) // nobody wrote it
	u7 := h.done(7, 1, 2, get("x"), found("v3"))    // written after the read
	// Key y: concurrent writes, a pending one, a delete, a failed one.
	h.done(0, 0, 10, put("y", "a"), none)
	h.done(1, 5, 15, put("y", "b"), none)   // concurrent with a: not newer
	h.done(2, 20, 30, get("y"), found("a")) // fresh
	h.pending(3, 16, put("y", "c"))         // pending: never newer
	h.done(4, 40, 50, get("y"), found("c")) // fresh
	h.done(4, 40, 50, get("y"), found("a")) // fresh
	h.done(5, 60, 70, del("y"), existed)
	r11 := h.done(6, 80, 90, get("y"), found("b")) // the delete is newer: 1 behind since 70
	h.Fail(h.pending(7, 95, put("y", "d")))
	u12 := h.done(7, 100, 110, get("y"), found("d")) // failed writes are no writes
	h.pending(8, 200, get("y"))                      // pending reads are not measured

	got := MeasureStaleness(h.History)
	want := Staleness{
		Reads:              9,
		ReadsStale:         4,
		StaleRatio:         4.0 / 9,
		VersionsBehindMax:  3,
		VersionsBehindMean: 7.0 / 4,
		StaleForMax:        ms(50),
		StaleForP99:        ms(50),
		StaleReads: []StaleRead{
			{Op: r1, Key: "x", VersionsBehind: 2, StaleFor: ms(30)},
			{Op: r3, Key: "x", VersionsBehind: 1, StaleFor: ms(5)},
			{Op: r5, Key: "x", VersionsBehind: 3, StaleFor: ms(50)},
			{Op: r11, Key: "y", VersionsBehind: 1, StaleFor: ms(10)},
		},
		Unexplained:    3,
		UnexplainedOps: []OpID{u6, u7, u12},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("staleness (-want +got):\n%s", diff)
	}
	if s := got.String(); s != "9 reads, 4 stale (44.44%), versions behind max 3 mean 1.75, stale for max 50ms p99 50ms, 3 unexplained" {
		t.Errorf("String: %q", s)
	}
}

func TestStalenessWrites(t *testing.T) {
	h := newKV()
	h.done(0, 0, 10, put("z", "p"), none)
	h.done(0, 20, 30, cas("z", "p", "q"), okOut)
	h.done(1, 20, 30, cas("z", "zz", "r"), failOut) // not a write
	h.done(0, 40, 50, appendKV("z", "s"), value("qs"))
	stale := h.done(1, 60, 70, get("z"), found("q")) // the append is newer
	h.done(1, 60, 70, get("z"), found("qs"))
	unexplained := h.done(1, 60, 70, get("z"), found("r"))
	h.pending(2, 80, appendKV("z", "t"))
	h.done(1, 90, 95, get("z"), found("qst")) // the pending append, by suffix
	got := MeasureStaleness(h.History)
	if got.Reads != 3 || got.ReadsStale != 1 || got.StaleReads[0].Op != stale || got.StaleReads[0].StaleFor != ms(10) ||
		got.Unexplained != 1 || got.UnexplainedOps[0] != unexplained {
		t.Errorf("%+v", got)
	}
}

// TestStalenessOfLinearizable: a linearizable history has no stale read,
// however its writes overlap, and all its reads are explained.
func TestStalenessOfLinearizable(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		s := MeasureStaleness(buildKV(genKV(seed, 3000, 10, 8, 0.05)))
		if s.Reads < 1000 || s.ReadsStale != 0 || s.Unexplained != 0 {
			t.Errorf("seed %d: %v", seed, s)
		}
	}
}

func TestStalenessEmpty(t *testing.T) {
	if got := MeasureStaleness(newKV().History); !cmp.Equal(got, Staleness{}) {
		t.Errorf("%+v", got)
	}
}

// staleReference is the definition of MeasureStaleness, computed the slow
// way: every candidate version against every write.
func staleReference(h *History[KVInput, KVOutput]) (stale []StaleRead, unexplained []OpID) {
	type ver struct {
		val       kvValue
		call, ret int64
		done      bool
	}
	ops := h.Ops()
	writes := map[string][]ver{}
	appends := map[string][]Op[KVInput, KVOutput]{}
	for _, op := range ops {
		if op.Status == OpFailed {
			continue
		}
		v := ver{call: int64(op.Call), ret: timePosInf, done: op.Status == OpCompleted}
		if v.done {
			v.ret = int64(op.Return)
		}
		switch op.In.Kind {
		case KVPut:
			v.val = kvValue{op.In.Value, true}
		case KVCAS:
			if v.done && !op.Out.OK {
				continue
			}
			v.val = kvValue{op.In.Value, true}
		case KVAppend:
			if !v.done {
				appends[op.In.Key] = append(appends[op.In.Key], op)
				continue
			}
			v.val = kvValue{op.Out.Value, true}
		case KVDelete:
		default:
			continue
		}
		writes[op.In.Key] = append(writes[op.In.Key], v)
	}
	for _, r := range ops {
		if r.Status != OpCompleted || r.In.Kind != KVGet {
			continue
		}
		val := kvValue{r.Out.Value, r.Out.Found}
		cands := []ver{}
		if !val.found && val.value == "" {
			cands = append(cands, ver{call: timeNegInf, ret: timeNegInf})
		}
		for _, w := range writes[r.In.Key] {
			if w.val == val && w.call <= int64(r.Return) {
				cands = append(cands, w)
			}
		}
		if len(cands) == 0 && val.found {
			for _, a := range appends[r.In.Key] {
				if a.Call <= r.Return && strings.HasSuffix(val.value, a.In.Value) {
					cands = append(cands, ver{ret: timePosInf})
				}
			}
		}
		if len(cands) == 0 {
			unexplained = append(unexplained, r.ID)
			continue
		}
		best, bestFor := math.MaxInt, time.Duration(0)
		for _, c := range cands {
			n, first := 0, int64(timePosInf)
			for _, w := range writes[r.In.Key] {
				if w.done && w.call > c.ret && w.ret < int64(r.Call) {
					n++
					first = min(first, w.ret)
				}
			}
			d := time.Duration(0)
			if n > 0 {
				d = r.Call - time.Duration(first)
			}
			if n < best || n == best && d < bestFor {
				best, bestFor = n, d
			}
		}
		if best > 0 {
			stale = append(stale, StaleRead{Op: r.ID, Key: r.In.Key, VersionsBehind: best, StaleFor: bestFor})
		}
	}
	return stale, unexplained
}

// TestStalenessMatchesDefinition compares MeasureStaleness with the slow
// reference on arbitrary histories: overlapping, stale, with repeated
// values, pending and failed operations.
func TestStalenessMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := newKV()
		n := rapid.IntRange(0, 60).Draw(t, "ops")
		for range n {
			key := rapid.SampledFrom([]string{"x", "y"}).Draw(t, "key")
			val := rapid.SampledFrom([]string{"", "a", "b", "ab", "ba"}).Draw(t, "value")
			var in KVInput
			var out KVOutput
			switch rapid.IntRange(0, 4).Draw(t, "kind") {
			case 0:
				in = get(key)
				out = KVOutput{Value: val, Found: val != "" || rapid.Bool().Draw(t, "found")}
			case 1:
				in = put(key, val)
			case 2:
				in = appendKV(key, val)
				out = value(rapid.SampledFrom([]string{"a", "b", "ab", "ba", "aab"}).Draw(t, "appended"))
			case 3:
				in = del(key)
			case 4:
				in = cas(key, "a", val)
				out = KVOutput{OK: rapid.Bool().Draw(t, "ok")}
			}
			call := rapid.IntRange(0, 100).Draw(t, "call")
			id := h.Invoke(rapid.IntRange(0, 3).Draw(t, "client"), in, ms(call))
			switch rapid.IntRange(0, 9).Draw(t, "status") {
			case 0:
				h.Fail(id)
			case 1:
			default:
				h.Complete(id, out, ms(call+rapid.IntRange(0, 20).Draw(t, "duration")))
			}
		}
		got := MeasureStaleness(h.History)
		stale, unexplained := staleReference(h.History)
		if diff := cmp.Diff(stale, got.StaleReads); diff != "" {
			t.Fatalf("stale reads (-reference +measured):\n%s", diff)
		}
		if diff := cmp.Diff(unexplained, got.UnexplainedOps); diff != "" {
			t.Fatalf("unexplained (-reference +measured):\n%s", diff)
		}
	})
}
