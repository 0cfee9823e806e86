package nodetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Options tune the suite. The zero Options is the default, which takes a
// few seconds for a system the size of the built-in Raft.
type Options struct {
	// Scenarios are the bases the checks start from. Nil takes the
	// system's built-in scenarios that are expected to pass, or, when it
	// has none, a default shape: three servers (three to five, by seed, in
	// the generated checks), two clients if the system has any, its
	// default configuration and workload.
	Scenarios []scenarios.Scenario
	// Seed is the first seed; zero means 1. Seeds is how many seeds the
	// crash, hostile-network and message checks run each; zero means 3.
	Seed  uint64
	Seeds int
	// Crashes is how many crashes (each with its restart) the crash check
	// draws per run; zero means 8. A kill-all comes on top.
	Crashes int
	// FIFO keeps links first-in first-out in the hostile-network check,
	// for a system that needs ordered links; by default messages reorder.
	FIFO bool
	// NoDuplicates keeps the network from duplicating messages in the
	// hostile-network check, for a system built on links that never do.
	NoDuplicates bool
	// InProcessOnly skips the child processes of the determinism check
	// (when the test binary cannot run itself again).
	InProcessOnly bool
	// SpecDir is where a run that fails leaves its failure spec, to
	// replay; empty means a new directory under os.TempDir for each.
	SpecDir string

	_ struct{}
}

// Run checks sys against the determinism contract and its own promises;
// see the package documentation for what it checks. Each check is a
// subtest of t, and a failure names the scenario, the seed and, where two
// runs part, the first record where they do.
//
// The test that calls Run is run again in child processes: keep Run the
// only heavy work in it.
func Run(t *testing.T, sys *system.System, opts Options) {
	t.Helper()
	if sys == nil {
		t.Fatal("nodetest.Run: the system is nil")
	}
	if err := system.Register(sys); err != nil {
		t.Fatalf("nodetest.Run: %v", err)
	}
	if servedChild(t, sys) {
		return
	}
	s, err := newSuite(t.Name(), sys, opts)
	if err != nil {
		t.Fatalf("nodetest.Run: %v", err)
	}
	for _, c := range s.checks() {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range c.run() {
				t.Error(f)
			}
		})
	}
}

// suite is one Run: the system, its bases and the knobs.
type suite struct {
	test  string // the name of the test, to run it again in a child
	sys   *system.System
	opts  Options
	bases []scenarios.Scenario
	// base is the calmest of the bases, which the generated checks
	// reshape with faults of their own.
	base scenarios.Scenario
	// shaped: the base is the default shape, whose generated runs draw
	// three to five servers from the seed.
	shaped bool
	runs   int // runs made in this process, for the benchmarks
}

type check struct {
	name string
	run  func() []string
}

func newSuite(test string, sys *system.System, opts Options) (*suite, error) {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Seeds <= 0 {
		opts.Seeds = 3
	}
	if opts.Crashes <= 0 {
		opts.Crashes = 8
	}
	s := &suite{test: test, sys: sys, opts: opts, bases: opts.Scenarios}
	if len(s.bases) == 0 {
		var err error
		if s.bases, err = builtinBases(sys); err != nil {
			return nil, err
		}
	}
	if len(s.bases) == 0 {
		s.bases = []scenarios.Scenario{defaultShape(sys)}
		s.shaped = true
	}
	for i := range s.bases {
		if s.bases[i].System.Kind != sys.Name() {
			return nil, fmt.Errorf("Options.Scenarios[%d] (%q) runs the %q system, not %q", i, s.bases[i].Name, s.bases[i].System.Kind, sys.Name())
		}
		if err := s.bases[i].Validate(); err != nil {
			return nil, fmt.Errorf("Options.Scenarios[%d]: %w", i, err)
		}
	}
	s.base = calmest(s.bases)
	return s, nil
}

func (s *suite) checks() []check {
	return []check{
		{"same-seed-same-run", s.checkSameSeed},
		{"seeds-differ", s.checkSeedsDiffer},
		{"crash-restart", s.checkCrashRestart},
		{"hostile-network", s.checkHostileNetwork},
		{"messages-unchanged-in-flight", s.checkMessages},
		{"messages-share-no-memory", s.checkTwin},
	}
}

// builtinBases are the system's built-in scenarios expected to pass.
func builtinBases(sys *system.System) ([]scenarios.Scenario, error) {
	docs, err := sys.Scenarios()
	if err != nil {
		return nil, err
	}
	var out []scenarios.Scenario
	for _, doc := range docs {
		sc, err := scenarios.Decode(bytes.NewReader(doc))
		if err != nil {
			return nil, fmt.Errorf("a built-in scenario of the %s system: %w", sys.Name(), err)
		}
		if sc.Expect.Verdict == scenarios.Pass {
			out = append(out, sc)
		}
	}
	return out, nil
}

