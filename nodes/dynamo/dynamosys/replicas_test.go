package dynamosys

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/detsim/detsim/nodes/dynamo"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

// The two systems below are the store with the convergence sampling's
// two ways of comparing replicas: built only ("dynamo-built-replicas",
// no ReplicasEqual, so the harness builds and compares every state), and
// compared both ways after every compareEvery-th event
// ("dynamo-compared-replicas").
const (
	builtReplicas    = "dynamo-built-replicas"
	comparedReplicas = "dynamo-compared-replicas"
	// compareEvery spaces the comparisons, which build every state,
	// enough to keep the test fast.
	compareEvery = 4
)

// comparison tallies what the compared system saw; tests run one world
// at a time.
var comparison struct {
	events         int
	equal, unequal int
	mismatches     []string
}

var registerComparing = sync.OnceValue(func() error {
	return system.Register(
		wrapped(builtReplicas, func(inst *system.Instance) { inst.ReplicasEqual = nil }),
		wrapped(comparedReplicas, func(inst *system.Instance) {
			invariant := inst.Invariant
			inst.Invariant = func() error {
				if comparison.events++; comparison.events%compareEvery != 0 {
					return invariant()
				}
				fast, slow := inst.ReplicasEqual(), scenarios.ReplicaStatesEqual(inst.Replicas())
				switch {
				case fast != slow:
					if len(comparison.mismatches) < 5 {
						comparison.mismatches = append(comparison.mismatches, fmt.Sprintf("ReplicasEqual %v, the states %v: %v", fast, slow, inst.Replicas()))
					}
				case fast:
					comparison.equal++
				default:
					comparison.unequal++
				}
				return invariant()
			}
		}))
})

func wrapped(name string, change func(*system.Instance)) *system.System {
	return system.MustDefine(system.Spec[dynamo.Config, dynamo.Workload]{
		Name:        name,
		Description: "the dynamo system, its replica comparison changed for a test",
		Config:      dynamo.DefaultConfig,
		Workload:    dynamo.DefaultWorkload,
		Validate:    validate,
		Build: func(cfg dynamo.Config, wl dynamo.Workload, c *system.Cluster) (*system.Instance, error) {
			inst, err := build(cfg, wl, c)
			if err == nil {
				change(inst)
			}
			return inst, err
		},
		Rate:     rate,
		Promises: System.Promises(),
		Counters: System.Counters(),
	})
}

// convergenceScenarios are the built-in scenarios that check convergence
// (every one but PBS's), each on kind.
func convergenceScenarios(t *testing.T, kind string) []scenarios.Scenario {
	t.Helper()
	if err := registerComparing(); err != nil {
		t.Fatal(err)
	}
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
	var out []scenarios.Scenario
	for _, name := range scenarios.Names() {
		if !strings.HasPrefix(name, "dynamo-") || strings.HasPrefix(name, "dynamo-pbs-") {
			continue
		}
		s, err := scenarios.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		s.System.Kind = kind
		out = append(out, s)
	}
	if len(out) < 8 {
		t.Fatalf("found only %d dynamo scenarios", len(out))
	}
	return out
}

func runScenario(t *testing.T, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

// TestReplicasEqualAgreesWithTheBuiltStatesThroughEveryScenario compares the
// store's ReplicasEqual with the harness's comparison of the states
// Replicas builds, after every fourth event of every built-in scenario on
// two seeds: through crashes (down primaries), partitions, sloppy quorums and
// every planted bug.
func TestReplicasEqualAgreesWithTheBuiltStatesThroughEveryScenario(t *testing.T) {
	comparison.events, comparison.equal, comparison.unequal, comparison.mismatches = 0, 0, 0, nil
	for _, s := range convergenceScenarios(t, comparedReplicas) {
		s.Checks.Invariants = true
		for seed := uint64(1); seed <= 2; seed++ {
			runScenario(t, s, seed)
			if len(comparison.mismatches) > 0 {
				t.Fatalf("%s seed %d: %s", s.Name, seed, strings.Join(comparison.mismatches, "\n"))
			}
		}
	}
	// Both answers must have been put to the test, many times.
	if comparison.equal < 1000 || comparison.unequal < 1000 {
		t.Fatalf("compared %d equal and %d unequal states: too few of one", comparison.equal, comparison.unequal)
	}
	t.Logf("%d equal and %d unequal states compared", comparison.equal, comparison.unequal)
}

// TestReplicasEqualJudgesConvergenceAsTheBuiltStatesDo runs every
// built-in scenario with and without the store's ReplicasEqual: the
// times to converge, the verdicts, the counters and the traces are the
// same.
func TestReplicasEqualJudgesConvergenceAsTheBuiltStatesDo(t *testing.T) {
	built := convergenceScenarios(t, builtReplicas)
	for i, s := range convergenceScenarios(t, System.Name()) {
		for seed := uint64(1); seed <= 3; seed++ {
			fast, slow := runScenario(t, s, seed), runScenario(t, built[i], seed)
			if fast.Convergence == nil && s.Checks.Convergence {
				t.Fatalf("%s seed %d: no time to converge", s.Name, seed)
			}
			if !cmp.Equal(fast.Convergence, slow.Convergence) {
				t.Errorf("%s seed %d: converged %v with ReplicasEqual, %v with the states", s.Name, seed, fast.Convergence, slow.Convergence)
			}
			if fast.Verdict != slow.Verdict || fast.TraceHash != slow.TraceHash || !cmp.Equal(fast.Counters, slow.Counters) {
				t.Errorf("%s seed %d: %s\nwith the states: %s", s.Name, seed, fast.Summary(), slow.Summary())
			}
		}
	}
}
