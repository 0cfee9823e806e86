package scenarios_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// drift is a system whose replicas differ exactly while the virtual time
// is in one of its configured windows: the test knows when they converge.
// Its servers tick every 5ms, so that events are dense.
type driftConfig struct {
	Apart []driftWindow `json:"apart"`
}

type driftWindow struct {
	From  scenarios.Duration `json:"from"`
	Until scenarios.Duration `json:"until"`
}

type driftNode struct{ env sim.Env }

func (n *driftNode) Start(env sim.Env)          { n.env = env; env.After(5*time.Millisecond, nil) }
func (n *driftNode) Receive(sim.HostID, any)    {}
func (n *driftNode) Timer(_ sim.TimerID, _ any) { n.env.After(5*time.Millisecond, nil) }

func (c driftConfig) apart(now time.Duration) bool {
	for _, w := range c.Apart {
		if now >= w.From.D() && now < w.Until.D() {
			return true
		}
	}
	return false
}

var drift = system.MustDefine(system.Spec[driftConfig, struct{}]{
	Name:   "drift",
	Config: func() driftConfig { return driftConfig{} },
	Build: func(cfg driftConfig, _ struct{}, c *system.Cluster) (*system.Instance, error) {
		for _, id := range c.ServerIDs() {
			if _, err := c.AddServer(c.Peers(id), func() sim.Node { return &driftNode{} }); err != nil {
				return nil, err
			}
		}
		w := c.World
		return &system.Instance{
			Members:   c.Members,
			Invariant: func() error { return nil },
			Replicas: func() []checker.Replica {
				var out []checker.Replica
				for i, id := range c.Members() {
					state := "same"
					if i > 0 && cfg.apart(w.Now()) {
						state = "behind"
					}
					out = append(out, checker.Replica{Name: w.Host(id).Name(), State: state})
				}
				return out
			},
		}, nil
	},
	Promises: system.Promises{Invariants: true, Convergence: true},
})

func init() { system.MustRegister(drift) }

// driftScenario heals at 1s and ends at 3s; the replicas differ in apart.
func driftScenario(apart ...driftWindow) scenarios.Scenario {
	return scenarios.Scenario{
		Name:       "drift-test",
		System:     scenarios.SystemOf("drift", driftConfig{Apart: apart}),
		Servers:    3,
		Network:    scenarios.Network{Latency: scenarios.Latency{Kind: "constant", D: scenarios.Duration(time.Millisecond)}},
		FaultPhase: scenarios.Duration(time.Second),
		HealPhase:  scenarios.Duration(2 * time.Second),
		Checks:     scenarios.Checks{Convergence: true},
		Expect:     scenarios.Expect{Verdict: scenarios.Pass},
	}
}

func ms(n int) scenarios.Duration { return scenarios.Duration(time.Duration(n) * time.Millisecond) }

func runDrift(t *testing.T, s scenarios.Scenario) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// near reports whether got is at or after want, by at most one sample
// and the gap between two events.
func near(got, want scenarios.Duration) bool {
	return got >= want && got <= want+scenarios.Duration(scenarios.ConvergenceSampleEvery+5*time.Millisecond)
}

func TestTheTimeToConvergeIsWhenTheReplicasBecameEqualAndStayedEqual(t *testing.T) {
	// Apart until 300ms after the heal, equal for 200ms, apart again
	// until 720ms after it: they converged at 720ms, and first agreed
	// at 300ms.
	r := runDrift(t, driftScenario(driftWindow{0, ms(1300)}, driftWindow{ms(1500), ms(1720)}))
	c := r.Convergence
	if r.Verdict != scenarios.Pass || c == nil {
		t.Fatalf("%s; convergence %v", r.Summary(), c)
	}
	if c.HealedAt != ms(1000) || !near(c.ConvergedAt, ms(1720)) || c.After != c.ConvergedAt-c.HealedAt {
		t.Errorf("convergence %+v, want the heal at 1s and convergence at 1.72s (within a sample)", *c)
	}
	if !near(c.FirstEqualAfter, ms(300)) {
		t.Errorf("first equal %v after the heal, want 300ms (within a sample)", c.FirstEqualAfter)
	}
	if c.SampleEvery != scenarios.Duration(scenarios.ConvergenceSampleEvery) {
		t.Errorf("sample interval %v, want %v", c.SampleEvery, scenarios.ConvergenceSampleEvery)
	}

	already := runDrift(t, driftScenario(driftWindow{0, ms(500)}))
	if c := already.Convergence; c.After != 0 || c.FirstEqualAfter != 0 {
		t.Errorf("replicas equal before the heal: convergence %+v, want 0 after it", *c)
	}
}

