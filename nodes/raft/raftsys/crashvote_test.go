package raftsys_test

import (
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestCrashAfterVoteFindsVotesThatAreNotSynced: with replies sent before
// anything is synced (bug ReplyBeforeSync), a crash the moment after a
// server votes loses the vote the candidate counted, and the durability
// invariant reports it. The correct node passes the same seed.
func TestCrashAfterVoteFindsVotesThatAreNotSynced(t *testing.T) {
	s := lookup(t, "raft-crash-after-vote")
	buggy := s
	cfg := config(t, s)
	cfg.Bugs.ReplyBeforeSync = true
	setConfig(&buggy, cfg)
	found := false
	for seed := uint64(1); seed <= 24 && !found; seed++ {
		r, err := scenarios.Run(buggy, seed, scenarios.Options{CheckWorkers: 1})
		if err != nil {
			t.Fatal(err)
		}
		found = r.Verdict == scenarios.Fail
		if found {
			ok, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if ok.Verdict != scenarios.Pass {
				t.Errorf("seed %d: the correct node does not pass either: %v", seed, ok.Reasons)
			}
			t.Logf("seed %d: %v", seed, r.Reasons)
		}
	}
	if !found {
		t.Error("24 seeds of crashes after votes never caught a vote that was not synced")
	}
}
