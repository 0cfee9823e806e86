package scenarios_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// chief is a leader-based system written in the test against the
// exported contract, small enough to be right by inspection: every
// server beats to every other every 50 ms, telling whether it leads; a
// server leads while it has heard from a majority in the last 200 ms,
// and takes the lead when no server it hears leads and it has the lowest
// id of those it hears; of two leaders that hear each other, the higher
// id yields. A server answers a read with a round of beats to every
// peer, as a ReadIndex read confirms leadership, and a reader host sends
// every server a read every 20 ms when asked. Its flags plant one
// liveness bug each.
type chiefConfig struct {
	// NeverLead: nobody ever leads.
	NeverLead bool `json:"never_lead"`
	// Sticky: a leader keeps leading without a majority (no CheckQuorum).
	Sticky bool `json:"sticky"`
	// Yield: a leader yields every second though nothing is wrong.
	Yield bool `json:"yield"`
	// Storm: a leader beats every 5 ms.
	Storm bool `json:"storm"`
	// Reads: a reader host sends every server a read every 20 ms.
	Reads bool `json:"reads"`
	// UndeclaredReads: the system does not declare which messages are
	// reads, so the rounds they ask for count against the rate.
	UndeclaredReads bool `json:"undeclared_reads"`
}

const (
	chiefBeat      = 50 * time.Millisecond
	chiefSilent    = 200 * time.Millisecond
	chiefStormBeat = 5 * time.Millisecond
	chiefReadEvery = 20 * time.Millisecond
)

type (
	chiefBeatMsg struct{ Leading bool }
	chiefReadMsg struct{}
)

type chiefNode struct {
	cfg       chiefConfig
	env       sim.Env
	heard     map[sim.HostID]time.Duration
	claims    map[sim.HostID]bool
	leading   bool
	leadSince time.Duration
}

func (n *chiefNode) Start(env sim.Env) {
	n.env = env
	n.heard, n.claims = map[sim.HostID]time.Duration{}, map[sim.HostID]bool{}
	env.After(chiefBeat, nil)
}

func (n *chiefNode) Receive(from sim.HostID, msg any) {
	switch b := msg.(type) {
	case chiefBeatMsg:
		n.heard[from], n.claims[from] = n.env.Now(), b.Leading
	case chiefReadMsg:
		n.beat()
	}
}

func (n *chiefNode) beat() {
	for _, p := range n.env.Peers() {
		n.env.Send(p, chiefBeatMsg{Leading: n.leading})
	}
}

func (n *chiefNode) Timer(sim.TimerID, any) {
	now := n.env.Now()
	lowest, heard, leaderHeard, lowerLeader := true, 1, false, false
	for _, p := range n.env.Peers() {
		if at, ok := n.heard[p]; ok && now-at < chiefSilent {
			heard++
			lowest = lowest && p > n.env.ID()
			leaderHeard = leaderHeard || n.claims[p]
			lowerLeader = lowerLeader || n.claims[p] && p < n.env.ID()
		}
	}
	majority := 2*heard > len(n.env.Peers())+1
	was := n.leading
	switch {
	case n.cfg.NeverLead:
		n.leading = false
	case n.leading:
		n.leading = (majority || n.cfg.Sticky) && !lowerLeader && !(n.cfg.Yield && now-n.leadSince >= time.Second)
	default:
		n.leading = majority && lowest && !leaderHeard
	}
	if n.leading && !was {
		n.leadSince = now
	}
	n.beat()
	if n.leading && n.cfg.Storm {
		n.env.After(chiefStormBeat, nil)
	} else {
		n.env.After(chiefBeat, nil)
	}
}

// chiefReader sends every server a read every chiefReadEvery.
type chiefReader struct {
	env     sim.Env
	servers []sim.HostID
}

func (r *chiefReader) Start(env sim.Env)       { r.env = env; env.After(chiefReadEvery, nil) }
func (r *chiefReader) Receive(sim.HostID, any) {}
func (r *chiefReader) Timer(sim.TimerID, any) {
	for _, id := range r.servers {
		r.env.Send(id, chiefReadMsg{})
	}
	r.env.After(chiefReadEvery, nil)
}

