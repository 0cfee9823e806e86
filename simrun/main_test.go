package simrun

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// simrun runs the command in-process and returns its exit code and output.
func simrun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDefaultJobPrintsTheTable(t *testing.T) {
	code, out, errOut := simrun(t)
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, name := range demo {
		if !strings.Contains(out, name) {
			t.Errorf("the table lacks %s:\n%s", name, out)
		}
	}
	for _, col := range []string{"VERDICT", "SEED", "VIRTUAL", "WALL", "OPS", "TRACE HASH"} {
		if !strings.Contains(out, col) {
			t.Errorf("the table lacks column %s", col)
		}
	}
	if !strings.Contains(out, "raft-bug-stale-reads found: linearizable") {
		t.Errorf("the demo did not show the planted bug being found:\n%s", out)
	}
}

func TestListNamesEveryScenario(t *testing.T) {
	code, out, _ := simrun(t, "list")
	if code != exitPass {
		t.Fatalf("exit %d", code)
	}
	for _, name := range scenarios.Names() {
		if !strings.Contains(out, name) {
			t.Errorf("list lacks %s", name)
		}
	}
}

// failingRun runs the stale-read scenario into a temporary folder and
// returns the folder.
func failingRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	code, out, errOut := simrun(t, "run", "raft-bug-stale-reads", "-seed", "1", "-out", dir)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFail, out, errOut)
	}
	return dir
}

func TestRunAFailureLeavesItsArtifacts(t *testing.T) {
	dir := failingRun(t)
	for _, name := range []string{specFile, traceFile, historyFile, linFile, pageFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("artifact %s missing or empty: %v", name, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, pageFile))
	for _, want := range []string{"raft-bug-stale-reads", "linearizable", "simrun replay"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the failure page does not mention %q", want)
		}
	}
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) {
		t.Error("the failure page links outside itself; it must open offline")
	}
}

func TestRunPassesAndWritesTraces(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"text", "jsonl"} {
		path := filepath.Join(dir, "trace."+format)
		code, out, errOut := simrun(t, "run", "gossip-example", "-seed", "2", "-trace", path, "-trace-format", format)
		if code != exitPass {
			t.Fatalf("%s: exit %d\n%s%s", format, code, out, errOut)
		}
		b, _ := os.ReadFile(path)
		if lines := bytes.Count(b, []byte("\n")); lines < 1000 {
			t.Fatalf("%s trace has %d lines", format, lines)
		}
		if format == "jsonl" {
			first := b[:bytes.IndexByte(b, '\n')]
			var rec map[string]any
			if err := json.Unmarshal(first, &rec); err != nil {
				t.Fatalf("jsonl trace line is not JSON: %s", first)
			}
		}
	}
}

func TestReplayComparesHashes(t *testing.T) {
	dir := failingRun(t)
	spec := filepath.Join(dir, specFile)
	code, out, _ := simrun(t, "replay", spec)
	if code != exitFail || !strings.Contains(out, "matches the spec") {
		t.Fatalf("replay of a failing spec: exit %d\n%s", code, out)
	}
	// A spec whose recorded hash is wrong must say so.
	b, _ := os.ReadFile(spec)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	raw["trace_hash"] = "0000000000000000"
	b, _ = json.Marshal(raw)
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, b, 0o644)
	code, out, errOut := simrun(t, "replay", tampered)
	if code != exitMismatch || !strings.Contains(out, "DIFFERS") || !strings.Contains(errOut, "TRACE HASH MISMATCH") {
		t.Fatalf("replay of a spec with the wrong hash: exit %d, want %d\n%s%s", code, exitMismatch, out, errOut)
	}
	// A hash that is no hash is bad input, not a mismatch.
	raw["trace_hash"] = "not-a-hash"
	b, _ = json.Marshal(raw)
	os.WriteFile(tampered, b, 0o644)
	code, _, errOut = simrun(t, "replay", tampered)
	if code != exitUsage || !strings.Contains(errOut, `trace_hash "not-a-hash" is not a trace hash`) {
		t.Fatalf("replay of a spec with a garbled hash: exit %d, %q", code, errOut)
	}
}

