package checker

import (
	"fmt"
	"strconv"
)

// RegisterKind is an operation on a single register.
type RegisterKind uint8

// The zero RegisterKind is invalid, as for KVKind.
const (
	RegisterRead RegisterKind = iota + 1
	RegisterWrite
	RegisterCAS
)

var registerKindNames = [...]string{RegisterRead: "read", RegisterWrite: "write", RegisterCAS: "cas"}

func (k RegisterKind) String() string {
	if k >= RegisterRead && int(k) < len(registerKindNames) {
		return registerKindNames[k]
	}
	return fmt.Sprintf("RegisterKind(%d)", uint8(k))
}

// RegisterInput is a register operation as invoked.
type RegisterInput struct {
	Kind  RegisterKind
	Value string // write: the value; cas: the new value
	Want  string // cas: the value the register must hold
}

// RegisterOutput is what a register operation returned.
type RegisterOutput struct {
	Value string // read: the value
	OK    bool   // cas: the swap happened
}

// RegisterModel is a single register holding a string, initially "". A
// read must return the value; a write's output is ignored; a cas sets Value
// and returns OK if the register held Want, else returns not OK.
func RegisterModel() Model[string, RegisterInput, RegisterOutput] {
	apply := func(s string, in RegisterInput) (string, RegisterOutput) {
		switch in.Kind {
		case RegisterRead:
			return s, RegisterOutput{Value: s}
		case RegisterWrite:
			return in.Value, RegisterOutput{}
		case RegisterCAS:
			if s == in.Want {
				return in.Value, RegisterOutput{OK: true}
			}
		}
		return s, RegisterOutput{}
	}
	return Model[string, RegisterInput, RegisterOutput]{
		Init: func() string { return "" },
		Step: func(s string, in RegisterInput, out RegisterOutput) (bool, string) {
			next, want := apply(s, in)
			switch in.Kind {
			case RegisterRead:
				return out.Value == want.Value, next
			case RegisterWrite:
				return true, next
			case RegisterCAS:
				return out.OK == want.OK, next
			}
			return false, s
		},
		Apply: func(s string, in RegisterInput) string {
			next, _ := apply(s, in)
			return next
		},
		Hash: func(s string) uint64 { return fnv64(fnvOffset, s) },
		DescribeInput: func(in RegisterInput) string {
			switch in.Kind {
			case RegisterWrite:
				return fmt.Sprintf("write(%q)", in.Value)
			case RegisterCAS:
				return fmt.Sprintf("cas(want %q, set %q)", in.Want, in.Value)
			}
			return in.Kind.String() + "()"
		},
		DescribeOutput: func(in RegisterInput, out RegisterOutput) string {
			switch in.Kind {
			case RegisterRead:
				return strconv.Quote(out.Value)
			case RegisterCAS:
				return okString(out.OK)
			}
			return "ok"
		},
		DescribeState: strconv.Quote,
	}
}
