package rafttest

import (
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
)

// RemovedQuorum is a phased nemesis aimed at quorums counted across a
// membership change, every choice drawn from Cluster.Rand:
//
//  1. when a leader L has at least 4 members, a follower R to remove and a
//     follower F to keep are drawn, and {L, F, R} is cut off from the
//     other servers: a majority of the configuration in force, so L stays
//     leader, but short of a majority of the configuration without R;
//  2. the Admin asks L to remove R. L appends the change and replicates it
//     to F and to R, which stays reachable and keeps answering: only a
//     leader that counts the removed server's acknowledgement commits the
//     change (or anything after it) now;
//  3. 300-800 ms later everything heals. Once a leader's configuration
//     lacks R, the Admin asks it to add R back; once R is a member again,
//     the next cycle begins 0.5-1 s later. A cycle stuck for 5 s starts
//     over.
//
// RemovedQuorum sets Admin.AttemptsMax to 1 and Admin.Timeout to 60 ms,
// and asks again itself, so that no change waits in the Admin's queue for
// a leader of another cycle.
type RemovedQuorum struct {
	c *Cluster
	// Removed hears of each removal the nemesis asks for while the leader
	// is cut off with the removed server.
	Removed func(leader, removed sim.HostID, at time.Duration)

	stopped bool
	removed sim.HostID // NoHost: not in a cycle
	since   time.Duration
	cut     []sim.HostID // the servers cut off from the leader's side
}

// NewRemovedQuorum returns the nemesis; Start begins it.
func NewRemovedQuorum(c *Cluster) *RemovedQuorum {
	return &RemovedQuorum{c: c, removed: sim.NoHost}
}

// Start schedules the first cycle 500 ms from now. Call it once the
// servers and the Admin's host exist.
func (p *RemovedQuorum) Start() {
	p.c.Admin.AttemptsMax = 1
	p.c.Admin.Timeout = 60 * time.Millisecond
	p.c.World.After(500*time.Millisecond, p.begin)
}

// Stop ends the nemesis; it heals nothing.
func (p *RemovedQuorum) Stop() { p.stopped = true }

func (p *RemovedQuorum) begin() {
	if p.stopped {
		return
	}
	c := p.c
	l := c.Leader()
	if l == nil || len(l.Members()) < 4 || !slices.Contains(l.Members(), l.ID()) {
		c.World.After(100*time.Millisecond, p.begin)
		return
	}
	var followers []sim.HostID
	for _, m := range l.Members() {
		if m != l.ID() {
			followers = append(followers, m)
		}
	}
	i := c.Rand.IntN(len(followers))
	r := followers[i]
	followers = slices.Delete(followers, i, i+1)
	f := followers[c.Rand.IntN(len(followers))]
	side := []sim.HostID{l.ID(), f, r}
	p.cut = slices.DeleteFunc(slices.Clone(c.Servers), func(h sim.HostID) bool { return slices.Contains(side, h) })
	if err := c.Net.Partition(side, p.cut); err != nil {
		panic("rafttest: " + err.Error()) // the server ids are wrong
	}
	p.removed, p.since = r, c.World.Now()
	c.Admin.Follow(l.ID())
	c.Admin.RemoveServer(r)
	if p.Removed != nil {
		p.Removed(l.ID(), r, c.World.Now())
	}
	c.World.After(time.Duration(300+c.Rand.IntN(501))*time.Millisecond, p.heal)
}

func (p *RemovedQuorum) heal() {
	c := p.c
	c.Net.Heal()
	if c.Cut != nil {
		for _, h := range p.cut {
			c.Cut(h, p.since, c.World.Now())
		}
	}
	p.cut = nil
	c.World.After(100*time.Millisecond, p.restore)
}

// restore adds the removed server back once its removal is in force, and
// begins the next cycle once it is a member again.
func (p *RemovedQuorum) restore() {
	if p.stopped {
		return
	}
	c := p.c
	if c.World.Now()-p.since > 5*time.Second {
		p.removed = sim.NoHost
		c.World.After(100*time.Millisecond, p.begin)
		return
	}
	if l := c.Leader(); l != nil {
		switch {
		case slices.Contains(l.Members(), p.removed):
			if l.CommitIndex() >= l.LastIndex() {
				p.removed = sim.NoHost
				c.World.After(time.Duration(500+c.Rand.IntN(501))*time.Millisecond, p.begin)
				return
			}
		case c.Admin.Pending() == 0:
			c.Admin.Follow(l.ID())
			c.Admin.AddServer(p.removed)
		}
	}
	c.World.After(100*time.Millisecond, p.restore)
}
