package raftsys_test

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// TestRaftsPromisesFollowItsConfiguration: the promises Raft declares
// come from its options and timeouts, and a scenario can only tighten
// them.
func TestRaftsPromisesFollowItsConfiguration(t *testing.T) {
	r, err := scenarios.Run(lookup(t, "raft-happy"), 1, scenarios.Options{})
	if err != nil || r.Verdict != scenarios.Pass {
		t.Fatalf("raft-happy: %v %s", err, r.Summary())
	}
	for _, check := range []string{scenarios.CheckElect, scenarios.CheckStepDown, scenarios.CheckStable, scenarios.CheckHeartbeatRate} {
		if !slices.Contains(r.Checks, check) {
			t.Errorf("raft-happy (PreVote and CheckQuorum) does not judge %s: %v", check, r.Checks)
		}
	}
	// A heartbeat every 50 ms is 20 a second, which a bound of 19 finds
	// beside the rounds of the reads.
	happy := lookup(t, "raft-happy")
	happy.Checks.LivenessPromises = &scenarios.PromiseChecks{HeartbeatsPerSecond: 19}
	r, err = scenarios.Run(happy, 1, scenarios.Options{})
	if err != nil || !strings.Contains(r.Summary(), "heartbeat-rate: n3 sent n1 51 heartbeats in the 1s before 1.35s, more than the 19 a second it promises and the 31 reads it was given then") {
		t.Errorf("raft-happy held to 19 heartbeats a second: %v %s", err, r.Summary())
	}
	happy.Checks.LivenessPromises = &scenarios.PromiseChecks{HeartbeatsPerSecond: 22}
	if err := happy.Validate(); err == nil || !strings.Contains(err.Error(), "heartbeats_per_second is 22, above the system's promise (21)") {
		t.Errorf("a looser heartbeat rate: %v", err)
	}
	s := lookup(t, "raft-partial-partition-churn") // neither PreVote nor CheckQuorum
	r, _ = scenarios.Run(s, 1, scenarios.Options{})
	if slices.Contains(r.Checks, scenarios.CheckStable) || !slices.Contains(r.Checks, scenarios.CheckStepDown) {
		t.Errorf("without PreVote and CheckQuorum, Raft promises step-down on a higher term but no stable leader: %v", r.Checks)
	}
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{ElectWithin: scenarios.Duration(time.Minute)}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "elect_within is 1m0s, looser than the system's promise (4.8s)") {
		t.Errorf("a looser election bound: %v", err)
	}
}

// TestAPreVoteThatIgnoresTheLeaderBreaksStability: the planted bug
// raft-bug-prevote-ignores-leader, which only its scenario's steady
// check found, fails the stability Raft declares once asked.
func TestAPreVoteThatIgnoresTheLeaderBreaksStability(t *testing.T) {
	s := lookup(t, "raft-bug-prevote-ignores-leader")
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.Reasons, func(reason scenarios.Reason) bool { return reason.Check == scenarios.CheckStable })
	if i < 0 || !strings.Contains(r.Reasons[i].Message, "was deposed by") {
		t.Fatalf("want stable failing: %s", r.Summary())
	}
	s = lookup(t, "raft-partial-partition-prevote") // the same faults, no bug
	if r, err := scenarios.Run(s, 1, scenarios.Options{}); err != nil || r.Verdict != scenarios.Pass || !slices.Contains(r.Checks, scenarios.CheckStable) {
		t.Fatalf("the correct code: %v %s (checks %v)", err, r.Summary(), r.Checks)
	}
}

// BenchmarkLivenessPromises: what judging the promises costs a run,
// beside the same runs with them off. On a shared machine wall time
// says little, so it also reports the process's CPU time per run
// (run it with GOMAXPROCS=1).
func BenchmarkLivenessPromises(b *testing.B) {
	for _, name := range []string{"raft-happy", "raft-leader-partition", "raft-swarm"} {
		for _, on := range []bool{true, false} {
			label := name + "/promises-on"
			if !on {
				label = name + "/promises-off"
			}
			b.Run(label, func(b *testing.B) {
				s := lookup(b, name)
				if !on {
					s.Checks.LivenessPromises = &scenarios.PromiseChecks{Off: true}
				}
				var events uint64
				cpu0 := cpuTime(b)
				for i := 0; i < b.N; i++ {
					r, err := scenarios.Run(s, uint64(i+1), scenarios.Options{CheckWorkers: 1})
					if err != nil {
						b.Fatal(err)
					}
					events += r.Events
				}
				cpu := (cpuTime(b) - cpu0).Seconds()
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
				b.ReportMetric(1000*cpu/float64(b.N), "cpu-ms/run")
				b.ReportMetric(float64(events)/cpu, "events/cpu-s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
