package raft_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft"
)

// A follower cut off while clients write misses entries; after it
// rejoins, every server applies the same entries and reaches the same state.
func TestAgreementFollowerRejoins(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c := newCluster(t, opts{seed: seed, servers: 5, clients: 3, cfg: raft.DefaultConfig(), link: lan(), stopAt: 6 * time.Second})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader", seed)
		}
		f := (c.Leader().ID() + 2) % 5
		if err := c.net.Isolate(f); err != nil {
			t.Fatal(err)
		}
		before := c.Node(f).LastApplied()
		c.run(3 * time.Second)
		if got := c.Node(f).LastApplied(); got != before {
			t.Fatalf("seed %d: the cut-off follower applied %d -> %d", seed, before, got)
		}
		lead := c.Leader()
		if lead.CommitIndex() < before+20 {
			t.Fatalf("seed %d: only %d entries committed while %v was away", seed, lead.CommitIndex()-before, f)
		}
		c.net.Heal()
		c.run(5 * time.Second) // clients stop at 6 s; then everything settles
		if !c.converged(c.servers) {
			t.Fatalf("seed %d: servers did not converge", seed)
		}
		c.requireSafe()
		c.requireLinearizable()
	}
}

// Every server crashes and restarts in turn, twice, under load; the
// cluster stays safe and linearizable and recovers each node's state from
// its disk.
func TestCrashRestartEveryNode(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 40
		cfg.SnapshotTrailing = 10
		c := newCluster(t, opts{seed: seed, servers: 5, clients: 3, cfg: cfg, link: unreliable(), hookEvery: 500})
		c.run(time.Second)
		for round := 0; round < 2; round++ {
			for _, h := range c.servers {
				c.crash(h)
				c.run(time.Duration(300+c.nemesis.IntN(700)) * time.Millisecond)
				c.restart(h)
				n := c.Node(h)
				if n.Term() == 0 || n.LastIndex() == 0 {
					t.Fatalf("seed %d: %v restarted with term %d, last index %d", seed, h, n.Term(), n.LastIndex())
				}
				c.run(time.Duration(300+c.nemesis.IntN(700)) * time.Millisecond)
			}
		}
		// Crash all at once: the cluster comes back from disk alone.
		for _, h := range c.servers {
			c.crash(h)
		}
		c.run(100 * time.Millisecond)
		for _, h := range c.servers {
			c.restart(h)
		}
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader after a full restart", seed)
		}
		c.run(3 * time.Second)
		c.requireSafe()
		res := c.requireLinearizable()
		if c.completed() < 100 {
			t.Fatalf("seed %d: only %d operations completed", seed, c.completed())
		}
		t.Logf("seed %d: %d ops (%d pending), %d terms, applied %d", seed, res.Ops, res.OpsPending, c.safety.Terms(), c.safety.AppliedIndex())
	}
}

// Under the unreliable network (delays 0-26 ms, 10% loss, 2% long delays)
// the client history is linearizable, and clients make progress.
func TestUnreliableNetworkLinearizable(t *testing.T) {
	for _, mode := range []raft.ReadMode{raft.ReadIndex, raft.ReadLog, raft.ReadLease} {
		for seed := uint64(1); seed <= 20; seed++ {
			cfg := raft.DefaultConfig()
			cfg.ReadMode = mode
			c := newCluster(t, opts{seed: seed, servers: 5, clients: 3, cfg: cfg, link: unreliable(), hookEvery: 1000})
			c.run(10 * time.Second)
			c.requireSafe()
			res := c.requireLinearizable()
			if c.completed() < 150 {
				t.Fatalf("%s seed %d: only %d operations completed in 10 s", mode, seed, c.completed())
			}
			if seed == 1 {
				t.Logf("%s: %d ops, %d pending", mode, res.Ops, res.OpsPending)
			}
		}
	}
}

