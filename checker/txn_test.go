package checker

import (
	"reflect"
	"testing"
)

func TestTxnHistoryRecordsOutcomes(t *testing.T) {
	var h TxnHistory
	a := h.Invoke(0, []Mop{AppendMop("x", 1), ReadMop("x")}, ms(1))
	b := h.Invoke(1, []Mop{AppendMop("y", 2)}, ms(2))
	c := h.Invoke(2, []Mop{ReadMop("y")}, ms(3))
	if a != 0 || b != 1 || c != 2 || h.Len() != 3 {
		t.Fatalf("ids %d %d %d, len %d", a, b, c, h.Len())
	}
	h.Complete(a, []Mop{AppendMop("x", 1), ReadMop("x", 1)}, ms(4))
	h.Fail(b, ms(5))
	txns := h.Txns()
	if txns[a].Status != TxnOK || txns[b].Status != TxnFailed || txns[c].Status != TxnInfo {
		t.Errorf("statuses %v %v %v", txns[a].Status, txns[b].Status, txns[c].Status)
	}
	if got := txns[a]; got.Return != ms(4) || got.Call != ms(1) || got.Mops[1].String() != "[r x [1]]" {
		t.Errorf("txn %+v", got)
	}
	txns[a].Mops[1].List[0] = 99
	if h.Txns()[a].Mops[1].List[0] != 1 {
		t.Error("Txns is not a deep copy")
	}
}

func TestTxnsSharedIsTxnsWithoutTheCopies(t *testing.T) {
	var h TxnHistory
	a := h.Invoke(0, []Mop{AppendMop("x", 1), ReadMop("x")}, ms(1))
	b := h.Invoke(1, []Mop{ReadMop("x")}, ms(2))
	h.Complete(a, []Mop{AppendMop("x", 1), ReadMop("x", 1)}, ms(3))
	before := h.TxnsShared()
	if !reflect.DeepEqual(before, h.Txns()) {
		t.Fatalf("TxnsShared %+v, Txns %+v", before, h.Txns())
	}
	if &before[a].Mops[1].List[0] != &h.TxnsShared()[a].Mops[1].List[0] {
		t.Error("TxnsShared copied a read's list")
	}
	// The history grows and completes b: what was returned before stays
	// as it was.
	h.Complete(b, []Mop{ReadMop("x", 1)}, ms(4))
	h.Invoke(2, []Mop{AppendMop("x", 2)}, ms(5))
	if len(before) != 2 || before[b].Status != TxnInfo || before[b].Mops[0].List != nil || before[a].Mops[1].List[0] != 1 {
		t.Errorf("a later Complete changed what TxnsShared returned: %+v", before)
	}
	if after := h.TxnsShared(); len(after) != 3 || after[b].Status != TxnOK || after[b].Mops[0].List[0] != 1 {
		t.Errorf("TxnsShared after the changes: %+v", after)
	}
}

func TestTxnHistoryMisuse(t *testing.T) {
	var h TxnHistory
	done := h.Invoke(0, []Mop{AppendMop("x", 1)}, ms(5))
	h.Complete(done, []Mop{AppendMop("x", 1)}, ms(6))
	open := h.Invoke(0, []Mop{AppendMop("x", 2), ReadMop("x")}, ms(5))
	for name, f := range map[string]func(){
		"complete twice":       func() { h.Complete(done, []Mop{AppendMop("x", 1)}, ms(7)) },
		"fail completed":       func() { h.Fail(done, ms(7)) },
		"return before call":   func() { h.Fail(open, ms(4)) },
		"unknown id":           func() { h.Fail(7, ms(7)) },
		"negative process":     func() { h.Invoke(-1, nil, 0) },
		"zero kind":            func() { h.Invoke(0, []Mop{{Key: "x"}}, 0) },
		"fewer results":        func() { h.Complete(open, []Mop{AppendMop("x", 2)}, ms(7)) },
		"other written value":  func() { h.Complete(open, []Mop{AppendMop("x", 3), ReadMop("x")}, ms(7)) },
		"other key in results": func() { h.Complete(open, []Mop{AppendMop("x", 2), ReadMop("y")}, ms(7)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
