package etcdsys_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(etcdsys.System, raftsys.System) }

func lookup(t testing.TB, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t testing.TB, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dur(d time.Duration) scenarios.Duration { return scenarios.Duration(d) }

// shortSwarm is etcd-raft-swarm cut to one second of faults and one of
// healing: crashes, partitions, pauses, clock faults, lossy links and
// torn writes, small enough to run hundreds of seeds. A second is too
// short a heal to demand that every client completes an operation, so
// liveness is not checked; safety, the history and convergence are.
func shortSwarm(t testing.TB) scenarios.Scenario {
	s := lookup(t, "etcd-raft-swarm")
	s.FaultPhase, s.HealPhase = dur(time.Second), dur(time.Second)
	s.Checks.Liveness = false
	s.Nemesis.Generator.Interval = dur(150 * time.Millisecond)
	s.Probes = nil
	return s
}
