package raftsys_test

import "testing"

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
	if caughtBy(t, s, buggy, 24) == nil {
		t.Error("24 seeds of crashes after votes never caught a vote that was not synced")
	}
}
