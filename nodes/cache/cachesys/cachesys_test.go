package cachesys_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/detsim/detsim/nodes/cache"
	"github.com/detsim/detsim/nodes/cache/cachesys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(cachesys.System) }

func lookup(t testing.TB, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runOrFatal(t testing.TB, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

func config(t testing.TB, s scenarios.Scenario) cache.Config {
	t.Helper()
	cfg := cache.DefaultConfig()
	if err := json.Unmarshal(s.System.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestTheSystemShipsAtLeastEightScenarios(t *testing.T) {
	n := 0
	for _, name := range scenarios.Names() {
		if strings.HasPrefix(name, "cache-") {
			n++
		}
	}
	if n < 8 {
		t.Fatalf("%d built-in cache scenarios, want at least 8", n)
	}
}

// bugScenarios are the planted-bug scenarios, each with its bug.
var bugScenarios = []string{
	"cache-bug-no-leases",
	"cache-bug-fill-unversioned",
	"cache-bug-invalidate-once",
	"cache-bug-invalidate-unordered",
	"cache-bug-replicated-tutorial",
}

// TestEachPlantedBugIsAbsentWithItsFix runs every planted-bug scenario
// with its bug switched off, over the seeds the suite hunts it in: every
// run must pass, so each failure the suite sees is the bug's.
func TestEachPlantedBugIsAbsentWithItsFix(t *testing.T) {
	seeds := uint64(24)
	if testing.Short() {
		seeds = 4
	}
	for _, name := range bugScenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := lookup(t, name)
			cfg := config(t, s)
			if cfg.Bugs == (cache.Bugs{}) {
				t.Fatalf("%s plants no bug", name)
			}
			cfg.Bugs = cache.Bugs{}
			s.System = scenarios.SystemOf("cache", cfg)
			s.Expect = scenarios.Expect{Verdict: scenarios.Pass}
			for seed := uint64(1); seed <= seeds; seed++ {
				if r := runOrFatal(t, s, seed); r.Verdict != scenarios.Pass {
					t.Errorf("without its bug, seed %d: %s", seed, r.Summary())
				}
			}
		})
	}
}

// TestTheStaleSetOutlivesTheHeal: without leases, the stale entry is still
// in the cache when the run ends, long after the heal and the last write.
func TestTheStaleSetOutlivesTheHeal(t *testing.T) {
	s := lookup(t, "cache-bug-no-leases")
	for seed := uint64(1); seed <= 24; seed++ {
		r := runOrFatal(t, s, seed)
		if r.Verdict != scenarios.Fail {
			continue
		}
		if n := r.Counter(cachesys.CounterStaleEntries); n == 0 || !strings.Contains(r.Summary(), "after quiescence") {
			t.Fatalf("seed %d failed, but not with a stale entry at the end (%d): %s", seed, n, r.Summary())
		}
		if r.Virtual < s.FaultPhase+s.HealPhase {
			t.Fatalf("seed %d stopped at %v, before the end of the heal", seed, r.Virtual)
		}
		return
	}
	t.Fatal("no seed of 24 left a stale entry")
}

func TestLeasesAreWhatKeepsTheStaleSetOut(t *testing.T) {
	s := lookup(t, "cache-stale-set-leases")
	for seed := uint64(1); seed <= 8; seed++ {
		r := runOrFatal(t, s, seed)
		if r.Verdict != scenarios.Pass || r.Counter(cachesys.CounterRefillRegression) != 0 {
			t.Fatalf("seed %d with leases: %s, %d fills older than a deleted version", seed, r.Summary(), r.Counter(cachesys.CounterRefillRegression))
		}
	}
}

// TestLeasesCapTheDatabaseLoadOfAMissStorm compares the database's load
// in the same hot-key storm with and without leases.
func TestLeasesCapTheDatabaseLoadOfAMissStorm(t *testing.T) {
	with, without := lookup(t, "cache-hot-key-storm"), lookup(t, "cache-hot-key-storm-no-leases")
	var qWith, qWithout, peakWith, peakWithout int
	for seed := uint64(1); seed <= 3; seed++ {
		a, b := runOrFatal(t, with, seed), runOrFatal(t, without, seed)
		qWith += a.Counter(cachesys.CounterDBQueries)
		qWithout += b.Counter(cachesys.CounterDBQueries)
		peakWith += a.Counter(cachesys.CounterDBQPSPeak)
		peakWithout += b.Counter(cachesys.CounterDBQPSPeak)
		if a.Counter(cachesys.CounterLeaseWaits) == 0 {
			t.Errorf("seed %d: no misser ever waited for a lease in the storm", seed)
		}
	}
	if qWith*2 > qWithout || peakWith >= peakWithout {
		t.Fatalf("database reads over 3 seeds: %d with leases, %d without; peak rates %d and %d: leases should at least halve the reads and lower the peak",
			qWith, qWithout, peakWith, peakWithout)
	}
}

func TestSameSeedSameRunDifferentSeedDifferentRun(t *testing.T) {
	for _, name := range []string{"cache-db-partition", "cache-replicated"} {
		s := lookup(t, name)
		a, b, c := runOrFatal(t, s, 5), runOrFatal(t, s, 5), runOrFatal(t, s, 6)
		if a.TraceHash != b.TraceHash || a.Events != b.Events {
			t.Errorf("%s seed 5 ran twice to hashes %s and %s", name, a.TraceHash, b.TraceHash)
		}
		if a.TraceHash == c.TraceHash {
			t.Errorf("%s seeds 5 and 6 ran to the same hash %s", name, a.TraceHash)
		}
		for k, v := range a.Counters {
			if b.Counters[k] != v {
				t.Errorf("%s seed 5: counter %s is %d, then %d", name, k, v, b.Counters[k])
			}
		}
	}
}

func TestTheMeasuresReachTheResult(t *testing.T) {
	r := runOrFatal(t, lookup(t, "cache-db-partition"), 1)
	if r.Staleness == nil || r.Staleness.Reads == 0 {
		t.Fatalf("no staleness measured: %+v", r.Staleness)
	}
	for _, c := range []string{cachesys.CounterConsistencyNines, cachesys.CounterDBQueries, cachesys.CounterDBQPSPeak, cachesys.CounterStaleForP99} {
		if r.Counter(c) <= 0 {
			t.Errorf("counter %s is %d", c, r.Counter(c))
		}
	}
	// The partition holds invalidations back for 1.5s: some writes must
	// be stale for longer than the 1s bound, which costs nines.
	if max := r.Counter(cachesys.CounterStaleForMax); max < 1000 {
		t.Errorf("longest stale-for is %dms under a 1.5s partition of the invalidations", max)
	}
}

func TestBadConfigurationsNameTheField(t *testing.T) {
	good := lookup(t, "cache-happy")
	cases := []struct {
		config, workload, want string
		servers                int
	}{
		{`{"mode": "lru"}`, ``, `mode`, 4},
		{`{"memory_max": 10}`, ``, `memory_max`, 4},
		{`{"ring_points": 0}`, ``, `ring_points`, 4},
		{`{"ring_points": 1000000000000}`, ``, `ring_points`, 4},
		{`{"write_policy": "none"}`, ``, `invalidation`, 4},
		{`{"bugs": {"no_lease": true}}`, ``, `no_lease`, 4},
		{``, `{"mix": {"get": 1, "cas": 1}}`, `workload.mix`, 4},
		{``, ``, `servers`, 1},
	}
	for _, c := range cases {
		s := good
		s.System = scenarios.System{Kind: "cache", Config: json.RawMessage(c.config)}
		if c.workload != "" {
			s.Workload = json.RawMessage(c.workload)
		}
		s.Servers = c.servers
		_, err := scenarios.Run(s, 1, scenarios.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s workload %s servers %d: error %v, want one naming %q", c.config, c.workload, c.servers, err, c.want)
		}
	}
}

// Cutting the database off from the cache tier breaks read-your-writes
// (docs/CACHE.md), and the two counters read the same pass: some clients
// broke it, each at least once.
func TestADatabasePartitionBreaksReadYourWrites(t *testing.T) {
	s := lookup(t, "cache-db-partition")
	r := runOrFatal(t, s, 1)
	violations, clients := r.Counters[cachesys.CounterRYWViolations], r.Counters[cachesys.CounterRYWClients]
	if violations == 0 || clients == 0 || clients > violations || clients > s.Clients {
		t.Fatalf("%d read-your-writes violations by %d of %d clients", violations, clients, s.Clients)
	}
}
