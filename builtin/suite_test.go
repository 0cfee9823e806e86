package builtin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detsim/detsim/builtin"
	. "github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/google/go-cmp/cmp"
)

func init() { builtin.Register() }

// suiteSeeds is the seed set of the CI suite: DETSIM_SEEDS deepens it for
// nightly runs.
func suiteSeeds(t *testing.T) int {
	n := 8
	if v := os.Getenv("DETSIM_SEEDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("DETSIM_SEEDS=%q is not a positive number", v)
		}
	}
	if testing.Short() {
		n = min(n, 2)
	}
	return n
}

func runOrFatal(t *testing.T, s Scenario, seed uint64) *Result {
	t.Helper()
	r, err := Run(s, seed, Options{CheckWorkers: 1})
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

// sweepMode is DETSIM_SWEEP=1: the suite as a bug hunt over a system
// without planted bugs. The scenarios that hunt a planted bug are skipped
// (they run a system the bug already breaks, and a user's system has
// none); the seeds run in stages (1 to 8, to 64, to 512, to DETSIM_SEEDS),
// every scenario through one stage before any goes on to the next; and the
// hunt stops at the first failing seed: that scenario stops there, the
// ones still running stop at their next seed, and no further stage runs.
// So a failure the CI suite's seeds find costs one CI suite, whatever the
// seed count. Which failure is reported first depends on scheduling; that
// one is reported at all does not. DETSIM_SWEEP_SKIP lists scenario seeds
// not to run (sweepSkips).
func sweepMode(t *testing.T) bool {
	switch v := os.Getenv("DETSIM_SWEEP"); v {
	case "", "0":
		return false
	case "1":
		return true
	default:
		t.Fatalf("DETSIM_SWEEP=%q: want 1 (or unset)", v)
		return false
	}
}

// sweepSkips are the scenario seeds DETSIM_SWEEP_SKIP names
// ("name:seed,name:seed"), which a sweep does not run: seeds the correct
// code fails too, so that a sweep of a mutant can go past them.
func sweepSkips(t *testing.T) map[string]bool {
	skips := map[string]bool{}
	v := os.Getenv("DETSIM_SWEEP_SKIP")
	if v == "" {
		return skips
	}
	for _, item := range strings.Split(v, ",") {
		name, seed, ok := strings.Cut(item, ":")
		if _, err := strconv.ParseUint(seed, 10, 64); !ok || name == "" || err != nil {
			t.Fatalf("DETSIM_SWEEP_SKIP: %q is not name:seed", item)
		}
		skips[item] = true
	}
	return skips
}

// seedCount is how many seeds a scenario gets when the suite runs seeds
// per scenario. A planted bug shows in a fraction of seeds; scenarios that
// hunt one get three times the seeds. Where the seed shapes the test
// itself, each seed is a different test, and that is where the suite's
// time finds the most: a swarm, which draws from the seed which faults are
// on and how hard they strike, gets eight times the seeds, and so does a
// scenario whose faults react to the run or mix (faultMix). The mutants
// that the suite's first eight seeds missed and later seeds killed were
// all killed in such scenarios.
func seedCount(s Scenario, seeds int) int {
	switch {
	case s.Expect.Verdict == Fail:
		return 3 * seeds
	case s.Nemesis.Generator != nil && s.Nemesis.Generator.Swarm:
		return 8 * seeds
	}
	return faultMix(s) * seeds
}

// faultMix is how much a scenario's seed changes what its faults do, as a
// multiple of the suite's seeds. 8: a targeted program or a script, which
// strike at moments and servers the run picks, or faults of three kinds
// or more besides their undos (crashes, partitions and membership changes,
// say), whose interleaving the seed's latencies decide. 4: faults of two
// kinds, or a network that loses or duplicates messages, which the seed
// draws message by message. 1: one kind of fault, or none, over a reliable
// network: the same test at every seed but for latencies, which the
// suite's eight seeds cover. Crash points count as a network that loses
// messages does: the seed draws them sync by sync.
func faultMix(s Scenario) int {
	n := s.Nemesis
	kinds := map[FaultKind]bool{}
	crashPoints := false
	for _, f := range n.Schedule {
		switch f.Kind {
		case FaultHeal, FaultRestart, FaultResume, FaultUnclog:
		default:
			kinds[f.Kind] = true
		}
		if st := f.Storage; st != nil && st.CrashAtSyncRatio+st.CrashAtSyncAfterSendRatio+st.CrashAtSyncAfterDeleteRatio > 0 {
			crashPoints = true
		}
	}
	switch {
	case len(n.Programs) > 0 || scriptStrikes(n.Script) || len(kinds) >= 3:
		return 8
	case len(kinds) == 2 || s.Network.LossRatio > 0 || s.Network.DupRatio > 0 || crashPoints:
		return 4
	}
	return 1
}

// scriptStrikes reports whether a script acts on servers, rather than
// only asserting.
func scriptStrikes(steps []Step) bool {
	for _, st := range steps {
		if st.Do != "" || st.Fault != nil || scriptStrikes(st.Steps) {
			return true
		}
	}
	return false
}

// TestSeedCountFollowsTheFaultMix: the suite's seeds go where the seed
// shapes the test.
func TestSeedCountFollowsTheFaultMix(t *testing.T) {
	for name, want := range map[string]int{
		"raft-leader-partition":      8,  // one kind of fault, on a schedule
		"lab-3b-basic-agree":         8,  // a script that only asserts
		"raft-crash-restart":         32, // crashes and kill-alls
		"raft-crash-points":          32, // crashes drawn at syncs
		"raft-unreliable-network":    32, // a lossy network
		"lab-3b-fail-agree":          64, // a script that disconnects servers
		"raft-membership-concurrent": 64, // a targeted program
		"raft-mixed":                 64, // crashes, partitions, membership and more
		"raft-swarm":                 64,
		"raft-bug-stale-reads":       24,
	} {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := seedCount(s, 8); got != want {
			t.Errorf("%s: %d seeds of 8, want %d", name, got, want)
		}
	}
}

// sweepStages are the seed counts at which a sweep of seeds stops to let
// every scenario catch up: 8, 64, 512 below seeds, then seeds.
func sweepStages(seeds int) []int {
	var stages []int
	for b := 8; b < seeds; b *= 8 {
		stages = append(stages, b)
	}
	return append(stages, seeds)
}

// TestFaultInjectionSuite is the CI suite: every built-in scenario of every
// built-in system over a fixed seed set, judged by a Tally as Evaluate
// judges.
func TestFaultInjectionSuite(t *testing.T) {
	seeds := suiteSeeds(t)
	if err := Builtins(); err != nil {
		t.Fatal(err)
	}
	names := Names()
	if !sweepMode(t) {
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s, err := Lookup(name)
				if err != nil {
					t.Fatal(err)
				}
				tally := NewTally(s)
				for seed := uint64(1); seed <= uint64(seedCount(s, seeds)); seed++ {
					tally.Add(runOrFatal(t, s, seed))
				}
				for _, p := range tally.Problems() {
					t.Errorf("[%s] %s", p.Class, p)
				}
			})
		}
		return
	}
	skips := sweepSkips(t)
	tallies := make([]*Tally, len(names))
	var failed atomic.Bool
	done := 0
	for _, upTo := range sweepStages(seeds) {
		last := upTo == seeds
		t.Run(fmt.Sprintf("seeds-%d-%d", done+1, upTo), func(t *testing.T) {
			for i, name := range names {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					s, err := Lookup(name)
					if err != nil {
						t.Fatal(err)
					}
					if s.Expect.Verdict == Fail {
						t.Skip("hunts a planted bug")
					}
					if tallies[i] == nil {
						tallies[i] = NewTally(s)
					}
					tally := tallies[i]
					for seed := seedCount(s, done) + 1; seed <= seedCount(s, upTo); seed++ {
						if failed.Load() {
							t.Skipf("stopped before seed %d: another scenario failed", seed)
						}
						if skips[fmt.Sprintf("%s:%d", name, seed)] {
							t.Logf("seed %d skipped (DETSIM_SWEEP_SKIP)", seed)
							continue
						}
						tally.Add(runOrFatal(t, s, uint64(seed)))
						if tally.BadCount > 0 {
							failed.Store(true)
							for _, p := range tally.Problems() {
								if !p.Class.Incidental() { // the seed set was cut short
									t.Errorf("[%s] %s", p.Class, p)
								}
							}
							return
						}
					}
					if last {
						for _, p := range tally.Problems() {
							t.Errorf("[%s] %s", p.Class, p)
						}
					}
				})
			}
		})
		if failed.Load() {
			return
		}
		done = upTo
	}
}

