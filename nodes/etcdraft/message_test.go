package etcdraft_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(etcdsys.System) }

// TestSharedMessagesRunAsCopiedOnes runs scenarios where followers fall
// behind, truncate and replace their logs, take snapshots and see
// duplicated messages, once with every message shared between sender and
// receiver and once with every message copied as on a wire: the runs are
// the same, event for event. A receiver that wrote into entries it was
// sent (the leader's log, and other followers') would change the run.
func TestSharedMessagesRunAsCopiedOnes(t *testing.T) {
	names := []string{
		"etcd-raft-unreliable-network",
		"etcd-raft-leader-partition",
		"etcd-raft-partial-partition-churn",
		"etcd-raft-snapshot-catchup",
		"etcd-raft-membership",
		"lab-etcd-3c-figure8",
	}
	seeds := uint64(2)
	if testing.Short() {
		seeds = 1
	}
	for _, name := range names {
		s, err := scenarios.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(1); seed <= seeds; seed++ {
			shared := runOnce(t, s, seed)
			restore := etcdraft.CopyMessages()
			copied := runOnce(t, s, seed)
			restore()
			if shared.TraceHash != copied.TraceHash || shared.Events != copied.Events {
				t.Fatalf("%s seed %d: shared messages ran %d events to hash %s, copied ones %d to %s",
					name, seed, shared.Events, shared.TraceHash, copied.Events, copied.TraceHash)
			}
			if !shared.Expected {
				t.Fatalf("%s seed %d: %s", name, seed, shared.Summary())
			}
		}
	}
}

func runOnce(t *testing.T, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
