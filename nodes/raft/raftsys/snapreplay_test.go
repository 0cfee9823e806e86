package raftsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/scenarios"
)

// TestSnapshotReplayRollsBackFollowersThatInstallOldSnapshots: a follower
// that installs any snapshot newer than its own (bug InstallOldSnapshot)
// goes back in applied state when the snapshot-replay program delivers an
// old InstallSnapshot late, and the invariant that applied state never
// goes back reports it. The same seeds without the program never show
// it, and the correct node passes with it.
func TestSnapshotReplayRollsBackFollowersThatInstallOldSnapshots(t *testing.T) {
	s := lookup(t, "raft-snapshot-redelivered")
	if len(s.Nemesis.Programs) != 1 || s.Nemesis.Programs[0].Name != "snapshot-replay" {
		t.Fatalf("the scenario's programs changed: %+v", s.Nemesis.Programs)
	}
	buggy := s
	cfg := config(t, s)
	cfg.Bugs.InstallOldSnapshot = true
	setConfig(&buggy, cfg)
	unreplayed := buggy
	unreplayed.Nemesis.Programs = nil
	found := 0
	for seed := uint64(1); seed <= 24; seed++ {
		r := runOrFatal(t, buggy, seed)
		if r.Verdict != scenarios.Fail {
			continue
		}
		found++
		if !strings.Contains(r.Reasons[0].Message, raftcheck.AppliedMonotonic.String()) {
			t.Errorf("seed %d: caught by something else: %v", seed, r.Reasons)
		}
		if ok := runOrFatal(t, s, seed); ok.Verdict != scenarios.Pass {
			t.Errorf("seed %d: the correct node does not pass either: %v", seed, ok.Reasons)
		}
		if plain := runOrFatal(t, unreplayed, seed); plain.Verdict != scenarios.Pass {
			t.Logf("seed %d: found without the program too: %v", seed, plain.Reasons)
		}
		if found == 3 {
			break
		}
	}
	if found == 0 {
		t.Error("24 seeds of replayed snapshots never caught a follower installing an old one")
	}
}
