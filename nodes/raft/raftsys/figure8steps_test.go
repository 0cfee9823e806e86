package raftsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestFigure8StepsFindsOldTermsCommittedByCounting: with leaders that
// commit entries of earlier terms by counting replicas (bug
// CommitOldTerms, the mistake of Figure 8 of the Raft paper), the steps of
// raft-figure8-steps end with a leader that lacks an entry another server
// applied, on most of the CI suite's seeds; the correct node passes the
// seeds the bug fails.
func TestFigure8StepsFindsOldTermsCommittedByCounting(t *testing.T) {
	s := lookup(t, "raft-figure8-steps")
	buggy := s
	cfg := config(t, s)
	cfg.Bugs.CommitOldTerms = true
	setConfig(&buggy, cfg)
	caught := 0
	for seed := uint64(1); seed <= 8; seed++ {
		r := runOrFatal(t, buggy, seed)
		if r.Verdict != scenarios.Fail {
			continue
		}
		if !strings.Contains(r.Reasons[0].String(), "leader completeness") {
			t.Errorf("seed %d failed, but not for leader completeness: %v", seed, r.Reasons)
		}
		caught++
		if ok := runOrFatal(t, s, seed); ok.Verdict != scenarios.Pass {
			t.Errorf("seed %d: the correct node does not pass either: %v", seed, ok.Reasons)
		}
	}
	if caught < 6 {
		t.Errorf("the bug failed %d of 8 seeds, want at least 6", caught)
	}
}

// BenchmarkFigure8AndBurstScenarios reports what one run of the scenarios
// of the figure8-steps and conf-burst programs costs.
func BenchmarkFigure8AndBurstScenarios(b *testing.B) {
	benchmarkScenarios(b, []string{"raft-figure8-steps", "raft-membership-concurrent"})
}

// TestFigure8StepsRefusesAnEvenCluster: with an even number of servers the
// rival's side is short of a quorum, so the scenario is refused up front,
// naming the program, rather than run with steps that never happen.
func TestFigure8StepsRefusesAnEvenCluster(t *testing.T) {
	s := lookup(t, "raft-figure8-steps")
	s.Servers = 4
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "figure8-steps") || !strings.Contains(err.Error(), "odd number") {
		t.Errorf("4 servers: err = %v", err)
	}
}
