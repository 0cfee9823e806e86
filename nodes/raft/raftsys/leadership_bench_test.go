package raftsys_test

import (
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// leadershipScenarios aim at leases, step-down, CheckQuorum, refusals and
// the option combinations no other scenario ran.
var leadershipScenarios = []string{
	"raft-lease-slow-acks", "raft-lease-drift-bound", "raft-lease-transfer",
	"raft-checkquorum-sticky-leader", "raft-refusal-definite-stepdown",
	"raft-config-log-reads-no-prevote", "raft-config-lease-snapshots", "raft-config-checkquorum-snapshots",
}

// BenchmarkLeadershipScenarios reports what one run of each costs, so the
// CI suite's share of them (8 seeds each) can be read off.
func BenchmarkLeadershipScenarios(b *testing.B) {
	for _, name := range leadershipScenarios {
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
