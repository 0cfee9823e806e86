package checker

import (
	"sync"
	"testing"
)

func TestHistory(t *testing.T) {
	var h History[KVInput, KVOutput]
	a := h.Invoke(0, put("x", "a"), ms(1))
	b := h.Invoke(1, get("x"), ms(2))
	c := h.Invoke(2, get("x"), ms(3))
	if a != 0 || b != 1 || c != 2 {
		t.Fatalf("ids %d %d %d", a, b, c)
	}
	h.Complete(b, found("a"), ms(4))
	h.Fail(c)
	if h.Len() != 3 || h.Pending() != 1 || h.Failed() != 1 {
		t.Fatalf("len %d pending %d failed %d", h.Len(), h.Pending(), h.Failed())
	}
	ops := h.Ops()
	if ops[a].Status != OpPending || ops[b].Status != OpCompleted || ops[c].Status != OpFailed {
		t.Errorf("statuses %v %v %v", ops[a].Status, ops[b].Status, ops[c].Status)
	}
	if got := h.Op(b); got.Out != found("a") || got.Call != ms(2) || got.Return != ms(4) || got.Client != 1 {
		t.Errorf("op %+v", got)
	}
	ops[a].Client = 99
	if h.Op(a).Client != 0 {
		t.Error("Ops is not a copy")
	}
}

func TestHistoryMisuse(t *testing.T) {
	var h History[int, int]
	done := h.Invoke(0, 1, ms(5))
	h.Complete(done, 1, ms(6))
	open := h.Invoke(0, 1, ms(5))
	for name, f := range map[string]func(){
		"complete twice":     func() { h.Complete(done, 1, ms(7)) },
		"fail completed":     func() { h.Fail(done) },
		"return before call": func() { h.Complete(open, 1, ms(4)) },
		"unknown id":         func() { h.Complete(7, 1, ms(7)) },
		"negative id":        func() { h.Fail(-1) },
		"negative client":    func() { h.Invoke(-1, 1, 0) },
		"Op of unknown id":   func() { h.Op(9) },
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
	if h.Pending() != 1 || h.Len() != 2 {
		t.Errorf("misuse changed the history: pending %d len %d", h.Pending(), h.Len())
	}
}

// TestHistoryConcurrent records from goroutines, as clients of a real
// system would; run with -race.
func TestHistoryConcurrent(t *testing.T) {
	var h History[int, int]
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				id := h.Invoke(c, i, ms(i))
				if i%2 == 0 {
					h.Complete(id, i, ms(i+1))
				}
			}
		}()
	}
	wg.Wait()
	if h.Len() != 800 || h.Pending() != 400 {
		t.Errorf("len %d pending %d", h.Len(), h.Pending())
	}
}

func TestKindStrings(t *testing.T) {
	for got, want := range map[string]string{
		KVGet.String(): "get", KVCAS.String(): "cas", KVKind(0).String(): "KVKind(0)", KVKind(6).String(): "KVKind(6)",
		RegisterWrite.String(): "write", RegisterKind(0).String(): "RegisterKind(0)",
		BankTransfer.String(): "transfer", BankRead.String(): "read", BankKind(3).String(): "BankKind(3)",
		OpPending.String(): "pending", OpFailed.String(): "failed", OpStatus(7).String(): "OpStatus(7)",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
