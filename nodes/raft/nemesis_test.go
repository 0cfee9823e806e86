package raft_test

import (
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// faults says which faults the test nemesis injects, and how often.
type faults struct {
	// every: mean time between faults (drawn from [every/2, 3*every/2]).
	every time.Duration
	// crash: crash and restart servers (at most a minority down at once).
	crash bool
	// crashLeader: prefer the leader when crashing.
	crashLeader bool
	// partition: isolate a random minority (clients keep their links).
	partition bool
	// isolateLeader: prefer cutting off the leader (with one follower).
	isolateLeader bool
	// membership: queue random single-server changes on the Admin,
	// keeping between 3 and len(servers) members.
	membership bool
	// until: no new fault after this true time; then everything heals.
	until time.Duration
}

// startNemesis schedules seeded faults from the world's "nemesis" stream.
func (c *cluster) startNemesis(f faults) {
	var step func()
	step = func() {
		if c.w.Now() >= f.until {
			c.net.Heal()
			for _, h := range c.servers {
				c.restart(h)
			}
			return
		}
		c.fault(f)
		d := f.every/2 + time.Duration(c.nemesis.Int64N(int64(f.every)))
		c.w.After(d, step)
	}
	c.w.After(f.every, step)
}

func (c *cluster) fault(f faults) {
	r := c.nemesis
	var kinds []int
	if f.crash {
		kinds = append(kinds, 0, 1)
	}
	if f.partition {
		kinds = append(kinds, 2, 3)
	}
	if f.membership && c.admin != nil {
		kinds = append(kinds, 4)
	}
	if len(kinds) == 0 {
		return
	}
	switch kinds[r.IntN(len(kinds))] {
	case 0: // crash one server, keeping a majority of the initial ones up
		var up []sim.HostID
		for _, h := range c.servers {
			if c.w.Host(h).Up() {
				up = append(up, h)
			}
		}
		if len(up) <= len(c.servers)/2+1 {
			c.restartOne()
			return
		}
		victim := up[r.IntN(len(up))]
		if l := c.Leader(); f.crashLeader && l != nil && r.IntN(3) > 0 {
			victim = l.ID()
		}
		c.crash(victim)
	case 1:
		c.restartOne()
	case 2: // isolate a minority
		if l := c.Leader(); f.isolateLeader && l != nil && r.IntN(3) > 0 {
			other := c.servers[r.IntN(len(c.servers))]
			side := []sim.HostID{l.ID()}
			if other != l.ID() && r.IntN(2) == 0 {
				side = append(side, other)
			}
			_ = c.net.Partition(side, without(c.servers, side...))
			return
		}
		k := 1 + r.IntN(len(c.servers)/2)
		perm := r.Perm(len(c.servers))
		var side []sim.HostID
		for _, i := range perm[:k] {
			side = append(side, c.servers[i])
		}
		_ = c.net.Partition(side, without(c.servers, side...))
	case 3:
		c.net.Heal()
	case 4:
		var ms []sim.HostID
		for _, h := range c.servers {
			if n := c.Node(h); n != nil && n.Role() == raft.Leader {
				ms = n.Members()
			}
		}
		if ms == nil {
			return
		}
		s := c.servers[r.IntN(len(c.servers))]
		if containsHost(ms, s) {
			if len(ms) > 3 {
				c.admin.RemoveServer(s)
			}
		} else {
			c.admin.AddServer(s)
		}
	}
}

func (c *cluster) restartOne() {
	var down []sim.HostID
	for _, h := range c.servers {
		if !c.w.Host(h).Up() {
			down = append(down, h)
		}
	}
	if len(down) > 0 {
		c.restart(down[c.nemesis.IntN(len(down))])
	}
}

func containsHost(hs []sim.HostID, h sim.HostID) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}
