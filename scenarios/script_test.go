package scenarios_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// scriptScenario is the beacon scenario with a script in place of its
// schedule; its lowest live server leads.
func scriptScenario(t *testing.T, script string) scenarios.Scenario {
	t.Helper()
	s := beaconScenario()
	s.Nemesis = scenarios.Nemesis{}
	s.Probes = nil
	s.FaultPhase = scenarios.Duration(5 * time.Second)
	if err := json.Unmarshal([]byte(script), &s.Nemesis.Script); err != nil {
		t.Fatal(err)
	}
	return s
}

func runScript(t *testing.T, script string) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(scriptScenario(t, script), 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAScriptNamesServersByTheRolesTheyHeld: "$l" is the leader an
// assertion found, after it has been crashed and another leads.
func TestAScriptNamesServersByTheRolesTheyHeld(t *testing.T) {
	r := runScript(t, `[
		{"assert": {"leader": "one"}, "as": "l"},
		{"after": "100ms", "do": "crash", "target": "$l"},
		{"after": "100ms", "assert": {"leader": "one"}, "as": "next"},
		{"after": "100ms", "do": "crash", "target": "!$l", "count": 1},
		{"after": "100ms", "do": "restart", "target": "$l"},
		{"after": "100ms", "assert": {"leader": "one"}}]`)
	if r.Verdict != scenarios.Pass {
		t.Fatalf("%s", r.Summary())
	}
	var crashed []string
	for _, af := range r.Applied {
		if af.Fault.Kind == "crash" {
			crashed = append(crashed, af.Hosts...)
		}
	}
	// n1 leads and crashes first; then one of n2, n3.
	if len(crashed) != 2 || crashed[0] != "n1" || crashed[1] == "n1" {
		t.Fatalf("crashed %v, want n1 and then another", crashed)
	}
}

// TestAStateAssertionFailsWithItsStepAndCheckName: "no leader" while one
// leads fails as check "assert", named by the step's path.
func TestAStateAssertionFailsWithItsStepAndCheckName(t *testing.T) {
	r := runScript(t, `[{"at": "1s", "assert": {"leader": "none"}}]`)
	if r.Verdict != scenarios.Fail || len(r.Reasons) != 1 || r.Reasons[0].Check != scenarios.CheckAssert ||
		!strings.Contains(r.Reasons[0].Message, "script[0] at 1s: n1 leads") || r.FailureAt != scenarios.Duration(time.Second) {
		t.Fatalf("%s (failure at %v)", r.Summary(), r.FailureAt)
	}
	r = runScript(t, `[{"do": "crash", "target": "all"}, {"assert": {"leader": "none"}}, {"after": "1s", "do": "restart"},
		{"assert": {"leader": "one"}, "as": "l"}]`)
	if r.Verdict != scenarios.Pass {
		t.Fatalf("crashed and restarted: %s", r.Summary())
	}
}

// TestWithinWaitsForAStateUntilItsDeadline: a leader with a majority
// that appears 300ms after the step passes "within 500ms" and fails
// "within 200ms".
func TestWithinWaitsForAStateUntilItsDeadline(t *testing.T) {
	for _, c := range []struct {
		within string
		pass   bool
	}{{"500ms", true}, {"200ms", false}} {
		r := runScript(t, `[{"do": "crash", "target": "all"}, {"do": "restart", "target": "n3"},
			{"after": "300ms", "do": "restart", "target": "n2"},
			{"at": "0s", "assert": {"leader": "one", "within": "`+c.within+`"}}]`)
		if (r.Verdict == scenarios.Pass) != c.pass {
			t.Errorf("within %s: %s", c.within, r.Summary())
		}
		if !c.pass && !strings.Contains(r.Reasons[0].Message, "not within 200ms") {
			t.Errorf("within %s: %s", c.within, r.Reasons[0].Message)
		}
	}
}

// TestMessageBudgetsCountByTypeAndLink: the beacons send each other a
// beat every 100ms, ten a second on each link.
func TestMessageBudgetsCountByTypeAndLink(t *testing.T) {
	for _, c := range []struct {
		bound string
		check string
	}{
		{`{"type": "string", "per_link_per_second_max": 11}`, ""},
		{`{"type": "string", "per_link_per_second_max": 5}`, scenarios.CheckCost},
		{`{"max": 70}`, ""}, // 6 links, 10 a second, over 1s
		{`{"max": 50}`, scenarios.CheckCost},
		{`{"type": "int", "max": 0}`, ""},
	} {
		r := runScript(t, `[{"at": "1s", "assert": {"messages": `+c.bound+`, "for": "1s"}}]`)
		switch {
		case c.check == "" && r.Verdict != scenarios.Pass:
			t.Errorf("%s: %s", c.bound, r.Summary())
		case c.check != "" && (r.Verdict != scenarios.Fail || r.Reasons[0].Check != c.check):
			t.Errorf("%s: %s, want a failure of %s", c.bound, r.Summary(), c.check)
		}
	}
}

// TestCountersAreBoundedOverAWindowOrAtAMoment: beats grow, pokes do
// not.
func TestCountersAreBoundedOverAWindowOrAtAMoment(t *testing.T) {
	r := runScript(t, `[{"at": "1s", "assert": {"counters": {"beats": {"min": 10}, "pokes": {"max": 0}}, "for": "1s"}},
		{"assert": {"counters": {"beats": {"min": 10}}}}, {"assert": {"disk_bytes_max": 1}}]`)
	if r.Verdict != scenarios.Pass {
		t.Fatalf("%s", r.Summary())
	}
	r = runScript(t, `[{"at": "1s", "assert": {"counters": {"beats": {"max": 3}}, "for": "1s"}}]`)
	if r.Verdict != scenarios.Fail || !strings.Contains(r.Reasons[0].Message, "counter beats grew by") {
		t.Fatalf("%s", r.Summary())
	}
}

// TestBlocksRepeatAndConditionsReactToTheCluster: a loop that crashes the
// leader whenever there is one and restarts a server while fewer than
// two are up never leaves the cluster without a server for long.
func TestBlocksRepeatAndConditionsReactToTheCluster(t *testing.T) {
	script := `[{"repeat": 20, "steps": [
		{"after": "100ms", "do": "crash", "target": "leader", "when": {"leader": "one"}},
		{"do": "restart", "count": 1, "when": {"up_below": 2}}]}]`
	r := runScript(t, script)
	if r.Verdict != scenarios.Pass || r.Counter(string(scenarios.ProbeCrash)) != 20 {
		t.Fatalf("%s, %d crashes", r.Summary(), r.Counter(string(scenarios.ProbeCrash)))
	}
	again := runScript(t, script)
	if again.TraceHash != r.TraceHash {
		t.Fatalf("same seed, hashes %s and %s", r.TraceHash, again.TraceHash)
	}
	// A block that runs by chance runs in some rounds and not others.
	r = runScript(t, `[{"repeat": 40, "steps": [{"after": "100ms", "chance": 0.5, "steps": [
		{"do": "crash", "target": "n3"}, {"do": "restart", "target": "n3"}]}]}]`)
	if n := r.Counter(string(scenarios.ProbeCrash)); n == 0 || n == 40 {
		t.Fatalf("a 50%% block ran %d times in 40", n)
	}
}

func TestBadScriptsAreNamedByTheirStep(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{`[{"do": "explode"}]`, `script[0]: do "explode" is not one of disconnect, connect, crash`},
		{`[{"do": "crash", "assert": {"leader": "one"}}]`, "script[0]: a step does exactly one of"},
		{`[{"do": "crash", "target": "$x"}]`, `script[0]: target "$x" names no binding`},
		{`[{"do": "crash", "as": "x"}, {"do": "crash", "target": "$x"}]`, ""},
		{`[{"at": "9s", "do": "crash"}]`, "script[0]: at 9s is outside the run"},
		{`[{"at": "5.5s", "do": "crash"}]`, "actions run in the fault phase"},
		{`[{"repeat": 100, "steps": [{"after": "100ms", "do": "crash"}]}]`, "past the fault phase"},
		{`[{"assert": {"leader": "some"}}]`, "script[0]: assert: leader must be one or none"},
		{`[{"assert": {"ops": {"min": 1}, "for": "1s"}}]`, "ops: the scenario has no clients"},
		{`[{"assert": {"counters": {"nope": {"max": 1}}}}]`, `counters: "nope" is not a counter of the beacon system`},
		{`[{"assert": {"messages": {"type": "string", "bytes_max": 1}, "for": "1s"}}]`, "bytes are counted over every type"},
		{`[{"assert": {"leader": "one", "for": "1s", "messages": {"max": 1}}}]`, "go in separate steps"},
		{`[{"steps": [{"at": "1s", "do": "crash"}]}]`, "script[0].steps[0]: at: a step inside a block"},
		{`[{"do": "crash", "when": {}}]`, "when: states no condition"},
		{`[{"do": "crash", "chance": 2}]`, "chance must be in [0, 1]"},
		{`[{"assert": {"leader": "one", "within": "4s"}}, {"assert": {"leader": "one", "within": "4s"}}]`, "past the end of the run"},
		{`[{"assert": {"cut_off_leaders": "some"}}]`, `cut_off_leaders must be none (is "some")`},
		{`[{"assert": {"cut_off_leaders": "none", "within": "1s"}}]`, ""},
	} {
		s := scriptScenario(t, c.script)
		err := s.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.script, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err %v, want %q", c.script, err, c.want)
		}
	}
	s := scriptScenario(t, `[{"assert": {"same_term": true}}]`)
	if _, err := scenarios.Run(s, 1, scenarios.Options{}); err == nil || !strings.Contains(err.Error(), "the beacon system reports no terms") {
		t.Fatalf("same_term of a system without terms: %v", err)
	}
	s = scriptScenario(t, `[{"assert": {"cut_off_leaders": "none"}}]`)
	if _, err := scenarios.Run(s, 1, scenarios.Options{}); err == nil || !strings.Contains(err.Error(), "does not say which servers believe they lead") {
		t.Fatalf("cut_off_leaders of a system without Leads: %v", err)
	}
}

