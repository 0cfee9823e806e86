package raftsys_test

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(raftsys.System) }

func ms(n int) scenarios.Duration { return scenarios.Duration(time.Duration(n) * time.Millisecond) }
func sec(n float64) scenarios.Duration {
	return scenarios.Duration(time.Duration(n * float64(time.Second)))
}

func uniform(min, max scenarios.Duration) scenarios.Latency {
	return scenarios.Latency{Kind: "uniform", Min: min, Max: max}
}

// unreliable is the network of MIT 6.5840's Raft labs: one-way delays of
// 0-26 ms, a fraction slow of 200-800 ms, and 10% of messages lost.
func unreliable(slow float64) scenarios.Network {
	return scenarios.Network{LossRatio: 0.1, Latency: scenarios.Latency{Kind: "mixture", Parts: []scenarios.Weighted{
		{Weight: 1 - slow, Latency: uniform(0, ms(26))},
		{Weight: slow, Latency: uniform(ms(200), ms(800))},
	}}}
}

func lookup(t fataler, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// config and setConfig read and write a Raft scenario's configuration.
func config(t fataler, s scenarios.Scenario) raft.Config {
	t.Helper()
	cfg := raft.DefaultConfig()
	if len(s.System.Config) > 0 {
		if err := json.Unmarshal(s.System.Config, &cfg); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func setConfig(s *scenarios.Scenario, cfg raft.Config) { *s = withSystem(*s, cfg) }

func withSystem(s scenarios.Scenario, cfg raft.Config) scenarios.Scenario {
	s.System = scenarios.SystemOf("raft", cfg)
	return s
}

// workload and setWorkload read and write a scenario's client workload.
func workload(t fataler, s scenarios.Scenario) client.WorkloadConfig {
	t.Helper()
	wl := client.DefaultWorkloadConfig()
	if len(s.Workload) > 0 {
		if err := json.Unmarshal(s.Workload, &wl); err != nil {
			t.Fatal(err)
		}
	}
	return wl
}

func setWorkload(s *scenarios.Scenario, wl client.WorkloadConfig) {
	s.Workload = scenarios.WorkloadOf(wl)
}

// busy makes clients keep the leaders busy through leader churn: no think
// time to speak of, no circuit breaker to back them off.
func busy(t fataler, s *scenarios.Scenario) {
	wl := workload(t, *s)
	wl.ThinkMin, wl.ThinkMax = 0, 10*time.Millisecond
	wl.Client.BreakerFailures = 0
	wl.Client.Deadline = 2 * time.Second
	setWorkload(s, wl)
}

func runOrFatal(t fataler, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

// suiteSeeds is the seed count of the deeper tests: DETSIM_SEEDS deepens
// it.
func suiteSeeds(t *testing.T) int {
	n := 8
	if v := os.Getenv("DETSIM_SEEDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("DETSIM_SEEDS=%q is not a positive number", v)
		}
	}
	if testing.Short() {
		n = min(n, 2)
	}
	return n
}

var _ = suiteSeeds

// fataler is what the helpers need of a test: *testing.T and *rapid.T both
// are one.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// caughtBy runs buggy on seeds 1 to seeds until one fails, and checks
// that correct passes that same seed. It returns the failing result, or
// nil if no seed failed.
func caughtBy(t *testing.T, correct, buggy scenarios.Scenario, seeds uint64) *scenarios.Result {
	t.Helper()
	for seed := uint64(1); seed <= seeds; seed++ {
		r, err := scenarios.Run(buggy, seed, scenarios.Options{CheckWorkers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != scenarios.Fail {
			continue
		}
		ok, err := scenarios.Run(correct, seed, scenarios.Options{CheckWorkers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if ok.Verdict != scenarios.Pass {
			t.Errorf("seed %d: the correct node does not pass either: %v", seed, ok.Reasons)
		}
		t.Logf("seed %d: %v", seed, r.Reasons)
		return r
	}
	return nil
}
