package checker

import (
	"fmt"
	"math"
	"slices"
)

// BankKind is a bank operation.
type BankKind uint8

// The zero BankKind is invalid, as for KVKind.
const (
	BankTransfer BankKind = iota + 1
	BankRead
)

func (k BankKind) String() string {
	switch k {
	case BankTransfer:
		return "transfer"
	case BankRead:
		return "read"
	}
	return fmt.Sprintf("BankKind(%d)", uint8(k))
}

// BankInput is a bank operation as invoked. Accounts are numbered from 0
// in the order of the initial balances given to BankModel.
type BankInput struct {
	Kind   BankKind
	From   int   // transfer
	To     int   // transfer
	Amount int64 // transfer
}

// BankOutput is what a bank operation returned.
type BankOutput struct {
	OK       bool    // transfer: the money moved
	Balances []int64 // read: every account's balance, by account number
}

// BankModel is a fixed set of accounts with the given initial balances,
// checked as one partition (a read sees every account).
//
// A transfer moves Amount from From to To and returns OK if both accounts
// exist, Amount >= 0 and From holds at least Amount; otherwise it changes
// nothing and must return not OK. A read returns all balances. The total is
// therefore conserved, and no balance goes negative.
func BankModel(initial ...int64) Model[[]int64, BankInput, BankOutput] {
	// States are shared between branches of the search and never mutated,
	// so one copy of the caller's slice is enough.
	init := slices.Clone(initial)
	if init == nil {
		init = []int64{}
	}
	apply := func(s []int64, in BankInput) ([]int64, BankOutput) {
		switch in.Kind {
		case BankRead:
			return s, BankOutput{Balances: s}
		case BankTransfer:
			if !bankTransferValid(s, in) {
				return s, BankOutput{}
			}
			next := slices.Clone(s)
			next[in.From] -= in.Amount
			next[in.To] += in.Amount
			return next, BankOutput{OK: true}
		}
		return s, BankOutput{}
	}
	return Model[[]int64, BankInput, BankOutput]{
		Init: func() []int64 { return init },
		Step: func(s []int64, in BankInput, out BankOutput) (bool, []int64) {
			next, want := apply(s, in)
			switch in.Kind {
			case BankRead:
				return slices.Equal(out.Balances, want.Balances), next
			case BankTransfer:
				return out.OK == want.OK, next
			}
			return false, s
		},
		Apply: func(s []int64, in BankInput) []int64 {
			next, _ := apply(s, in)
			return next
		},
		Equal: slices.Equal[[]int64],
		Hash: func(s []int64) uint64 {
			h := uint64(fnvOffset)
			for _, b := range s {
				h ^= uint64(b)
				h *= 1099511628211
			}
			return h
		},
		DescribeInput: func(in BankInput) string {
			if in.Kind == BankTransfer {
				return fmt.Sprintf("transfer(%d -> %d, %d)", in.From, in.To, in.Amount)
			}
			return in.Kind.String() + "()"
		},
		DescribeOutput: func(in BankInput, out BankOutput) string {
			if in.Kind == BankRead {
				return fmt.Sprint(out.Balances)
			}
			return okString(out.OK)
		},
		DescribeState: func(s []int64) string { return fmt.Sprint(s) },
	}
}

func bankTransferValid(s []int64, in BankInput) bool {
	n := len(s)
	if in.From < 0 || in.From >= n || in.To < 0 || in.To >= n || in.Amount < 0 {
		return false
	}
	if s[in.From] < in.Amount {
		return false
	}
	// A balance that would overflow cannot be represented; a real bank
	// refuses, and so does the model, rather than wrap around.
	return in.From == in.To || s[in.To] <= math.MaxInt64-in.Amount
}
