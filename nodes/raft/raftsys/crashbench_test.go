package raftsys_test

import (
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkCrashAndQuorumScenarios runs seeds of the scenarios of crash
// points after sends and deletes, writes that survive a crash in part,
// and quorums across a removal, and reports what one run costs.
func BenchmarkCrashAndQuorumScenarios(b *testing.B) {
	for _, name := range []string{"raft-crash-send-before-sync", "raft-crash-single-server", "raft-membership-removed-reachable", "raft-torn-figure7", "raft-torn-truncation"} {
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