func TestReplicasThatDifferAtTheEndNeverConvergedAndFailAsBefore(t *testing.T) {
	s := driftScenario(driftWindow{ms(1200), ms(10_000)})
	s.Checks.ConvergenceWithin = ms(500)
	r := runDrift(t, s)
	if c := r.Convergence; c == nil || c.Converged() || c.After != -1 || c.ConvergedAt != -1 || !near(c.FirstEqualAfter, 0) {
		t.Fatalf("convergence %+v, want never (they agreed only at the heal)", c)
	}
	if r.Verdict != scenarios.Fail || len(r.Reasons) != 1 || r.Reasons[0].Check != scenarios.CheckConvergence || !strings.Contains(r.Reasons[0].Message, "behind") {
		t.Errorf("%s; want one convergence failure that shows the replicas' difference", r.Summary())
	}
	if !strings.Contains(r.Convergence.String(), "never") {
		t.Errorf("%q does not say never", r.Convergence)
	}
}

func TestABoundFailsARunWhoseReplicasConvergedLate(t *testing.T) {
	s := driftScenario(driftWindow{0, ms(1720)})
	s.Checks.ConvergenceWithin = ms(500)
	r := runDrift(t, s)
	if r.Verdict != scenarios.Fail || len(r.Reasons) != 1 || r.Reasons[0].Check != scenarios.CheckConvergence {
		t.Fatalf("%s; want the bound to fail the convergence check", r.Summary())
	}
	msg := r.Reasons[0].Message
	for _, want := range []string{r.Convergence.After.String(), "500ms", "heal at 1s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not name %s", msg, want)
		}
	}
	s.Checks.ConvergenceWithin = ms(800)
	if r := runDrift(t, s); r.Verdict != scenarios.Pass {
		t.Errorf("within 800ms: %s; want a pass", r.Summary())
	}
}

func TestMeasuringConvergenceAddsNoEventToTheRun(t *testing.T) {
	s := driftScenario(driftWindow{0, ms(1720)})
	s.Checks = scenarios.Checks{Invariants: true}
	without := runDrift(t, s)
	s.Checks = scenarios.Checks{Invariants: true, Convergence: true, ConvergenceWithin: ms(2000)}
	with := runDrift(t, s)
	if without.Convergence != nil || with.Convergence == nil {
		t.Fatalf("convergence measured %v without the check and %v with it", without.Convergence, with.Convergence)
	}
	if without.TraceHash != with.TraceHash || without.Events != with.Events {
		t.Errorf("the check changed the run: %s (%d events) without, %s (%d) with", without.TraceHash, without.Events, with.TraceHash, with.Events)
	}
}