var chief = system.MustDefine(system.Spec[chiefConfig, struct{}]{
	Name:   "chief",
	Config: func() chiefConfig { return chiefConfig{} },
	Build: func(cfg chiefConfig, _ struct{}, c *system.Cluster) (*system.Instance, error) {
		for _, id := range c.ServerIDs() {
			if _, err := c.AddServer(c.Peers(id), func() sim.Node { return &chiefNode{cfg: cfg} }); err != nil {
				return nil, err
			}
		}
		if cfg.Reads {
			servers := c.ServerIDs()
			if _, err := c.AddHost(sim.HostConfig{Name: "reader", Factory: func() sim.Node { return &chiefReader{servers: servers} }}); err != nil {
				return nil, err
			}
		}
		w := c.World
		leads := func(id sim.HostID) bool {
			n, ok := w.Host(id).Node().(*chiefNode)
			return ok && w.Host(id).Up() && n.leading
		}
		return &system.Instance{
			Members: c.Members,
			Leader: func() sim.HostID {
				for _, id := range c.Members() {
					if leads(id) {
						return id
					}
				}
				return sim.NoHost
			},
			Leads: leads,
		}, nil
	},
	Liveness: func(cfg chiefConfig) system.Liveness {
		l := system.Liveness{ElectWithin: time.Second, StepDownWithin: 500 * time.Millisecond, CutOffStepDown: true, StableAfter: 300 * time.Millisecond}
		// A beat every 50 ms is 20 in a second, and one more when the
		// second starts with a beat.
		l.Heartbeats = system.HeartbeatRate{PerSecond: int(time.Second/chiefBeat) + 1, Heartbeat: isChiefBeat}
		if !cfg.UndeclaredReads {
			l.Heartbeats.Read = func(msg any) bool { _, ok := msg.(chiefReadMsg); return ok }
		}
		return l
	},
})

func isChiefBeat(msg any) bool { _, ok := msg.(chiefBeatMsg); return ok }

func init() { system.MustRegister(chief) }

// chiefScenario isolates the leader for two seconds, twice. It asks for
// the promises, which are its only check: a scenario that names no check
// is refused.
func chiefScenario(config string) scenarios.Scenario {
	at := func(d time.Duration) scenarios.Duration { return scenarios.Duration(d) }
	return scenarios.Scenario{
		Name:       "chief-test",
		System:     scenarios.System{Kind: "chief", Config: json.RawMessage(config)},
		Servers:    5,
		Network:    scenarios.Network{Latency: scenarios.Latency{Kind: "uniform", Min: at(time.Millisecond), Max: at(10 * time.Millisecond)}},
		FaultPhase: at(10 * time.Second),
		HealPhase:  at(3 * time.Second),
		Nemesis: scenarios.Nemesis{Schedule: []scenarios.Fault{
			{At: at(2 * time.Second), Kind: scenarios.FaultPartition, Target: "leader", Topology: "isolate"},
			{At: at(4 * time.Second), Kind: scenarios.FaultHeal},
			{At: at(6 * time.Second), Kind: scenarios.FaultPartition, Target: "leader", Topology: "isolate"},
			{At: at(8 * time.Second), Kind: scenarios.FaultHeal},
		}},
		Checks: scenarios.Checks{LivenessPromises: &scenarios.PromiseChecks{}},
		Expect: scenarios.Expect{Verdict: scenarios.Pass},
	}
}

func failedChecks(r *scenarios.Result) []string {
	var out []string
	for _, reason := range r.Reasons {
		if reason.Verdict == scenarios.Fail {
			out = append(out, reason.Check)
		}
	}
	return out
}

