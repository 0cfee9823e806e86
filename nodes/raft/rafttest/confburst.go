package rafttest

import (
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// ConfBurst is a phased nemesis aimed at configuration changes made back
// to back, one before the last has committed, every choice drawn from
// Cluster.Rand. With n members and quorum q, a cycle:
//
//  1. once a leader L has committed in its term with every member up, L
//     and n-q-1 of its followers (its side: the largest minority whose
//     complement is a majority) are cut off from the rest, and the Admin
//     asks L to remove a server of the rest;
//  2. each time L appends a change, 50-100 ms later (the Admin has given
//     up on the last request by then) the Admin asks L to remove another
//     server of the rest, until L's side would be a majority of the
//     configuration asked for. A leader that takes a change only once the
//     last one has committed refuses them all (none can commit on a
//     minority); one that does not appends them all, and then commits on
//     its side alone while the rest, a majority of the configuration they
//     still have, elect a leader and commit too: two logs diverge;
//  3. 0.6-1.2 s after the cut everything heals. The Admin adds back each
//     server missing from the leader's configuration, one at a time; once
//     every member is back, the next cycle begins 0.5-1 s later. A cycle
//     stuck for 5 s starts over.
//
// It needs at least 3 members and the Admin. ConfBurst sets
// Admin.AttemptsMax to 1 and Admin.Timeout to 40 ms, so that a change
// that did not get through is dropped, not retried at the next leader.
// It rewrites the network's partition (clients and other hosts keep
// their links); do not mix it with other partition faults or with the
// other nemeses of this package in one run.
type ConfBurst struct {
	c   *Cluster
	tap *Tap
	// Asked hears of each removal asked of L while a change of L's is
	// uncommitted.
	Asked func(leader, removed sim.HostID, at time.Duration)

	stopped bool
	phase   confBurstPhase
	since   time.Duration
	leader  sim.HostID
	members []sim.HostID // every member, as the cycle began
	side    []sim.HostID // L and the followers cut off with it
	remove  []sim.HostID // the servers still to be removed
	asked   int          // removals asked in this cycle
}

type confBurstPhase uint8

const (
	confBurstIdle    confBurstPhase = iota
	confBurstCut                    // L's side is cut off; removals are asked
	confBurstRestore                // healed; servers are added back
)

const (
	confBurstPoll  = 100 * time.Millisecond
	confBurstStuck = 5 * time.Second
)

// NewConfBurst installs the nemesis's hook on tap; Start begins it.
func NewConfBurst(c *Cluster, tap *Tap) *ConfBurst {
	p := &ConfBurst{c: c, tap: tap, leader: sim.NoHost}
	tap.ConfAppended = p.appended
	return p
}

// Start sets the Admin's limits and begins the cycles 500 ms from now.
// Call it once the servers and the Admin's host exist.
func (p *ConfBurst) Start() {
	p.c.Admin.AttemptsMax = 1
	p.c.Admin.Timeout = 40 * time.Millisecond
	p.c.World.After(500*time.Millisecond, p.poll)
}

// Stop ends the cycles and takes the hook off the tap; it heals nothing
// (the end of the fault phase does), and reports the servers still cut
// off to Cluster.Cut as rejoining now.
func (p *ConfBurst) Stop() {
	p.stopped = true
	p.tap.ConfAppended = nil
	if p.phase == confBurstCut {
		p.reportCut()
	}
}

func (p *ConfBurst) poll() {
	if p.stopped {
		return
	}
	c := p.c
	now := c.World.Now()
	switch {
	case p.phase == confBurstIdle:
		if now >= p.since {
			p.begin()
		}
	case now-p.since >= confBurstStuck:
		p.heal()
		p.phase, p.since = confBurstIdle, now
	case p.phase == confBurstRestore:
		p.restore()
	}
	c.World.After(confBurstPoll, p.poll)
}

func (p *ConfBurst) begin() {
	c := p.c
	l := c.Leader()
	if l == nil || l.Leader() != l.ID() {
		return
	}
	if t, _ := l.EntryTerm(l.CommitIndex()); t != l.Term() {
		return // not committed in its term yet
	}
	members := l.Members()
	if len(members) < 3 {
		return
	}
	for _, m := range members {
		if c.Node(m) == nil {
			return
		}
	}
	followers := slices.DeleteFunc(slices.Clone(members), func(h sim.HostID) bool { return h == l.ID() })
	c.Rand.Shuffle(len(followers), func(i, j int) { followers[i], followers[j] = followers[j], followers[i] })
	n := len(members)
	sideSize := n - (n/2 + 1)
	p.leader, p.members = l.ID(), members
	p.side = append([]sim.HostID{l.ID()}, followers[:sideSize-1]...)
	rest := followers[sideSize-1:]
	// Remove servers of the rest until the side is a majority of what is
	// left, 2*len(side) > n - removals: at least two removals, since one
	// server fewer keeps every majority of the old configuration
	// overlapping every majority of the new.
	p.remove = slices.Clone(rest[:n-2*sideSize+1])
	p.asked = 0
	if err := c.Net.Partition(p.side, rest); err != nil {
		panic("rafttest: " + err.Error()) // the server ids are wrong
	}
	p.phase, p.since = confBurstCut, c.World.Now()
	p.askNext()
	c.World.After(time.Duration(600+c.Rand.IntN(601))*time.Millisecond, func() {
		if !p.stopped && p.phase == confBurstCut {
			p.heal()
			p.phase = confBurstRestore
		}
	})
}

// appended asks for the next removal once L has appended a change.
func (p *ConfBurst) appended(n *raft.Node) {
	if p.phase != confBurstCut || n.ID() != p.leader || len(p.remove) == 0 {
		return
	}
	c := p.c
	c.World.After(time.Duration(50+c.Rand.IntN(51))*time.Millisecond, func() {
		if !p.stopped && p.phase == confBurstCut {
			p.askNext()
		}
	})
}

func (p *ConfBurst) askNext() {
	if len(p.remove) == 0 {
		return
	}
	c := p.c
	r := p.remove[0]
	p.remove = p.remove[1:]
	c.Admin.Follow(p.leader)
	c.Admin.RemoveServer(r)
	if p.asked++; p.asked > 1 && p.Asked != nil {
		p.Asked(p.leader, r, c.World.Now())
	}
}

func (p *ConfBurst) heal() {
	p.c.Net.Heal()
	p.reportCut()
	p.remove = nil
}

func (p *ConfBurst) reportCut() {
	c := p.c
	if c.Cut == nil {
		return
	}
	for _, h := range c.Servers {
		if slices.Contains(p.members, h) && !slices.Contains(p.side, h) {
			c.Cut(h, p.since, c.World.Now())
		}
	}
}

// restore adds back, one at a time, the servers the cycle began with that
// the leader's configuration lacks; once none is missing and the leader
// has committed its log, the next cycle is due 0.5-1 s later.
func (p *ConfBurst) restore() {
	c := p.c
	l := c.Leader()
	if l == nil || c.Admin.Pending() > 0 {
		return
	}
	ms := l.Members()
	for _, h := range p.members {
		if !slices.Contains(ms, h) {
			c.Admin.Follow(l.ID())
			c.Admin.AddServer(h)
			return
		}
	}
	if l.CommitIndex() >= l.LastIndex() {
		p.phase, p.since = confBurstIdle, c.World.Now()+time.Duration(500+c.Rand.IntN(501))*time.Millisecond
	}
}
