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

	cut []sim.HostID // servers cut off, in the order they were cut
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
	}
	c.apply()
}

// Rejoin reconnects h to the servers that are not cut off.
func (c *Cluster) Rejoin(h sim.HostID) {
	c.cut = slices.DeleteFunc(c.cut, func(x sim.HostID) bool { return x == h })
	c.apply()
}

// HealAll reconnects every server.
func (c *Cluster) HealAll() {
	c.cut = c.cut[:0]
	c.apply()
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
