package checker

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// MopKind is the kind of a micro-operation inside a transaction. The names
// are Elle's: "append", "r" and "w".
type MopKind uint8

// The zero MopKind is invalid, so that a forgotten Kind is caught instead
// of passing as a read.
const (
	// MopAppend appends Value to the list at Key (list-append histories).
	MopAppend MopKind = iota + 1
	// MopRead reads Key: the whole list in list-append histories, the
	// register in rw-register ones.
	MopRead
	// MopWrite sets the register at Key to Value (rw-register histories).
	MopWrite
)

var mopKindNames = [...]string{MopAppend: "append", MopRead: "r", MopWrite: "w"}

func (k MopKind) String() string {
	if k >= MopAppend && int(k) < len(mopKindNames) {
		return mopKindNames[k]
	}
	return fmt.Sprintf("MopKind(%d)", uint8(k))
}

// Mop is one micro-operation of a transaction.
//
// The result fields of a read (List, Value and Found) are meaningful only
// in a transaction whose Status is TxnOK: the outcome of any other was not
// observed.
type Mop struct {
	Kind MopKind
	Key  string
	// Value is the argument of an append or a write, and for a read of an
	// rw-register the value read, when Found.
	Value int
	// Found is, for a read of an rw-register, whether the register held a
	// value; false means it read nil (never written).
	Found bool
	// List is, for a read of a list-append key, the list read, oldest
	// element first. nil and empty both mean the empty list.
	List []int
}

// AppendMop appends v to the list at key.
func AppendMop(key string, v int) Mop { return Mop{Kind: MopAppend, Key: key, Value: v} }

// WriteMop writes v to the register at key.
func WriteMop(key string, v int) Mop { return Mop{Kind: MopWrite, Key: key, Value: v} }

// ReadMop reads key: for a list, with list the result (none while the
// result is unknown, or for the empty list); for a register, a read of nil.
func ReadMop(key string, list ...int) Mop { return Mop{Kind: MopRead, Key: key, List: list} }

// ReadValueMop is a read of the register at key that saw v.
func ReadValueMop(key string, v int) Mop { return Mop{Kind: MopRead, Key: key, Value: v, Found: true} }

func (m Mop) String() string {
	switch m.Kind {
	case MopAppend, MopWrite:
		return fmt.Sprintf("[%v %s %d]", m.Kind, m.Key, m.Value)
	case MopRead:
		switch {
		case m.List != nil:
			return fmt.Sprintf("[r %s %v]", m.Key, m.List)
		case m.Found:
			return fmt.Sprintf("[r %s %d]", m.Key, m.Value)
		}
		return fmt.Sprintf("[r %s nil]", m.Key)
	}
	return fmt.Sprintf("[%v %s]", m.Kind, m.Key)
}

// TxnStatus is what the client knows about a transaction's outcome.
type TxnStatus uint8

const (
	// TxnInfo: indeterminate (timeout, crash). The transaction may or may
	// not have committed; its reads' results are unknown. The zero value,
	// so that a status nobody set never reads as committed.
	TxnInfo TxnStatus = iota
	// TxnOK: committed, and its reads' results are known.
	TxnOK
	// TxnFailed: certainly aborted. Its writes must never be seen.
	TxnFailed
)

var txnStatusNames = [...]string{TxnInfo: "info", TxnOK: "ok", TxnFailed: "fail"}

func (s TxnStatus) String() string {
	if int(s) < len(txnStatusNames) {
		return txnStatusNames[s]
	}
	return fmt.Sprintf("TxnStatus(%d)", uint8(s))
}

// TxnID names a transaction within one TxnHistory: the n-th Invoke returns
// n-1.
type TxnID int

// Txn is one recorded transaction.
type Txn struct {
	ID      TxnID
	Process int   // the client, from 0; its transactions form a session
	Mops    []Mop // in order; with results when Status is TxnOK
	Status  TxnStatus
	Call    time.Duration // true time of the invocation
	Return  time.Duration // true time of the completion; meaningless for TxnInfo
}

