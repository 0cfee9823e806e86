package checker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// genSITxns runs random transactions under snapshot isolation: each reads
// the store as it was at its snapshot, an instant inside its interval,
// and commits at a later instant unless another transaction committed a
// write to one of its keys after that snapshot (first committer wins).
// Such histories hold write skew but never G-single, G-nonadjacent or a
// lost update. Values are unique per key.
func genSITxns(intn func(n int) int, g txnGen) []Txn {
	lists := map[string][]int{}
	regs := map[string]int{}
	lastWrite := map[string]time.Duration{}
	value := 0
	type running struct {
		txn      Txn
		snapshot time.Duration
		commit   time.Duration
		taken    bool // the snapshot was read
		info     bool
	}
	started := 0
	start := func(client int, call time.Duration) running {
		base := started / max(g.keyShift, 1)
		started++
		var mops []Mop
		for range 1 + intn(g.mopsMax) {
			key := fmt.Sprintf("k%d", base+intn(g.keys))
			switch {
			case intn(2) == 0:
				mops = append(mops, Mop{Kind: MopRead, Key: key})
			case g.register:
				// A register's writes read it first: a blind write's place
				// in the version order is unknown to the checker, which
				// would then see no anti-dependency on it.
				value++
				mops = append(mops, Mop{Kind: MopRead, Key: key}, WriteMop(key, value))
			default:
				value++
				mops = append(mops, AppendMop(key, value))
			}
		}
		r := running{txn: Txn{Process: client, Mops: mops, Call: call, Status: TxnOK}}
		r.snapshot = call + time.Duration(1+intn(1000))
		r.commit = r.snapshot + time.Duration(1+intn(2000))
		r.txn.Return = r.commit + time.Duration(1+intn(1000))
		r.info = intn(100) < g.infoPercent
		return r
	}
	next := func(r running) time.Duration {
		if r.taken {
			return r.commit
		}
		return r.snapshot
	}
	cur := make([]running, g.clients)
	for c := range cur {
		cur[c] = start(c, time.Duration(intn(500)))
	}
	var txns []Txn
	for len(txns) < g.txns {
		c := 0
		for i := range cur {
			if next(cur[i]) < next(cur[c]) {
				c = i
			}
		}
		r := &cur[c]
		if !r.taken {
			// Reads see the snapshot and the transaction's own writes.
			view, own := map[string][]int{}, map[string]int{}
			for _, m := range r.txn.Mops {
				view[m.Key] = lists[m.Key]
				if v, ok := regs[m.Key]; ok {
					own[m.Key] = v
				}
			}
			for i := range r.txn.Mops {
				m := &r.txn.Mops[i]
				switch m.Kind {
				case MopAppend:
					view[m.Key] = append(slices.Clip(view[m.Key]), m.Value)
				case MopWrite:
					own[m.Key] = m.Value
				case MopRead:
					if g.register {
						m.Value, m.Found = own[m.Key]
					} else {
						m.List = slices.Clone(view[m.Key])
					}
				}
			}
			r.taken = true
			continue
		}
		// A commit at the snapshot's own instant may have come after it:
		// it counts as a conflict, and aborting is always allowed.
		conflict := false
		for _, m := range r.txn.Mops {
			conflict = conflict || m.Kind != MopRead && lastWrite[m.Key] >= r.snapshot
		}
		if conflict {
			r.txn.Status = TxnFailed
		} else {
			for _, m := range r.txn.Mops {
				switch m.Kind {
				case MopAppend:
					lists[m.Key] = append(lists[m.Key], m.Value)
				case MopWrite:
					regs[m.Key] = m.Value
				}
				if m.Kind != MopRead {
					lastWrite[m.Key] = r.commit
				}
			}
		}
		end := r.txn.Return
		if r.info {
			// The client never learns the outcome, nor what it read.
			r.txn.Status, r.txn.Return = TxnInfo, 0
			for i := range r.txn.Mops {
				if m := &r.txn.Mops[i]; m.Kind == MopRead {
					m.List, m.Value, m.Found = nil, 0, false
				}
			}
		}
		txns = append(txns, r.txn)
		cur[c] = start(c, end+time.Duration(intn(300)))
	}
	slices.SortStableFunc(txns, func(a, b Txn) int { return int(a.Call - b.Call) })
	for i := range txns {
		txns[i].ID = TxnID(i)
	}
	return txns
}

func checkSnapshotIsolated(t *rapid.T, res TxnResult) {
	if res.Verdict(SnapshotIsolation) != Ok {
		for _, a := range res.Anomalies {
			if a.RulesOut() <= SnapshotIsolation {
				t.Fatalf("%v\n%s", res, a.Explanation)
			}
		}
		t.Fatalf("%v", res)
	}
}

func TestSnapshotIsolatedListAppendHistoriesPassSnapshotIsolation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawTxnGen(t, false)
		g.failPercent = 0
		res, err := CheckListAppend(genSITxns(rapidIntn(t), g), TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkSnapshotIsolated(t, res)
	})
}

func TestSnapshotIsolatedRWRegisterHistoriesPassSnapshotIsolation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawTxnGen(t, true)
		g.failPercent = 0
		res, err := CheckRWRegister(genSITxns(rapidIntn(t), g), TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkSnapshotIsolated(t, res)
	})
}

// The executor is not serial in disguise: on fixed seeds, some of its
// histories show write skew, which the checker names and snapshot
// isolation allows.
func TestTheSnapshotIsolationExecutorWritesSkew(t *testing.T) {
	for _, register := range []bool{false, true} {
		skewed := 0
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 0))
			g := txnGen{txns: 200, clients: 6, keys: 3, keyShift: 10, mopsMax: 4, register: register}
			check := CheckListAppend
			if register {
				check = CheckRWRegister
			}
			res, err := check(genSITxns(rng.IntN, g), TxnOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict(SnapshotIsolation) != Ok {
				t.Fatalf("seed %d: %v", seed, res)
			}
			if res.Counts["G2-item"] > 0 {
				skewed++
			}
		}
		if skewed == 0 {
			t.Errorf("register=%v: no history of 20 shows write skew", register)
		}
		t.Logf("register=%v: %d of 20 histories show write skew", register, skewed)
	}
}

// BenchmarkCheckSnapshotIsolated100k checks a 100,000-transaction
// list-append history of the snapshot-isolation executor, the shape of
// BenchmarkCheckListAppend100k without aborts: its write skew knots the
// dependency graph into components, where the G-single and G-nonadjacent
// searches run in full.
func BenchmarkCheckSnapshotIsolated100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	txns := genSITxns(rng.IntN, txnGen{txns: 100_000, clients: 20, keys: 16, keyShift: 100, mopsMax: 6, infoPercent: 5})
	b.ResetTimer()
	var res TxnResult
	for i := 0; i < b.N; i++ {
		var err error
		if res, err = CheckListAppend(txns, TxnOptions{}); err != nil || res.Verdict(SnapshotIsolation) != Ok {
			b.Fatalf("%v: %v", err, res)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(sec*1000/float64(b.N), "ms/check")
	b.ReportMetric(float64(len(txns)*b.N)/sec, "txns/s")
	b.ReportMetric(float64(res.Counts["G2-item"]), "write-skews")
}
