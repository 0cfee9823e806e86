package checker

import (
	"fmt"
	"sync"
	"time"
)

// OpID names an operation within one History: the n-th Invoke returns n-1.
type OpID int

// OpStatus is what the client knows about an operation's outcome.
type OpStatus uint8

const (
	// OpPending: the client never learned the outcome (timeout, crash). The
	// operation may or may not have taken effect, at any time after its
	// call; the linearizability check treats it as returning at infinity.
	OpPending OpStatus = iota
	// OpCompleted: the client saw the result.
	OpCompleted
	// OpFailed: the operation certainly did not take effect (for example it
	// was refused before any server saw it). It is left out of every check,
	// which is sound and keeps searches small.
	OpFailed
)

func (s OpStatus) String() string {
	switch s {
	case OpPending:
		return "pending"
	case OpCompleted:
		return "completed"
	case OpFailed:
		return "failed"
	}
	return fmt.Sprintf("OpStatus(%d)", uint8(s))
}

// Op is one recorded operation.
type Op[In, Out any] struct {
	ID     OpID
	Client int
	In     In
	Out    Out           // meaningful only when Status is OpCompleted
	Call   time.Duration // true (virtual) time of the invocation
	Return time.Duration // meaningful only when Status is OpCompleted
	Status OpStatus
	// Unobserved marks a completed operation whose output the client did
	// not see (it returned, but its value was not recorded): it took
	// effect within [Call, Return], and any output it gave is accepted.
	Unobserved bool
}

// History records what clients asked and saw, in true time. The zero value
// is an empty history, ready to use.
//
// Recording mistakes (completing an operation twice, a return before its
// call, an unknown OpID) are bugs in the harness, not in the system under
// test, so they panic rather than quietly corrupt the verdict.
//
// A History is safe for concurrent use, so clients of a real system running
// in goroutines can record into one directly. It must not be copied after
// first use.
type History[In, Out any] struct {
	mu      sync.Mutex
	ops     []Op[In, Out]
	pending int
	failed  int
}

// Invoke records that client asked for in at true time at, and returns the
// operation's id. Until Complete or Fail, the operation is pending.
func (h *History[In, Out]) Invoke(client int, in In, at time.Duration) OpID {
	if client < 0 {
		// porcupine's visualisation indexes rows by client.
		panic(fmt.Sprintf("checker: Invoke with negative client %d", client))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	id := OpID(len(h.ops))
	h.ops = append(h.ops, Op[In, Out]{ID: id, Client: client, In: in, Call: at})
	h.pending++
	return id
}

// Complete records that operation id returned out at true time at.
func (h *History[In, Out]) Complete(id OpID, out Out, at time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	op := h.pendingOp(id, "Complete")
	if at < op.Call {
		panic(fmt.Sprintf("checker: Complete(%d) at %v, before its call at %v", id, at, op.Call))
	}
	op.Out, op.Return, op.Status = out, at, OpCompleted
	h.pending--
}

// CompleteUnobserved records that operation id returned at true time at
// without its output being observed: it took effect by then, with
// whatever output the model allows.
func (h *History[In, Out]) CompleteUnobserved(id OpID, at time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	op := h.pendingOp(id, "CompleteUnobserved")
	if at < op.Call {
		panic(fmt.Sprintf("checker: CompleteUnobserved(%d) at %v, before its call at %v", id, at, op.Call))
	}
	op.Return, op.Status, op.Unobserved = at, OpCompleted, true
	h.pending--
}

// Fail records that operation id certainly did not take effect. It is then
// excluded from every check. Only call it when that is certain: an operation
// that might have reached a server must stay pending, or a real bug can be
// hidden.
func (h *History[In, Out]) Fail(id OpID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	op := h.pendingOp(id, "Fail")
	op.Status = OpFailed
	h.pending--
	h.failed++
}

func (h *History[In, Out]) pendingOp(id OpID, method string) *Op[In, Out] {
	if id < 0 || int(id) >= len(h.ops) {
		panic(fmt.Sprintf("checker: %s(%d): no such operation (history has %d)", method, id, len(h.ops)))
	}
	op := &h.ops[id]
	if op.Status != OpPending {
		panic(fmt.Sprintf("checker: %s(%d): operation is already %v", method, id, op.Status))
	}
	return op
}

// Len is the number of operations invoked, whatever their status.
func (h *History[In, Out]) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// Pending is the number of operations neither completed nor failed.
func (h *History[In, Out]) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pending
}

// Failed is the number of operations marked as certainly not taken effect.
func (h *History[In, Out]) Failed() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

// Op returns operation id. It panics if there is no such operation.
func (h *History[In, Out]) Op(id OpID) Op[In, Out] {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id < 0 || int(id) >= len(h.ops) {
		panic(fmt.Sprintf("checker: Op(%d): no such operation (history has %d)", id, len(h.ops)))
	}
	return h.ops[id]
}

// Ops returns a copy of every operation, indexed by OpID. It is a copy so
// that a check can run while clients keep recording.
func (h *History[In, Out]) Ops() []Op[In, Out] {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Op[In, Out], len(h.ops))
	copy(out, h.ops)
	return out
}
