package simrun

import (
	"fmt"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkSweep runs seeds of a Raft scenario with 1 and 2 workers and
// reports seeds per second: the scaling of a sweep across cores.
func BenchmarkSweep(b *testing.B) {
	defer relaxGC()()
	s, err := scenarios.Lookup("raft-leader-partition")
	if err != nil {
		b.Fatal(err)
	}
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", jobs), func(b *testing.B) {
			rep, err := sweep(s, seedRange{1, 1 + uint64(b.N)}, shard{0, 1}, jobs, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
			if rep.Tally.Runs != b.N {
				b.Fatalf("ran %d seeds, want %d", rep.Tally.Runs, b.N)
			}
		})
	}
}
