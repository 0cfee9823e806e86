package scenarios_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// beacon is a system written in the test against the exported contract
// only: servers send each other beats, the lowest live server leads, and
// the system adds a fault ("poke"), a program ("blink") and counters.
type beaconConfig struct {
	Interval scenarios.Duration `json:"interval"`
	Note     string             `json:"note"`
	// Flap makes server n1 count a "flap" every 700 ms: an unsteady
	// system.
	Flap bool `json:"flap"`
}

type beaconNode struct {
	cfg   beaconConfig
	env   sim.Env
	beats *int
	flaps *int
}

type flapTimer struct{}

func (n *beaconNode) Start(env sim.Env) {
	n.env = env
	env.After(n.cfg.Interval.D(), nil)
	if n.cfg.Flap && env.ID() == 0 {
		env.After(700*time.Millisecond, flapTimer{})
	}
}
func (n *beaconNode) Receive(sim.HostID, any) { *n.beats++ }
func (n *beaconNode) Timer(_ sim.TimerID, tag any) {
	if _, ok := tag.(flapTimer); ok {
		*n.flaps++
		n.env.After(700*time.Millisecond, flapTimer{})
		return
	}
	for _, p := range n.env.Peers() {
		n.env.Send(p, "beat")
	}
	n.env.After(n.cfg.Interval.D(), nil)
}

var beacon = system.MustDefine(system.Spec[beaconConfig, struct{}]{
	Name: "beacon",
	Config: func() beaconConfig {
		return beaconConfig{Interval: scenarios.Duration(100 * time.Millisecond), Note: "default"}
	},
	Validate: func(c beaconConfig, _ struct{}, _ system.Shape) error {
		if c.Interval <= 0 {
			return errorf("system.config.interval: must be positive")
		}
		return nil
	},
	Build: func(cfg beaconConfig, _ struct{}, c *system.Cluster) (*system.Instance, error) {
		beats, pokes, flaps := 0, 0, 0
		for _, id := range c.ServerIDs() {
			if _, err := c.AddServer(c.Peers(id), func() sim.Node { return &beaconNode{cfg: cfg, beats: &beats, flaps: &flaps} }); err != nil {
				return nil, err
			}
		}
		w := c.World
		return &system.Instance{
			Members: c.Members,
			Leader: func() sim.HostID {
				for _, id := range c.Members() {
					if w.Host(id).Up() {
						return id
					}
				}
				return sim.NoHost
			},
			Invariant: func() error {
				if beats < 0 {
					return errorf("fewer than no beats")
				}
				return nil
			},
			Counter: func(name string) int {
				switch name {
				case "beats":
					return beats
				case "flaps":
					return flaps
				}
				return pokes
			},
			Fault: func(f system.Fault, n system.Nemesis) {
				pokes++
				n.Struck("poke", "poked "+f.Target, n.World().Now(), n.World().Now(), n.Resolve(f.Target, "leader")...)
			},
			Program: func(name string, n system.Nemesis) func() {
				t := n.Resolve("follower", "")
				n.World().Host(t[0]).Crash()
				n.Struck("blink", "crashed a follower", n.World().Now(), n.World().Now()+time.Second, t...)
				return func() { n.World().Host(t[0]).Restart() }
			},
		}, nil
	},
	Promises: system.Promises{Invariants: true},
	Faults:   []system.FaultKind{{Name: "poke", Generated: true}},
	Programs: []system.ProgramKind{{Name: "blink"}},
	Counters: []system.Counter{{Name: "beats"}, {Name: "pokes"}, {Name: "flaps"}},
	Steady:   []string{"flaps"},
})

type errorf string

func (e errorf) Error() string { return string(e) }

func init() { system.MustRegister(beacon) }

func beaconScenario() scenarios.Scenario {
	return scenarios.Scenario{
		Name:       "beacon-test",
		System:     scenarios.System{Kind: "beacon"},
		Servers:    3,
		Network:    scenarios.Network{Latency: scenarios.Latency{Kind: "constant", D: scenarios.Duration(time.Millisecond)}},
		FaultPhase: scenarios.Duration(2 * time.Second),
		HealPhase:  scenarios.Duration(time.Second),
		Nemesis: scenarios.Nemesis{
			Schedule: []scenarios.Fault{{At: scenarios.Duration(500 * time.Millisecond), Kind: "poke", Target: "leader"}},
			Programs: []scenarios.Program{{Name: "blink", From: scenarios.Duration(time.Second), Until: scenarios.Duration(1500 * time.Millisecond)}},
		},
		Checks: scenarios.Checks{Invariants: true},
		Probes: []scenarios.Probe{"beats", "pokes", scenarios.ProbeCrash},
		Expect: scenarios.Expect{Verdict: scenarios.Pass},
	}
}

// TestASystemOfItsOwnRunsWithItsFaultsProgramsAndCounters: a system the
// harness does not know by name gets its configuration defaults, its
// faults and programs, its counters as probes, and a deterministic run.
func TestASystemOfItsOwnRunsWithItsFaultsProgramsAndCounters(t *testing.T) {
	s := beaconScenario()
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != scenarios.Pass || r.System != "beacon" {
		t.Fatalf("%s", r.Summary())
	}
	if r.Counter("pokes") != 1 || r.Counter("beats") == 0 || !r.Probes["beats"] || !r.Probes["pokes"] {
		t.Fatalf("counters %v, probes %v", r.Counters, r.Probes)
	}
	var poked, blinked bool
	for _, af := range r.Applied {
		poked = poked || (af.Fault.Kind == "poke" && len(af.Hosts) == 1 && af.Hosts[0] == "n1")
		blinked = blinked || (af.Fault.Kind == "blink" && af.Until > af.Fault.At)
	}
	if !poked || !blinked {
		t.Fatalf("applied faults do not show the system's fault on the leader and its program: %+v", r.Applied)
	}
	again, _ := scenarios.Run(s, 1, scenarios.Options{})
	other, _ := scenarios.Run(s, 2, scenarios.Options{})
	if again.TraceHash != r.TraceHash {
		t.Fatalf("same seed, hashes %s and %s", r.TraceHash, again.TraceHash)
	}
	_ = other // seeds differ only in what the nemesis draws; the program's target is the same
}

