package etcdsys_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestEtcdRaftsHeartbeatRateIsJudgedFromItsTicks: etcd raft beats every
// HeartbeatTicks ticks (5 of 10 ms), 20 a second: the declared 21 holds,
// and a bound of 19 finds its heartbeats among the encoded messages
// beside the rounds of its reads.
func TestEtcdRaftsHeartbeatRateIsJudgedFromItsTicks(t *testing.T) {
	s := lookup(t, "etcd-raft-happy")
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || r.Verdict != scenarios.Pass || !slices.Contains(r.Checks, scenarios.CheckHeartbeatRate) {
		t.Fatalf("etcd-raft-happy: %v %s (checks %v)", err, r.Summary(), r.Checks)
	}
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{HeartbeatsPerSecond: 19}
	r, err = scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || !strings.Contains(r.Summary(), "heartbeat-rate: ") || !strings.Contains(r.Summary(), "more than the 19 a second it promises") {
		t.Fatalf("etcd-raft-happy held to 19 heartbeats a second: %v %s", err, r.Summary())
	}
}
