package raft_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft"
)

// sweepSeeds is how many seeds each nemesis of TestNemesisSweep runs:
// RAFT_SWEEP_SEEDS, or 60 (10 with -short).
func sweepSeeds() uint64 {
	if s := os.Getenv("RAFT_SWEEP_SEEDS"); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
	}
	if testing.Short() {
		return 10
	}
	return 60
}

// Without planted bugs, every nemesis of the bug hunts, and a mixed one
// with snapshots and all read modes, finds nothing: no safety violation,
// no non-linearizable history.
func TestNemesisSweep(t *testing.T) {
	n := sweepSeeds()
	modes := []raft.ReadMode{raft.ReadIndex, raft.ReadLease, raft.ReadLog}
	for seed := uint64(1); seed <= n; seed++ {
		// lin adds the linearizability check to a safety run.
		lin := func(c *cluster, err error) error {
			if err != nil {
				return err
			}
			return linearizable(c)
		}
		runs := []struct {
			name string
			run  func() error
		}{
			{"figure8/append1", func() error { return lin(figure8Run(t, seed, raft.Bugs{}, 1)) }},
			{"figure8/append64", func() error { return lin(figure8Run(t, seed, raft.Bugs{}, 64)) }},
			{"crash", func() error { return lin(crashRun(t, seed, raft.Bugs{})) }},
			{"confsplit", func() error { return lin(confSplitRun(t, seed, raft.Bugs{})) }},
			{"mixed", func() error {
				cfg := raft.DefaultConfig()
				cfg.ReadMode = modes[seed%3]
				cfg.SnapshotEntries = 20
				cfg.SnapshotTrailing = int(seed % 4)
				cfg.PreVote = seed%5 != 0
				cfg.CheckQuorum = seed%7 != 0 || cfg.ReadMode == raft.ReadLease
				c := newCluster(t, opts{seed: seed, servers: 3 + int(seed%3), joiners: 1, clients: 3, cfg: cfg, link: unreliable(), admin: true, hookEvery: 100})
				c.admin.AttemptsMax = 10
				c.startNemesis(faults{every: 250 * time.Millisecond, crash: true, crashLeader: true, partition: true, isolateLeader: true, membership: true, until: 8 * time.Second})
				if err := runSafety(c, 12*time.Second); err != nil {
					return err
				}
				return linearizable(c)
			}},
		}
		for _, r := range runs {
			if err := r.run(); err != nil {
				t.Errorf("%s seed %d: %v", r.name, seed, short(err))
			}
		}
	}
}