// TestEachLivenessPromiseFailsOnTheBugThatBreaksIt: a system declares its
// promises once, and every scenario of it judges them with no check of
// its own: the correct system passes, and each planted bug fails the
// promise it breaks, with a message that names the server and the times.
func TestEachLivenessPromiseFailsOnTheBugThatBreaksIt(t *testing.T) {
	for _, c := range []struct {
		config, check, want string
	}{
		{`{}`, "", ""},
		{`{"never_lead": true}`, scenarios.CheckElect, "no server led a majority in the 1s after 50ms, when n1, n2, n3, n4, n5 could all talk"},
		{`{"sticky": true}`, scenarios.CheckStepDown, "n1 still believed it led at"},
		{`{"yield": true}`, scenarios.CheckStable, "of a majority that could talk since"},
		{`{"storm": true}`, scenarios.CheckHeartbeatRate, "n1 sent n2 31 heartbeats in the 1s before 250ms, more than the 21 a second it promises and the 0 reads it was given then"},
	} {
		r, err := scenarios.Run(chiefScenario(c.config), 1, scenarios.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		for _, check := range []string{scenarios.CheckElect, scenarios.CheckStepDown, scenarios.CheckStable, scenarios.CheckHeartbeatRate} {
			if !slices.Contains(r.Checks, check) {
				t.Errorf("%s: the run did not judge %s (checks %v)", c.config, check, r.Checks)
			}
		}
		if c.check == "" {
			if r.Verdict != scenarios.Pass {
				t.Errorf("the correct chief: %s", r.Summary())
			}
			continue
		}
		i := slices.IndexFunc(r.Reasons, func(reason scenarios.Reason) bool { return reason.Check == c.check })
		if i < 0 || !strings.Contains(r.Reasons[i].Message, c.want) {
			t.Errorf("%s: want %s failing with %q, got %s", c.config, c.check, c.want, r.Summary())
		}
	}
}

// TestTheElectionBoundRunsFromTheFaultThatLostTheLeader: isolating the
// leader starts the election clock; a bound tighter than the system's
// election (a beat and 200 ms of silence) fails, and it fails after the
// first isolation, not at the start.
func TestTheElectionBoundRunsFromTheFaultThatLostTheLeader(t *testing.T) {
	s := chiefScenario(`{}`)
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{ElectWithin: scenarios.Duration(100 * time.Millisecond), Skip: []string{scenarios.CheckStable}}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := failedChecks(r); !slices.Equal(got, []string{scenarios.CheckElect}) || !strings.Contains(r.Reasons[0].Message, "in the 100ms after 2s") {
		t.Fatalf("a 100 ms election bound: %s", r.Summary())
	}
	if slices.Contains(r.Checks, scenarios.CheckStable) {
		t.Fatalf("a skipped promise was judged: %v", r.Checks)
	}
}

// TestFaultsThatCloseTheWindowsSpareThePromises: a planted bug is not
// judged where the faults do not allow the promise (a clock drifts, till
// the heal; the network loses messages, for the election bound and
// stability), nor where the scenario switches the promises off, nor in a
// scenario expected to fail unless it asks.
func TestFaultsThatCloseTheWindowsSpareThePromises(t *testing.T) {
	s := chiefScenario(`{"never_lead": true}`)
	s.Nemesis.Schedule = []scenarios.Fault{{At: scenarios.Duration(500 * time.Millisecond), Kind: scenarios.FaultClockDrift, Target: "n2", Drift: 0.1}}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || !slices.Equal(failedChecks(r), []string{scenarios.CheckElect}) || !strings.Contains(r.Reasons[0].Message, "in the 1s after 10s") {
		t.Fatalf("a drifting clock until the heal: %v %s", err, r.Summary())
	}
	lossy := chiefScenario(`{"never_lead": true}`)
	lossy.Network.LossRatio = 0.01
	r, err = scenarios.Run(lossy, 1, scenarios.Options{})
	if err != nil || r.Verdict != scenarios.Pass || slices.Contains(r.Checks, scenarios.CheckElect) || slices.Contains(r.Checks, scenarios.CheckStable) {
		t.Fatalf("the election bound and stability on a lossy network: %v %s, checks %v", err, r.Summary(), r.Checks)
	}
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{Off: true}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "no check that can fail") {
		t.Fatalf("promises off and no other check: %v", err)
	}
	s.Checks.LivenessPromises = nil
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "no check that can fail") {
		t.Fatalf("promises judged by default and no check of its own: %v", err)
	}
	s.Expect = scenarios.Expect{Verdict: scenarios.Fail, Check: scenarios.CheckElect}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "does not judge") {
		t.Fatalf("an expected failure of a promise it does not judge: %v", err)
	}
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{}
	r, err = scenarios.Run(s, 1, scenarios.Options{})
	if err != nil || !r.Expected {
		t.Fatalf("an expected election failure, asked for: %v %s", err, r.Summary())
	}
}

func TestBadLivenessPromiseChecksAreNamed(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"elect_within": "2s"}`, "elect_within is 2s, looser than the system's promise (1s)"},
		{`{"step_down_within": "-1s"}`, "step_down_within is negative"},
		{`{"skip": ["elected"]}`, `skip[0]: "elected" is not a promise (elect, step-down, stable, heartbeat-rate)`},
		{`{"heartbeats_per_second": 22}`, "heartbeats_per_second is 22, above the system's promise (21)"},
		{`{"heartbeats_per_second": -1}`, "heartbeats_per_second is negative (-1)"},
	} {
		s := chiefScenario(`{}`)
		var p scenarios.PromiseChecks
		if err := json.Unmarshal([]byte(c.json), &p); err != nil {
			t.Fatal(err)
		}
		s.Checks.LivenessPromises = &p
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "checks.liveness_promises: "+c.want) {
			t.Errorf("%s: err %v, want %q", c.json, err, c.want)
		}
	}
	var checks scenarios.Checks
	if err := json.Unmarshal([]byte(`{"liveness_promises": {"elect_within": "1s", "stable": false}}`), &checks); err == nil || !strings.Contains(err.Error(), `unknown field "stable"`) {
		t.Errorf("an unknown field: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"liveness_promises": false}`), &checks); err != nil || !checks.LivenessPromises.Off {
		t.Errorf("false: %+v %v", checks.LivenessPromises, err)
	}
	b, _ := json.Marshal(checks)
	if !strings.Contains(string(b), `"liveness_promises":false`) {
		t.Errorf("false does not survive encoding: %s", b)
	}
	s := beaconScenario()
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "the beacon system declares no liveness promises") {
		t.Errorf("promises of a system that declares none: %v", err)
	}
}

