package nodetest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

// TestACorrectNodePasses runs the whole suite, child processes included,
// on the tally without bugs: the suite must not cry wolf.
func TestACorrectNodePasses(t *testing.T) {
	Run(t, tallyCorrect, Options{})
}

// planted runs one check of the suite on sys and returns its failures,
// or nil in a child process, which served the parent instead.
func planted(t *testing.T, sys *system.System, check func(*suite) []string) []string {
	t.Helper()
	if servedChild(t, sys) {
		return nil
	}
	s, err := newSuite(t.Name(), sys, Options{SpecDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return check(s)
}

// expectCaught fails t unless some failure matches every pattern.
func expectCaught(t *testing.T, fails []string, patterns ...string) {
	t.Helper()
	if fails == nil && inChild() {
		return
	}
	for _, f := range fails {
		ok := true
		for _, p := range patterns {
			ok = ok && regexp.MustCompile(p).MatchString(f)
		}
		if ok {
			t.Logf("caught, as it must be:\n%s", f)
			return
		}
	}
	t.Fatalf("the planted bug went unseen; want a failure matching %q, got %d:\n%s", patterns, len(fails), strings.Join(fails, "\n"))
}

func inChild() bool { _, _, ok, _ := readChildRequest(); return ok }

// TestANodeThatRangesOverAMapIsCaught: the map's order picks whom to
// gossip to, so two runs of one seed in one process part.
func TestANodeThatRangesOverAMapIsCaught(t *testing.T) {
	fails := planted(t, tallyMapOrder, (*suite).checkSameSeed)
	expectCaught(t, fails, `seed 1: two runs in this process gave trace hashes [0-9a-f]{16} and [0-9a-f]{16}`, `the runs part at record \d+`, `\n  A  .*\n  B  `)
}

// TestMapOrderGivesManyRuns is the finding: twenty runs of one
// seed of a node that ranges over a map are not one run.
func TestMapOrderGivesManyRuns(t *testing.T) {
	s, err := newSuite(t.Name(), tallyMapOrder, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]bool{}
	for i := 0; i < 20; i++ {
		h, err := s.runHashOnly(s.base, 1)
		if err != nil {
			t.Fatal(err)
		}
		hashes[h] = true
	}
	if len(hashes) < 5 {
		t.Fatalf("20 runs of one seed gave %d distinct hashes; the planted bug no longer bites", len(hashes))
	}
	t.Logf("20 runs of one seed gave %d distinct trace hashes", len(hashes))
}

// TestANodeThatReadsAPackageCounterIsCaught: a counter shared by every
// world in the process makes the second run differ from the first.
func TestANodeThatReadsAPackageCounterIsCaught(t *testing.T) {
	fails := planted(t, tallySharedCounter, (*suite).checkSameSeed)
	expectCaught(t, fails, `two runs in this process`, `the runs part at record \d+`)
}

// TestANodeThatDependsOnTheProcessIsCaught: GOMAXPROCS is the same in
// every run of one process, so only the child processes see it.
func TestANodeThatDependsOnTheProcessIsCaught(t *testing.T) {
	fails := planted(t, tallyProcs, (*suite).checkSameSeed)
	expectCaught(t, fails, `a child process at GOMAXPROCS=(1|4) gave trace hash [0-9a-f]{16}, this process [0-9a-f]{16}`,
		`the runs part at record \d+ \(A: this process, B: the child at GOMAXPROCS=(1|4)\)`)
}

// TestANodeThatAliasesASentMessageIsCaught: the message's Clone shares
// the sender's slice, which the sender keeps updating while it flies.
func TestANodeThatAliasesASentMessageIsCaught(t *testing.T) {
	fails := planted(t, tallyAlias, (*suite).checkMessages)
	expectCaught(t, fails, `message #\d+ \(nodetest.sharedVector, n\d to n\d\) changed between its send at .* and its delivery at`, `sent: +&?\{Counts:\[`)
}

// TestAReceiverThatMutatesSharedMemoryIsCaught: a receiver reuses the
// vector it got, which its sender's Clone shared with the sender's state;
// the run parts from its twin with deep-copied messages.
func TestAReceiverThatMutatesSharedMemoryIsCaught(t *testing.T) {
	fails := planted(t, tallyScratch, (*suite).checkTwin)
	expectCaught(t, fails, `the run parts from its twin whose network deep-copies every message`, `the runs part at record \d+ \(A: as the system copies messages, B: every message deep-copied\)`, `\n  A  .*sharedVector`)
}

// TestANodeThatLosesItsStateAtRestartIsCaught: the tally's own invariant
// sees a count fall after a crash.
func TestANodeThatLosesItsStateAtRestartIsCaught(t *testing.T) {
	fails := planted(t, tallyForget, (*suite).checkCrashRestart)
	expectCaught(t, fails, `crashes, seed \d+: fail`, `invariants: .*count fell from \d+ to 0`, `faults: .*crash`, `replay: simrun replay \S+crashes-seed-\d+\.json`)
}

// TestAReplicasEqualThatDisagreesWithReplicasIsCaught: a ReplicasEqual
// that answers true without looking would let the convergence check time
// a heal that never converged; the watched runs hold it to Replicas.
func TestAReplicasEqualThatDisagreesWithReplicasIsCaught(t *testing.T) {
	fails := planted(t, tallyAlwaysEqual, (*suite).checkCrashRestart)
	expectCaught(t, fails, `crashes, seed \d+: fail`, `invariants: replicas: ReplicasEqual says true, but the states Replicas builds say false`)
}

// TestTheChecksOfACorrectNodeSeeFaults: the generated scenarios do crash,
// pause and step clocks, and turn the promised checks on.
func TestTheChecksOfACorrectNodeSeeFaults(t *testing.T) {
	s, err := newSuite(t.Name(), tallyCorrect, Options{})
	if err != nil {
		t.Fatal(err)
	}
	crash := s.reshaped("crashes", 1, s.crashFaults)
	hostile := s.reshaped("hostile", 1, s.hostileFaults)
	kinds := func(sc scenarios.Scenario) map[scenarios.FaultKind]int {
		k := map[scenarios.FaultKind]int{}
		for _, f := range sc.Nemesis.Schedule {
			k[f.Kind]++
		}
		return k
	}
	if k := kinds(crash); k[scenarios.FaultCrash] < 4 || k[scenarios.FaultKillAll] != 1 {
		t.Errorf("the crash schedule is %v", k)
	}
	if k := kinds(hostile); k[scenarios.FaultPause] < 2 || k[scenarios.FaultClockStep] < 2 {
		t.Errorf("the hostile schedule is %v", k)
	}
	if !crash.Checks.Invariants || !crash.Checks.Convergence {
		t.Errorf("the crash check does not judge what the system promises: %+v", crash.Checks)
	}
	servers := map[int]bool{}
	for seed := uint64(1); seed <= 3; seed++ {
		servers[s.reshaped("crashes", seed, s.crashFaults).Servers] = true
	}
	if !servers[3] || !servers[4] || !servers[5] {
		t.Errorf("the default shape's generated runs have %v servers, want 3 to 5", servers)
	}
}

func TestBadOptionsAreNamed(t *testing.T) {
	other := defaultShape(tallyMapOrder)
	_, err := newSuite(t.Name(), tallyCorrect, Options{Scenarios: []scenarios.Scenario{other}})
	if err == nil || !strings.Contains(err.Error(), `runs the "tally-map-order" system, not "tally"`) {
		t.Fatalf("got %v", err)
	}
	bad := defaultShape(tallyCorrect)
	bad.Servers = 0
	if _, err := newSuite(t.Name(), tallyCorrect, Options{Scenarios: []scenarios.Scenario{bad}}); err == nil || !strings.Contains(err.Error(), "servers") {
		t.Fatalf("got %v", err)
	}
}

func TestTestPatternSelectsOneTest(t *testing.T) {
	for name, want := range map[string]string{
		"TestX":         "^TestX$",
		"TestX/sub_one": "^TestX$/^sub_one$",
		"TestX/a.b#01":  `^TestX$/^a\.b#01$`,
	} {
		if got := testPattern(name); got != want {
			t.Errorf("testPattern(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestTheEncodingSeesEverything(t *testing.T) {
	type inner struct{ n int }
	type msg struct {
		P *inner
		M map[string]int
		S []byte
		I any
	}
	var e encoder
	a := msg{P: &inner{1}, M: map[string]int{"b": 2, "a": 1}, S: []byte{1}, I: 3}
	before := string(e.encode(nil, a))
	if again := string(e.encode(nil, a)); again != before {
		t.Fatalf("two encodings of one value differ:\n%s\n%s", before, again)
	}
	if want := `{P:&{n:1} M:map["a":1 "b":2] S:[1] I:int:3}`; before != want {
		t.Fatalf("encoding %s, want %s", before, want)
	}
	for _, change := range []func(){func() { a.P.n = 2 }, func() { a.M["c"] = 0 }, func() { a.S[0] = 9 }} {
		change()
		if after := string(e.encode(nil, a)); after == before {
			t.Fatalf("a change went unseen: %s", after)
		} else {
			before = after
		}
	}
	type node struct{ Next *node }
	loop := &node{}
	loop.Next = loop
	if got := string(e.encode(nil, loop)); got != "&{Next:<cycle>}" {
		t.Fatalf("a cycle encodes as %s", got)
	}
}
