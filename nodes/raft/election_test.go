package raft_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// A leader is elected within 5 s of virtual time, and only one.
func TestElectionAtStart(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		c := newCluster(t, opts{seed: seed, servers: 5, cfg: raft.DefaultConfig(), link: unreliable()})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader after 5 s", seed)
		}
		c.run(2 * time.Second)
		if ls := c.leaders(); len(ls) != 1 {
			t.Fatalf("seed %d: %d leaders after a quiet 2 s", seed, len(ls))
		}
		c.requireSafe()
	}
}

// Cut the leader off while a majority can talk: the majority elects a new
// leader within 5 s, the old one steps down (CheckQuorum), and after the
// heal there is one leader again.
func TestReElectionAfterLeaderCutOff(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		c := newCluster(t, opts{seed: seed, servers: 5, clients: 2, cfg: raft.DefaultConfig(), link: unreliable()})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader after 5 s", seed)
		}
		old := c.Leader()
		oldID, oldTerm := old.ID(), old.Term()
		if err := c.net.Isolate(oldID); err != nil {
			t.Fatal(err)
		}
		rest := without(c.servers, oldID)
		newLeader := func() bool {
			for _, h := range rest {
				if n := c.Node(h); n.Role() == raft.Leader && n.Term() > oldTerm {
					return true
				}
			}
			return false
		}
		if !c.runUntil(5*time.Second, newLeader) {
			t.Fatalf("seed %d: no new leader within 5 s of cutting off %v", seed, oldID)
		}
		c.run(time.Second)
		if n := c.Node(oldID); n.Role() == raft.Leader {
			t.Fatalf("seed %d: the cut-off leader %v still leads term %d (CheckQuorum)", seed, oldID, n.Term())
		}
		c.net.Heal()
		c.run(3 * time.Second)
		if ls := c.leaders(); len(ls) != 1 {
			t.Fatalf("seed %d: %d leaders after the heal", seed, len(ls))
		}
		c.requireSafe()
		c.requireLinearizable()
	}
}

// A minority never elects a leader: with 5 servers split 2|3, no server of
// the two is leader of a term after the split; with all five isolated,
// no one is.
func TestNoLeaderInMinority(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c := newCluster(t, opts{seed: seed, servers: 5, cfg: raft.DefaultConfig(), link: lan()})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatalf("seed %d: no leader", seed)
		}
		minority := []sim.HostID{c.Leader().ID(), (c.Leader().ID() + 1) % 5}
		majority := without(c.servers, minority...)
		var splitTerm uint64
		for _, h := range c.servers {
			splitTerm = max(splitTerm, c.Node(h).Term())
		}
		if err := c.net.Partition(minority, majority); err != nil {
			t.Fatal(err)
		}
		c.run(5 * time.Second)
		for term := splitTerm + 1; term < splitTerm+100; term++ {
			if l := c.safety.LeaderOf(term); l == minority[0] || l == minority[1] {
				t.Fatalf("seed %d: minority server %v led term %d", seed, l, term)
			}
		}
		for _, h := range minority {
			if c.Node(h).Role() == raft.Leader {
				t.Fatalf("seed %d: minority server %v is still leader", seed, h)
			}
		}
		if c.Leader() == nil {
			t.Fatalf("seed %d: the majority has no leader", seed)
		}

		// No majority anywhere: no leader at all.
		if err := c.net.Partition(hosts(0), hosts(1), hosts(2), hosts(3), hosts(4)); err != nil {
			t.Fatal(err)
		}
		c.run(5 * time.Second)
		if ls := c.leaders(); len(ls) != 0 {
			t.Fatalf("seed %d: %v leads with every server isolated", seed, ls[0].ID())
		}
		c.requireSafe()
	}
}

// Without PreVote, a rejoining node with a high term disrupts the leader;
// with it, the leader stays.
func TestPreVoteKeepsLeader(t *testing.T) {
	for _, preVote := range []bool{true, false} {
		cfg := raft.DefaultConfig()
		cfg.PreVote, cfg.CheckQuorum = preVote, false
		c := newCluster(t, opts{seed: 7, servers: 3, cfg: cfg, link: lan()})
		if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
			t.Fatal("no leader")
		}
		l := c.Leader()
		follower := (l.ID() + 1) % 3
		if err := c.net.Isolate(follower); err != nil {
			t.Fatal(err)
		}
		c.run(3 * time.Second)
		c.net.Heal()
		c.run(2 * time.Second)
		same := c.Leader() != nil && c.Leader().ID() == l.ID() && c.Leader().Term() == l.Term()
		if preVote != same {
			t.Fatalf("PreVote %v: leader kept = %v (leader %v term %d -> %v)", preVote, same, l.ID(), l.Term(), c.Leader())
		}
		c.requireSafe()
	}
}
