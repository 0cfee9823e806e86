package scenarios_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// A seed set's problems say whether a check failed or the seeds never
// exercised what the scenario declares: a probe that stopped firing, or a
// planted bug no seed showed, is not a bug found.
func TestProblemsAreClassedApartFromCorrectnessFailures(t *testing.T) {
	passing := scenarios.Scenario{Name: "s", Expect: scenarios.Expect{Verdict: scenarios.Pass}, Probes: []scenarios.Probe{"crash"}}
	hunter := scenarios.Scenario{Name: "h", Expect: scenarios.Expect{Verdict: scenarios.Fail, Check: scenarios.CheckInvariants}}
	pass := func(seed uint64) *scenarios.Result {
		return &scenarios.Result{Scenario: "s", Seed: seed, Verdict: scenarios.Pass, Expected: true}
	}
	failed := func(seed uint64, check string) *scenarios.Result {
		return &scenarios.Result{Scenario: "s", Seed: seed, Verdict: scenarios.Fail,
			Reasons: []scenarios.Reason{{Check: check, Verdict: scenarios.Fail, Message: "broken"}}}
	}
	unknown := &scenarios.Result{Scenario: "s", Seed: 4, Verdict: scenarios.Unknown,
		Reasons: []scenarios.Reason{{Check: scenarios.CheckHistory, Verdict: scenarios.Unknown, Message: "timed out"}}}

	classes := func(ps []scenarios.Problem) []scenarios.ProblemClass {
		var out []scenarios.ProblemClass
		for _, p := range ps {
			out = append(out, p.Class)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		s       scenarios.Scenario
		results []*scenarios.Result
		want    []scenarios.ProblemClass
	}{
		{"probe never fired", passing, []*scenarios.Result{pass(1), pass(2)}, []scenarios.ProblemClass{scenarios.ProblemCoverage}},
		{"a seed failed and the probe never fired", passing, []*scenarios.Result{pass(1), failed(2, scenarios.CheckInvariants)},
			[]scenarios.ProblemClass{scenarios.ProblemCorrectness, scenarios.ProblemCoverage}},
		{"a verdict unknown", passing, []*scenarios.Result{unknown}, []scenarios.ProblemClass{scenarios.ProblemUnknown, scenarios.ProblemCoverage}},
		{"planted bug never found", hunter, []*scenarios.Result{pass(1), pass(2)}, []scenarios.ProblemClass{scenarios.ProblemPrecondition}},
		{"planted bug found, and another check failed", hunter, []*scenarios.Result{func() *scenarios.Result {
			r := failed(1, scenarios.CheckInvariants)
			r.Expected = true
			r.Reasons = append(r.Reasons, scenarios.Reason{Check: scenarios.CheckHistory, Verdict: scenarios.Fail, Message: "not linearizable"})
			return r
		}()}, []scenarios.ProblemClass{scenarios.ProblemCorrectness}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := scenarios.Evaluate(tc.s, tc.results)
			if got := classes(ps); !slices.Equal(got, tc.want) {
				t.Fatalf("classes %v, want %v: %v", got, tc.want, ps)
			}
		})
	}

	// The class survives the JSON a sweep shard writes and merge reads.
	tally := scenarios.NewTally(passing)
	tally.Add(failed(3, scenarios.CheckConvergence))
	b, err := json.Marshal(tally)
	if err != nil {
		t.Fatal(err)
	}
	var back scenarios.Tally
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Bad) != 1 || back.Bad[0].Class != scenarios.ProblemCorrectness {
		t.Fatalf("after JSON: %+v", back.Bad)
	}
}
