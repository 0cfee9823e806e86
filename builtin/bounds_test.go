package builtin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// minimal is a scenario that names only what it must: every other field,
// down to workload.client, key_dist, network.latency and expect, takes
// its default.
const minimal = `{"name": "minimal", "system": {"kind": "raft"}, "servers": 3, "clients": 2,
  "workload": {"client": {"deadline": "2s"}, "keys": 3},
  "fault_phase": "1s", "heal_phase": "2s", "checks": {"history": true}}`

func decode(t *testing.T, doc string) (scenarios.Scenario, error) {
	t.Helper()
	return scenarios.Decode(strings.NewReader(doc))
}

func TestAMinimalScenarioGetsDefaultsAndRuns(t *testing.T) {
	s, err := decode(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if s.Network.Latency.Kind != scenarios.DefaultLatency.Kind || s.Network.Latency.Max != scenarios.DefaultLatency.Max || s.Expect.Verdict != scenarios.Pass {
		t.Fatalf("defaults not filled: latency %+v, expect %+v", s.Network.Latency, s.Expect)
	}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || r.Verdict != scenarios.Pass || r.Ops.OK == 0 {
		t.Fatalf("%v %v", r.Summary(), err)
	}
}

// TestBadInputIsNamedByItsJSONPathAndBound: every size field is bounded,
// and the error names the field as the scenario writes it, with the bound.
func TestBadInputIsNamedByItsJSONPathAndBound(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{`"keys": 3`, `"keys": 1000000000`, `workload.keys: must be in [1, 1000000] (is 1000000000)`},
		{`"keys": 3`, `"keys": 3, "key_dist": ""`, `workload.key_dist: must be uniform or zipf (is unset)`},
		{`"deadline": "2s"`, `"deadline": "0s"`, `workload.client.deadline: must be positive (is 0s)`},
		{`"servers": 3`, `"servers": 65`, `servers: must be in [1, 64] (is 65)`},
		{`"clients": 2`, `"clients": 257`, `clients: must be in [0, 256] (is 257)`},
		{`"checks": {"history": true}`, `"checks": {}`, `checks: no check that can fail is enabled`},
		{`"checks": {"history": true}`, `"checks": {"history": true}, "max_events": 20000000000`, `max_events: must be at most 10000000000`},
		{`"checks": {"history": true}`, `"checks": {"history": true}, "nemesis": {"generator": {"interval": "1ns", "intensity": 1}}`, `nemesis: generator.interval must be at least 1ms (is 1ns)`},
		{`"checks": {"history": true}`, `"checks": {"history": true}, "nemesis": {"schedule": [{"at": "0.5s", "kind": "storage", "target": "all", "storage": {"flushed_prefix_ratio": 1.5}}]}`, `storage ratios must be in [0, 1] (storage.flushed_prefix_ratio is 1.5)`},
		{`"fault_phase": "1s"`, `"fault_phase": "23h", "nemesis": {"generator": {"interval": "1ms", "intensity": 1}}`, `nemesis: generator.interval 1ms may draw up to 331200002 faults in a fault phase of 23h0m0s, more than the 100000 a run may hold`},
	} {
		if !strings.Contains(minimal, c.from) {
			t.Fatalf("the minimal scenario has no %s", c.from)
		}
		_, err := decode(t, strings.Replace(minimal, c.from, c.to, 1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.to, err, c.want)
		}
	}
}

// TestTheDefaultEventBudgetIsReal: the largest valid scenario gets a
// budget a run reaches in wall time a person waits for, and a run that
// reaches its budget says so, naming the field that raises it.
func TestTheDefaultEventBudgetIsReal(t *testing.T) {
	big := scenarios.Scenario{Servers: 64, Clients: 256, Spares: 16, FaultPhase: scenarios.Duration(12 * time.Hour), HealPhase: scenarios.Duration(12 * time.Hour)}
	if got, want := scenarios.DefaultMaxEvents(&big), uint64(100_000_000/337); got != want {
		t.Fatalf("default budget %d for the largest scenario, want %d", got, want)
	}
	mid := scenarios.Scenario{Servers: 5, Clients: 3, FaultPhase: scenarios.Duration(12 * time.Hour), HealPhase: scenarios.Duration(12 * time.Hour)}
	if got := scenarios.DefaultMaxEvents(&mid); got != scenarios.DefaultMaxEventsCap {
		t.Fatalf("default budget %d for a day of a small cluster, want the cap %d", got, scenarios.DefaultMaxEventsCap)
	}
	small := scenarios.Scenario{Servers: 5, Clients: 3, FaultPhase: scenarios.Duration(10 * time.Second), HealPhase: scenarios.Duration(6 * time.Second)}
	if got := scenarios.DefaultMaxEvents(&small); got != 50_000*17*9 {
		t.Fatalf("default budget %d for a built-in's size, want %d", got, 50_000*17*9)
	}
	s, err := decode(t, strings.Replace(minimal, `"checks"`, `"max_events": 500, "checks"`, 1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != scenarios.Unknown || len(r.Reasons) != 1 || r.Reasons[0].Check != scenarios.CheckBudget || !strings.Contains(r.Reasons[0].Message, "max_events raises it") {
		t.Fatalf("%s (%d events, stop %s)", r.Summary(), r.Events, r.Stop)
	}
}

// TestABudgetStopNamesTheBusiestHost: a heartbeat interval of a nanosecond
// is valid, and floods the run. Whichever budget stops it, the reason names
// the host whose node did it and how: the leader, by its timers and sends.
func TestABudgetStopNamesTheBusiestHost(t *testing.T) {
	flood := strings.Replace(minimal, `"system": {"kind": "raft"}`, `"system": {"kind": "raft", "config": {"heartbeat_interval": "1ns"}}`, 1)
	for _, c := range []struct {
		name string
		doc  string
		opts scenarios.Options
		want string
	}{
		{"events", strings.Replace(flood, `"checks"`, `"max_events": 20000, "checks"`, 1), scenarios.Options{},
			"the run hit its event-budget"},
		{"pending", flood, scenarios.Options{MaxPending: 5000},
			"the run hit its pending-budget at"},
	} {
		s, err := decode(t, c.doc)
		if err != nil {
			t.Fatal(err)
		}
		r, err := scenarios.Run(s, 1, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != scenarios.Unknown || len(r.Reasons) != 1 || r.Reasons[0].Check != scenarios.CheckBudget {
			t.Fatalf("%s: %s", c.name, r.Summary())
		}
		msg := r.Reasons[0].Message
		if !strings.Contains(msg, c.want) || !strings.Contains(msg, "the busiest host, n") || !strings.Contains(msg, "timers") {
			t.Errorf("%s: the reason %q does not name the budget and the busiest host", c.name, msg)
		}
		if c.name == "pending" && !strings.Contains(msg, "more than 5000 events waited at once") {
			t.Errorf("pending: the reason %q does not give the bound", msg)
		}
	}
}