// defaultShape is the base of a system that ships no scenario.
func defaultShape(sys *system.System) scenarios.Scenario {
	s := scenarios.Scenario{
		Name:       sys.Name() + "-nodetest",
		System:     scenarios.System{Kind: sys.Name()},
		Servers:    3,
		Network:    scenarios.Network{Latency: scenarios.Latency{Kind: "lognormal", Median: scenarios.Duration(2 * time.Millisecond), Sigma: 0.6}, LossRatio: 0.02},
		FaultPhase: scenarios.Duration(4 * time.Second),
		HealPhase:  scenarios.Duration(4 * time.Second),
		Expect:     scenarios.Expect{Verdict: scenarios.Pass},
	}
	if sys.HasClients() {
		s.Clients = 2
	}
	p := sys.Promises()
	s.Checks.Invariants, s.Checks.Convergence = p.Invariants, p.Convergence
	s.Checks.History, s.Checks.Liveness = p.History && s.Clients > 0, s.Clients > 0
	return s
}

// calmest is the base with the fewest faults of its own (and no programs
// or spares, where one has none): its shape, configuration, workload and
// network are what the generated checks start from.
func calmest(bases []scenarios.Scenario) scenarios.Scenario {
	score := func(s scenarios.Scenario) int {
		n := len(s.Nemesis.Schedule) + 100*len(s.Nemesis.Programs) + 100*s.Spares
		if s.Nemesis.Generator != nil {
			n += 1000
		}
		return n
	}
	best := bases[0]
	for _, b := range bases[1:] {
		if score(b) < score(best) {
			best = b
		}
	}
	return best.Clone()
}

// promisedChecks turns on every check the system promises and the
// scenario's shape allows.
func (s *suite) promisedChecks(sc *scenarios.Scenario) {
	p := s.sys.Promises()
	clients := sc.Clients > 0
	sc.Checks.Invariants = p.Invariants
	sc.Checks.Convergence = p.Convergence
	sc.Checks.History = p.History && clients
	sc.Checks.Liveness = clients
	sc.Checks.Staleness = false
	sc.Probes = nil
	sc.Expect = scenarios.Expect{Verdict: scenarios.Pass}
}

// reshaped is the calm base with faults drawn for seed by faults, and the
// checks the system promises.
func (s *suite) reshaped(name string, seed uint64, faults func(r *rand.Rand, phase time.Duration) []scenarios.Fault) scenarios.Scenario {
	sc := s.base.Clone()
	sc.Name = s.base.Name + "+" + name
	sc.Description = ""
	r := rand.New(rand.NewPCG(seed, 0x6e6f646574657374))
	if s.shaped {
		sc.Servers = 3 + int(seed%3)
	}
	sc.Nemesis = scenarios.Nemesis{Schedule: faults(r, sc.FaultPhase.D())}
	slices.SortStableFunc(sc.Nemesis.Schedule, func(a, b scenarios.Fault) int { return int(a.At - b.At) })
	s.promisedChecks(&sc)
	return sc
}

// outcome is one run nodetest made.
type outcome struct {
	result   *scenarios.Result
	changed  *mutation
	trace    []byte // the JSON trace, when asked for
	scenario scenarios.Scenario
	seed     uint64
}

// compareReplicasEvery is how often the watched runs hold a system's
// Instance.ReplicasEqual to the states its Replicas builds (every fifth
// event): often enough to see both answers many times in a run.
const compareReplicasEvery = 5

func (s *suite) run(sc scenarios.Scenario, seed uint64, trace bool) (*outcome, error) {
	var buf bytes.Buffer
	var json *sim.JSONSink
	var next sim.Sink
	if trace {
		json = sim.NewJSONSink(&buf)
		next = json
	}
	watch := newInflight(next)
	s.runs++
	res, err := scenarios.Run(sc, seed, scenarios.Options{Sink: watch, CheckWorkers: 1, CompareReplicasEvery: compareReplicasEvery})
	if err != nil {
		return nil, err
	}
	if json != nil {
		if err := json.Flush(); err != nil {
			return nil, err
		}
	}
	return &outcome{result: res, changed: watch.changed, trace: buf.Bytes(), scenario: sc, seed: seed}, nil
}

// runHashOnly runs with no sink at all: the fastest run, and the plainest.
func (s *suite) runHashOnly(sc scenarios.Scenario, seed uint64) (string, error) {
	s.runs++
	res, err := scenarios.Run(sc, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		return "", err
	}
	return res.TraceHash, nil
}

// verdict is what a run that must pass failed, or "".
func verdict(o *outcome) string {
	var b strings.Builder
	r := o.result
	if r.Verdict != scenarios.Pass {
		fmt.Fprintf(&b, "scenario %s, seed %d: %s", o.scenario.Name, o.seed, r.Verdict)
		for _, reason := range r.Reasons {
			fmt.Fprintf(&b, "\n  %s", reason)
		}
		fmt.Fprintf(&b, "\n  faults: %s", schedule(o.scenario))
	}
	return b.String()
}

func schedule(sc scenarios.Scenario) string {
	var parts []string
	for _, f := range sc.Nemesis.Schedule {
		parts = append(parts, f.String())
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
