package twopcsys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/2pc/twopcsys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(twopcsys.System) }

func lookup(t testing.TB, name string) scenarios.Scenario {
	t.Helper()
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
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
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

func BenchmarkCoordinatorCrashRun(b *testing.B) {
	s := lookup(b, "2pc-coordinator-crash")
	var events uint64
	for i := 0; i < b.N; i++ {
		r := run(b, s, uint64(i+1))
		events += r.Events
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
