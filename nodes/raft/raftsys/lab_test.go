package raftsys_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/scenarios"
)

// TestLabScenariosCatchThePlantedBugsTheyAreMeantFor: the scenarios that
// write MIT 6.5840's tests pass on nodes/raft (the CI suite runs them all)
// and fail once the bug each is meant to catch is planted, for the check
// that catches it. The first failing seed is enough; none of these takes
// more than a few.
func TestLabScenariosCatchThePlantedBugsTheyAreMeantFor(t *testing.T) {
	for _, c := range []struct {
		scenario, bug string
		plant         func(*raft.Config)
		checks        []string // any of them
		seeds         int
	}{
		{"lab-3b-backup", "a vote without the log check", func(c *raft.Config) { c.Bugs.VoteWithoutLogCheck = true },
			[]string{scenarios.CheckInvariants, scenarios.CheckLinearizable, scenarios.CheckConvergence}, 24},
		{"lab-3c-figure8-unreliable", "a vote without the log check", func(c *raft.Config) { c.Bugs.VoteWithoutLogCheck = true },
			[]string{scenarios.CheckInvariants, scenarios.CheckLinearizable, scenarios.CheckConvergence}, 8},
		{"lab-3c-persist1", "replies before the sync", func(c *raft.Config) { c.Bugs.ReplyBeforeSync = true },
			[]string{scenarios.CheckInvariants, scenarios.CheckLinearizable, scenarios.CheckConvergence, scenarios.CheckAssert}, 4},
		{"lab-3d-snapshot-basic", "no snapshots", func(c *raft.Config) { c.SnapshotEntries = 0 },
			[]string{scenarios.CheckDisk}, 1},
		{"lab-3b-count", "a heartbeat every 50ms", func(c *raft.Config) { c.HeartbeatInterval = 50 * time.Millisecond },
			[]string{scenarios.CheckCost}, 1},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			s := lookup(t, c.scenario)
			if r := runOrFatal(t, s, 1); r.Verdict != scenarios.Pass {
				t.Fatalf("without the bug: %s", r.Summary())
			}
			cfg := config(t, s)
			c.plant(&cfg)
			setConfig(&s, cfg)
			for seed := uint64(1); seed <= uint64(c.seeds); seed++ {
				r := runOrFatal(t, s, seed)
				if r.Verdict != scenarios.Fail {
					continue
				}
				if !slices.ContainsFunc(r.Reasons, func(re scenarios.Reason) bool { return slices.Contains(c.checks, re.Check) }) {
					t.Fatalf("with %s, seed %d failed for another reason: %s", c.bug, seed, r.Summary())
				}
				return
			}
			t.Fatalf("with %s, no seed in %d failed", c.bug, c.seeds)
		})
	}
}

// TestALabScenarioStatesWhereItDiffersFromTheLab: every lab scenario names
// the lab test it writes and says how it differs.
func TestALabScenarioStatesWhereItDiffersFromTheLab(t *testing.T) {
	raw, err := lookupAll(t)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range raw {
		if !strings.HasPrefix(s.Name, "lab-") {
			continue
		}
		n++
		if !strings.HasPrefix(s.Description, "MIT 6.5840 ") || !strings.Contains(s.Description, " Test") || !strings.Contains(s.Description, "Differs from the lab") {
			t.Errorf("%s: the description must name the 6.5840 test and say how it differs: %q", s.Name, s.Description)
		}
		if len(s.Nemesis.Script) == 0 {
			t.Errorf("%s: a lab scenario is written as a script", s.Name)
		}
	}
	if n != 51 {
		t.Fatalf("%d lab scenarios, want the 51 that docs/LAB.md lists", n)
	}
}

func lookupAll(t *testing.T) ([]scenarios.Scenario, error) {
	t.Helper()
	var out []scenarios.Scenario
	bs, err := raftSystemScenarios()
	for _, b := range bs {
		s, err := scenarios.Decode(strings.NewReader(string(b)))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, err
}

func raftSystemScenarios() ([][]byte, error) { return raftsys.System.Scenarios() }

// TestProgressIsJudgedWhileAMajorityTalks: in lab-3b-backup the quiet
// windows of checks.quiet.majority span the faults that leave three of
// five servers talking, and their operations must complete in time: a
// bound no Raft can meet fails as progress.
func TestProgressIsJudgedWhileAMajorityTalks(t *testing.T) {
	s := lookup(t, "lab-3b-backup")
	r := runOrFatal(t, s, 1)
	if r.Verdict != scenarios.Pass || r.QuietWindows < 5 {
		t.Fatalf("%s, %d quiet windows", r.Summary(), r.QuietWindows)
	}
	s.Checks.Quiet.Within = ms(2)
	r = runOrFatal(t, s, 1)
	if r.Verdict != scenarios.Fail || r.Reasons[0].Check != scenarios.CheckProgress {
		t.Fatalf("progress within 2ms: %s", r.Summary())
	}
	// The late operations are described through the model ("op 12 of c2
	// (get(\"k1\") -> ...)"), though the run lists them without texts.
	if msg := r.Reasons[0].Message; !strings.Contains(msg, `("k`) {
		t.Fatalf("the late operations are not described: %s", msg)
	}
}
