package raftsys_test

import (
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// benchmarkScenarios runs seeds 1, 2, ... of each named scenario and
// reports what one run costs.
func benchmarkScenarios(b *testing.B, names []string) {
	for _, name := range names {
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

// BenchmarkProgramScenarios: the scenarios whose faults are targeted
// programs.
func BenchmarkProgramScenarios(b *testing.B) {
	benchmarkScenarios(b, []string{"raft-figure7-logs", "raft-snapshot-redelivered", "raft-reads-deposed-between-reads", "raft-bug-install-old-snapshot"})
}

// BenchmarkCrashAndQuorumScenarios: crash points after sends and deletes,
// writes that survive a crash in part or out of order, and quorums across
// a removal.
func BenchmarkCrashAndQuorumScenarios(b *testing.B) {
	benchmarkScenarios(b, []string{"raft-crash-send-before-sync", "raft-crash-single-server", "raft-membership-removed-reachable", "raft-torn-figure7", "raft-torn-truncation", "raft-torn-reordered"})
}

// leadershipScenarios aim at leases, step-down, CheckQuorum, refusals and
// the option combinations no other scenario ran.
var leadershipScenarios = []string{
	"raft-lease-slow-acks", "raft-lease-drift-bound", "raft-lease-transfer",
	"raft-checkquorum-sticky-leader", "raft-refusal-definite-stepdown",
	"raft-config-log-reads-no-prevote", "raft-config-lease-snapshots", "raft-config-checkquorum-snapshots",
}

// BenchmarkLeadershipScenarios reports what one run of each costs, so the
// CI suite's share of them (8 seeds each) can be read off.
func BenchmarkLeadershipScenarios(b *testing.B) { benchmarkScenarios(b, leadershipScenarios) }
