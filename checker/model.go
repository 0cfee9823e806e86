package checker

import (
	"fmt"
	"reflect"

	"github.com/anishathalye/porcupine"
)

// Model is a sequential specification with typed state S, input In and
// output Out. Check converts it to a porcupine.Model, so callers never handle
// interface{} values.
//
// Every function must be pure: the checker keeps old states around while it
// backtracks, so Step and Apply must return a new state rather than modify
// the one they are given.
type Model[S, In, Out any] struct {
	// Init returns the initial state (of one partition, when Partition is
	// set).
	Init func() S
	// Step reports whether an operation with input in could have returned
	// out in state, and the state after it.
	Step func(state S, in In, out Out) (ok bool, next S)
	// Apply returns the state after an operation whose output nobody saw
	// (a pending operation). Such an operation is always legal; only its
	// effect matters. Required when a history has pending operations.
	Apply func(state S, in In) S
	// Partition, if set, names the independent part of the state an
	// operation touches (for a key-value store, its key). Operations with
	// different names are checked separately, which turns one exponential
	// search into many small ones. Init and Step then describe one
	// partition.
	Partition func(in In) string
	// Equal compares states; nil means ==, which needs a comparable S.
	Equal func(a, b S) bool
	// Hash, if set, must give equal states equal hashes; it spares the
	// checker Equal calls.
	Hash func(state S) uint64
	// DescribeInput, DescribeOutput and DescribeState render operations
	// and states for explanations and visualisations; nil uses %v.
	DescribeInput  func(in In) string
	DescribeOutput func(in In, out Out) string
	DescribeState  func(state S) string

	_ struct{}
}

// output is what porcupine sees as an operation's output: Out plus whether
// it was observed at all, since a pending operation has no output to check.
type output[Out any] struct {
	out   Out
	known bool
}

// checkedOp is what porcupine carries of one operation, as its Input,
// Output and Metadata alike: a pointer into one slice of them, so that
// converting a history allocates once, where boxing each operation's input,
// output and id would allocate up to three times per operation.
type checkedOp[In, Out any] struct {
	id  OpID
	in  In
	out output[Out]
}

// checkedOf is the operation op carries.
func checkedOf[In, Out any](op porcupine.Operation) *checkedOp[In, Out] {
	return op.Input.(*checkedOp[In, Out])
}

// validate panics on a model that cannot work, before any goroutine of
// porcupine's starts: a panic there could not be recovered by the caller.
func (m Model[S, In, Out]) validate(pending int) {
	if m.Init == nil || m.Step == nil {
		panic("checker: Model needs Init and Step")
	}
	if pending > 0 && m.Apply == nil {
		panic(fmt.Sprintf("checker: Model has no Apply, but the history has %d pending operations", pending))
	}
	if m.Equal == nil && !reflect.TypeFor[S]().Comparable() {
		panic(fmt.Sprintf("checker: Model state %v is not comparable: set Model.Equal", reflect.TypeFor[S]()))
	}
}

func (m Model[S, In, Out]) describeInput(in In) string {
	if m.DescribeInput != nil {
		return m.DescribeInput(in)
	}
	return fmt.Sprintf("%v", in)
}

func (m Model[S, In, Out]) describeOp(in In, out output[Out]) string {
	if !out.known {
		return m.describeInput(in) + " -> ? (pending or not observed)"
	}
	if m.DescribeOutput != nil {
		return m.describeInput(in) + " -> " + m.DescribeOutput(in, out.out)
	}
	return fmt.Sprintf("%s -> %v", m.describeInput(in), out.out)
}

func (m Model[S, In, Out]) describeState(s S) string {
	if m.DescribeState != nil {
		return m.DescribeState(s)
	}
	return fmt.Sprintf("%v", s)
}

// step is Step for observed outputs and Apply for pending ones.
func (m Model[S, In, Out]) step(s S, in In, out output[Out]) (bool, S) {
	if !out.known {
		return true, m.Apply(s, in)
	}
	return m.Step(s, in, out.out)
}

// porcupine converts the model. Partitioning is left out: Check partitions
// the history itself so that it knows each partition's verdict.
func (m Model[S, In, Out]) porcupine() porcupine.Model {
	step, apply := m.Step, m.Apply
	pm := porcupine.Model{
		Init: func() interface{} { return m.Init() },
		// The model's own functions are called directly, not through
		// m.step: the search steps millions of times, and each call
		// through the method copies the whole Model.
		Step: func(state, in, _ interface{}) (bool, interface{}) {
			op := in.(*checkedOp[In, Out])
			if !op.out.known {
				return true, apply(state.(S), op.in)
			}
			return step(state.(S), op.in, op.out.out)
		},
		DescribeOperation: func(in, _ interface{}) string {
			op := in.(*checkedOp[In, Out])
			return m.describeOp(op.in, op.out)
		},
		DescribeState: func(state interface{}) string {
			return m.describeState(state.(S))
		},
		DescribeOperationMetadata: func(md interface{}) string {
			if op, ok := md.(*checkedOp[In, Out]); ok {
				return fmt.Sprintf("op %d", op.id)
			}
			return ""
		},
	}
	if m.Equal != nil {
		pm.Equal = func(a, b interface{}) bool { return m.Equal(a.(S), b.(S)) }
	}
	if m.Hash != nil {
		pm.Hash = func(state interface{}) uint64 { return m.Hash(state.(S)) }
	}
	return pm
}

// fnv64 is FNV-1a, inlined because hash/fnv allocates per call and Hash
// runs once per explored state.
func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

const fnvOffset = 14695981039346656037
