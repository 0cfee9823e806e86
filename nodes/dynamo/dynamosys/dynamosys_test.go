package dynamosys_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/detsim/detsim/nodes/dynamo/dynamosys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(dynamosys.System) }

func lookup(tb testing.TB, name string) scenarios.Scenario {
	tb.Helper()
	if err := scenarios.Builtins(); err != nil {
		tb.Fatal(err)
	}
	s, err := scenarios.Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func run(t *testing.T, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

func TestSameSeedSameTraceAndDifferentSeedsDiffer(t *testing.T) {
	s := lookup(t, "dynamo-crash-restart-handoff")
	a, b, c := run(t, s, 3), run(t, s, 3), run(t, s, 4)
	if a.TraceHash != b.TraceHash || !cmp.Equal(a.Counters, b.Counters) || a.Ops != b.Ops {
		t.Fatalf("seed 3 twice: hashes %s and %s, counters %v and %v", a.TraceHash, b.TraceHash, a.Counters, b.Counters)
	}
	if a.TraceHash == c.TraceHash {
		t.Fatalf("seeds 3 and 4 gave the same trace %s", a.TraceHash)
	}
}

// withoutBugs is s with every planted bug (and last-write-wins) off,
// expected to pass.
func withoutBugs(t *testing.T, s scenarios.Scenario) scenarios.Scenario {
	var cfg map[string]any
	if err := json.Unmarshal(s.System.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	delete(cfg, "bugs")
	delete(cfg, "last_write_wins")
	s = scenarios.Materialize(s, 1)
	s.System = scenarios.SystemOf("dynamo", cfg)
	s.Expect = scenarios.Expect{Verdict: scenarios.Pass}
	return s
}

func TestEveryPlantedBugIsAbsentWithItsFlagOff(t *testing.T) {
	for _, name := range []string{"dynamo-bug-lww", "dynamo-bug-client-clocks", "dynamo-bug-reap-early", "dynamo-bug-repair-overwrite", "dynamo-bug-unsynced-hints", "dynamo-bug-pruned-clocks"} {
		t.Run(name, func(t *testing.T) {
			s := withoutBugs(t, lookup(t, name))
			s.Checks.History, s.Checks.Convergence, s.Checks.Invariants = true, true, true
			for seed := uint64(1); seed <= 3; seed++ {
				if r := run(t, s, seed); r.Verdict != scenarios.Pass {
					t.Errorf("seed %d with the flag off: %s", seed, r.Summary())
				}
			}
		})
	}
}

func TestRepairOverwriteSendsAReplicaBackwards(t *testing.T) {
	s := lookup(t, "dynamo-bug-repair-overwrite")
	s.Checks = scenarios.Checks{Invariants: true}
	s.Expect = scenarios.Expect{Verdict: scenarios.Fail, Check: scenarios.CheckInvariants}
	for seed := uint64(1); seed <= 8; seed++ {
		if r := run(t, s, seed); r.Verdict == scenarios.Fail && r.Counter("version-regressions") > 0 {
			return
		}
	}
	t.Fatal("no seed of 1..8 caught a replica's version going backwards")
}