// TxnHistory records transactions as clients invoke and complete them, in
// true time. The zero value is an empty history, ready to use.
//
// Recording mistakes (completing a transaction twice, a return before its
// call, results whose shape differs from the invocation) are bugs in the
// harness, so they panic, as History's do.
//
// A TxnHistory is safe for concurrent use. It must not be copied after
// first use.
type TxnHistory struct {
	mu   sync.Mutex
	txns []Txn
}

// Invoke records that process asked for the transaction mops at true time
// at, and returns its id. Until Complete or Fail it is indeterminate
// (TxnInfo). mops is copied.
func (h *TxnHistory) Invoke(process int, mops []Mop, at time.Duration) TxnID {
	if process < 0 {
		panic(fmt.Sprintf("checker: TxnHistory.Invoke with negative process %d", process))
	}
	for i, m := range mops {
		if m.Kind < MopAppend || m.Kind > MopWrite {
			panic(fmt.Sprintf("checker: TxnHistory.Invoke: micro-operation %d has kind %v", i, m.Kind))
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	id := TxnID(len(h.txns))
	h.txns = append(h.txns, Txn{ID: id, Process: process, Mops: cloneMops(mops), Call: at})
	return id
}

// Complete records that transaction id committed at true time at, with
// results: the invoked micro-operations in the same order, kinds, keys and
// written values, the reads carrying what they saw. results is copied.
func (h *TxnHistory) Complete(id TxnID, results []Mop, at time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.pendingTxn(id, "Complete", at)
	if len(results) != len(t.Mops) {
		panic(fmt.Sprintf("checker: TxnHistory.Complete(%d): %d results for %d micro-operations", id, len(results), len(t.Mops)))
	}
	for i, r := range results {
		m := t.Mops[i]
		if r.Kind != m.Kind || r.Key != m.Key || r.Kind != MopRead && r.Value != m.Value {
			panic(fmt.Sprintf("checker: TxnHistory.Complete(%d): result %d is %v for the invoked %v", id, i, r, m))
		}
	}
	t.Mops, t.Status, t.Return = cloneMops(results), TxnOK, at
}

// Fail records that transaction id certainly aborted, as the client learned
// at true time at. Only call it when that is certain: a transaction that
// might have committed must stay indeterminate, or a real bug can be
// hidden (and a correct system blamed for an aborted read).
func (h *TxnHistory) Fail(id TxnID, at time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.pendingTxn(id, "Fail", at)
	t.Status, t.Return = TxnFailed, at
}

func (h *TxnHistory) pendingTxn(id TxnID, method string, at time.Duration) *Txn {
	if id < 0 || int(id) >= len(h.txns) {
		panic(fmt.Sprintf("checker: TxnHistory.%s(%d): no such transaction (history has %d)", method, id, len(h.txns)))
	}
	t := &h.txns[id]
	if t.Status != TxnInfo {
		panic(fmt.Sprintf("checker: TxnHistory.%s(%d): transaction is already %v", method, id, t.Status))
	}
	if at < t.Call {
		panic(fmt.Sprintf("checker: TxnHistory.%s(%d) at %v, before its call at %v", method, id, at, t.Call))
	}
	return t
}

// Len is the number of transactions invoked, whatever their status.
func (h *TxnHistory) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.txns)
}

// Txns returns a copy of every transaction, indexed by TxnID.
func (h *TxnHistory) Txns() []Txn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Txn, len(h.txns))
	for i, t := range h.txns {
		t.Mops = cloneMops(t.Mops)
		out[i] = t
	}
	return out
}

// TxnsShared returns every transaction, indexed by TxnID, as Txns does,
// but shares their micro-operations (and the lists of their reads) with
// the history instead of copying them: the caller must not write to them.
// They stay valid as the history grows, since Invoke and Complete store
// copies of what they are given and never write to a stored one again. A
// checker reads a whole history this way without copying every list.
func (h *TxnHistory) TxnsShared() []Txn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.txns)
}

func cloneMops(mops []Mop) []Mop {
	out := slices.Clone(mops)
	for i := range out {
		out[i].List = slices.Clone(out[i].List)
	}
	return out
}
