package simrun

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// gossipForever never stops counting, so its replicas never converge: a
// cheap seed that fails convergence, with a schedule that lets the
// replicas drift apart in different ways.
const gossipForever = `{
  "name": "gossip-forever",
  "system": {"kind": "gossip", "gossip": {"interval": "50ms", "fanout": 2, "increments": 0}},
  "servers": 4,
  "network": {"latency": {"kind": "lognormal", "median": "2ms", "sigma": 0.6}, "loss_ratio": 0.05},
  "nemesis": {"schedule": [
    {"at": "200ms", "kind": "partition", "topology": "halves"},
    {"at": "600ms", "kind": "heal"},
    {"at": "700ms", "kind": "pause", "target": "random"},
    {"at": "800ms", "kind": "resume"}
  ]},
  "fault_phase": "1s",
  "heal_phase": "500ms",
  "checks": {"convergence": true},
  "expect": {"verdict": "%s"%s}
}`

// writeGossipForever writes the scenario, expected to fail convergence or
// (wrongly) to pass, and returns its path.
func writeGossipForever(t *testing.T, dir string, expectPass bool) string {
	t.Helper()
	expect := fmt.Sprintf(gossipForever, "fail", `, "check": "convergence"`)
	if expectPass {
		expect = fmt.Sprintf(gossipForever, "pass", "")
	}
	path := filepath.Join(dir, "gossip-forever.json")
	if err := os.WriteFile(path, []byte(expect), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSweepJSONIsTheSameAtAnyParallelism sweeps a scenario whose every seed
// is a problem (more of them than a report keeps) at -j 1 and -j 2: the
// JSON files must be byte-identical, whatever order the results came in.
func TestSweepJSONIsTheSameAtAnyParallelism(t *testing.T) {
	dir := t.TempDir()
	scenario := writeGossipForever(t, dir, true)
	var files [][]byte
	for _, jobs := range []string{"1", "2", "2"} {
		path := filepath.Join(dir, "sweep-j"+jobs+".json")
		code, out, errOut := simrun(t, "sweep", scenario, "-seeds", "1:131", "-j", jobs, "-json", path)
		if code != exitFail {
			t.Fatalf("-j %s: exit %d, want %d (every seed fails a scenario expected to pass)\n%s%s", jobs, code, exitFail, out, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	rep, err := readReport(filepath.Join(dir, "sweep-j1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tally.BadCount != 130 || len(rep.Tally.Bad) >= 130 || len(rep.Failures) == 0 {
		t.Fatalf("the sweep found %d problems, kept %d, and %d failures: it does not exercise the bounds", rep.Tally.BadCount, len(rep.Tally.Bad), len(rep.Failures))
	}
	if rep.Tally.Bad[0].Seed != 1 || rep.Failures[0].Seed != 1 || !slices.IsSortedFunc(rep.Tally.Bad, func(a, b scenarios.Problem) int { return int(a.Seed) - int(b.Seed) }) {
		t.Fatalf("the report keeps problems from seed %d and failures from seed %d; want the lowest seeds, in order", rep.Tally.Bad[0].Seed, rep.Failures[0].Seed)
	}
	for i := 1; i < len(files); i++ {
		if !bytes.Equal(files[0], files[i]) {
			t.Fatalf("sweep %d wrote different JSON from the -j 1 sweep:\n%s", i, firstDifference(files[0], files[i]))
		}
	}
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("one is a prefix of the other (%d and %d lines)", len(la), len(lb))
}

const childEnv = "DETSIM_ARTIFACTS_CHILD"

// TestFailureArtifactsAreTheSameInEveryProcess runs failing seeds in child
// processes at GOMAXPROCS 1 and 4, and in this one, and compares every
// artifact byte for byte: a convergence failure (whose report once came
// from cmp.Diff, which varies between processes) and a linearizability
// failure (with a history and porcupine's page).
func TestFailureArtifactsAreTheSameInEveryProcess(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in a child")
	}
	dir := t.TempDir()
	scenario := writeGossipForever(t, dir, false)
	for _, c := range []struct {
		name  string
		args  []string
		files []string
	}{
		{"convergence", []string{"run", scenario, "-seed", "3"}, []string{specFile, traceFile, pageFile}},
		{"linearizability", []string{"run", "raft-bug-stale-reads", "-seed", "1"}, []string{specFile, traceFile, historyFile, linFile, pageFile}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var outs []string
			for _, procs := range []string{"1", "4"} {
				out := filepath.Join(dir, c.name+"-child-"+procs)
				cmd := exec.Command(os.Args[0], "-test.run=^TestChildWritesArtifacts$")
				cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(append(c.args, "-out", out), "\x1f"), "GOMAXPROCS="+procs)
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("child at GOMAXPROCS=%s: %v\n%s", procs, err, b)
				}
				outs = append(outs, out)
			}
			here := filepath.Join(dir, c.name+"-parent")
			if code, out, errOut := simrun(t, append(c.args, "-out", here)...); code != exitFail {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			outs = append(outs, here)
			for _, name := range c.files {
				want, err := os.ReadFile(filepath.Join(outs[0], name))
				if err != nil || len(want) == 0 {
					t.Fatalf("%s: %v (%d bytes)", name, err, len(want))
				}
				for _, other := range outs[1:] {
					got, err := os.ReadFile(filepath.Join(other, name))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(want, got) {
						t.Errorf("%s differs between %s and %s:\n%s", name, filepath.Base(outs[0]), filepath.Base(other), firstDifference(want, got))
					}
				}
			}
		})
	}
}

// TestChildWritesArtifacts is the child of
// TestFailureArtifactsAreTheSameInEveryProcess.
func TestChildWritesArtifacts(t *testing.T) {
	args := os.Getenv(childEnv)
	if args == "" {
		t.Skip("only runs as a child of TestFailureArtifactsAreTheSameInEveryProcess")
	}
	if code, out, errOut := simrun(t, strings.Split(args, "\x1f")...); code != exitFail {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
