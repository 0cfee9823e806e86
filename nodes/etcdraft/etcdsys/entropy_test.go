package etcdsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/scenarios"
)

// TestDrawsHappenOnlyInsideDrawingCalls runs every etcd raft scenario
// (elections, step-downs, leader transfers, conf changes, snapshots,
// restarts, crash points, partitions, the lab's tests); the determinism
// tests add hundreds of seeds of the swarm.
// The node takes the lock for a call into etcd raft only where
// nodes/etcdraft/draws.go predicts that it can draw; a draw in any other
// call makes the node panic, saying so, and the run fail. No run here
// does: every election timeout etcd raft drew came from a host's seeded
// stream, through the lock.
func TestDrawsHappenOnlyInsideDrawingCalls(t *testing.T) {
	elections, ran := 0, 0
	for _, name := range scenarios.Names() {
		s := lookup(t, name)
		if s.System.Kind != etcdsys.System.Name() {
			continue
		}
		r := run(t, s, 1)
		if strings.Contains(r.Summary(), "outside a drawing call") || !r.Expected {
			t.Fatalf("%s seed 1: %s", name, r.Summary())
		}
		elections += r.Counters[etcdsys.CounterLeaderChange]
		ran++
	}
	if ran < 30 || elections < 50 {
		t.Fatalf("%d runs elected only %d leaders after the first: too few draws to prove anything", ran, elections)
	}
	t.Logf("%d runs, %d leaders elected after the first", ran, elections)
}
