package dynamosys_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkFaultyRing runs dynamo-crash-restart-handoff, a five-server ring
// under partitions and crashes with every check on, and reports how much
// faster than real time it runs.
func BenchmarkFaultyRing(b *testing.B) {
	s := lookup(b, "dynamo-happy")
	var virtual, wall time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		r, err := scenarios.Run(s, uint64(i+1), scenarios.Options{CheckWorkers: 1})
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		virtual += r.Virtual.D()
	}
	b.ReportMetric(float64(virtual)/float64(wall), "x-real-time")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/run")
}
