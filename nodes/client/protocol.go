package client

import (
	"fmt"

	"github.com/detsim/detsim/sim"
)

// OpKind is a key-value operation.
type OpKind uint8

const (
	OpGet OpKind = iota + 1
	OpPut
	OpAppend
	OpDelete
	OpCAS
)

func (k OpKind) String() string {
	switch k {
	case OpGet:
		return "get"
	case OpPut:
		return "put"
	case OpAppend:
		return "append"
	case OpDelete:
		return "delete"
	case OpCAS:
		return "cas"
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// Op is one key-value operation as a client asks for it.
type Op struct {
	Kind  OpKind
	Key   string
	Value string // put and append: the value; cas: the new value
	Want  string // cas: the value the key must hold (absent counts as "")
}

// Result is what a key-value operation returned.
type Result struct {
	Value string // get: the value (after append: the new value)
	Found bool   // get: the key held a value; delete: it held one before
	OK    bool   // cas: the swap happened
}

// Status says how a server handled a request.
type Status uint8

const (
	// StatusOK: the operation took effect exactly once; Result holds its outcome.
	StatusOK Status = iota + 1
	// StatusNotLeader: this server cannot serve the request; Leader is a
	// hint (NoHost when it knows none). The operation did not take effect
	// through this server.
	StatusNotLeader
	// StatusUnavailable: the server could not decide in time (no quorum,
	// lost leadership while the request was pending). The outcome is unknown.
	StatusUnavailable
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusNotLeader:
		return "not-leader"
	case StatusUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Request is what a client sends to a server. (Client, Seq) is the
// idempotency key: a server that has applied it replies with the original
// result instead of applying it again. A Client has one operation in flight
// at a time, and its Seq grows strictly, across restarts too (see the
// package doc).
type Request struct {
	Client uint64
	Seq    uint64
	Op     Op
}

// IsGet reports whether msg is a Request (or a pointer to one, as the
// client sends them) for a get: what a leader that serves reads by
// ReadIndex answers with a round of heartbeats of its own.
func IsGet(msg any) bool {
	switch r := msg.(type) {
	case Request:
		return r.Op.Kind == OpGet
	case *Request:
		return r.Op.Kind == OpGet
	}
	return false
}

// Response answers the Request with the same Client and Seq.
type Response struct {
	Client uint64
	Seq    uint64
	Status Status
	Result Result
	Leader sim.HostID
}