// TestAScriptAloneIsACheck: a scenario whose only check is a script's
// assertion is valid; one with actions only is not.
func TestAScriptAloneIsACheck(t *testing.T) {
	s := scriptScenario(t, `[{"assert": {"leader": "one"}}]`)
	s.Checks = scenarios.Checks{}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s = scriptScenario(t, `[{"do": "crash"}]`)
	s.Checks = scenarios.Checks{}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "no check that can fail") {
		t.Fatalf("a script without assertions as the only check: %v", err)
	}
}

// TestShrinkingDropsTheStepsAFailureDoesNotNeed: of two crashes and an
// assertion that fails whatever they did, only the assertion stays.
func TestShrinkingDropsTheStepsAFailureDoesNotNeed(t *testing.T) {
	s := scriptScenario(t, `[{"do": "crash", "target": "n3"}, {"after": "100ms", "do": "crash", "target": "n2"},
		{"at": "1s", "assert": {"leader": "none"}}]`)
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || r.Verdict != scenarios.Fail {
		t.Fatalf("%v %s", err, r.Summary())
	}
	res, err := scenarios.Shrink(scenarios.NewSpec(s, 1, r), scenarios.ShrinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Spec.Scenario.Nemesis.Script; len(got) != 1 || got[0].Assert == nil || res.Check != scenarios.CheckAssert {
		t.Fatalf("shrunk to %+v, failing %s", got, res.Check)
	}
}
