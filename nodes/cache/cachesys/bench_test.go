package cachesys_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(raftsys.System) }

// BenchmarkRunUnderFaults runs whole scenarios under faults, every check
// included, beside a Raft scenario of the same kind for comparison.
func BenchmarkRunUnderFaults(b *testing.B) {
	for _, name := range []string{"cache-db-partition", "cache-server-crash", "cache-bug-replicated-tutorial", "raft-leader-partition"} {
		b.Run(name, func(b *testing.B) {
			s := lookup(b, name)
			var events uint64
			var virtual time.Duration
			start := time.Now()
			for i := 0; i < b.N; i++ {
				r, err := scenarios.Run(s, uint64(i+1), scenarios.Options{CheckWorkers: 1})
				if err != nil {
					b.Fatal(err)
				}
				events += r.Events
				virtual += time.Duration(r.Virtual)
			}
			wall := time.Since(start)
			n := float64(b.N)
			b.ReportMetric(float64(wall.Microseconds())/1000/n, "ms/run")
			b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
			b.ReportMetric(n/wall.Seconds(), "runs/s")
			b.ReportMetric(virtual.Seconds()/wall.Seconds(), "x-real-time")
		})
	}
}
