package raftsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestCutOffLeadersFindsALeaderThatKeepsLeading: without CheckQuorum a
// leader cut off in a minority hears no higher term and goes on believing
// it leads, which raft-checkquorum-stepdown's cut_off_leaders assertion
// reports; with it, the same seeds pass.
func TestCutOffLeadersFindsALeaderThatKeepsLeading(t *testing.T) {
	s := lookup(t, "raft-checkquorum-stepdown")
	without := s
	cfg := config(t, s)
	cfg.CheckQuorum = false
	setConfig(&without, cfg)
	for seed := uint64(1); seed <= 3; seed++ {
		r, err := scenarios.Run(without, seed, scenarios.Options{CheckWorkers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != scenarios.Fail || !strings.Contains(r.Summary(), "still believes it leads") {
			t.Fatalf("seed %d without CheckQuorum: %v, %s", seed, r.Verdict, r.Summary())
		}
		if r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1}); err != nil || r.Verdict != scenarios.Pass {
			t.Fatalf("seed %d with CheckQuorum: %v %v", seed, err, r.Summary())
		}
	}
}
