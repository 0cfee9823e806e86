package checker

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

func drawTxnGen(t *rapid.T, register bool) txnGen {
	return txnGen{
		txns:        rapid.IntRange(1, 80).Draw(t, "txns"),
		clients:     rapid.IntRange(1, 6).Draw(t, "clients"),
		keys:        rapid.IntRange(1, 5).Draw(t, "keys"),
		keyShift:    rapid.IntRange(0, 20).Draw(t, "keyShift"),
		mopsMax:     rapid.IntRange(1, 5).Draw(t, "mopsMax"),
		register:    register,
		infoPercent: rapid.IntRange(0, 30).Draw(t, "infoPercent"),
		failPercent: rapid.IntRange(0, 30).Draw(t, "failPercent"),
	}
}

func rapidIntn(t *rapid.T) func(int) int {
	return func(n int) int { return rapid.IntRange(0, n-1).Draw(t, "n") }
}

func TestSerialListAppendHistoriesShowNoAnomaly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		txns := genTxns(rapidIntn(t), drawTxnGen(t, false))
		res, err := CheckListAppend(txns, TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Anomalies) > 0 || res.Strongest != StrictSerializable {
			t.Fatalf("%v\n%s", res, res.Anomalies[0].Explanation)
		}
	})
}

func TestSerialRWRegisterHistoriesShowNoAnomaly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		txns := genTxns(rapidIntn(t), drawTxnGen(t, true))
		res, err := CheckRWRegister(txns, TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Anomalies) > 0 || res.Strongest != StrictSerializable {
			t.Fatalf("%v\n%s", res, res.Anomalies[0].Explanation)
		}
	})
}

// corrupt breaks a correct history at random places: reads that lose or
// reorder elements, that see other keys' values, transactions that
// claim to have failed or committed.
func corrupt(rng *rand.Rand, txns []Txn, n int) {
	for range n {
		t := &txns[rng.IntN(len(txns))]
		switch rng.IntN(4) {
		case 0:
			if t.Status == TxnOK {
				t.Status = TxnFailed
			}
		case 1:
			for i := range t.Mops {
				if m := &t.Mops[i]; m.Kind == MopRead && len(m.List) > 0 {
					m.List = m.List[:rng.IntN(len(m.List))]
				}
			}
		case 2:
			for i := range t.Mops {
				if m := &t.Mops[i]; m.Kind == MopRead && len(m.List) > 1 {
					m.List[0], m.List[1] = m.List[1], m.List[0]
				}
			}
		case 3:
			for i := range t.Mops {
				if m := &t.Mops[i]; m.Kind == MopRead && t.Status == TxnOK {
					m.List = append(m.List, rng.IntN(50))
				}
			}
		}
	}
}

func TestTxnCheckIsDeterministic(t *testing.T) {
	ignoreTime := cmpopts.IgnoreFields(TxnResult{}, "Elapsed")
	found := 0
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		txns := genTxns(rng.IntN, txnGen{txns: 300, clients: 5, keys: 4, keyShift: 30, mopsMax: 4, infoPercent: 10, failPercent: 10})
		corrupt(rng, txns, 15)
		first, err := CheckListAppend(txns, TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		found += len(first.Anomalies)
		for range 3 {
			again, _ := CheckListAppend(txns, TxnOptions{})
			if diff := cmp.Diff(first, again, ignoreTime); diff != "" {
				t.Fatalf("seed %d: a second check differs (-first +second):\n%s", seed, diff)
			}
		}
		// Through the file format and back, the verdict is the same.
		var buf bytes.Buffer
		if err := WriteTxns(&buf, txns); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTxns(&buf)
		if err != nil {
			t.Fatal(err)
		}
		again, err := CheckListAppend(back, TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again, ignoreTime); diff != "" {
			t.Fatalf("seed %d: the check of the history read back differs (-first +second):\n%s", seed, diff)
		}
	}
	if found == 0 {
		t.Fatal("corrupted histories showed no anomaly: the test proves nothing")
	}
}