// A follower that was down while the log was compacted several times
// catches up by InstallSnapshot, then by appends.
func TestSnapshotCatchUp(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 30
		cfg.SnapshotTrailing = 5
		c := newCluster(t, opts{seed: seed, servers: 3, clients: 3, cfg: cfg, link: lan(), stopAt: 9 * time.Second})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader", seed)
		}
		f := (c.Leader().ID() + 1) % 3
		c.crash(f)
		c.run(4 * time.Second)
		lead := c.Leader()
		if lead == nil || lead.FirstIndex() < 100 {
			t.Fatalf("seed %d: the leader's log was not compacted far enough (%v)", seed, lead)
		}
		c.restart(f)
		n := c.Node(f)
		if n.LastIndex() >= lead.FirstIndex() {
			t.Fatalf("seed %d: %v's log (last %d) reaches the leader's (first %d): no snapshot needed", seed, f, n.LastIndex(), lead.FirstIndex())
		}
		c.run(500 * time.Millisecond)
		if n.SnapshotIndex() < lead.FirstIndex()-1 || n.LastApplied() < lead.FirstIndex() {
			t.Fatalf("seed %d: %v did not install a snapshot (snapshot %d, applied %d; leader's first index %d)", seed, f, n.SnapshotIndex(), n.LastApplied(), lead.FirstIndex())
		}
		c.run(6 * time.Second)
		if !c.converged(c.servers) {
			t.Fatalf("seed %d: servers did not converge", seed)
		}
		// A restart from snapshot plus log gives the same state.
		want := n.StateHash()
		c.crash(f)
		c.restart(f)
		if n := c.Node(f); n.LastApplied() != n.SnapshotIndex() || n.SnapshotIndex() == 0 {
			t.Fatalf("seed %d: restarted at applied %d, snapshot %d", seed, n.LastApplied(), n.SnapshotIndex())
		}
		c.run(time.Second)
		if got := c.Node(f).StateHash(); got != want {
			t.Fatalf("seed %d: state after restart differs", seed)
		}
		c.requireSafe()
		c.requireLinearizable()
	}
}

// The same seed gives the same run; another seed another.
func TestDeterminism(t *testing.T) {
	run := func(seed uint64) (uint64, uint64) {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 50
		c := newCluster(t, opts{seed: seed, servers: 5, clients: 3, cfg: cfg, link: unreliable()})
		c.w.After(2*time.Second, func() { c.crash(c.servers[c.nemesis.IntN(5)]) })
		c.w.After(3*time.Second, func() {
			for _, h := range c.servers {
				c.restart(h)
			}
		})
		c.run(5 * time.Second)
		return c.w.Hash(), c.w.Events()
	}
	h1, e1 := run(42)
	h2, e2 := run(42)
	if h1 != h2 || e1 != e2 {
		t.Fatalf("seed 42 twice: hash %x/%x, events %d/%d", h1, h2, e1, e2)
	}
	if h3, _ := run(43); h3 == h1 {
		t.Fatalf("seeds 42 and 43 gave the same hash %x", h1)
	}
}

// Leadership moves to the named server at once (TimeoutNow), without an
// election timeout.
func TestLeadershipTransfer(t *testing.T) {
	c := newCluster(t, opts{seed: 3, servers: 5, clients: 2, cfg: raft.DefaultConfig(), link: lan(), admin: true})
	if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
		t.Fatal("no leader")
	}
	for i := 0; i < 4; i++ {
		to := (c.Leader().ID() + 1) % 5
		start := c.w.Now()
		c.admin.TransferLeadership(to)
		if !c.runUntil(2*time.Second, func() bool { l := c.Leader(); return l != nil && l.ID() == to }) {
			t.Fatalf("leadership did not move to %v", to)
		}
		if d := c.w.Now() - start; d > 200*time.Millisecond {
			t.Fatalf("transfer to %v took %v", to, d)
		}
		c.run(500 * time.Millisecond)
	}
	c.requireSafe()
	c.requireLinearizable()
}
