package raft

import (
	"fmt"

	"github.com/detsim/detsim/sim"
)

// Role is a node's part in the protocol.
type Role uint8

const (
	Follower Role = iota + 1
	// PreCandidate: the election timer fired and PreVote is on; the node
	// asks whether it could win before it raises its term.
	PreCandidate
	Candidate
	Leader
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case PreCandidate:
		return "pre-candidate"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// The messages between Raft nodes. Every one carries the sender's Term
// (for a pre-vote request: the term the sender would campaign in). The
// sender is the network's from; a message names no host of its own unless
// it has to. Entries, Members and snapshot data inside messages are never
// modified after they are made, so the messages that carry them are
// net.Immutable: the network shares them instead of copying them.

// VoteRequest asks for a vote (or, with Pre, a pre-vote).
type VoteRequest struct {
	Term      uint64
	LastIndex uint64 // the candidate's last log index and its term
	LastTerm  uint64
	Pre       bool
	// Transfer: the election follows a TimeoutNow from the leader, so
	// leader stickiness does not apply.
	Transfer bool
}

// VoteResponse answers a VoteRequest.
type VoteResponse struct {
	Term    uint64
	Pre     bool
	Granted bool
}

// AppendEntries replicates Entries after (PrevIndex, PrevTerm) and tells
// the follower the leader's commit index.
type AppendEntries struct {
	Term      uint64
	PrevIndex uint64
	PrevTerm  uint64
	Entries   []Entry
	Commit    uint64
}

// ImmutableMessage makes AppendEntries a net.Immutable: its entries are
// values no one changes, and the array they lie in is the sender's log's,
// which never writes an element again once it has held an entry (see
// raftLog). Nor does a receiver write into a message's entries.
func (AppendEntries) ImmutableMessage() {}

// same reports whether m and o are one message: equal fields, and
// entries in the same elements of the same array. Followers at the same
// next index get the same AppendEntries, which, being Immutable, they
// can share in one box, as heartbeats do.
func (m *AppendEntries) same(o *AppendEntries) bool {
	if m.Term != o.Term || m.PrevIndex != o.PrevIndex || m.PrevTerm != o.PrevTerm || m.Commit != o.Commit ||
		len(m.Entries) != len(o.Entries) || cap(m.Entries) != cap(o.Entries) || (m.Entries == nil) != (o.Entries == nil) {
		return false
	}
	return len(m.Entries) == 0 || &m.Entries[0] == &o.Entries[0]
}

// Size approximates the encoded size.
func (m AppendEntries) Size() int {
	n := 40
	for i := range m.Entries {
		n += m.Entries[i].size()
	}
	return n
}

// AppendResponse answers AppendEntries. On success, Index is the last
// index the follower now knows to match the leader's log. On rejection,
// RejectIndex is the PrevIndex that did not match, and ConflictTerm and
// ConflictIndex let the leader skip a whole term at a time: ConflictTerm is
// the term the follower has at RejectIndex (0 if its log is shorter) and
// ConflictIndex the first index of that term in its log (or its last index
// plus one).
type AppendResponse struct {
	Term          uint64
	Success       bool
	Index         uint64
	RejectIndex   uint64
	ConflictTerm  uint64
	ConflictIndex uint64
}

// Heartbeat asserts leadership and carries the commit index the follower
// may safely adopt (the leader's commit, capped at what it knows the
// follower holds). Round numbers the heartbeat broadcast, for read-index
// and lease confirmation.
type Heartbeat struct {
	Term   uint64
	Commit uint64
	Round  uint64
}

// HeartbeatResponse echoes Round.
type HeartbeatResponse struct {
	Term  uint64
	Round uint64
}

// InstallSnapshot replaces a lagging follower's state with Snapshot.
type InstallSnapshot struct {
	Term     uint64
	Snapshot Snapshot
}

// ImmutableMessage makes InstallSnapshot a net.Immutable: a snapshot's
// members and data are never changed once it is taken.
func (InstallSnapshot) ImmutableMessage() {}

// Size approximates the encoded size.
func (m InstallSnapshot) Size() int { return 32 + len(m.Snapshot.Data) + 8*len(m.Snapshot.Members) }

// SnapshotResponse answers InstallSnapshot: Index is the follower's
// commit index after it.
type SnapshotResponse struct {
	Term  uint64
	Index uint64
}

// TimeoutNow tells the leadership transferee to campaign at once.
type TimeoutNow struct {
	Term uint64
}

// Snapshot is the state machine (KV data and client sessions, encoded) as
// of Index, and the configuration in force there.
type Snapshot struct {
	Index   uint64
	Term    uint64
	Members []sim.HostID
	Data    []byte
}

// termOf returns the term a raft message carries, and whether msg is one.
func termOf(msg any) (uint64, bool) {
	switch m := msg.(type) {
	case VoteRequest:
		return m.Term, true
	case VoteResponse:
		return m.Term, true
	case AppendEntries:
		return m.Term, true
	case AppendResponse:
		return m.Term, true
	case Heartbeat:
		return m.Term, true
	case HeartbeatResponse:
		return m.Term, true
	case InstallSnapshot:
		return m.Term, true
	case SnapshotResponse:
		return m.Term, true
	case TimeoutNow:
		return m.Term, true
	}
	return 0, false
}
