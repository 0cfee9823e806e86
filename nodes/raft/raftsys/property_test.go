package raftsys_test

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftsys"
	. "github.com/detsim/detsim/scenarios"
	"pgregory.net/rapid"
)

// TestMain pins rapid's seed unless one is given, so that CI explores the
// same cases on every run, and keeps failure files out of the tree.
func TestMain(m *testing.M) {
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, value := range map[string]string{"rapid.seed": "1", "rapid.nofailfile": "true", "rapid.shrinktime": "10s", "rapid.checks": "60"} {
		if !set[name] {
			if err := flag.Set(name, value); err != nil {
				panic(err)
			}
		}
	}
	os.Exit(m.Run())
}

// alphabet is the faults a property draws from.
var alphabet = []FaultKind{
	FaultPartition, FaultHeal, FaultCrash, FaultRestart, FaultKillAll, FaultPause, FaultResume,
	FaultClockStep, FaultClockDrift, FaultLink, FaultClog, FaultUnclog, raftsys.FaultTransferLeader,
}

// draw says what a property draws besides its base scenario.
type draw struct {
	kinds     []FaultKind
	maxFaults int
	programs  []string // targeted nemeses the draw may switch on
	workload  bool     // draw the workload too (else keep the base's)
	// topologies and targets narrow the draw; empty means all.
	topologies []string
	targets    []string
}

// drawScenario draws a nemesis schedule (and targeted programs, and the
// workload) through rapid, so that a failure shrinks to the fewest, simplest
// faults and the smallest workload that still fail.
func drawScenario(t *rapid.T, base Scenario, d draw) (Scenario, uint64) {
	s := base.Clone()
	s.Name = base.Name + "-drawn"
	// Properties judge safety. Liveness under arbitrary drawn faults is not
	// a promise (a client's breaker can starve it on a lossy network); the
	// named scenarios check it where the conditions are controlled.
	s.Checks.Liveness = false
	s.Checks.CheckTimeout = Duration(2 * time.Second)
	s.Nemesis = Nemesis{}
	n := rapid.IntRange(0, d.maxFaults).Draw(t, "faults")
	phase := int64(s.FaultPhase)
	topologies, targets := AllTopologies, []string{"leader", "follower", "random"}
	if len(d.topologies) > 0 {
		topologies = d.topologies
	}
	if len(d.targets) > 0 {
		targets = d.targets
	}
	for i := 0; i < n; i++ {
		f := Fault{
			At:     Duration(rapid.Int64Range(0, phase-1).Draw(t, "at")),
			Kind:   rapid.SampledFrom(d.kinds).Draw(t, "kind"),
			Target: rapid.SampledFrom(targets).Draw(t, "target"),
		}
		switch f.Kind {
		case FaultPartition:
			f.Topology = rapid.SampledFrom(topologies).Draw(t, "topology")
		case FaultClockStep:
			f.Step = Duration(rapid.Int64Range(-int64(time.Second), int64(time.Second)).Draw(t, "step"))
		case FaultClockDrift:
			f.Drift = rapid.Float64Range(-0.2, 0.2).Draw(t, "drift")
		case FaultKillAll:
			f.Target = ""
			f.For = Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "for"))
		case FaultLink:
			f.Link = &Network{Latency: uniform(0, Duration(rapid.Int64Range(0, int64(300*time.Millisecond)).Draw(t, "latency"))), LossRatio: rapid.Float64Range(0, 0.6).Draw(t, "loss")}
		case raftsys.FaultAddServer, raftsys.FaultRemoveServer:
			f.Target = ""
		}
		s.Nemesis.Schedule = append(s.Nemesis.Schedule, f)
	}
	slices.SortStableFunc(s.Nemesis.Schedule, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	for _, p := range d.programs {
		if rapid.Bool().Draw(t, "program "+p) {
			s.Nemesis.Programs = append(s.Nemesis.Programs, Program{Name: p, From: Duration(rapid.Int64Range(0, phase/2).Draw(t, "from"))})
		}
	}
	if d.workload {
		s.Clients = rapid.IntRange(1, 5).Draw(t, "clients")
		wl := workload(t, s)
		wl.Keys = rapid.IntRange(1, 4).Draw(t, "keys")
		wl.Mix = client.Mix{
			Get:    rapid.IntRange(0, 20).Draw(t, "get"),
			Put:    rapid.IntRange(1, 5).Draw(t, "put"),
			Append: rapid.IntRange(0, 5).Draw(t, "append"),
			CAS:    rapid.IntRange(0, 3).Draw(t, "cas"),
		}
		setWorkload(&s, wl)
		s.Network.LossRatio = rapid.SampledFrom([]float64{0, 0.05, 0.2}).Draw(t, "loss")
		s.Network.DupRatio = rapid.SampledFrom([]float64{0, 0.1}).Draw(t, "dup")
	}
	return s, rapid.Uint64Range(0, 1000).Draw(t, "seed")
}

// mustPass is the property: the drawn run does not fail. A failure prints
// the spec that replays it.
func mustPass(base Scenario, d draw) func(*rapid.T) {
	return func(t *rapid.T) {
		s, seed := drawScenario(t, base, d)
		r, err := Run(s, seed, Options{CheckWorkers: 1})
		if err != nil {
			t.Fatalf("the drawn scenario is invalid: %v", err)
		}
		if r.Verdict == Fail {
			var spec bytes.Buffer
			NewSpec(s, seed, r).Encode(&spec)
			t.Fatalf("%s\nreplay with: simrun replay SPEC.json, where SPEC.json is\n%s", r.Summary(), spec.String())
		}
	}
}

