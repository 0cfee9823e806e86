package rafttest

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Cluster is what a nemesis needs to know of a Raft cluster. Fill in the
// exported fields before use; the servers need not exist yet.
type Cluster struct {
	World *sim.World
	Net   *net.Network
	// Servers are every server host: initial members and spares.
	Servers []sim.HostID
	// Admin carries out membership changes (ConfSplit needs one).
	Admin *raft.Admin
	// Rand is the nemesis's stream, e.g. World.Stream("nemesis").
	Rand *rand.Rand
	// Cut, if set, hears of every server that was cut off and has
	// rejoined: from when to when, so a report can draw it.
	Cut func(h sim.HostID, from, to time.Duration)

	cut   []sim.HostID // servers cut off, in the order they were cut
	since map[sim.HostID]time.Duration
}

// Node is the running node of server h, or nil.
func (c *Cluster) Node(h sim.HostID) *raft.Node {
	host := c.World.Host(h)
	if host == nil || !host.Up() {
		return nil
	}
	n, _ := host.Node().(*raft.Node)
	return n
}

// Leader is the running leader with the highest term, or nil.
func (c *Cluster) Leader() *raft.Node {
	var best *raft.Node
	for _, h := range c.Servers {
		if n := c.Node(h); n != nil && n.Role() == raft.Leader && (best == nil || n.Term() > best.Term()) {
			best = n
		}
	}
	return best
}

// Isolated are the servers cut off, oldest first.
func (c *Cluster) Isolated() []sim.HostID { return slices.Clone(c.cut) }

// Isolate cuts h off from every other server, on top of those already cut
// off. Hosts that are not servers keep all their links.
func (c *Cluster) Isolate(h sim.HostID) {
	if !slices.Contains(c.cut, h) {
		c.cut = append(c.cut, h)
		if c.since == nil {
			c.since = map[sim.HostID]time.Duration{}
		}
		c.since[h] = c.World.Now()
	}
	c.apply()
}

// Rejoin reconnects h to the servers that are not cut off.
func (c *Cluster) Rejoin(h sim.HostID) {
	if slices.Contains(c.cut, h) {
		c.rejoined(c.since, h)
	}
	c.cut = slices.DeleteFunc(c.cut, func(x sim.HostID) bool { return x == h })
	c.apply()
}

// HealAll reconnects every server.
func (c *Cluster) HealAll() {
	c.Close()
	c.cut = c.cut[:0]
	c.apply()
}

// Close reports the servers still cut off to Cut as rejoining now, as the
// heal at the end of a fault phase will make them.
func (c *Cluster) Close() {
	for _, h := range c.cut {
		c.rejoined(c.since, h)
	}
	clear(c.since)
}

func (c *Cluster) apply() {
	if len(c.cut) == 0 {
		c.Net.Heal()
		return
	}
	rest := slices.DeleteFunc(slices.Clone(c.Servers), func(h sim.HostID) bool { return slices.Contains(c.cut, h) })
	groups := [][]sim.HostID{rest}
	for _, h := range c.cut {
		groups = append(groups, []sim.HostID{h})
	}
	if err := c.Net.Partition(groups...); err != nil {
		panic("rafttest: " + err.Error()) // the server ids are wrong
	}
}

// rejoined reports to Cut that the servers are back with the others, each
// cut off since the time cutAt holds for it, and forgets them there; a
// server cutAt does not hold was not cut off.
func (c *Cluster) rejoined(cutAt map[sim.HostID]time.Duration, hs ...sim.HostID) {
	for _, h := range hs {
		from, ok := cutAt[h]
		if !ok {
			continue
		}
		delete(cutAt, h)
		if c.Cut != nil {
			c.Cut(h, from, c.World.Now())
		}
	}
}

// cutAtMost isolates h, first rejoining the oldest cut-off server if max
// are cut off already.
func (c *Cluster) cutAtMost(h sim.HostID, max int) {
	if len(c.cut) >= max && len(c.cut) > 0 {
		c.Rejoin(c.cut[0])
	}
	c.Isolate(h)
}

// StartRejoins reconnects one random cut-off server every 200-600 ms,
// from true time at on.
func (c *Cluster) StartRejoins(at time.Duration) {
	var step func()
	step = func() {
		if len(c.cut) > 0 {
			c.Rejoin(c.cut[c.Rand.IntN(len(c.cut))])
		}
		c.World.After(time.Duration(200+c.Rand.IntN(400))*time.Millisecond, step)
	}
	c.World.At(at, step)
}