func TestScenarioRoundTripsThroughJSONWithTheSameHash(t *testing.T) {
	for _, name := range Names() {
		s, _ := Lookup(name)
		var buf bytes.Buffer
		if err := s.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := Decode(&buf)
		if err != nil {
			t.Fatalf("%s: decoding its own encoding: %v", name, err)
		}
		if diff := cmp.Diff(s, back); diff != "" {
			t.Fatalf("%s changed through JSON (-before +after):\n%s", name, diff)
		}
		if name != "raft-swarm" && name != "raft-membership" {
			continue // two runs each are enough to prove the point
		}
		a, b := runOrFatal(t, s, 7), runOrFatal(t, back, 7)
		if a.TraceHash != b.TraceHash {
			t.Fatalf("%s: hash %s before JSON, %s after", name, a.TraceHash, b.TraceHash)
		}
		// A materialized spec (generator drawn into the schedule) replays
		// the same run: it is what a failure spec stores.
		m := Materialize(s, 7)
		if m.Nemesis.Generator != nil {
			t.Fatal("Materialize left the generator in place")
		}
		if c := runOrFatal(t, m, 7); c.TraceHash != a.TraceHash {
			t.Fatalf("%s: materialized spec ran to hash %s, the original to %s", name, c.TraceHash, a.TraceHash)
		}
	}
}

