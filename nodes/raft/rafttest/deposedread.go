package rafttest

import (
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// DeposedRead is a phased nemesis aimed at ReadIndex reads at a leader
// deposed between two reads: each read must be confirmed by a quorum
// round that began after the read arrived, never by acknowledgements
// that were on their way before it. Every choice is drawn from
// Cluster.Rand. A cycle:
//
//  1. a leader L that has committed in its term takes a read and sends
//     the round that confirms it; at that moment L's clock steps back by
//     StepBack (an NTP step: L sends no heartbeat and runs no CheckQuorum
//     for that long), the links from the other servers to L are clogged
//     (their answers, the acknowledgements of that round among them, are
//     held), and the clients' links to L are cut; one client drawn at
//     random, the reader, is cut off from every other server instead;
//  2. 20 ms later, once the round has reached the others, L's links to
//     them are cut too: they stop hearing L, elect a leader of a later
//     term, and it commits;
//  3. 100-400 ms after that leader's first commit, the reader's link to L
//     comes back: the reader's operations since have all timed out, so
//     the next read L takes is the reader's, invoked after the new
//     leader's writes, and the first since the held round;
//  4. the moment L has taken it, the held messages are released: the
//     acknowledgements of the old round reach L first, then the new
//     leader's. 20 ms later every link heals and L's clock steps forward
//     again; the next cycle begins 0.5-1.5 s later. A cycle stuck for
//     3 s is undone and abandoned.
//
// A leader that confirmed reads by a round sent before they arrived
// answers that read from its deposed state: a stale read that the history
// check finds.
//
// DeposedRead rewrites links of the network (partition, cut, clog);
// do not mix it with other network faults or the other nemeses of this
// package in one run.
type DeposedRead struct {
	c *Cluster
	// StepBack is how far L's clock steps back (5 s if zero).
	StepBack time.Duration
	// Struck hears of each leader the program cut off, from when to when.
	Struck func(h sim.HostID, from, to time.Duration)
	// Released hears of each deposed leader that took a read just before
	// the held acknowledgements reached it: a cycle that got through.
	Released func(h sim.HostID, at time.Duration)

	tap     *Tap
	stopped bool
	phase   deposedPhase
	since   time.Duration // when the phase began
	old     sim.HostID
	reader  sim.HostID
	oldTerm uint64
	cutAt   time.Duration
	stepped time.Duration
}

type deposedPhase uint8

const (
	deposedIdle     deposedPhase = iota
	deposedElecting              // L is cut off; waiting for a new leader's commit
	deposedWaiting               // the new leader committed; clients still cut from L
	deposedReading               // clients reach L again; waiting for its next read
	deposedSettling              // healed; waiting for the next cycle
)

const deposedPoll = 10 * time.Millisecond

// NewDeposedRead installs the nemesis's hook on tap; Start begins it.
func NewDeposedRead(c *Cluster, tap *Tap) *DeposedRead {
	p := &DeposedRead{c: c, tap: tap, old: sim.NoHost}
	tap.ReadArrived = p.readArrived
	return p
}

// Start begins the cycles.
func (p *DeposedRead) Start() { p.c.World.After(deposedPoll, p.poll) }

// Stop ends the cycles, undoing what a cycle under way did to the network
// and the clock.
func (p *DeposedRead) Stop() {
	if p.phase != deposedIdle && p.phase != deposedSettling {
		p.undo()
	}
	p.stopped = true
	p.tap.ReadArrived = nil
}

func (p *DeposedRead) stepBack() time.Duration {
	if p.StepBack > 0 {
		return p.StepBack
	}
	return 5 * time.Second
}

func (p *DeposedRead) readArrived(n *raft.Node) {
	if p.stopped {
		return
	}
	switch {
	case p.phase == deposedIdle && n.Role() == raft.Leader && n.CommitIndex() > 1:
		if t, _ := n.EntryTerm(n.CommitIndex()); t == n.Term() {
			p.depose(n)
		}
	case p.phase == deposedReading && n.ID() == p.old:
		p.release()
	}
}

// depose strikes L the moment it has sent the round for a read.
func (p *DeposedRead) depose(n *raft.Node) {
	c := p.c
	p.old, p.oldTerm = n.ID(), n.Term()
	p.phase, p.since, p.cutAt = deposedElecting, c.World.Now(), c.World.Now()
	p.stepped = p.stepBack()
	c.World.Host(p.old).StepClock(-p.stepped)
	for _, h := range c.Servers {
		if h != p.old {
			must(c.Net.ClogLink(h, p.old))
		}
	}
	p.cutClients()
	old := p.old
	c.World.After(20*time.Millisecond, func() {
		if p.stopped || p.old != old || p.phase == deposedSettling || p.phase == deposedIdle {
			return
		}
		for _, h := range c.Servers {
			if h != old {
				must(c.Net.Cut(old, h))
			}
		}
	})
}

// cutClients cuts every host that is not a server from L, and the reader,
// drawn among them, from every other server.
func (p *DeposedRead) cutClients() {
	c := p.c
	var clients []sim.HostID
	for i := 0; i < c.World.Hosts(); i++ {
		if h := sim.HostID(i); !slices.Contains(c.Servers, h) {
			clients = append(clients, h)
			must(c.Net.Cut(h, p.old))
		}
	}
	p.reader = sim.NoHost
	if len(clients) == 0 {
		return
	}
	p.reader = clients[c.Rand.IntN(len(clients))]
	for _, h := range c.Servers {
		if h != p.old {
			must(c.Net.Cut(p.reader, h))
		}
	}
}

func (p *DeposedRead) poll() {
	if p.stopped {
		return
	}
	c := p.c
	now := c.World.Now()
	switch p.phase {
	case deposedElecting:
		if l := c.Leader(); l != nil && l.ID() != p.old && l.Term() > p.oldTerm {
			if t, _ := l.EntryTerm(l.CommitIndex()); t == l.Term() {
				p.phase, p.since = deposedWaiting, now+time.Duration(100+c.Rand.IntN(301))*time.Millisecond
			}
		}
	case deposedWaiting:
		if now >= p.since && p.reader != sim.NoHost {
			must(c.Net.Connect(p.reader, p.old))
			p.phase = deposedReading
		}
	case deposedSettling:
		if now >= p.since {
			p.phase = deposedIdle
		}
	}
	if p.phase != deposedIdle && p.phase != deposedSettling && now-p.cutAt > 3*time.Second {
		p.undo()
	}
	c.World.After(deposedPoll, p.poll)
}

// release lets the held messages reach L, just after it took its read.
func (p *DeposedRead) release() {
	c := p.c
	for _, h := range c.Servers {
		if h != p.old {
			must(c.Net.UnclogLink(h, p.old))
		}
	}
	p.phase = deposedSettling
	p.since = c.World.Now() + time.Duration(500+c.Rand.IntN(1001))*time.Millisecond
	if p.Released != nil {
		p.Released(p.old, c.World.Now())
	}
	old := p.old
	c.World.After(20*time.Millisecond, func() {
		if p.old == old && p.phase == deposedSettling {
			p.heal()
		}
	})
}

// undo heals a cycle that did not get through.
func (p *DeposedRead) undo() {
	p.heal()
	p.phase, p.since = deposedSettling, p.c.World.Now()+time.Second
}

// heal reconnects L and steps its clock forward again.
func (p *DeposedRead) heal() {
	c := p.c
	c.Net.Heal()
	c.Net.UnclogAll()
	if p.stepped != 0 {
		c.World.Host(p.old).StepClock(p.stepped)
		p.stepped = 0
	}
	if p.Struck != nil {
		p.Struck(p.old, p.cutAt, c.World.Now())
	}
}

func must(err error) {
	if err != nil {
		panic("rafttest: " + err.Error()) // the host ids are wrong
	}
}
