package checker

import (
	"fmt"
	"strconv"
)

// KVKind is a key-value operation.
type KVKind uint8

// The zero KVKind is invalid, so that a forgotten Kind is caught as an
// illegal operation instead of passing as a get.
const (
	KVGet KVKind = iota + 1
	KVPut
	KVAppend
	KVDelete
	KVCAS
)

var kvKindNames = [...]string{KVGet: "get", KVPut: "put", KVAppend: "append", KVDelete: "delete", KVCAS: "cas"}

func (k KVKind) String() string {
	if k >= KVGet && int(k) < len(kvKindNames) {
		return kvKindNames[k]
	}
	return fmt.Sprintf("KVKind(%d)", uint8(k))
}

// KVInput is a key-value operation as invoked.
type KVInput struct {
	Kind  KVKind
	Key   string
	Value string // put, append: the value; cas: the new value
	Want  string // cas: the value the key must hold (absent counts as "")
}

// KVOutput is what a key-value operation returned.
type KVOutput struct {
	Value string // get: the value ("" when absent); append: the new value
	Found bool   // get: the key exists; delete: it existed before
	OK    bool   // cas: the swap happened
}

// KVState is the state of one key.
type KVState struct {
	Value string
	Found bool
}

// kvApply is the sequential key-value store: the state after in, and the
// output a correct store returns.
func kvApply(s KVState, in KVInput) (KVState, KVOutput) {
	switch in.Kind {
	case KVGet:
		return s, KVOutput{Value: s.Value, Found: s.Found}
	case KVPut:
		return KVState{Value: in.Value, Found: true}, KVOutput{}
	case KVAppend:
		n := KVState{Value: s.Value + in.Value, Found: true}
		return n, KVOutput{Value: n.Value}
	case KVDelete:
		return KVState{}, KVOutput{Found: s.Found}
	case KVCAS:
		if s.Value == in.Want {
			return KVState{Value: in.Value, Found: true}, KVOutput{OK: true}
		}
		return s, KVOutput{}
	}
	return s, KVOutput{}
}

func kvStep(s KVState, in KVInput, out KVOutput) (bool, KVState) {
	next, want := kvApply(s, in)
	switch in.Kind {
	case KVGet:
		return out.Value == want.Value && out.Found == want.Found, next
	case KVPut:
		return true, next
	case KVAppend:
		return out.Value == want.Value, next
	case KVDelete:
		return out.Found == want.Found, next
	case KVCAS:
		return out.OK == want.OK, next
	}
	return false, s
}

// KVModel is a key-value store partitioned by key. An absent key reads as
// "" (so cas with Want "" succeeds on it). Outputs are checked as follows:
// get: Found and Value (Value "" when not found); put: ignored; append:
// Value is the new value; delete: Found is whether the key existed; cas: OK.
func KVModel() Model[KVState, KVInput, KVOutput] {
	return Model[KVState, KVInput, KVOutput]{
		Init: func() KVState { return KVState{} },
		Step: kvStep,
		Apply: func(s KVState, in KVInput) KVState {
			next, _ := kvApply(s, in)
			return next
		},
		Partition: func(in KVInput) string { return in.Key },
		Hash: func(s KVState) uint64 {
			h := fnv64(fnvOffset, s.Value)
			if s.Found {
				h = ^h
			}
			return h
		},
		DescribeInput:  describeKVInput,
		DescribeOutput: describeKVOutput,
		DescribeState: func(s KVState) string {
			if !s.Found {
				return "absent"
			}
			return strconv.Quote(s.Value)
		},
	}
}

// describeKVInput writes in as "put(\"k\", \"v\")", by hand: a history's
// summaries are made for every run.
func describeKVInput(in KVInput) string {
	switch in.Kind {
	case KVPut, KVAppend:
		return in.Kind.String() + "(" + strconv.Quote(in.Key) + ", " + strconv.Quote(in.Value) + ")"
	case KVCAS:
		return "cas(" + strconv.Quote(in.Key) + ", want " + strconv.Quote(in.Want) + ", set " + strconv.Quote(in.Value) + ")"
	}
	return in.Kind.String() + "(" + strconv.Quote(in.Key) + ")"
}

func describeKVOutput(in KVInput, out KVOutput) string {
	switch in.Kind {
	case KVGet:
		if !out.Found {
			if out.Value != "" {
				return "not found, " + strconv.Quote(out.Value)
			}
			return "not found"
		}
		return strconv.Quote(out.Value)
	case KVAppend:
		return strconv.Quote(out.Value)
	case KVDelete:
		if out.Found {
			return "existed"
		}
		return "absent"
	case KVCAS:
		return okString(out.OK)
	}
	return "ok"
}

func okString(ok bool) string {
	if ok {
		return "ok"
	}
	return "failed"
}
