package rafttest

import (
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Tap is a raft.Observer that passes every report on to Next and calls its
// hooks, which nemeses set. Hooks run inside the node's event, before the
// node goes on: what they do to the network takes effect before the node
// sends anything more.
type Tap struct {
	// Next receives every report first; nil drops them.
	Next raft.Observer
	// Elected runs when n has won an election, before its no-op.
	Elected func(n *raft.Node)
	// FirstCommit runs when a leader applies its first entry of its term.
	FirstCommit func(n *raft.Node)
	// ConfAppended runs when a leader has appended a configuration entry,
	// before it sends it.
	ConfAppended func(n *raft.Node)
	// SentSnapshot runs when leader n is about to send m to a follower.
	SentSnapshot func(n *raft.Node, to sim.HostID, m raft.InstallSnapshot)
	// ReadArrived runs when leader n has taken a read by ReadIndex and
	// sent the round that is to confirm it.
	ReadArrived func(n *raft.Node)
	// SentMessage runs when n has sent msg to to (raft.SendObserver).
	SentMessage func(n *raft.Node, to sim.HostID, msg any)

	leaderApplied map[sim.HostID]uint64 // host -> term of its last apply as leader
}

var (
	_ raft.SnapshotObserver = (*Tap)(nil)
	_ raft.ReadObserver     = (*Tap)(nil)
	_ raft.SendObserver     = (*Tap)(nil)
)

// Started implements raft.Observer.
func (t *Tap) Started(n *raft.Node) {
	if t.Next != nil {
		t.Next.Started(n)
	}
}

// BecameLeader implements raft.Observer.
func (t *Tap) BecameLeader(n *raft.Node) {
	if t.Next != nil {
		t.Next.BecameLeader(n)
	}
	if t.Elected != nil {
		t.Elected(n)
	}
}

// Appended implements raft.Observer.
func (t *Tap) Appended(n *raft.Node, e *raft.Entry, prevTerm uint64) {
	if t.Next != nil {
		t.Next.Appended(n, e, prevTerm)
	}
	if t.ConfAppended != nil && e.Kind == raft.EntryConf && n.Role() == raft.Leader {
		t.ConfAppended(n)
	}
}

// Applied implements raft.Observer.
func (t *Tap) Applied(n *raft.Node, e *raft.Entry) {
	if t.Next != nil {
		t.Next.Applied(n, e)
	}
	if t.FirstCommit != nil && n.Role() == raft.Leader {
		if t.leaderApplied == nil {
			t.leaderApplied = map[sim.HostID]uint64{}
		}
		if t.leaderApplied[n.ID()] != n.Term() {
			t.leaderApplied[n.ID()] = n.Term()
			t.FirstCommit(n)
		}
	}
}

// Restored implements raft.Observer.
func (t *Tap) Restored(n *raft.Node, s *raft.Snapshot) {
	if t.Next != nil {
		t.Next.Restored(n, s)
	}
}

// SnapshotSent implements raft.SnapshotObserver; Next hears of it if it is
// one too.
func (t *Tap) SnapshotSent(n *raft.Node, to sim.HostID, m raft.InstallSnapshot) {
	if o, ok := t.Next.(raft.SnapshotObserver); ok {
		o.SnapshotSent(n, to, m)
	}
	if t.SentSnapshot != nil {
		t.SentSnapshot(n, to, m)
	}
}

// ReadReceived implements raft.ReadObserver; Next hears of it if it is one
// too.
func (t *Tap) ReadReceived(n *raft.Node, req client.Request) {
	if o, ok := t.Next.(raft.ReadObserver); ok {
		o.ReadReceived(n, req)
	}
	if t.ReadArrived != nil {
		t.ReadArrived(n)
	}
}

// Sent implements raft.SendObserver; Next hears of it if it is one too.
func (t *Tap) Sent(n *raft.Node, to sim.HostID, msg any) {
	if o, ok := t.Next.(raft.SendObserver); ok {
		o.Sent(n, to, msg)
	}
	if t.SentMessage != nil {
		t.SentMessage(n, to, msg)
	}
}
