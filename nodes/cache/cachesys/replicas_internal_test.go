package cachesys

import (
	"fmt"
	"sync"
	"testing"

	"github.com/detsim/detsim/nodes/cache"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

// comparedReplicas is the cache system with its two replica
// comparisons set side by side after every compareEvery-th event:
// replicasEqual, which the convergence sampling asks, and the harness's
// comparison of the states Replicas builds, which it must agree with.
const (
	comparedReplicas = "cache-compared-replicas"
	compareEvery     = 3
)

var comparison struct {
	events, equal, unequal int
	mismatch               string
}

var registerCompared = sync.OnceValue(func() error {
	return system.Register(system.MustDefine(system.Spec[cache.Config, client.WorkloadConfig]{
		Name:        comparedReplicas,
		Description: "the cache system, its two replica comparisons checked against each other",
		Config:      cache.DefaultConfig,
		Workload:    defaultWorkload,
		Validate:    validate,
		Build: func(cfg cache.Config, wl client.WorkloadConfig, c *system.Cluster) (*system.Instance, error) {
			inst, err := build(cfg, wl, c)
			if err != nil {
				return nil, err
			}
			invariant := inst.Invariant
			inst.Invariant = func() error {
				if comparison.events++; comparison.events%compareEvery == 0 {
					fast, slow := inst.ReplicasEqual(), scenarios.ReplicaStatesEqual(inst.Replicas())
					switch {
					case fast != slow && comparison.mismatch == "":
						comparison.mismatch = fmt.Sprintf("replicasEqual %v, the built states %v: %v", fast, slow, inst.Replicas())
					case fast:
						comparison.equal++
					default:
						comparison.unequal++
					}
				}
				return invariant()
			}
			return inst, nil
		},
		Rate:     rate,
		Promises: System.Promises(),
		Counters: System.Counters(),
		Faults:   System.Faults(),
		Programs: System.Programs(),
		Steady:   System.Steady(),
	}))
})

// TestReplicasEqualAgreesWithTheBuiltStates runs scenarios of both modes (cache-aside
// and replicated) with crashes and partitions, and compares the two
// judgements of the replicas throughout.
func TestReplicasEqualAgreesWithTheBuiltStates(t *testing.T) {
	if err := registerCompared(); err != nil {
		t.Fatal(err)
	}
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
	comparison.events, comparison.equal, comparison.unequal, comparison.mismatch = 0, 0, 0, ""
	for _, name := range []string{"cache-happy", "cache-server-crash", "cache-db-crash", "cache-db-partition", "cache-invalidate-retried", "cache-hot-key-storm", "cache-stale-set-leases", "cache-fill-versioned", "cache-invalidate-ordered", "cache-replicated", "cache-replicated-hlc"} {
		s, err := scenarios.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		s.System.Kind = comparedReplicas
		s.Checks.Invariants = true
		for seed := uint64(1); seed <= 2; seed++ {
			if _, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1}); err != nil {
				t.Fatalf("%s seed %d: %v", name, seed, err)
			}
			if comparison.mismatch != "" {
				t.Fatalf("%s seed %d: %s", name, seed, comparison.mismatch)
			}
		}
	}
	if comparison.equal < 100 || comparison.unequal < 100 {
		t.Fatalf("compared %d equal and %d unequal states: too few of one", comparison.equal, comparison.unequal)
	}
	t.Logf("%d equal and %d unequal states compared", comparison.equal, comparison.unequal)
}
