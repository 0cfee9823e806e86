package checker

import (
	"fmt"
	"slices"
	"time"
)

// txnGen configures genTxns.
type txnGen struct {
	txns, clients int
	keys          int // keys in use at any time
	keyShift      int // every keyShift transactions, the oldest key retires and a new one comes in
	mopsMax       int
	register      bool // rw-register rather than list-append
	infoPercent   int  // indeterminate: committed or not, at random
	failPercent   int  // aborted: no effect
}

// genTxns runs random transactions one at a time against a correct store,
// under concurrent clients: each transaction takes effect at an instant
// inside its interval, in the order of those instants, so the history is
// strict serializable by construction. intn(n) draws from [0, n). The store
// is plain maps, written apart from the checker so that a shared bug
// cannot hide itself. Values are unique per key, as both checks need.
func genTxns(intn func(n int) int, g txnGen) []Txn {
	lists := map[string][]int{}
	regs := map[string]int{}
	value := 0
	type inflight struct {
		txn    Txn
		at     time.Duration // when it takes effect
		effect bool
	}
	started := 0
	start := func(client int, call time.Duration) inflight {
		base := started / max(g.keyShift, 1)
		started++
		mops := make([]Mop, 1+intn(g.mopsMax))
		for i := range mops {
			key := fmt.Sprintf("k%d", base+intn(g.keys))
			switch {
			case intn(2) == 0:
				mops[i] = Mop{Kind: MopRead, Key: key}
			case g.register:
				value++
				mops[i] = WriteMop(key, value)
			default:
				value++
				mops[i] = AppendMop(key, value)
			}
		}
		f := inflight{txn: Txn{Process: client, Mops: mops, Call: call, Status: TxnOK}}
		f.at = call + time.Duration(1+intn(2000))
		f.txn.Return = f.at + time.Duration(1+intn(2000))
		switch p := intn(100); {
		case p < g.infoPercent:
			f.txn.Status, f.txn.Return = TxnInfo, 0
			f.effect = intn(2) == 0
		case p < g.infoPercent+g.failPercent:
			f.txn.Status = TxnFailed
		default:
			f.effect = true
		}
		return f
	}
	cur := make([]inflight, g.clients)
	for c := range cur {
		cur[c] = start(c, time.Duration(intn(1000)))
	}
	txns := make([]Txn, 0, g.txns)
	for len(txns) < g.txns {
		c := 0
		for i := range cur {
			if cur[i].at < cur[c].at {
				c = i
			}
		}
		f := cur[c]
		if f.effect {
			for i := range f.txn.Mops {
				m := &f.txn.Mops[i]
				switch m.Kind {
				case MopAppend:
					lists[m.Key] = append(lists[m.Key], m.Value)
				case MopWrite:
					regs[m.Key] = m.Value
				case MopRead:
					if f.txn.Status != TxnOK {
						continue
					}
					if g.register {
						m.Value, m.Found = regs[m.Key]
					} else {
						m.List = slices.Clone(lists[m.Key])
					}
				}
			}
		}
		f.txn.ID = TxnID(len(txns))
		txns = append(txns, f.txn)
		end := f.txn.Return
		if f.txn.Status == TxnInfo {
			end = f.at + time.Duration(intn(3000))
		}
		cur[c] = start(c, end+time.Duration(intn(500)))
	}
	// Invocation order, as a recorder would number them.
	slices.SortStableFunc(txns, func(a, b Txn) int { return int(a.Call - b.Call) })
	for i := range txns {
		txns[i].ID = TxnID(i)
	}
	return txns
}
