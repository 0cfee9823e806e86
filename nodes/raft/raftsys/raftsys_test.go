package raftsys_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/scenarios"
)

// TestLeaseFailureComesFromTheClockStep: the same scenario without its
// clock steps passes, so the stale read is the clocks' doing, not a bug in
// the lease code.
func TestLeaseFailureComesFromTheClockStep(t *testing.T) {
	s := lookup(t, "raft-clock-skew-lease")
	var kept []scenarios.Fault
	for _, f := range s.Nemesis.Schedule {
		if f.Kind != scenarios.FaultClockStep {
			kept = append(kept, f)
		}
	}
	s.Nemesis.Schedule = kept
	s.Expect = scenarios.Expect{Verdict: scenarios.Pass}
	for seed := uint64(1); seed <= 4; seed++ {
		if r := runOrFatal(t, s, seed); r.Verdict != scenarios.Pass {
			t.Fatalf("without clock steps, seed %d: %s", seed, r.Summary())
		}
	}
}

// TestPreVoteAndCheckQuorumStopChurn compares leader changes under the
// same partial partition with and without PreVote and CheckQuorum.
func TestPreVoteAndCheckQuorumStopChurn(t *testing.T) {
	churn := lookup(t, "raft-partial-partition-churn")
	stable := lookup(t, "raft-partial-partition-stable")
	var a, b int
	for seed := uint64(1); seed <= 3; seed++ {
		a += runOrFatal(t, churn, seed).Counter(raftsys.CounterLeaderChange)
		b += runOrFatal(t, stable, seed).Counter(raftsys.CounterLeaderChange)
	}
	if a < 10 || b*5 > a {
		t.Fatalf("leader changes over 3 seeds: %d without PreVote/CheckQuorum, %d with; want heavy churn only without", a, b)
	}
}

// TestAProbeThatCannotFireFailsTheSuite: a membership probe on a scenario
// with no membership faults can never fire, and Evaluate must say so.
func TestAProbeThatCannotFireFailsTheSuite(t *testing.T) {
	s := lookup(t, "raft-happy")
	s.Probes = []scenarios.Probe{raftsys.CounterMembershipChange}
	r := runOrFatal(t, s, 1)
	problems := scenarios.Evaluate(s, []*scenarios.Result{r})
	if len(problems) != 1 || !strings.Contains(problems[0].Message, `probe "membership-change" never fired`) {
		t.Fatalf("problems = %v, want one about the probe that never fired", problems)
	}
}

func TestExpectedFailureFailsForTheStatedReason(t *testing.T) {
	for _, name := range []string{"raft-bug-stale-reads", "raft-clock-skew-lease"} {
		s := lookup(t, name)
		r := runOrFatal(t, s, 1)
		if r.Verdict != scenarios.Fail || !r.Expected || r.Lin == nil || r.Lin.Verdict != "Illegal" {
			t.Fatalf("%s: %s (expected %v)", name, r.Summary(), r.Expected)
		}
		// A scenario may name the history check generically.
		generic := s.Clone()
		generic.Expect.Check = scenarios.CheckHistory
		if problems := scenarios.Evaluate(generic, []*scenarios.Result{runOrFatal(t, generic, 1)}); len(problems) != 0 {
			t.Fatalf("%s: expecting the history check to fail: %v", name, problems)
		}
		// And Evaluate objects when the failure is for another reason.
		other := s.Clone()
		other.Expect.Check = scenarios.CheckConvergence
		if problems := scenarios.Evaluate(other, []*scenarios.Result{r}); len(problems) == 0 {
			t.Fatalf("%s: Evaluate accepted a linearizability failure for a scenario expected to fail convergence", name)
		}
	}
}

// TestRaftOnlyFaultsAndProgramsNeedRaft: Raft's faults and programs are
// the raft system's, named in its errors.
func TestRaftFaultsAndProgramsAreValidated(t *testing.T) {
	s := lookup(t, "raft-happy")
	s.Nemesis.Schedule = []scenarios.Fault{{At: sec(1), Kind: raftsys.FaultAddServer}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "add-server needs spares") {
		t.Errorf("add-server without spares: %v", err)
	}
	s.Nemesis.Schedule = nil
	s.Nemesis.Programs = []scenarios.Program{{Name: raftsys.ProgramConfSplit, From: sec(1)}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "needs at least 4 servers and a spare") {
		t.Errorf("conf-split on 5 servers without spares: %v", err)
	}
	s.Nemesis.Programs = []scenarios.Program{{Name: "figure9", From: sec(1)}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "figure8, conf-split") {
		t.Errorf("an unknown program: %v", err)
	}
}

// TestAPartialConfigurationKeepsTheDefaults: a scenario that names only
// the bugs it plants gets every other field's default.
func TestAPartialConfigurationKeepsTheDefaults(t *testing.T) {
	s := lookup(t, "raft-happy")
	s.System.Config = []byte(`{"bugs": {"stale_reads": true}}`)
	s.Workload = []byte(`{"keys": 2}`)
	if err := s.Validate(); err != nil {
		t.Fatalf("a partial configuration is rejected: %v", err)
	}
	cfg := config(t, s)
	if !cfg.Bugs.StaleReads || cfg.ElectionTimeoutMin == 0 {
		t.Fatalf("config = %+v", cfg)
	}
	old := `{"kind": "raft", "raft": {"pre_vote": false}}`
	var sys scenarios.System
	if err := sys.UnmarshalJSON([]byte(old)); err != nil || !bytes.Contains(sys.Config, []byte("pre_vote")) {
		t.Fatalf("the old form of system config: %v %s", err, sys.Config)
	}
	s.Workload = []byte(`{"keys": 0}`)
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "workload") {
		t.Fatalf("a bad workload: %v", err)
	}
	s.Workload = []byte(`{"keys": 2}`)
	s.System.Config = []byte(`{"heartbeat_interval": "0s"}`)
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "system.config") {
		t.Fatalf("a bad config: %v", err)
	}
	_ = time.Second
}

// TestStalenessIsMeasured: with checks.staleness, a result measures the
// stale reads the planted bug serves, and a tally sums them.
func TestStalenessIsMeasured(t *testing.T) {
	s := lookup(t, "raft-bug-stale-reads")
	s.Checks.Staleness = true
	r := runOrFatal(t, s, 1)
	st := r.Staleness
	if st == nil || st.Reads == 0 || st.ReadsStale == 0 || st.VersionsBehindMax < 1 || st.StaleForMax <= 0 {
		t.Fatalf("staleness %+v", st)
	}
	tally := scenarios.NewTally(s)
	tally.Add(r)
	tally.Add(runOrFatal(t, s, 2))
	if tally.Staleness == nil || tally.Staleness.Seeds != 2 || tally.Staleness.ReadsStale < st.ReadsStale {
		t.Fatalf("tally %+v", tally.Staleness)
	}
	if c := tally.Counters[raftsys.CounterLeaderChange]; c.Sum < c.Max || c.Max == 0 {
		t.Fatalf("counter tally %+v", c)
	}
	happy := lookup(t, "raft-happy")
	happy.Checks.Staleness = true
	if st := runOrFatal(t, happy, 1).Staleness; st == nil || st.ReadsStale != 0 || st.Reads == 0 {
		t.Fatalf("a linearizable run's staleness: %+v", st)
	}
}