func TestTheSystemDecodesItsConfigurationStrictlyOntoDefaults(t *testing.T) {
	s := beaconScenario()
	s.System.Config = json.RawMessage(`{"note": "set"}`)
	if err := s.Validate(); err != nil {
		t.Fatalf("a partial configuration: %v", err)
	}
	for _, c := range []struct{ config, want string }{
		{`{"interval": "0s"}`, "system.config.interval: must be positive"},
		{`{"intreval": "1s"}`, `unknown field "intreval"`},
		{`{"interval": true}`, "system.config"},
		{`[1]`, "system.config"},
	} {
		s.System.Config = json.RawMessage(c.config)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s: err %v, want %q", c.config, err, c.want)
		}
	}
	s.System.Config = nil
	s.Workload = json.RawMessage(`{"keys": 3}`)
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "has no clients") {
		t.Errorf("a workload for a system without clients: %v", err)
	}
	s.Workload = nil
	s.Clients = 2
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "clients") {
		t.Errorf("clients for a system without clients: %v", err)
	}
}

func TestChecksAndProbesTheSystemDoesNotOfferAreRejected(t *testing.T) {
	for _, c := range []struct {
		mutate func(*scenarios.Scenario)
		want   string
	}{
		{func(s *scenarios.Scenario) { s.Checks.Convergence = true }, "checks.convergence: the beacon system reports no replica states"},
		{func(s *scenarios.Scenario) { s.Checks = scenarios.Checks{Staleness: true} }, "checks: no check that can fail is enabled"},
		{func(s *scenarios.Scenario) { s.Probes = []scenarios.Probe{"leader-change"} }, `"leader-change" is not a probe of the beacon system`},
		{func(s *scenarios.Scenario) { s.Nemesis.Schedule[0].Kind = "add-server" }, `kind "add-server" is not a fault of the beacon system`},
		{func(s *scenarios.Scenario) { s.Nemesis.Programs[0].Name = "figure8" }, `"figure8" is not a program of the beacon system (blink)`},
		{func(s *scenarios.Scenario) { s.System.Kind = "paxos" }, `"paxos" is not a known system`},
	} {
		s := beaconScenario()
		c.mutate(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want %q", err, c.want)
		}
	}
}

func TestTheGeneratorDrawsTheSystemsOwnFaults(t *testing.T) {
	s := beaconScenario()
	s.Nemesis = scenarios.Nemesis{Generator: &scenarios.Generator{Interval: scenarios.Duration(50 * time.Millisecond), Intensity: 1}}
	m := scenarios.Materialize(s, 3)
	pokes := 0
	for _, f := range m.Nemesis.Schedule {
		if f.Kind == "poke" {
			pokes++
		}
	}
	if pokes == 0 {
		t.Fatalf("the generator never drew the system's generated fault in %d faults", len(m.Nemesis.Schedule))
	}
}

func TestTheOldLinearizableCheckNameStillDecodes(t *testing.T) {
	var c scenarios.Checks
	if err := json.Unmarshal([]byte(`{"linearizable": true, "liveness": true}`), &c); err != nil || !c.History || !c.Liveness {
		t.Fatalf("checks %+v, err %v", c, err)
	}
	if err := json.Unmarshal([]byte(`{"linearisable": true}`), &c); err == nil {
		t.Fatal("an unknown check decoded")
	}
}

// TestSteadyCountersMustNotGrowInQuietWindows: the steadiness check
// samples the system's steady counters when a quiet window has settled and
// when it ends, and a fault (here a pause) closes the window.
func TestSteadyCountersMustNotGrowInQuietWindows(t *testing.T) {
	s := beaconScenario()
	s.Nemesis = scenarios.Nemesis{Schedule: []scenarios.Fault{
		{At: scenarios.Duration(200 * time.Millisecond), Kind: scenarios.FaultPause, Target: "n2"},
		{At: scenarios.Duration(1900 * time.Millisecond), Kind: scenarios.FaultResume},
	}}
	s.Probes = nil
	s.Checks.Quiet = &scenarios.Quiet{Settle: scenarios.Duration(100 * time.Millisecond), Steady: true}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || r.Verdict != scenarios.Pass || r.QuietWindows != 3 {
		t.Fatalf("steady beacon: %v %s, %d windows", err, r.Summary(), r.QuietWindows)
	}
	s.System.Config = json.RawMessage(`{"flap": true}`)
	r, _ = scenarios.Run(s, 1, scenarios.Options{})
	if r.Verdict != scenarios.Fail || r.Reasons[0].Check != scenarios.CheckSteady || !strings.Contains(r.Reasons[0].Message, "flaps grew") {
		t.Fatalf("flapping beacon: %s", r.Summary())
	}
	// The pause covers the flaps at 700 ms and 1.4 s, and the window
	// from the resume at 1.9 s ends at the heal at 2 s before it settles:
	// only the heal phase's window sees a flap (at 2.1 s).
	if !strings.Contains(r.Reasons[0].Message, "from 2s to 3s") {
		t.Fatalf("the flaps were charged to the wrong window: %s", r.Reasons[0].Message)
	}
	s.Checks.Quiet.Steady = false
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "checks neither progress") {
		t.Fatalf("an empty quiet check: %v", err)
	}
}
