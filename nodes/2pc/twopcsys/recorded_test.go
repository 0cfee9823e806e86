package twopcsys

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/detsim/detsim/checker"
)

// TestSummariesDescribeTransactionsAsElleDoes holds the summaries, written
// by hand into one buffer, to the same descriptions made with fmt, over
// random histories: every kind of micro-operation, reads of lists short
// and long, registers found and not, negative values, and transactions
// committed, aborted and indeterminate.
func TestSummariesDescribeTransactionsAsElleDoes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := &checker.TxnHistory{}
		value := rapid.IntRange(-1_000_000, 1_000_000)
		n := rapid.IntRange(0, 12).Draw(t, "txns")
		for i := 0; i < n; i++ {
			var mops, results []checker.Mop
			for j, k := 0, rapid.IntRange(0, 4).Draw(t, "mops"); j < k; j++ {
				m := checker.Mop{Kind: rapid.SampledFrom([]checker.MopKind{checker.MopAppend, checker.MopRead, checker.MopWrite}).Draw(t, "kind"), Key: rapid.SampledFrom([]string{"k0", "k13", "a<&>"}).Draw(t, "key")}
				r := m
				if m.Kind == checker.MopRead {
					if rapid.Bool().Draw(t, "list") {
						r.List = rapid.SliceOfN(value, 0, 20).Draw(t, "seen")
					} else if r.Found = rapid.Bool().Draw(t, "found"); r.Found {
						r.Value = value.Draw(t, "read")
					}
				} else {
					m.Value = value.Draw(t, "written")
					r.Value = m.Value
				}
				mops, results = append(mops, m), append(results, r)
			}
			call := time.Duration(i) * time.Millisecond
			id := h.Invoke(rapid.IntRange(0, 3).Draw(t, "process"), mops, call)
			switch rapid.IntRange(0, 2).Draw(t, "status") {
			case 0:
				h.Complete(id, results, call+time.Millisecond)
			case 1:
				h.Fail(id, call+2*time.Millisecond)
			}
		}
		got := RecordedTxns("list-append", checker.Serializable, h).Summaries()
		txns := h.Txns()
		if len(got) != len(txns) {
			t.Fatalf("%d summaries for %d transactions", len(got), len(txns))
		}
		outlines := checker.Outlines(RecordedTxns("list-append", checker.Serializable, h))
		if len(outlines) != len(txns) {
			t.Fatalf("%d outlines for %d transactions", len(outlines), len(txns))
		}
		for i, txn := range txns {
			want := summaryWithFmt(txn)
			if got[i] != want {
				t.Fatalf("transaction %d:\n got %+v\nwant %+v", i, got[i], want)
			}
			if want.Text = ""; outlines[i] != want {
				t.Fatalf("transaction %d's outline:\n got %+v\nwant %+v", i, outlines[i], want)
			}
		}
	})
}

// summaryWithFmt is a transaction's summary written with fmt's verbs.
func summaryWithFmt(t checker.Txn) checker.OpSummary {
	s := checker.OpSummary{ID: checker.OpID(t.ID), Client: t.Process + 1, Call: t.Call, Return: t.Return}
	text := "txn"
	for _, m := range t.Mops {
		s.Writes = s.Writes || m.Kind != checker.MopRead
		var v string
		switch {
		case m.Kind != checker.MopRead:
			v = fmt.Sprint(m.Value)
		case t.Status != checker.TxnOK:
			v = "?"
		case m.List != nil:
			shown := make([]string, 0, len(m.List))
			for i, x := range m.List {
				if n := len(m.List); n > 8 && i >= 2 && i < n-3 {
					if i == 2 {
						shown = append(shown, fmt.Sprintf("... (%d elements) ...", n))
					}
					continue
				}
				shown = append(shown, fmt.Sprint(x))
			}
			v = "[" + strings.Join(shown, " ") + "]"
		case m.Found:
			v = fmt.Sprint(m.Value)
		default:
			v = "nil"
		}
		text += fmt.Sprintf(" [%s %s %s]", m.Kind, m.Key, v)
	}
	switch t.Status {
	case checker.TxnOK:
		s.Status = checker.OpCompleted
	case checker.TxnFailed:
		s.Status, text = checker.OpFailed, text+" -> aborted"
	default:
		s.Status, text = checker.OpPending, text+" -> ? (unknown)"
	}
	s.Text = text
	return s
}
