package rafttest

import (
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Figure8 installs on tap the schedule of Figure 8 of the Raft paper:
// half the new leaders are cut off the moment they are elected (before
// their no-op goes out), and half the leaders are cut off as they first
// commit in their term; cutting off one more than maxCut servers first
// rejoins the oldest cut-off one. So leaders with divergent logs alternate,
// and one may commit an entry of an earlier term just before it is cut
// off. With appends of one entry at a time (Config.AppendEntriesMax 1),
// an old entry can reach a majority before the no-op does, which is when
// counting replicas of old entries (bug CommitOldTerms) goes wrong. A
// 3-server cluster with maxCut 1 finds it in about one seed in five.
func Figure8(c *Cluster, tap *Tap, maxCut int) {
	tap.Elected = func(n *raft.Node) {
		if c.Rand.IntN(2) == 0 {
			c.cutAtMost(n.ID(), maxCut)
		}
	}
	tap.FirstCommit = func(n *raft.Node) {
		if c.Rand.IntN(2) == 0 {
			id := n.ID()
			c.World.After(0, func() { c.cutAtMost(id, maxCut) })
		}
	}
}

// ConfSplit is a phased nemesis aimed at single-server membership changes
// made across a leader change, every choice drawn from Cluster.Rand:
//
//  1. the Admin, following leadership, asks the leader L1 to add a spare
//     server (or, with no spare, to remove a member); L1 is cut off the
//     moment it appends the change;
//  2. when another server L2 wins, one of its followers X is cut off at
//     once, and the Admin asks L2 to remove X;
//  3. 20-150 ms later L2 is cut off, and L1 and X rejoin;
//  4. 1-2 s later everything heals, and after 0.3-1 s the next cycle
//     begins; a cycle stuck for 3 s is abandoned.
//
// With the rules for membership changes, L2 cannot append the removal
// before its no-op commits, which needs L1 or X; so when L1 wins back
// with X and the new server, nothing committed is lost. Without them (bug
// EarlyConfChange), L2 commits the removal with its one remaining follower,
// and L1 can then lead without it: a leader completeness violation. With 4
// initial servers and 2 spares it is found in about one seed in five.
//
// ConfSplit sets Admin.AttemptsMax to 1 and Admin.Timeout to 60 ms, so that
// a change that did not get through is dropped, not retried at the next
// leader.
type ConfSplit struct {
	c          *Cluster
	tap        *Tap
	stopped    bool
	phase      int
	l1, l2, x  sim.HostID
	phaseSince time.Duration
}

// NewConfSplit installs the nemesis's hooks on tap.
func NewConfSplit(c *Cluster, tap *Tap) *ConfSplit {
	p := &ConfSplit{c: c, tap: tap}
	tap.ConfAppended = func(n *raft.Node) {
		if p.phase == 1 {
			c.Isolate(n.ID())
			p.l1, p.phase = n.ID(), 2
		}
	}
	tap.Elected = func(n *raft.Node) {
		if p.phase != 2 || n.ID() == p.l1 {
			return
		}
		var xs []sim.HostID
		for _, m := range n.Members() {
			if m != n.ID() && m != p.l1 {
				xs = append(xs, m)
			}
		}
		if len(xs) < 2 {
			return
		}
		p.l2, p.x, p.phase = n.ID(), xs[c.Rand.IntN(len(xs))], 3
		c.Isolate(p.x)
		c.Admin.Follow(n.ID())
		c.Admin.RemoveServer(p.x)
		c.World.After(time.Duration(20+c.Rand.IntN(130))*time.Millisecond, p.swap)
	}
	return p
}

// Start schedules the first cycle 1 s from now. Call it once the servers
// and the Admin's host exist.
func (p *ConfSplit) Start() {
	c := p.c
	c.Admin.AttemptsMax = 1
	c.Admin.Timeout = 60 * time.Millisecond
	c.World.After(time.Second, p.begin)
	var watch func()
	watch = func() {
		if p.stopped {
			return
		}
		if p.phase != 0 && c.World.Now()-p.phaseSince > 3*time.Second {
			p.heal()
		}
		c.World.After(500*time.Millisecond, watch)
	}
	c.World.After(time.Second, watch)
}

// Stop ends the nemesis: its hooks come off the tap, and no further cycle
// or step runs. It heals nothing; the caller decides what to undo.
func (p *ConfSplit) Stop() {
	p.stopped = true
	p.tap.ConfAppended, p.tap.Elected = nil, nil
}

func (p *ConfSplit) begin() {
	if p.stopped {
		return
	}
	c := p.c
	l := c.Leader()
	if l == nil || len(l.Members()) < 4 {
		c.World.After(200*time.Millisecond, p.begin)
		return
	}
	c.Admin.Follow(l.ID())
	ms := l.Members()
	var spares []sim.HostID
	for _, h := range c.Servers {
		if !slices.Contains(ms, h) {
			spares = append(spares, h)
		}
	}
	if len(spares) == 0 {
		others := slices.DeleteFunc(ms, func(h sim.HostID) bool { return h == l.ID() })
		c.Admin.RemoveServer(others[c.Rand.IntN(len(others))])
	} else {
		c.Admin.AddServer(spares[c.Rand.IntN(len(spares))])
	}
	p.phase, p.phaseSince = 1, c.World.Now()
}

func (p *ConfSplit) swap() {
	if p.stopped {
		return
	}
	c := p.c
	c.HealAll()
	c.Isolate(p.l2)
	p.phase = 4
	c.World.After(time.Duration(1000+c.Rand.IntN(1000))*time.Millisecond, p.heal)
}

func (p *ConfSplit) heal() {
	if p.phase == 0 || p.stopped {
		return
	}
	c := p.c
	c.HealAll()
	p.phase = 0
	c.World.After(time.Duration(300+c.Rand.IntN(700))*time.Millisecond, p.begin)
}
