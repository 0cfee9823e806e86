package raft_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// A node syncs everything it writes before its event ends, so a crash
// never finds an unsynced write to tear: with every crash set to tear the
// oldest unsynced write, no write is torn and the cluster is safe.
func TestTornWritesAtCrashAreHarmless(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 25
		faults := labelCounter{}
		c := newCluster(t, opts{seed: seed, servers: 3, clients: 3, cfg: cfg, link: unreliable(), hookEvery: 200,
			storage: sim.StorageFaults{TornWriteRatio: 1}, sink: faults})
		c.startNemesis(faultsCrash(8 * time.Second))
		c.run(10 * time.Second)
		if faults["storage.torn-write"] != 0 || faults["raft: dropped unreadable or inconsistent record %s"] != 0 {
			t.Fatalf("seed %d: %v", seed, faults)
		}
		c.requireSafe()
		c.requireLinearizable()
	}
}

func faultsCrash(until time.Duration) faults {
	return faults{every: 200 * time.Millisecond, crash: true, crashLeader: true, until: until}
}

// labelCounter is a trace sink that counts fault and log records by label.
type labelCounter map[string]int

func (s labelCounter) Write(r *sim.Record) error {
	if r.Kind == sim.KindFault || r.Kind == sim.KindLog {
		s[r.Label]++
	}
	return nil
}

// Syncs that lie break Raft's durability assumption: safety may then fail,
// and the checker may say so. But recovery from what a lying sync and a
// torn write leave behind never panics, and the cluster keeps electing
// leaders and serving once the faults stop.
func TestLyingSyncsRecovery(t *testing.T) {
	violations, torn, dropped := 0, 0, 0
	for seed := uint64(1); seed <= 10; seed++ {
		cfg := raft.DefaultConfig()
		cfg.SnapshotEntries = 25
		seen := labelCounter{}
		c := newCluster(t, opts{seed: seed, servers: 3, clients: 3, cfg: cfg, link: unreliable(), noSafetyHook: true,
			storage: sim.StorageFaults{TornWriteRatio: 1, LyingSyncRatio: 0.5}, sink: seen})
		c.startNemesis(faultsCrash(8 * time.Second))
		c.run(8 * time.Second)
		for _, h := range c.servers {
			if err := c.w.Host(h).SetStorageFaults(sim.StorageFaults{}); err != nil {
				t.Fatal(err)
			}
		}
		c.run(4 * time.Second)
		if c.Leader() == nil {
			t.Fatalf("seed %d: no leader after the faults stopped", seed)
		}
		if c.safety.Check() != nil {
			violations++
		}
		torn += seen["storage.torn-write"]
		dropped += seen["raft: dropped unreadable or inconsistent record %s"]
	}
	if torn == 0 || dropped == 0 {
		t.Fatalf("the faults did not reach recovery: %d torn writes, %d records dropped", torn, dropped)
	}
	t.Logf("%d torn writes, %d records dropped at recovery; %d of 10 runs broke a safety invariant (lying syncs lose acknowledged writes)", torn, dropped, violations)
}
