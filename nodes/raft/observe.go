package raft

import (
	"hash/fnv"
	"slices"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Observer is told, synchronously and in order, what nodes do. It is a
// test-side hook (raftcheck.Safety implements it): it must be
// deterministic, must not keep *Entry or *Snapshot pointers past the call,
// and may use only the read-only accessors of the *Node it is given. It
// runs inside the node's event, so what it schedules (world events, network
// changes) happens deterministically too.
type Observer interface {
	// Started: n has recovered from storage (after every boot and
	// restart), before it applies or sends anything.
	Started(n *Node)
	// BecameLeader: n has won the election of n.Term(), before it
	// appends its no-op.
	BecameLeader(n *Node)
	// Appended: n wrote e to its log right after an entry of term
	// prevTerm (having first truncated any conflicting suffix). The write
	// is synced before n tells anyone about it.
	Appended(n *Node, e *Entry, prevTerm uint64)
	// Applied: n applied e to its state machine. Indexes come in order,
	// starting after the snapshot n started or restored from.
	Applied(n *Node, e *Entry)
	// Restored: n replaced its state machine with snapshot s.
	Restored(n *Node, s *Snapshot)
}

// SnapshotObserver is an Observer that also hears of every InstallSnapshot
// a leader sends, before it goes out: a nemesis can keep a copy and
// deliver it again later, as a network that duplicates and delays would.
// m shares its snapshot's Data and Members with the leader: copy them to
// keep them.
type SnapshotObserver interface {
	Observer
	SnapshotSent(n *Node, to sim.HostID, m InstallSnapshot)
}

// ReadObserver is an Observer that also hears of every read a leader
// takes by ReadIndex, once it has sent the heartbeat round that is to
// confirm it: a nemesis can strike the leader at that moment.
type ReadObserver interface {
	Observer
	ReadReceived(n *Node, req client.Request)
}

// SendObserver is an Observer that also hears of every message a node
// sends, once it has gone out: a check can hold the node to what its
// messages revealed (a term, a vote, an acknowledgement), whatever its own
// bookkeeping says. msg is the message as sent; it must not be changed.
type SendObserver interface {
	Observer
	Sent(n *Node, to sim.HostID, msg any)
}

// The read-only accessors. They are for checks and tests: a Node is driven
// only by the simulator.

// ID is the node's host.
func (n *Node) ID() sim.HostID { return n.id }

// Term is the current term.
func (n *Node) Term() uint64 { return n.term }

// Vote is the candidate voted for in the current term, or NoHost.
func (n *Node) Vote() sim.HostID { return n.vote }

// Role is the node's role.
func (n *Node) Role() Role { return n.role }

// Leader is the leader of the current term as far as the node knows, or
// NoHost.
func (n *Node) Leader() sim.HostID { return n.leader }

// CommitIndex is the highest index known to be committed.
func (n *Node) CommitIndex() uint64 { return n.commit }

// LastApplied is the highest index applied to the state machine.
func (n *Node) LastApplied() uint64 { return n.applied }

// FirstIndex is the first index still in the log (entries before it are
// compacted into the snapshot); LastIndex is the last.
func (n *Node) FirstIndex() uint64 { return n.log.offset() + 1 }

// LastIndex is the index of the last entry in the log.
func (n *Node) LastIndex() uint64 { return n.log.lastIndex() }

// SnapshotIndex is the index of the latest snapshot (0: none).
func (n *Node) SnapshotIndex() uint64 { return n.snap.Index }

// SnapshotTerm is the term of the entry at SnapshotIndex, as the latest
// snapshot records it.
func (n *Node) SnapshotTerm() uint64 { return n.snap.Term }

// SnapshotMembers is the configuration the latest snapshot records.
func (n *Node) SnapshotMembers() []sim.HostID { return slices.Clone(n.snap.Members) }

// EntryTerm is the term at index i, if the node knows it (i is in the
// log, or is the last compacted index).
func (n *Node) EntryTerm(i uint64) (uint64, bool) { return n.log.term(i) }

// Entry returns the entry at i if it is in the log.
func (n *Node) Entry(i uint64) (Entry, bool) {
	if i <= n.log.offset() || i > n.log.lastIndex() {
		return Entry{}, false
	}
	return *n.log.at(i), true
}

// Members is the configuration in force (the latest in the log).
func (n *Node) Members() []sim.HostID { return slices.Clone(n.members) }

// MemberCount is len(n.Members()), without the copy.
func (n *Node) MemberCount() int { return len(n.members) }

// Value reads key from the node's state machine.
func (n *Node) Value(key string) (string, bool) {
	v, ok := n.kv.Value(key)
	return v, ok
}

// StateHash digests the state machine (data and client sessions). Two
// nodes that applied the same entries have the same hash.
func (n *Node) StateHash() uint64 {
	h := fnv.New64a()
	h.Write(n.kv.Encode())
	return h.Sum64()
}

// Promise is what a node's responses have told others, and so what it must
// have on disk: a durability check compares it with what the node recovers
// after a crash.
type Promise struct {
	// Term is the highest term the node revealed in a response.
	Term uint64
	// Vote is the candidate it last granted a vote, in VoteTerm.
	VoteTerm uint64
	Vote     sim.HostID
	// Match is the last index it acknowledged to the leader of MatchTerm;
	// its entry there had term MatchIndexTerm.
	MatchTerm, Match, MatchIndexTerm uint64
}

// Promised is what this incarnation's responses promised, for checks.
func (n *Node) Promised() Promise { return n.promised }
