package dynamosys_test

import (
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkFaultyRing runs dynamo-crash-restart-handoff, a five-server ring
// under crashes, restarts and a partition with every check on, and reports
// how much faster than real time it runs: by wall time, and by the CPU time
// the process spent, which a machine shared with other work does not
// inflate.
//
// The collector is relaxed as simrun sweep relaxes it (GOGC 1000): a
// world's live heap is a few megabytes and short-lived.
func BenchmarkFaultyRing(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(1000))
	s := lookup(b, "dynamo-crash-restart-handoff")
	var virtual, wall time.Duration
	var events uint64
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		r, err := scenarios.Run(s, uint64(i+1), scenarios.Options{CheckWorkers: 1})
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		virtual += r.Virtual.D()
		events += r.Events
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(virtual)/float64(wall), "x-real-time")
	b.ReportMetric(float64(virtual)/float64(cpu), "x-real-time-cpu")
	b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "ms/run")
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
