package etcdsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/scenarios"
)

// TestCorruptStorageIsAFailureOfTheHost: a value that fails its checksum
// when the restarted node reads it ends the run as a failure that names the
// host and the key, not as a crash of the harness.
func TestCorruptStorageIsAFailureOfTheHost(t *testing.T) {
	s := lookup(t, "etcd-raft-corrupt-storage")
	r := run(t, s, 7)
	if r.Verdict != scenarios.Fail || r.Seed != 7 || len(r.Reasons) == 0 {
		t.Fatalf("got %s, want a failure of seed 7", r.Summary())
	}
	msg := r.Reasons[0].Message
	if r.Reasons[0].Check != scenarios.CheckPanic || !strings.Contains(msg, "host n2") || !strings.Contains(msg, "checksum") {
		t.Fatalf("reason %q (%s), want a panic of host n2 over a failed checksum", msg, r.Reasons[0].Check)
	}
}

// TestSafetyCheckerFindsTheLostEntries: with every check on, the planted
// send-before-sync bug breaks leader completeness in seed 3 before etcd
// raft's own assertion notices; with the bug off, the same seed passes.
func TestSafetyCheckerFindsTheLostEntries(t *testing.T) {
	s := lookup(t, "etcd-raft-bug-send-before-sync")
	s.Checks = scenarios.Checks{History: true, Invariants: true, Convergence: true, Liveness: true}
	r := run(t, s, 3)
	if r.Verdict != scenarios.Fail || r.Reasons[0].Check != scenarios.CheckInvariants || !strings.Contains(r.Reasons[0].Message, "leader completeness") {
		t.Fatalf("with the bug: %s, want a leader completeness violation", r.Summary())
	}
	if r := run(t, lookup(t, "etcd-raft-crash-restart"), 3); r.Verdict != scenarios.Pass {
		t.Fatalf("without the bug: %s", r.Summary())
	}
}

// TestMembershipChangesReachTheNewServers: servers added by configuration
// changes get the leader's snapshot and count in the members.
func TestMembershipChangesReachTheNewServers(t *testing.T) {
	r := run(t, lookup(t, "etcd-raft-membership"), 1)
	if r.Verdict != scenarios.Pass {
		t.Fatalf("%s", r.Summary())
	}
	if r.Counter(etcdsys.CounterMembershipChange) == 0 || r.Counter(etcdsys.CounterSnapshotInstalled) == 0 {
		t.Fatalf("counters %v: want configuration changes applied and snapshots installed", r.Counters)
	}
}
