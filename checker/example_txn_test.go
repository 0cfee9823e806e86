package checker_test

import (
	"fmt"
	"time"

	"github.com/detsim/detsim/checker"
)

// A client records transactions as it runs them; the check names the
// anomaly and the strongest model the history still satisfies.
func ExampleCheckListAppend() {
	var h checker.TxnHistory
	ms := time.Millisecond

	t0 := h.Invoke(0, []checker.Mop{checker.AppendMop("x", 1), checker.AppendMop("y", 1)}, 0)
	h.Complete(t0, []checker.Mop{checker.AppendMop("x", 1), checker.AppendMop("y", 1)}, 10*ms)

	// This read saw T0's append to x but not its append to y: read skew.
	t1 := h.Invoke(1, []checker.Mop{checker.ReadMop("x"), checker.ReadMop("y")}, 5*ms)
	h.Complete(t1, []checker.Mop{checker.ReadMop("x", 1), checker.ReadMop("y")}, 15*ms)

	t2 := h.Invoke(0, []checker.Mop{checker.ReadMop("y")}, 20*ms)
	h.Complete(t2, []checker.Mop{checker.ReadMop("y", 1)}, 30*ms)

	res, err := checker.CheckListAppend(h.Txns(), checker.TxnOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Anomalies {
		fmt.Println(a.Name(), a.Txns)
		for _, d := range a.Cycle {
			fmt.Printf("  T%d < T%d (%v): %s\n", d.From, d.To, d.Kind, d.Explanation)
		}
	}
	fmt.Println("strongest:", res.Strongest)
	fmt.Println("serializable:", res.Verdict(checker.Serializable))
	// Output:
	// G-single [0 1]
	//   T0 < T1 (wr): T1 saw T0's append of 1 to "x"
	//   T1 < T0 (rw): T1 read "y" empty, missing 1, which T0 appended
	// strongest: read-committed
	// serializable: Illegal
}
