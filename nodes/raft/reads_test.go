package raft_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Lease reads trust the leader's clock. Step the leader's clock back by 2 s
// as it is cut off from the other servers: its lease and its CheckQuorum
// deadline move 2 s later in true time, while the others elect a new
// leader and take writes. A client that still reaches only the old leader
// reads stale values. The same schedule with read-index reads stays
// linearizable.
func TestLeaseReadUnsafeUnderClockStep(t *testing.T) {
	for _, mode := range []raft.ReadMode{raft.ReadLease, raft.ReadIndex} {
		verdict := leaseScenario(t, mode)
		want := checker.Ok
		if mode == raft.ReadLease {
			want = checker.Illegal
		}
		if verdict != want {
			t.Fatalf("%s reads under a clock step: verdict %v, want %v", mode, verdict, want)
		}
	}
}

func leaseScenario(t *testing.T, mode raft.ReadMode) checker.Verdict {
	cfg := raft.DefaultConfig()
	cfg.ReadMode = mode
	c := newCluster(t, opts{seed: 5, servers: 5, clients: 2, cfg: cfg, link: lan(), keys: 1})
	if !c.runUntil(5*time.Second, func() bool { return c.Leader() != nil }) {
		t.Fatal("no leader")
	}
	c.run(time.Second)
	old := c.Leader().ID()
	// A reader that can reach only the old leader.
	wc := client.DefaultWorkloadConfig()
	wc.Client.ID = 99
	wc.Client.Servers = []sim.HostID{old}
	wc.Client.TimeoutAttempt = 100 * time.Millisecond
	wc.Keys = 1
	wc.Mix = client.Mix{Get: 1}
	wl, err := client.NewWorkload(wc, kvhistoryRecorder(c))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.w.AddHost(sim.HostConfig{Name: "reader", Factory: wl.Node}); err != nil {
		t.Fatal(err)
	}
	c.run(200 * time.Millisecond)
	c.w.Host(old).StepClock(-2 * time.Second)
	if err := c.net.Partition([]sim.HostID{old}, without(c.servers, old)); err != nil {
		t.Fatal(err)
	}
	c.run(2 * time.Second)
	c.requireSafe()
	res := c.checkLinearizable()
	if mode == raft.ReadLease && res.Verdict == checker.Illegal {
		t.Logf("lease reads: %s", firstLines(res.Failure.Explanation, 6))
	}
	return res.Verdict
}