func TestShrinkWritesASmallerSpecThatStillFails(t *testing.T) {
	dir := failingRun(t)
	spec := filepath.Join(dir, specFile)
	code, out, errOut := simrun(t, "shrink", spec, "-max-runs", "200")
	if code != exitPass {
		t.Fatalf("shrink: exit %d\n%s%s", code, out, errOut)
	}
	min := filepath.Join(dir, "spec.min.json")
	before, after := readSpecT(t, spec), readSpecT(t, min)
	if len(after.Scenario.Nemesis.Schedule) >= len(before.Scenario.Nemesis.Schedule) {
		t.Fatalf("shrink kept %d of %d faults", len(after.Scenario.Nemesis.Schedule), len(before.Scenario.Nemesis.Schedule))
	}
	// What remains strikes earlier, in shorter phases, with a workload
	// cut short.
	last := func(s scenarios.Spec) scenarios.Duration {
		var at scenarios.Duration
		for _, f := range s.Scenario.Nemesis.Schedule {
			at = max(at, f.At)
		}
		return at
	}
	if last(after) >= last(before) || after.Scenario.FaultPhase >= before.Scenario.FaultPhase || after.Scenario.HealPhase >= before.Scenario.HealPhase {
		t.Errorf("the last fault at %v (was %v), phases %v + %v (were %v + %v)", last(after), last(before), after.Scenario.FaultPhase, after.Scenario.HealPhase, before.Scenario.FaultPhase, before.Scenario.HealPhase)
	}
	if !strings.Contains(string(after.Scenario.Workload), "stop_at") && !strings.Contains(string(after.Scenario.Workload), "ops_max") {
		t.Errorf("the workload was not cut: %s", after.Scenario.Workload)
	}
	ops := regexp.MustCompile(`(\d+) ops`).FindAllStringSubmatch(out, -1)
	if len(ops) != 2 || atoi(ops[1][1]) >= atoi(ops[0][1]) {
		t.Errorf("the operations did not shrink:\n%s", out)
	}
	if !strings.Contains(out, "before") || !strings.Contains(out, "after") {
		t.Fatalf("shrink does not report sizes:\n%s", out)
	}
	code, out, _ = simrun(t, "replay", min)
	if code != exitFail || !strings.Contains(out, "matches the spec") {
		t.Fatalf("the shrunk spec does not replay its failure: exit %d\n%s", code, out)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func readSpecT(t *testing.T, path string) scenarios.Spec {
	t.Helper()
	s, err := readSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckVerdicts(t *testing.T) {
	dir := failingRun(t)
	bad := filepath.Join(dir, historyFile)
	if code, out, _ := simrun(t, "check", bad); code != exitFail || !strings.Contains(out, "Illegal") {
		t.Fatalf("check of a non-linearizable history: exit %d\n%s", code, out)
	}
	// A passing run's history is linearizable.
	s, _ := scenarios.Lookup("raft-happy")
	r, err := scenarios.Run(s, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.jsonl")
	f, _ := os.Create(good)
	r.History.WriteJSONL(f)
	f.Close()
	if code, out, _ := simrun(t, "check", "-model", "kv", good); code != exitPass || !strings.Contains(out, "Ok") {
		t.Fatalf("check of a linearizable history: exit %d\n%s", code, out)
	}
	// A search with no time to finish is unknown, never Ok: exit 3.
	if code, out, _ := simrun(t, "check", "-timeout", "1ns", good); code != exitUnknown || !strings.Contains(out, "Unknown") {
		t.Fatalf("check with no time: exit %d\n%s", code, out)
	}
	malformed := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(malformed, []byte("{\"process\":0,\"call\":1,\"return\":2,\"kind\":\"put\",\"key\":\"x\",\"value\":\"a\",\"output\":{}}\n{not json}\n"), 0o644)
	code, _, errOut := simrun(t, "check", malformed)
	if code != exitUsage || !strings.Contains(errOut, "line 2") {
		t.Fatalf("malformed history: exit %d, stderr %q (want exit 2 naming line 2)", code, errOut)
	}
	if code, _, errOut := simrun(t, "check", "-model", "queue", good); code != exitUsage || !strings.Contains(errOut, `-model "queue"`) {
		t.Fatalf("bad model: exit %d, %q", code, errOut)
	}
}

func TestSweepShardsAndMerge(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	code, out, errOut := simrun(t, "sweep", "raft-leader-partition", "-seeds", "1:7", "-j", "2", "-json", whole)
	if code != exitPass {
		t.Fatalf("sweep: exit %d\n%s%s", code, out, errOut)
	}
	var shards []string
	for i := 0; i < 3; i++ {
		path := filepath.Join(dir, "shard"+string(rune('0'+i))+".json")
		shards = append(shards, path)
		if code, out, errOut := simrun(t, "sweep", "raft-leader-partition", "-seeds", "1:7", "-shard", string(rune('0'+i))+"/3", "-j", "1", "-json", path); code != exitPass {
			t.Fatalf("shard %d: exit %d\n%s%s", i, code, out, errOut)
		}
	}
	mergedPath := filepath.Join(dir, "merged.json")
	code, out, errOut = simrun(t, append([]string{"merge", "-json", mergedPath}, shards...)...)
	if code != exitPass {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errOut)
	}
	a, _ := readReport(whole)
	b, _ := readReport(mergedPath)
	if a.Tally.Runs != 6 || b.Tally.Runs != a.Tally.Runs || b.Tally.Pass != a.Tally.Pass || b.Events != a.Events {
		t.Fatalf("merged shards differ from the whole sweep: whole %+v, merged %+v", a.Tally, b.Tally)
	}
	// A missing shard is a gap, and merge says so.
	if code, _, errOut := simrun(t, "merge", shards[0], shards[2]); code != exitUsage || !strings.Contains(errOut, "in no shard") {
		t.Fatalf("merge with a gap: exit %d, %q", code, errOut)
	}
}

func TestSweepOfAnExpectedFailure(t *testing.T) {
	code, out, _ := simrun(t, "sweep", "raft-bug-stale-reads", "-seeds", "1:3", "-j", "2")
	if code != exitPass || !strings.Contains(out, "replay: simrun run raft-bug-stale-reads -seed 1") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestShardsCoverTheRangeExactlyOnce checks the shard arithmetic on random
// ranges, counts and extremes.
func TestShardsCoverTheRangeExactlyOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ranges := []seedRange{{0, 1}, {5, 6}, {0, 1 << 63}, {1<<64 - 10, 1<<64 - 1}}
	for i := 0; i < 300; i++ {
		lo := r.Uint64N(1 << 40)
		ranges = append(ranges, seedRange{lo, lo + 1 + r.Uint64N(5000)})
	}
	for _, sr := range ranges {
		for _, n := range []int{1, 2, 3, 7, 64} {
			next := sr.Lo
			for i := 0; i < n; i++ {
				part := shard{i, n}.of(sr)
				if part.Lo != next || part.Hi < part.Lo {
					t.Fatalf("range %v, shard %d/%d = %v: want it to start at %d", sr, i, n, part, next)
				}
				next = part.Hi
			}
			if next != sr.Hi {
				t.Fatalf("range %v in %d shards ends at %d", sr, n, next)
			}
		}
	}
}

func TestUsageAndInputErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`{"scenario": {"name": "x", "servers": "many"}, "seed": 1}`), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "raft-leader-partiton"}, `did you mean raft-leader-partition`},
		{[]string{"run"}, `needs exactly one scenario`},
		{[]string{"run", "raft-happy", "-seed", "minus one"}, `invalid value "minus one"`},
		{[]string{"sweep", "raft-happy", "-seeds", "9:3"}, `B must be greater than A`},
		{[]string{"sweep", "raft-happy", "-seeds", "1:3", "-shard", "3/3"}, `-shard "3/3"`},
		{[]string{"sweep", "raft-happy"}, `needs -seeds`},
		{[]string{"replay", filepath.Join(dir, "nope.json")}, `no such file`},
		{[]string{"replay", garbage}, `servers": cannot use a JSON string`},
		{[]string{"merge"}, `needs the JSON files`},
		{[]string{"list", "extra"}, `takes no arguments`},
		{[]string{"shrink", garbage, "-max-runs", "0"}, `-max-runs 0: must be in [1, 1000000]`},
		{[]string{"diff", garbage, garbage, "-context", "1000000000"}, `-context 1000000000: must be in [0, 100000]`},
	}
	for _, c := range cases {
		code, _, errOut := simrun(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("simrun %s: exit %d, stderr %q; want exit 2 and one line containing %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
}

// A sweep whose seeds never exercise what the scenario declares says so
// apart from a bug found: the problem is classed, and the summary says no
// check failed.
func TestSweepSaysWhenNoCheckFailedButTheFaultsNeverBit(t *testing.T) {
	code, shown, errOut := simrun(t, "show", "raft-happy")
	if code != exitPass {
		t.Fatalf("show: exit %d, %s", code, errOut)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(shown), &s); err != nil {
		t.Fatal(err)
	}
	s["name"] = "raft-happy-expecting-crashes"
	s["probes"] = []string{"crash"}
	b, _ := json.Marshal(s)
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := simrun(t, "sweep", path, "-seeds", "1:3")
	if code != exitFail || !strings.Contains(out, `[coverage] raft-happy-expecting-crashes: probe "crash" never fired in 2 seeds`) ||
		!strings.Contains(out, "no check failed") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
