package rafttest

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// SnapshotReplay is a nemesis that delivers InstallSnapshots again, late,
// once the cluster has moved past them: the old or duplicated snapshot a
// network that copies and delays messages can bring. Every choice is drawn
// from Cluster.Rand:
//
//  1. it keeps a copy of every InstallSnapshot a leader sends (the newest
//     HeldMax of them);
//  2. every 20-80 ms it takes the oldest copy that some running server
//     other than its sender has committed past, and delivers it to one of
//     them, as from its sender. It prefers a server in the copy's term
//     whose own snapshot is older than the copy (one that caught up by
//     appends): the one server a stale snapshot could roll back. The
//     leader sends every follower that needs one the same snapshot, so the
//     copy is a message its sender could have sent that server; failing
//     such a server, the copy goes back to its recipient;
//  3. each copy is delivered once, and dropped unused after 3 s.
//
// A correct follower answers a snapshot at or below its commit index
// without installing it (raft.Bugs.InstallOldSnapshot does not, and its
// applied state goes back: raftcheck's AppliedMonotonic).
type SnapshotReplay struct {
	c *Cluster
	// HeldMax is how many copies are kept at once (4 if zero).
	HeldMax int
	// Replayed hears of each delivery it makes.
	Replayed func(from, to sim.HostID, index uint64, at time.Duration)

	tap     *Tap
	stopped bool
	held    []heldSnapshot
}

type heldSnapshot struct {
	from, to sim.HostID
	m        raft.InstallSnapshot
	at       time.Duration
}

const heldFor = 3 * time.Second

// NewSnapshotReplay installs the nemesis's hook on tap; Start begins the
// deliveries.
func NewSnapshotReplay(c *Cluster, tap *Tap) *SnapshotReplay {
	p := &SnapshotReplay{c: c, tap: tap}
	tap.SentSnapshot = func(n *raft.Node, to sim.HostID, m raft.InstallSnapshot) {
		if p.stopped {
			return
		}
		m.Snapshot.Members = slices.Clone(m.Snapshot.Members)
		m.Snapshot.Data = slices.Clone(m.Snapshot.Data)
		p.held = append(p.held, heldSnapshot{from: n.ID(), to: to, m: m, at: c.World.Now()})
		if max := p.heldMax(); len(p.held) > max {
			p.held = slices.Delete(p.held, 0, len(p.held)-max)
		}
	}
	return p
}

func (p *SnapshotReplay) heldMax() int {
	if p.HeldMax > 0 {
		return p.HeldMax
	}
	return 4
}

// Start schedules the first look.
func (p *SnapshotReplay) Start() { p.c.World.After(p.gap(), p.look) }

// Stop ends the deliveries and drops the copies.
func (p *SnapshotReplay) Stop() {
	p.stopped = true
	p.held = nil
	p.tap.SentSnapshot = nil
}

func (p *SnapshotReplay) gap() time.Duration {
	return time.Duration(20+p.c.Rand.IntN(61)) * time.Millisecond
}

func (p *SnapshotReplay) look() {
	if p.stopped {
		return
	}
	now := p.c.World.Now()
	p.held = slices.DeleteFunc(p.held, func(h heldSnapshot) bool { return now-h.at > heldFor })
	for i, h := range p.held {
		if to, ok := p.target(h); ok {
			p.held = slices.Delete(p.held, i, i+1)
			p.deliver(h, to)
			break
		}
	}
	p.c.World.After(p.gap(), p.look)
}

// target picks the server a copy goes to, if one has moved past it.
func (p *SnapshotReplay) target(h heldSnapshot) (sim.HostID, bool) {
	index := h.m.Snapshot.Index
	var rollback, recipient []sim.HostID
	for _, id := range p.c.Servers {
		n := p.c.Node(id)
		if id == h.from || n == nil || n.CommitIndex() <= index {
			continue
		}
		if n.Term() == h.m.Term && n.SnapshotIndex() < index {
			rollback = append(rollback, id)
		} else if id == h.to {
			recipient = append(recipient, id)
		}
	}
	switch {
	case len(rollback) > 0:
		return rollback[p.c.Rand.IntN(len(rollback))], true
	case len(recipient) > 0:
		return recipient[0], true
	}
	return sim.NoHost, false
}

func (p *SnapshotReplay) deliver(h heldSnapshot, to sim.HostID) {
	m := h.m
	m.Snapshot.Members = slices.Clone(m.Snapshot.Members)
	m.Snapshot.Data = slices.Clone(m.Snapshot.Data)
	p.c.World.Deliver(sim.Message{From: h.from, To: to, Size: m.Size(), Label: fmt.Sprintf("%T", m), Body: m})
	if p.Replayed != nil {
		p.Replayed(h.from, to, m.Snapshot.Index, p.c.World.Now())
	}
}
