package twopc

import (
	"fmt"
	"strconv"
	"time"

	"github.com/detsim/detsim/sim"
)

// TxnID names a transaction: its client and the client's sequence number,
// which grows across the client's restarts.
type TxnID struct {
	Client uint64
	Seq    uint64
}

func (t TxnID) String() string {
	b := append([]byte{'t'}, strconv.FormatUint(t.Client, 10)...)
	b = append(b, '.')
	return string(strconv.AppendUint(b, t.Seq, 10))
}

// Priority orders transactions for wait-die: the smaller is older. It is
// fixed when the client begins the transaction, so that a retried
// transaction keeps its age.
type Priority struct {
	Start  time.Duration
	Client uint64
}

func (p Priority) older(q Priority) bool {
	return p.Start < q.Start || p.Start == q.Start && p.Client < q.Client
}

// OpKind is the kind of an operation on one key.
type OpKind uint8

const (
	// OpRead returns the key's value.
	OpRead OpKind = iota + 1
	// OpWrite sets the key's register to Value.
	OpWrite
	// OpAppend appends Value to the key's list.
	OpAppend
	// OpAdd adds Value to the key's register; the transaction is refused
	// if the register would go negative (a bank withdrawal).
	OpAdd
)

func (k OpKind) String() string {
	switch k {
	case OpRead:
		return "r"
	case OpWrite:
		return "w"
	case OpAppend:
		return "append"
	case OpAdd:
		return "add"
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

func (k OpKind) writes() bool { return k != OpRead }

// Op is one operation of a transaction on one key.
type Op struct {
	Kind  OpKind
	Key   string
	Value int
}

// A value is a list: a list-append key's elements, or a register's value
// as a list of at most one element (empty: never written).

// Execute asks a shard to run a transaction's operations on its keys,
// holding their locks until the transaction ends. Retries are the same
// message.
type Execute struct {
	Txn      TxnID
	Priority Priority
	Ops      []Op
}

// Executed answers Execute. OK: the operations ran and Results holds what
// each read saw (nil for other operations). Not OK: the shard aborted the
// transaction (a lock conflict, a timeout, a crash that lost it); Refused
// additionally says the abort was an OpAdd that would overdraw.
type Executed struct {
	Txn     TxnID
	Shard   int
	Epoch   uint64 // the shard's incarnation that ran the operations
	OK      bool
	Refused bool
	Results [][]int
}

// AbortRequest asks a shard to abort a transaction it has not prepared:
// the client gives up on it.
type AbortRequest struct{ Txn TxnID }

// CommitRequest asks the transaction's initiating shard (its first
// participant) to start the commit.
//
// Epochs are the incarnations of the participants that ran the
// operations, by position in Participants: a shard that restarted since
// (and lost the locks its reads ran under) votes no.
type CommitRequest struct {
	Txn          TxnID
	Participants []int
	Epochs       []uint64
}

// BeginCommit is the initiating shard's request to the coordinator to run
// the commit; it carries the initiator's own yes vote, as in Gray and
// Lamport's account of two-phase commit.
type BeginCommit struct {
	Txn          TxnID
	Client       sim.HostID
	Participants []int
	Epochs       []uint64
}

// Prepare asks a shard to prepare a transaction and vote.
type Prepare struct {
	Txn          TxnID
	Participants []int
	Epochs       []uint64
}

// Vote is a shard's vote in two-phase commit.
type Vote struct {
	Txn   TxnID
	Shard int
	Yes   bool
}

// Decision tells a shard a transaction's outcome.
type Decision struct {
	Txn    TxnID
	Commit bool
}

// Ack acknowledges a commit decision, so that the coordinator stops
// resending it. Aborts are not acknowledged (presumed abort).
type Ack struct {
	Txn   TxnID
	Shard int
}

// Outcome tells the client a transaction's outcome.
type Outcome struct {
	Txn    TxnID
	Commit bool
}

// DecisionQuery is a prepared shard asking the coordinator and the other
// participants for the outcome (cooperative termination).
type DecisionQuery struct {
	Txn   TxnID
	Shard int
}

// DecisionReply answers a DecisionQuery. Known: the sender knows the
// outcome, Commit. A participant that had not voted aborts and answers
// abort; one that is itself in doubt answers Known false.
type DecisionReply struct {
	Txn    TxnID
	Known  bool
	Commit bool
}

// Paxos Commit runs one Paxos instance per participant of a transaction,
// choosing Prepared or Aborted. Acceptors bundle the instances of one
// transaction in each message. Ballot 0 belongs to each instance's own
// participant, which needs no phase 1 for it; a participant that recovers
// a transaction uses ballots above 0, unique to it.

// Accepted is an acceptor's state for one instance.
type Accepted struct {
	Shard    int
	Ballot   uint64
	Has      bool // a value was accepted
	Prepared bool // the value: Prepared (true) or Aborted
}

// Phase1a is a recovering participant's prepare for every instance of a
// transaction.
type Phase1a struct {
	Txn          TxnID
	Acceptor     int // the index of the acceptor addressed
	Ballot       uint64
	Participants []int
}

// Phase1b promises Ballot and reports what the acceptor accepted; or,
// Rejected, says that the acceptor had already promised Promised, at least
// Ballot, so that the sender's next ballot goes above it.
type Phase1b struct {
	Txn       TxnID
	Ballot    uint64
	Acceptor  int
	Instances []Accepted
	Rejected  bool
	Promised  uint64
}

// Phase2a asks acceptors to accept values at Ballot: a participant's own
// vote at ballot 0, or a recovering participant's values for every
// instance.
type Phase2a struct {
	Txn          TxnID
	Acceptor     int // the index of the acceptor addressed
	Ballot       uint64
	Participants []int
	Values       []Accepted
	Client       sim.HostID
}

// Phase2b reports an acceptor's accepted values for every instance of a
// transaction it knows, to the leader (ballot 0, once it holds every
// participant's vote or a no) or to the proposer of Ballot.
type Phase2b struct {
	Txn       TxnID
	Acceptor  int
	Ballot    uint64 // the ballot of the Phase2a answered
	Instances []Accepted
}

// Bundle carries several messages from one host to another as one
// network message: the initiator's BeginCommit with its vote to the
// acceptor on the leader's host.
type Bundle struct {
	Msgs []any
}