func TestConvergenceDecodesAsABoolOrWithABound(t *testing.T) {
	base := `{"name": "d", "system": {"kind": "drift"}, "servers": 3, "fault_phase": "1s", "heal_phase": "2s", "checks": {"convergence": %s}}`
	decode := func(conv string) (scenarios.Scenario, error) {
		return scenarios.Decode(strings.NewReader(strings.Replace(base, "%s", conv, 1)))
	}
	for _, c := range []struct {
		json   string
		on     bool
		within scenarios.Duration
	}{{`true`, true, 0}, {`{"within": "1.5s"}`, true, ms(1500)}} {
		s, err := decode(c.json)
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if s.Checks.Convergence != c.on || s.Checks.ConvergenceWithin != c.within {
			t.Errorf("%s decoded to %v within %v", c.json, s.Checks.Convergence, s.Checks.ConvergenceWithin)
		}
		var b bytes.Buffer
		if err := s.Encode(&b); err != nil {
			t.Fatal(err)
		}
		back, err := scenarios.Decode(&b)
		if err != nil || back.Checks != s.Checks {
			t.Errorf("%s: through JSON, %+v (%v); want %+v", c.json, back.Checks, err, s.Checks)
		}
	}
	// The bool form encodes as it always did.
	b, _ := json.Marshal(scenarios.Checks{Convergence: true, Liveness: true})
	if string(b) != `{"convergence":true,"liveness":true}` {
		t.Errorf("the bool form encodes as %s", b)
	}
	b, _ = json.Marshal(scenarios.Checks{Convergence: true, ConvergenceWithin: ms(1500)})
	if !strings.Contains(string(b), `"convergence":{"within":"1.5s"}`) {
		t.Errorf("the bounded form encodes as %s", b)
	}
	for _, c := range []struct{ json, want string }{
		{`"yes"`, `want true, false or {"within": "30s"}`},
		{`{"within": "0s"}`, "checks.convergence.within: must be positive"},
		{`{"within": "-1s"}`, "checks.convergence.within: must be positive"},
		{`{"within": "soon"}`, "soon"},
		{`{"bound": "1s"}`, `unknown field "bound"`},
		{`{"within": "3s"}`, "longer than the heal phase"},
	} {
		if _, err := decode(c.json); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("convergence %s: %v; want an error with %q", c.json, err, c.want)
		}
	}
	s := driftScenario()
	s.Checks = scenarios.Checks{Invariants: true, ConvergenceWithin: ms(100)}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "convergence check, which is off") {
		t.Errorf("a bound without the check: %v", err)
	}
}

func TestTheTallySumsUpTheTimesToConvergeAndMerges(t *testing.T) {
	s := driftScenario()
	result := func(seed uint64, after time.Duration) *scenarios.Result {
		c := &scenarios.ConvergenceTime{HealedAt: ms(1000), ConvergedAt: -1, After: -1}
		if after >= 0 {
			c.ConvergedAt, c.After = c.HealedAt+scenarios.Duration(after), scenarios.Duration(after)
		}
		return &scenarios.Result{Scenario: s.Name, Seed: seed, Verdict: scenarios.Pass, Convergence: c}
	}
	all, low, high := scenarios.NewTally(s), scenarios.NewTally(s), scenarios.NewTally(s)
	for i := 0; i < 100; i++ {
		after := time.Duration(i+1) * 10 * time.Millisecond
		if i%10 == 9 {
			after = -1
		}
		r := result(uint64(i+1), after)
		all.Add(r)
		if i < 50 {
			low.Add(r)
		} else {
			high.Add(r)
		}
	}
	c := all.Convergence
	if c == nil || c.Seeds != 100 || c.Never != 10 {
		t.Fatalf("tally %+v, want 100 seeds, 10 never", c)
	}
	// 90 converged, at 10ms..990ms but every hundred: the 46th is 510ms.
	if p50, p99, top := c.Quantile(0.5), c.Quantile(0.99), c.Quantile(1); p50 != ms(510) || p99 != ms(990) || top != ms(990) {
		t.Errorf("p50 %v p99 %v max %v, want 510ms, 990ms, 990ms", p50, p99, top)
	}
	if err := high.Merge(low); err != nil {
		t.Fatal(err)
	}
	if got, want := high.Convergence.String(), c.String(); got != want {
		t.Errorf("merged halves: %s; the whole: %s", got, want)
	}
	if !strings.Contains(c.String(), "90 of 100 seeds converged") || !strings.Contains(c.String(), "10 never") {
		t.Errorf("summary %q", c)
	}
	if (scenarios.ConvergenceTally{}).Quantile(0.5) != -1 {
		t.Error("an empty tally has a quantile")
	}
}
