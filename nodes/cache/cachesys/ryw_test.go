package cachesys

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/detsim/detsim/checker"
)

// readYourWritesByPairs is readYourWrites as first written, with one map
// over (client, key) pairs: the reference the faster one is held to.
func readYourWritesByPairs(m *monitor, h *checker.History[checker.KVInput, checker.KVOutput]) (violations, clients int) {
	type ck struct {
		client int
		key    string
	}
	own := map[ck]uint64{}
	broken := map[int]bool{}
	for _, op := range h.Ops() {
		if op.Status != checker.OpCompleted {
			continue
		}
		k := ck{op.Client, op.In.Key}
		switch op.In.Kind {
		case checker.KVPut:
			own[k] = max(own[k], m.values[op.In.Key][op.In.Value])
		case checker.KVGet:
			var v uint64
			if op.Out.Found {
				v = m.values[op.In.Key][op.Out.Value]
			}
			if v < own[k] {
				violations++
				if !broken[op.Client] {
					broken[op.Client] = true
					clients++
				}
			}
		}
	}
	return violations, clients
}

// TestReadYourWritesCountsAsByPairs draws histories of puts and gets by a
// few clients (client numbers small and large, some operations left pending or
// failed) over versions the database committed, gets that return older,
// newer and unknown values, and finds the same counts as the reference.
func TestReadYourWritesCountsAsByPairs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, _ := testMonitor()
		keys := []string{"k0", "k1"}
		values := []string{"a", "b", "c", "d", "e"}
		for i, n := 0, rapid.IntRange(0, 10).Draw(t, "commits"); i < n; i++ {
			m.DBCommitted(rapid.SampledFrom(keys).Draw(t, "key"), rapid.SampledFrom(values).Draw(t, "value"), uint64(i+1))
		}
		h := &checker.History[checker.KVInput, checker.KVOutput]{}
		for i, n := 0, rapid.IntRange(0, 30).Draw(t, "ops"); i < n; i++ {
			client := rapid.SampledFrom([]int{0, 3, 7, 1 << 40}).Draw(t, "client")
			in := checker.KVInput{Kind: checker.KVGet, Key: rapid.SampledFrom(keys).Draw(t, "key")}
			if rapid.Bool().Draw(t, "put") {
				in.Kind, in.Value = checker.KVPut, rapid.SampledFrom(values).Draw(t, "value")
			}
			at := time.Duration(i) * time.Millisecond
			id := h.Invoke(client, in, at)
			switch rapid.IntRange(0, 3).Draw(t, "status") {
			case 0:
				h.Fail(id)
			case 1: // left pending
			default:
				out := checker.KVOutput{OK: true}
				if in.Kind == checker.KVGet {
					if out.Found = rapid.Bool().Draw(t, "found"); out.Found {
						out.Value = rapid.SampledFrom(values).Draw(t, "read")
					}
				}
				h.Complete(id, out, at+time.Millisecond)
			}
		}
		gotV, gotC := m.readYourWrites(h)
		wantV, wantC := readYourWritesByPairs(m, h)
		if gotV != wantV || gotC != wantC {
			t.Fatalf("readYourWrites = %d violations by %d clients, want %d by %d", gotV, gotC, wantV, wantC)
		}
	})
}
