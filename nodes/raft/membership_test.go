package raft_test

import (
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Under client load, add two servers that start empty, then remove two of
// the original ones (the leader among them): every change commits, the new
// servers catch up, the removed ones stop counting, and the history stays
// linearizable.
func TestMembershipAddRemoveUnderLoad(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 50
		c := newCluster(t, opts{seed: seed, servers: 3, joiners: 2, clients: 3, cfg: cfg, link: unreliable(), admin: true, hookEvery: 500, stopAt: 20 * time.Second})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader", seed)
		}
		c.run(time.Second)
		for _, j := range c.servers[3:] {
			if n := c.Node(j); len(n.Members()) != 0 || n.Term() != 0 {
				t.Fatalf("seed %d: joiner %v started with members %v, term %d", seed, j, n.Members(), n.Term())
			}
		}
		c.admin.AddServer(3)
		c.admin.AddServer(4)
		lead := c.Leader().ID()
		c.admin.RemoveServer(lead)
		c.admin.RemoveServer((lead + 1) % 3)
		if !c.runUntil(10*time.Second, func() bool { return c.admin.Pending() == 0 }) {
			t.Fatalf("seed %d: membership changes pending: %d (done %v)", seed, c.admin.Pending(), c.admin.Results())
		}
		for _, r := range c.admin.Results() {
			if r.Status != raft.AdminOK {
				t.Fatalf("seed %d: %+v", seed, r)
			}
		}
		want := sortedHosts(append(without(c.servers[:3], lead, (lead+1)%3), 3, 4))
		c.run(2 * time.Second)
		l := c.Leader()
		if l == nil || !slices.Equal(l.Members(), want) {
			t.Fatalf("seed %d: leader %v members %v, want %v", seed, l, members(l), want)
		}
		if !slices.Contains(want, l.ID()) {
			t.Fatalf("seed %d: removed server %v leads", seed, l.ID())
		}
		// The removed servers are no longer needed: stop them and the
		// rest keeps serving.
		c.crash(lead)
		c.crash((lead + 1) % 3)
		before := c.completed()
		c.run(3 * time.Second)
		if c.completed() < before+30 {
			t.Fatalf("seed %d: only %d ops completed after removing two servers", seed, c.completed()-before)
		}
		c.run(20*time.Second - c.w.Now() + 2*time.Second) // clients stop at 20 s
		if !c.converged(want) {
			t.Fatalf("seed %d: the new configuration %v did not converge", seed, want)
		}
		c.requireSafe()
		c.requireLinearizable()
	}
}

// Random membership changes, crashes and partitions: safety holds and the
// history is linearizable.
func TestMembershipUnderFaults(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 30
		cfg.SnapshotTrailing = 5
		c := newCluster(t, opts{seed: seed, servers: 3, joiners: 2, clients: 3, cfg: cfg, link: unreliable(), admin: true, hookEvery: 200})
		c.admin.AttemptsMax = 20
		c.startNemesis(faults{every: 300 * time.Millisecond, crash: true, partition: true, membership: true, until: 8 * time.Second})
		c.run(12 * time.Second)
		c.requireSafe()
		c.requireLinearizable()
		ok := 0
		for _, r := range c.admin.Results() {
			if r.Status == raft.AdminOK {
				ok++
			}
		}
		if ok == 0 {
			t.Fatalf("seed %d: no membership change went through (%v)", seed, c.admin.Results())
		}
	}
}

func sortedHosts(hs []sim.HostID) []sim.HostID {
	out := slices.Clone(hs)
	slices.Sort(out)
	return out
}
