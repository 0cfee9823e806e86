package primarybackup_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/detsim/detsim/examples/primarybackup"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/simrun"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(primarybackup.System) }

func lookup(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEveryScenarioBehavesAsDeclared is the suite CI runs on built-in
// systems, run here on a system that is not built in.
func TestEveryScenarioBehavesAsDeclared(t *testing.T) {
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
	names := scenarios.Names()
	if len(names) < 4 {
		t.Fatalf("the register ships %d scenarios: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := lookup(t, name)
			n := 8
			if s.Expect.Verdict == scenarios.Fail {
				n = 24
			}
			var results []*scenarios.Result
			for seed := uint64(1); seed <= uint64(n); seed++ {
				results = append(results, run(t, s, seed))
			}
			for _, p := range scenarios.Evaluate(s, results) {
				t.Error(p)
			}
		})
	}
}

// TestThePlantedBugIsWhatFails: the bug's scenario with the flag off
// passes the same seeds.
func TestThePlantedBugIsWhatFails(t *testing.T) {
	s := lookup(t, "pbreg-bug-read-without-lease")
	s.System.Config = nil
	s.Expect = scenarios.Expect{Verdict: scenarios.Pass}
	for seed := uint64(1); seed <= 8; seed++ {
		if r := run(t, s, seed); r.Verdict != scenarios.Pass {
			t.Fatalf("without the bug, seed %d: %s", seed, r.Summary())
		}
	}
}

func TestTheSameSeedGivesTheSameRun(t *testing.T) {
	s := lookup(t, "pbreg-primary-partition")
	a, b, c := run(t, s, 5), run(t, s, 5), run(t, s, 6)
	if a.TraceHash != b.TraceHash {
		t.Fatalf("seed 5 twice: %s and %s", a.TraceHash, b.TraceHash)
	}
	if a.TraceHash == c.TraceHash {
		t.Fatalf("seeds 5 and 6 gave the same run %s", a.TraceHash)
	}
}

func pbrun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := simrun.Main(args, &out, &errOut, simrun.Options{Systems: []*system.System{primarybackup.System}})
	return code, out.String() + errOut.String()
}

// TestItsOwnCommandLineDoesEverything: a main built on package simrun
// runs, sweeps, replays, shrinks and checks the register, and writes its
// failure page, as simrun does for the built-in systems.
func TestItsOwnCommandLineDoesEverything(t *testing.T) {
	dir := t.TempDir()
	if code, out := pbrun(t, "list"); code != 0 || !strings.Contains(out, "pbreg-bug-read-without-lease") || !strings.Contains(out, "pbreg ") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if code, out := pbrun(t, "sweep", "pbreg-happy", "-seeds", "0:4"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, out)
	}
	fails := filepath.Join(dir, "fail")
	if code, out := pbrun(t, "run", "pbreg-bug-read-without-lease", "-seed", "1", "-out", fails); code != 1 {
		t.Fatalf("run of the planted bug: exit %d\n%s", code, out)
	}
	for _, f := range []string{"spec.json", "trace.jsonl", "history.jsonl", "failure.html", "linearizability.html"} {
		if _, err := os.Stat(filepath.Join(fails, f)); err != nil {
			t.Errorf("the failure left no %s: %v", f, err)
		}
	}
	spec := filepath.Join(fails, "spec.json")
	if code, out := pbrun(t, "replay", spec); code != 1 || !strings.Contains(out, "matches") {
		t.Fatalf("replay: exit %d\n%s", code, out)
	}
	if code, out := pbrun(t, "check", filepath.Join(fails, "history.jsonl")); code != 1 || !strings.Contains(out, "Illegal") {
		t.Fatalf("check of the stale read: exit %d\n%s", code, out)
	}
	if code, out := pbrun(t, "shrink", spec); code != 0 || !strings.Contains(out, "faults") {
		t.Fatalf("shrink: exit %d\n%s", code, out)
	}
	// A scenario file of the user's own, naming only what it changes.
	mine := filepath.Join(dir, "mine.json")
	s := lookup(t, "pbreg-happy")
	s.Name, s.Workload = "mine", json.RawMessage(`{"mix": {"get": 1, "put": 1}}`)
	var b bytes.Buffer
	s.Encode(&b)
	os.WriteFile(mine, b.Bytes(), 0o644)
	if code, out := pbrun(t, "run", mine, "-seed", "2"); code != 0 {
		t.Fatalf("run of a scenario file: exit %d\n%s", code, out)
	}
}
