package raftsys_test

import (
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkProgramScenarios runs seeds of the scenarios whose faults are
// targeted programs and reports what one run costs.
func BenchmarkProgramScenarios(b *testing.B) {
	for _, name := range []string{"raft-figure7-logs", "raft-snapshot-redelivered", "raft-reads-deposed-between-reads", "raft-bug-install-old-snapshot"} {
		b.Run(name, func(b *testing.B) {
			s := lookup(b, name)
			var events uint64
			for i := 0; i < b.N; i++ {
				r, err := scenarios.Run(s, uint64(i+1), scenarios.Options{CheckWorkers: 1})
				if err != nil {
					b.Fatal(err)
				}
				events += r.Events
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
			b.ReportMetric(float64(b.N)/secs, "runs/s")
			b.ReportMetric(float64(events)/secs, "events/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