func TestDecodeNamesTheBadField(t *testing.T) {
	good, _ := Lookup("raft-happy")
	var buf bytes.Buffer
	good.Encode(&buf)
	base := buf.String()
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown field", `"servers": 5`, `"servers": 5, "severs": 3`, `unknown field "severs"`},
		{"bad duration", `"fault_phase": "10s"`, `"fault_phase": "ten seconds"`, `bad duration "ten seconds"`},
		{"wrong type", `"servers": 5`, `"servers": "five"`, `field "servers": cannot use a JSON string`},
		{"bad system", `"kind": "raft"`, `"kind": "paxos"`, `system.kind`},
		{"bad ratio", `"kind": "uniform"`, `"kind": "uniform", "loss_ratio": 2`, ``},
		{"no servers", `"servers": 5`, `"servers": 0`, `servers: must be in [1, 64]`},
		{"bad latency", `"kind": "uniform"`, `"kind": "gaussian"`, `network: latency: kind "gaussian"`},
		{"bad expect", `"verdict": "pass"`, `"verdict": "maybe"`, `expect.verdict`},
		{"bad raft", `"heartbeat_interval": "50ms"`, `"heartbeat_interval": "0s"`, `system.config`},
		{"unknown raft field", `"heartbeat_interval": "50ms"`, `"heartbeat_interval": "50ms", "heartbeet": 1`, `unknown field "heartbeet"`},
		{"bad workload", `"keys": 5`, `"keys": 0`, `workload`},
		{"malformed", `{`, `{{`, `malformed JSON`},
	}
	for _, c := range cases {
		if !strings.Contains(base, c.from) {
			t.Fatalf("%s: the encoded scenario has no %q to replace", c.name, c.from)
		}
		in := strings.Replace(base, c.from, c.to, 1)
		_, err := Decode(strings.NewReader(in))
		if err == nil {
			if c.want == "" {
				continue // a misplaced field the schema still accepts
			}
			t.Errorf("%s: decoded without error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not name %q", c.name, err, c.want)
		}
	}
	bad := good.Clone()
	bad.Nemesis.Schedule = []Fault{{At: Duration(20 * time.Second), Kind: FaultCrash}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "schedule[0]") {
		t.Errorf("a fault after the fault phase: err = %v", err)
	}
	bad.Nemesis.Schedule = []Fault{{At: Duration(time.Second), Kind: FaultPartition, Topology: "triangle"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `topology "triangle"`) {
		t.Errorf("a bad topology: err = %v", err)
	}
	unsound := good.Clone()
	unsound.Workload = []byte(`{"client": {"refusal_definite": true}}`)
	unsound.Network.DupRatio = 0.1
	if err := unsound.Validate(); err == nil || !strings.Contains(err.Error(), "refusal_definite") {
		t.Errorf("definite refusals on a duplicating network: err = %v", err)
	}
	bad.Nemesis.Schedule = []Fault{{At: Duration(time.Second), Kind: FaultCrash, Target: "n9"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `target "n9"`) {
		t.Errorf("a bad target: err = %v", err)
	}
}

// TestGeneratorOutputIsValid draws schedules for many seeds and checks that
// every one is a valid scenario whose faults lie in the fault phase.
func TestGeneratorOutputIsValid(t *testing.T) {
	s, _ := Lookup("raft-swarm")
	kinds := map[FaultKind]int{}
	sizes := map[int]bool{}
	for seed := uint64(0); seed < 2000; seed++ {
		m := Materialize(s, seed)
		if err := m.Validate(); err != nil {
			t.Fatalf("seed %d: generated scenario is invalid: %v", seed, err)
		}
		for i, f := range m.Nemesis.Schedule {
			kinds[f.Kind]++
			if i > 0 && f.At < m.Nemesis.Schedule[i-1].At {
				t.Fatalf("seed %d: schedule out of order at %d", seed, i)
			}
		}
		sizes[len(m.Nemesis.Schedule)] = true
	}
	for _, k := range append(AllFaultKinds, "transfer-leader") {
		switch k {
		case FaultHeal, FaultRestart, FaultResume, FaultUnclog:
			continue // undo kinds: drawn only as the undo of another
		}
		if kinds[k] == 0 {
			t.Errorf("2000 seeds never drew a %s fault", k)
		}
	}
	if len(sizes) < 5 {
		t.Errorf("swarm schedules barely vary in size: %v", sizes)
	}
}

func TestLookupSuggestsCloseNames(t *testing.T) {
	_, err := Lookup("raft-leader-partiton")
	if err == nil || !strings.Contains(err.Error(), "raft-leader-partition") {
		t.Fatalf("err = %v, want a suggestion of raft-leader-partition", err)
	}
}

func TestResultEncodes(t *testing.T) {
	s, _ := Lookup("raft-happy")
	r := runOrFatal(t, s, 1)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"trace_hash"`, `"latency"`, `"throughput_ops_per_s"`, `"probes"`, `"messages"`} {
		if !bytes.Contains(b, []byte(field)) {
			t.Errorf("result JSON lacks %s: %s", field, b)
		}
	}
	if r.Ops.OK == 0 || r.Latency.P50 <= 0 || r.Throughput <= 0 {
		t.Errorf("a healthy run reports no work: %+v", r)
	}
}

// TestClientOperationsAreTraced: every invocation and completion is a trace
// record, so it feeds the hash and shows in traces.
func TestClientOperationsAreTraced(t *testing.T) {
	s, _ := Lookup("raft-leader-partition")
	var buf bytes.Buffer
	sink := sim.NewJSONSink(&buf)
	r, err := Run(s, 1, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	sink.Flush()
	invokes := bytes.Count(buf.Bytes(), []byte(`"label":"op.invoke"`))
	oks := bytes.Count(buf.Bytes(), []byte(`"label":"op.ok"`))
	if invokes != r.Ops.Invoked || oks != r.Ops.OK {
		t.Fatalf("trace has %d invocations and %d completions; the history %d and %d", invokes, oks, r.Ops.Invoked, r.Ops.OK)
	}
}
