package raftsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestCrashAfterSendFindsVotesSentBeforeTheirSync: with the sync of a
// reply left to the end of the handler (bug SyncAfterReply), a crash just
// before that sync loses the vote a granted-vote message revealed, and the
// durability check finds it at the restart. The correct node passes the
// same seed.
func TestCrashAfterSendFindsVotesSentBeforeTheirSync(t *testing.T) {
	s := lookup(t, "raft-crash-send-before-sync")
	buggy := s
	cfg := config(t, s)
	cfg.Bugs.SyncAfterReply = true
	setConfig(&buggy, cfg)
	switch r := caughtBy(t, s, buggy, 8); {
	case r == nil:
		t.Error("8 seeds of crashes after sends never caught a reply sent before its sync")
	case !strings.Contains(r.Reasons[0].String(), "durability"):
		t.Errorf("failed, but not by durability: %v", r.Reasons)
	}
}

// TestRemovedQuorumChangesMembershipWithTheRemovedServerReachable: the
// program's removals and re-additions commit once the partition heals,
// and a correct cluster passes.
func TestRemovedQuorumChangesMembershipWithTheRemovedServerReachable(t *testing.T) {
	s := lookup(t, "raft-membership-removed-reachable")
	r, err := scenarios.Run(s, 1, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != scenarios.Pass {
		t.Fatalf("%v", r.Reasons)
	}
	if r.Counters["membership-change"] < 2 || r.Faults < 1 {
		t.Fatalf("membership changes %d, faults %d: the program did not cycle", r.Counters["membership-change"], r.Faults)
	}
}
