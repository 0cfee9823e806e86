package simrun

import (
	"syscall"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// sweepScenarios is a scenario under faults for each built-in system.
var sweepScenarios = []string{
	"raft-minority-partition",
	"etcd-raft-minority-partition",
	"dynamo-crash-restart-handoff",
	"2pc-coordinator-crash",
	"cache-server-crash",
	"gossip-example",
}

// BenchmarkSweepEverySystem sweeps the same 40 seeds of each system's
// scenario with 1 worker, then with 2, in alternation, twice per
// iteration, so that a change in the machine's load falls on both alike.
// It reports seeds per second and CPU time per seed (getrusage) of each,
// and workers2/workers1, the speed-up of the second core.
//
//	go test ./simrun -run '^$' -bench SweepEverySystem -benchtime 1x
func BenchmarkSweepEverySystem(b *testing.B) {
	defer relaxGC()()
	const seeds, rounds = 40, 2
	for _, name := range sweepScenarios {
		b.Run(name, func(b *testing.B) {
			s, err := scenarios.Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			var wall, cpu [3]time.Duration
			for i := 0; i < b.N*rounds; i++ {
				for _, jobs := range []int{1, 2} {
					start, cpu0 := time.Now(), rusage(b)
					rep, err := sweep(s, seedRange{1, 1 + seeds}, shard{0, 1}, jobs, nil)
					if err != nil {
						b.Fatal(err)
					}
					wall[jobs] += time.Since(start)
					cpu[jobs] += rusage(b) - cpu0
					if rep.Tally.Runs != seeds {
						b.Fatalf("ran %d seeds, want %d", rep.Tally.Runs, seeds)
					}
				}
			}
			n := float64(b.N * rounds * seeds)
			b.ReportMetric(n/wall[1].Seconds(), "seeds/s-1")
			b.ReportMetric(n/wall[2].Seconds(), "seeds/s-2")
			b.ReportMetric(wall[1].Seconds()/wall[2].Seconds(), "workers2/workers1")
			b.ReportMetric(float64(cpu[1].Microseconds())/1000/n, "cpu-ms/seed-1")
			b.ReportMetric(float64(cpu[2].Microseconds())/1000/n, "cpu-ms/seed-2")
		})
	}
}

// rusage is the CPU time the process has used, every thread included.
func rusage(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
