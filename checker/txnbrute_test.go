package checker

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// drawSmallHistory draws a few transactions whose reads are plausible but
// arbitrary: for lists, prefixes of some order of the values appended to
// the key; for registers, one of the values written to it, or nil. Some
// such histories are serializable, many are not. Some transactions are
// indeterminate or aborted.
func drawSmallHistory(t *rapid.T, register bool) []Txn {
	n := rapid.IntRange(1, 5).Draw(t, "txns")
	keys := []string{"x", "y"}[:rapid.IntRange(1, 2).Draw(t, "keys")]
	txns := make([]Txn, n)
	value := 0
	written := map[string][]int{}
	for i := range txns {
		status := rapid.SampledFrom([]TxnStatus{TxnOK, TxnOK, TxnOK, TxnInfo, TxnFailed}).Draw(t, "status")
		txns[i] = Txn{ID: TxnID(i), Process: i, Status: status}
		for range rapid.IntRange(1, 3).Draw(t, "mops") {
			key := rapid.SampledFrom(keys).Draw(t, "key")
			switch {
			case rapid.Bool().Draw(t, "read"):
				txns[i].Mops = append(txns[i].Mops, Mop{Kind: MopRead, Key: key})
			case register:
				value++
				txns[i].Mops = append(txns[i].Mops, WriteMop(key, value))
			default:
				value++
				txns[i].Mops = append(txns[i].Mops, AppendMop(key, value))
			}
			if m := txns[i].Mops[len(txns[i].Mops)-1]; m.Kind != MopRead {
				written[key] = append(written[key], value)
			}
		}
		call := rapid.IntRange(0, 20).Draw(t, "call")
		txns[i].Call = time.Duration(call)
		if status != TxnInfo {
			txns[i].Return = time.Duration(call + rapid.IntRange(0, 20).Draw(t, "duration"))
		}
	}
	orders := map[string][]int{}
	for _, k := range keys {
		orders[k] = rapid.Permutation(written[k]).Draw(t, "order "+k)
	}
	for i := range txns {
		if txns[i].Status != TxnOK {
			continue
		}
		for j := range txns[i].Mops {
			m := &txns[i].Mops[j]
			if m.Kind != MopRead {
				continue
			}
			o := orders[m.Key]
			l := rapid.IntRange(0, len(o)).Draw(t, "read")
			switch {
			case !register:
				m.List = slices.Clone(o[:l])
			case l > 0:
				m.Value, m.Found = o[l-1], true
			}
		}
	}
	return txns
}

// serialOrderExists searches every choice of the indeterminate
// transactions that committed, and every order of those and the committed
// ones (keeping real-time order, if realtime), for one where running them
// one at a time gives every read its recorded result.
func serialOrderExists(txns []Txn, register, realtime bool) bool {
	var info []int
	for i, t := range txns {
		if t.Status == TxnInfo {
			info = append(info, i)
		}
	}
	for subset := 0; subset < 1<<len(info); subset++ {
		var order []int
		for i, t := range txns {
			if t.Status == TxnOK {
				order = append(order, i)
			}
		}
		for b, i := range info {
			if subset&(1<<b) != 0 {
				order = append(order, i)
			}
		}
		if permutes(order, 0, func(order []int) bool {
			return (!realtime || keepsRealtime(txns, order)) && replays(txns, order, register)
		}) {
			return true
		}
	}
	return false
}

func permutes(order []int, k int, ok func([]int) bool) bool {
	if k == len(order) {
		return ok(order)
	}
	for i := k; i < len(order); i++ {
		order[k], order[i] = order[i], order[k]
		if permutes(order, k+1, ok) {
			return true
		}
		order[k], order[i] = order[i], order[k]
	}
	return false
}

func replays(txns []Txn, order []int, register bool) bool {
	lists := map[string][]int{}
	regs := map[string]int{}
	for _, i := range order {
		for _, m := range txns[i].Mops {
			switch m.Kind {
			case MopAppend:
				lists[m.Key] = append(lists[m.Key], m.Value)
			case MopWrite:
				regs[m.Key] = m.Value
			case MopRead:
				if txns[i].Status != TxnOK {
					continue
				}
				v, found := regs[m.Key]
				if register && (found != m.Found || found && v != m.Value) || !register && !slices.Equal(lists[m.Key], m.List) {
					return false
				}
			}
		}
	}
	return true
}

// keepsRealtime says whether order puts no transaction before one that
// completed before it was invoked. Indeterminate ones never complete.
func keepsRealtime(txns []Txn, order []int) bool {
	ret := func(t Txn) time.Duration {
		if t.Status == TxnInfo {
			return math.MaxInt64
		}
		return t.Return
	}
	for a := range order {
		for b := a + 1; b < len(order); b++ {
			if ret(txns[order[b]]) < txns[order[a]].Call {
				return false
			}
		}
	}
	return true
}

func describeTxns(txns []Txn, res TxnResult) string {
	s := fmt.Sprint(res)
	for _, tx := range txns {
		s += fmt.Sprintf("\n  T%d [%v, %v] %s", tx.ID, tx.Call, tx.Return, describeMops(&tx))
	}
	for _, a := range res.Anomalies {
		s += "\n" + a.Explanation
	}
	return s
}

// TestListAppendAgreesWithBruteForce compares the verdicts for
// serializable and strict serializable with a search over every serial
// order of small histories. Lists say enough for the two to agree
// exactly.
func TestListAppendAgreesWithBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		txns := drawSmallHistory(t, false)
		res, err := CheckListAppend(txns, TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Verdict(Serializable) == Ok, serialOrderExists(txns, false, false); got != want {
			t.Fatalf("serializable: checker says %v, brute force %v: %s", got, want, describeTxns(txns, res))
		}
		if got, want := res.Verdict(StrictSerializable) == Ok, serialOrderExists(txns, false, true); got != want {
			t.Fatalf("strict serializable: checker says %v, brute force %v: %s", got, want, describeTxns(txns, res))
		}
	})
}

// TestRWRegisterIsSoundAgainstBruteForce: registers do not say enough to
// catch every non-serializable history, but what the checker rules out
// must be ruled out.
func TestRWRegisterIsSoundAgainstBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		txns := drawSmallHistory(t, true)
		res, err := CheckRWRegister(txns, TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict(Serializable) == Illegal && serialOrderExists(txns, true, false) {
			t.Fatalf("checker rules out serializable, but a serial order exists: %s", describeTxns(txns, res))
		}
		if res.Verdict(StrictSerializable) == Illegal && serialOrderExists(txns, true, true) {
			t.Fatalf("checker rules out strict serializable, but a serial order exists: %s", describeTxns(txns, res))
		}
	})
}
