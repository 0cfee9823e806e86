package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// TestASlowFaultStrikesItsTargetAndChangesTheRun: slowing what the leader
// hears changes the run; the fault is recorded on the leader, and a heal
// ends it like any link fault.
func TestASlowFaultStrikesItsTargetAndChangesTheRun(t *testing.T) {
	plain := scriptScenario(t, `[{"assert": {"leader": "one"}, "as": "l"}]`)
	slowed := scriptScenario(t, `[{"assert": {"leader": "one"}, "as": "l"},
		{"after": "100ms", "fault": {"kind": "slow", "target": "$l", "direction": "in", "delay": "300ms"}},
		{"after": "1s", "fault": {"kind": "heal"}}]`)
	a, err := scenarios.Run(plain, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenarios.Run(slowed, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict != scenarios.Pass || b.Verdict != scenarios.Pass {
		t.Fatalf("%s\n%s", a.Summary(), b.Summary())
	}
	if a.TraceHash == b.TraceHash {
		t.Fatal("a run with a slow link has the trace of a run without")
	}
	var hit []string
	for _, af := range b.Applied {
		if af.Fault.Kind == scenarios.FaultSlow {
			hit = af.Hosts
			if !strings.Contains(af.Fault.String(), "in delay=300ms") {
				t.Errorf("the slow fault reads %q", af.Fault)
			}
		}
	}
	if len(hit) != 1 || hit[0] != "n1" {
		t.Fatalf("the slow fault hit %v, want the leader n1", hit)
	}
}

func TestBadSlowFaultsAndAimedFaultsAreNamed(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{`[{"fault": {"kind": "slow", "delay": "1s"}}]`, `direction must be "in"`},
		{`[{"fault": {"kind": "slow", "direction": "up", "delay": "1s"}}]`, `(is "up")`},
		{`[{"fault": {"kind": "slow", "direction": "out", "delay": "-1s"}}]`, "delay is negative"},
		{`[{"fault": {"kind": "slow", "direction": "out", "delay": "1s", "target": "leader"}}]`, ""},
		{`[{"fault": {"kind": "partition", "topology": "one-way-pair", "target": "leader"}}]`, ""},
		{`[{"fault": {"kind": "partition", "topology": "one-way-pear"}}]`, "one-way-pair"},
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
	s := beaconScenario()
	s.Nemesis.Generator = &scenarios.Generator{Interval: scenarios.Duration(100 * time.Millisecond), Intensity: 1, Kinds: []scenarios.FaultKind{scenarios.FaultSlow}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "does not draw slow") {
		t.Fatalf("a generator asked to draw slow faults: %v", err)
	}
}

// TestAOneWayPairCutsOneLinkOneWay: the leader's messages to one follower
// are cut; the leader keeps its majority, so the cluster stays quiet.
func TestAOneWayPairCutsOneLinkOneWay(t *testing.T) {
	r := runScript(t, `[{"assert": {"leader": "one"}, "as": "l"},
		{"after": "100ms", "fault": {"kind": "partition", "topology": "one-way-pair", "target": "$l"}},
		{"after": "500ms", "assert": {"leader": "one"}}]`)
	if r.Verdict != scenarios.Pass {
		t.Fatalf("%s", r.Summary())
	}
	for _, af := range r.Applied {
		if af.Fault.Kind == scenarios.FaultPartition && (len(af.Hosts) != 1 || af.Hosts[0] != "n1") {
			t.Fatalf("the one-way-pair cut names %v, want its target n1", af.Hosts)
		}
	}
}