// TestReadsExcuseTheRoundsTheyAskForButNotAStorm: a round of beats per
// read (100 a second to each peer here, five times the periodic rate)
// passes when the system declares its reads, and fails when it does
// not; a storm under the same read load still fails, and so does the
// correct chief against a rate tighter than its beat.
func TestReadsExcuseTheRoundsTheyAskForButNotAStorm(t *testing.T) {
	for _, c := range []struct {
		config string
		rate   int
		want   string
	}{
		{config: `{"reads": true}`},
		{config: `{"reads": true, "undeclared_reads": true}`, want: "more than the 21 a second it promises and the 0 reads"},
		{config: `{"reads": true, "storm": true}`, want: "n1 sent n2"},
		{config: `{}`, rate: 10, want: "more than the 10 a second it promises"},
	} {
		s := chiefScenario(c.config)
		s.Checks.LivenessPromises = &scenarios.PromiseChecks{HeartbeatsPerSecond: c.rate, Skip: []string{scenarios.CheckElect, scenarios.CheckStepDown, scenarios.CheckStable}}
		r, err := scenarios.Run(s, 1, scenarios.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		if !slices.Equal(r.Checks, []string{scenarios.CheckHeartbeatRate}) {
			t.Errorf("%s: judged %v, want the heartbeat rate alone", c.config, r.Checks)
		}
		switch {
		case c.want == "" && r.Verdict != scenarios.Pass:
			t.Errorf("%s: %s", c.config, r.Summary())
		case c.want != "" && (!slices.Equal(failedChecks(r), []string{scenarios.CheckHeartbeatRate}) || !strings.Contains(r.Reasons[0].Message, c.want)):
			t.Errorf("%s: want the heartbeat rate failing with %q, got %s", c.config, c.want, r.Summary())
		}
	}
}

// TestHeartbeatsAreNotCountedWhileAClockRunsFast: a clock fault runs a
// server's timers fast, so a storm is judged only from the heal on.
func TestHeartbeatsAreNotCountedWhileAClockRunsFast(t *testing.T) {
	s := chiefScenario(`{"storm": true}`)
	s.Nemesis.Schedule = []scenarios.Fault{{At: 0, Kind: scenarios.FaultClockDrift, Target: "n3", Drift: 0.1}}
	s.Checks.LivenessPromises = &scenarios.PromiseChecks{Skip: []string{scenarios.CheckElect, scenarios.CheckStepDown, scenarios.CheckStable}}
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(failedChecks(r), []string{scenarios.CheckHeartbeatRate}) || !strings.Contains(r.Reasons[0].Message, "heartbeats in the 1s before 10.15s") {
		t.Fatalf("a storm under a clock fault until the heal at 10s: %s", r.Summary())
	}
}

// TestABadHeartbeatRateFailsAtDefine: a rate without the classifier it
// bounds, or a classifier without a rate, is refused with its name.
func TestABadHeartbeatRateFailsAtDefine(t *testing.T) {
	for _, c := range []struct {
		rate system.HeartbeatRate
		want string
	}{
		{system.HeartbeatRate{PerSecond: 10}, "Heartbeats.PerSecond needs Heartbeats.Heartbeat"},
		{system.HeartbeatRate{PerSecond: -1, Heartbeat: isChiefBeat}, "Heartbeats.PerSecond is negative (-1)"},
		{system.HeartbeatRate{Heartbeat: isChiefBeat}, "Heartbeats tells heartbeats or reads apart but bounds nothing"},
		{system.HeartbeatRate{PerSecond: 10, Heartbeat: isChiefBeat, TermGrace: -1}, "Heartbeats.TermGrace is negative (-1ns)"},
	} {
		_, err := system.Define(system.Spec[chiefConfig, struct{}]{
			Name:     "chief-bad",
			Config:   func() chiefConfig { return chiefConfig{} },
			Build:    func(chiefConfig, struct{}, *system.Cluster) (*system.Instance, error) { return nil, nil },
			Liveness: func(chiefConfig) system.Liveness { return system.Liveness{Heartbeats: c.rate} },
		})
		if err == nil || !strings.Contains(err.Error(), "system chief-bad: Spec.Liveness for the default configuration: "+c.want) {
			t.Errorf("%+v: err %v, want %q", c.rate.PerSecond, err, c.want)
		}
	}
}