// propertyBase is a small, fast Raft scenario for properties.
func propertyBase(t fataler, name string, mutate func(*raft.Config)) Scenario {
	s := lookup(t, "raft-happy")
	s.Name, s.Description = name, "property base"
	cfg := raft.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	setConfig(&s, cfg)
	s.FaultPhase, s.HealPhase = sec(5), sec(4)
	return s
}

func TestPropertyRaftIsSafe(t *testing.T) {
	rapid.Check(t, mustPass(propertyBase(t, "raft", nil), draw{kinds: alphabet, maxFaults: 14, programs: []string{raftsys.ProgramFigure8}, workload: true}))
}

// captureTB stands in for *testing.T so that a test can run a property that
// is meant to fail and look at what rapid reported.
type captureTB struct {
	name   string
	failed bool
	log    strings.Builder
}

func (c *captureTB) Helper()                           {}
func (c *captureTB) Name() string                      { return c.name }
func (c *captureTB) Logf(format string, args ...any)   { fmt.Fprintf(&c.log, format+"\n", args...) }
func (c *captureTB) Log(args ...any)                   { fmt.Fprintln(&c.log, args...) }
func (c *captureTB) Skipf(format string, args ...any)  { c.Logf(format, args...) }
func (c *captureTB) Skip(args ...any)                  { c.Log(args...) }
func (c *captureTB) SkipNow()                          {}
func (c *captureTB) Errorf(format string, args ...any) { c.failed = true; c.Logf(format, args...) }
func (c *captureTB) Error(args ...any)                 { c.failed = true; c.Log(args...) }
func (c *captureTB) Fatalf(format string, args ...any) { c.failed = true; c.Logf(format, args...) }
func (c *captureTB) Fatal(args ...any)                 { c.failed = true; c.Log(args...) }
func (c *captureTB) FailNow()                          { c.failed = true }
func (c *captureTB) Fail()                             { c.failed = true }
func (c *captureTB) Failed() bool                      { return c.failed }

// TestPropertiesFindPlantedBugs runs the same property against Raft with
// each planted bug: rapid must falsify it and shrink the failure to a spec.
func TestPropertiesFindPlantedBugs(t *testing.T) {
	crashes := []FaultKind{FaultCrash, FaultRestart, FaultKillAll, FaultPartition, FaultHeal}
	cuts := []FaultKind{FaultPartition, FaultHeal, FaultCrash, FaultRestart}
	registered := func(name string) Scenario {
		s := lookup(t, name)
		s.FaultPhase, s.HealPhase = sec(6), sec(3)
		return s
	}
	crashy := func(plant func(*raft.Config)) Scenario {
		s := propertyBase(t, "raft-crashy", plant)
		s.Servers = 3
		s.Network = unreliable(0.02)
		busy(t, &s)
		// These bugs break the invariants; skipping the history check
		// keeps each case fast.
		s.Checks.History = false
		return s
	}
	bugs := []struct {
		name string
		base Scenario
		draw draw
	}{
		{"stale-reads", registered("raft-bug-stale-reads"), draw{kinds: []FaultKind{FaultPartition, FaultHeal}, maxFaults: 14, topologies: []string{TopoIsolate, TopoMinority}, targets: []string{"leader", "random"}}},
		{"no-session-dedup", propertyBase(t, "raft-no-dedup", func(c *raft.Config) { c.Bugs.NoSessionDedup = true }), draw{kinds: alphabet, maxFaults: 14, workload: true}},
		{"vote-without-log-check", crashy(func(c *raft.Config) { c.Bugs.VoteWithoutLogCheck = true }), draw{kinds: crashes, maxFaults: 40}},
		{"reply-before-sync", crashy(func(c *raft.Config) { c.Bugs.ReplyBeforeSync = true }), draw{kinds: crashes, maxFaults: 40}},
		{"commit-old-terms", registered("raft-bug-figure8"), draw{kinds: cuts, maxFaults: 10, programs: []string{raftsys.ProgramFigure8}}},
		{"early-conf-change", registered("raft-bug-early-conf-change"), draw{kinds: append(slices.Clone(cuts), raftsys.FaultAddServer, raftsys.FaultRemoveServer), maxFaults: 10, programs: []string{raftsys.ProgramConfSplit}}},
	}
	for _, bug := range bugs {
		t.Run(bug.name, func(t *testing.T) {
			t.Parallel()
			bug.base.Expect = Expect{Verdict: Pass}
			c := &captureTB{name: t.Name()}
			rapid.Check(c, mustPass(bug.base, bug.draw))
			if !c.failed {
				t.Fatalf("rapid did not find the planted %s bug", bug.name)
			}
			out := c.log.String()
			if !strings.Contains(out, `"seed":`) || !strings.Contains(out, "[rapid] failed") {
				t.Fatalf("rapid's report lacks the spec or the failure:\n%s", out)
			}
			t.Logf("found and shrunk:\n%s", out)
		})
	}
}
