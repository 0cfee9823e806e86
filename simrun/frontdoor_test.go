package simrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

// TestEveryCommandPrintsItsFlagsWithDashH: -h prints the command's usage
// and every flag it takes, on stdout, and exits 0; the README documents
// every one of those flags.
func TestEveryCommandPrintsItsFlagsWithDashH(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^  (-[a-z-]+)`)
	want := map[string][]string{
		"run":    {"-seed", "-trace", "-trace-format", "-out", "-memory", "-window"},
		"sweep":  {"-seeds", "-j", "-shard", "-json", "-memory"},
		"replay": {"-memory"},
		"shrink": {"-max-runs", "-memory"},
		"check":  {"-model", "-consistency", "-timeout", "-out", "-max-history", "-memory"},
		"merge":  {"-json"},
		"diff":   {"-context"},
		"cap":    {"-seeds", "-rate", "-j", "-suite", "-json", "-out"},
	}
	for _, c := range commands {
		if c.run == nil {
			continue
		}
		for _, args := range [][]string{{c.name, "-h"}, {"help", c.name}} {
			code, out, errOut := simrun(t, args...)
			if code != exitPass || errOut != "" || !strings.HasPrefix(out, "Usage: simrun "+c.name) || !strings.Contains(out, "Exit codes:") {
				t.Fatalf("simrun %s: exit %d, stderr %q, stdout:\n%s", strings.Join(args, " "), code, errOut, out)
			}
			var got []string
			for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
				got = append(got, m[1])
			}
			if fmt.Sprint(got) != fmt.Sprint(sortedCopy(want[c.name])) {
				t.Errorf("simrun %s lists flags %v, want %v", strings.Join(args, " "), got, sortedCopy(want[c.name]))
			}
			for _, f := range got {
				if !bytes.Contains(readme, []byte(c.name+" ")) || !regexp.MustCompile(`(?m)^\s+([a-z]+\s+)?`+regexp.QuoteMeta(f)+`\b`).Match(readme) {
					t.Errorf("README.md does not document %s %s in its flag list", c.name, f)
				}
			}
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestShowPrintsABuiltInThatRunsAsAFile(t *testing.T) {
	code, out, errOut := simrun(t, "show", "raft-happy")
	if code != exitPass {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s, err := scenarios.Decode(strings.NewReader(out))
	if err != nil || s.Name != "raft-happy" {
		t.Fatalf("show's output does not decode as the scenario: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "copy.json")
	os.WriteFile(file, []byte(out), 0o644)
	_, fromFile, _ := simrun(t, "run", file, "-seed", "2")
	_, builtin, _ := simrun(t, "run", "raft-happy", "-seed", "2")
	hash := regexp.MustCompile(`trace hash +([0-9a-f]{16})`)
	if a, b := hash.FindStringSubmatch(fromFile), hash.FindStringSubmatch(builtin); a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("the copy runs differently from the built-in:\n%s\n%s", fromFile, builtin)
	}
	if !strings.Contains(builtin, "  checks        history, invariants, convergence, liveness, progress, steady, elect, step-down, stable, heartbeat-rate\n") {
		t.Errorf("run does not say which checks judged it:\n%s", builtin)
	}
	if code, _, errOut := simrun(t, "show", "raft-hapy"); code != exitUsage || !strings.Contains(errOut, "did you mean raft-happy") {
		t.Fatalf("show of a misspelt name: exit %d, %q", code, errOut)
	}
}

func TestTheWrongKindOfFileNamesTheRightCommand(t *testing.T) {
	dir := failingRun(t)
	spec := filepath.Join(dir, specFile)
	if code, _, errOut := simrun(t, "run", spec); code != exitUsage || !strings.Contains(errOut, "is a failure spec, not a scenario: replay it with simrun replay "+spec) {
		t.Fatalf("run of a spec: exit %d, %q", code, errOut)
	}
	if code, _, errOut := simrun(t, "sweep", spec, "-seeds", "0:2"); code != exitUsage || !strings.Contains(errOut, "replay it with") {
		t.Fatalf("sweep of a spec: exit %d, %q", code, errOut)
	}
	_, scenario, _ := simrun(t, "show", "raft-happy")
	file := filepath.Join(dir, "mine.json")
	os.WriteFile(file, []byte(scenario), 0o644)
	for _, cmd := range []string{"replay", "shrink"} {
		if code, _, errOut := simrun(t, cmd, file); code != exitUsage || !strings.Contains(errOut, "is a scenario, not a failure spec: run it with simrun run "+file+" -seed N") {
			t.Fatalf("%s of a scenario: exit %d, %q", cmd, code, errOut)
		}
	}
}

// TestSweepReplayHintRunsAsPrinted: the hint a sweep prints for a failing
// seed of a scenario file runs that file, and reproduces the failure.
func TestSweepReplayHintRunsAsPrinted(t *testing.T) {
	_, scenario, _ := simrun(t, "show", "raft-bug-stale-reads")
	file := filepath.Join(t.TempDir(), "my-stale.json")
	os.WriteFile(file, []byte(strings.Replace(scenario, `"raft-bug-stale-reads"`, `"my-stale"`, 1)), 0o644)
	_, out, _ := simrun(t, "sweep", file, "-seeds", "1:2", "-j", "1")
	hint := regexp.MustCompile(`replay: simrun (run .*)`).FindStringSubmatch(out)
	if hint == nil {
		t.Fatalf("no replay hint:\n%s", out)
	}
	if want := "run " + file + " -seed 1"; hint[1] != want {
		t.Fatalf("hint %q, want %q", hint[1], want)
	}
	code, runOut, errOut := simrun(t, append(strings.Fields(hint[1]), "-out", t.TempDir())...)
	if code != exitFail {
		t.Fatalf("the hint as printed: exit %d\n%s%s", code, runOut, errOut)
	}
}

func TestSweepBoundsItsWorkers(t *testing.T) {
	code, _, errOut := simrun(t, "sweep", "raft-happy", "-seeds", "0:4", "-j", "1000000")
	if code != exitUsage || !strings.Contains(errOut, "-j 1000000: must be in [1, 256]") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
	for _, bad := range []string{"1KiB", "huge", "2PiB"} {
		if code, _, errOut := simrun(t, "sweep", "raft-happy", "-seeds", "0:4", "-memory", bad); code != exitUsage || !strings.Contains(errOut, "-memory") {
			t.Errorf("-memory %s: exit %d, %q", bad, code, errOut)
		}
	}
}

// panicky is a system whose Build panics: a failure of code outside any
// simulated node, which must not pass for bad input.
var panicky = system.MustDefine(system.Spec[struct{}, struct{}]{
	Name:   "test-panicky",
	Config: func() struct{} { return struct{}{} },
	Build: func(struct{}, struct{}, *system.Cluster) (*system.Instance, error) {
		panic("a harness bug")
	},
	Promises: system.Promises{Convergence: true},
})

func TestAPanicOutsideTheSimulationIsAnInternalFailure(t *testing.T) {
	if err := system.Register(panicky); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "panicky.json")
	os.WriteFile(file, []byte(`{"name":"p","system":{"kind":"test-panicky"},"servers":1,"heal_phase":"1s","checks":{"convergence":true},"expect":{"verdict":"pass"}}`), 0o644)
	for _, args := range [][]string{{"run", file}, {"sweep", file, "-seeds", "0:3", "-j", "2"}} {
		code, _, errOut := simrun(t, args...)
		if code != exitInternal || !strings.Contains(errOut, "internal failure") || !strings.Contains(errOut, "a harness bug") {
			t.Errorf("simrun %s: exit %d, want %d; stderr %q", strings.Join(args, " "), code, exitInternal, errOut)
		}
	}
}

func TestCheckPrintsTheExplanationOnce(t *testing.T) {
	dir := failingRun(t)
	code, out, _ := simrun(t, "check", "-out", filepath.Join(dir, "viz.html"), filepath.Join(dir, historyFile))
	if code != exitFail {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if n := strings.Count(out, "is not linearizable"); n != 1 {
		t.Errorf("the explanation is printed %d times:\n%s", n, out)
	}
	if n := strings.Count(out, "visualisation: "); n != 1 {
		t.Errorf("the visualisation is named %d times:\n%s", n, out)
	}
}

func registerHistory(ops int) string {
	var b strings.Builder
	h := &checker.History[checker.RegisterInput, checker.RegisterOutput]{}
	for i := range ops {
		id := h.Invoke(i%4, checker.RegisterInput{Kind: checker.RegisterWrite, Value: fmt.Sprint(i)}, msAt(2*i))
		h.Complete(id, checker.RegisterOutput{}, msAt(2*i+1))
	}
	checker.WriteRegister(&b, h)
	return b.String()
}

func TestCheckBoundsTheHistoryAndWhatTheSearchIsGiven(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "h.jsonl")
	os.WriteFile(file, []byte(registerHistory(20000)), 0o644)
	code, _, errOut := simrun(t, "check", "-model", "register", "-max-history", "1000", file)
	if code != exitUsage || !strings.Contains(errOut, "more than 1000 operations (-max-history 1000") {
		t.Fatalf("over -max-history: exit %d, %q", code, errOut)
	}
	// 64 MiB fits a search of 16384 operations: one partition of 20000
	// is undecided, exit 3, and says why.
	code, out, errOut := simrun(t, "check", "-model", "register", "-memory", "64MiB", file)
	if code != exitUnknown || !strings.Contains(out, "more than a search fits in -memory 64MiB") {
		t.Fatalf("over the memory budget: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := simrun(t, "check", "-model", "register", "-memory", "128MiB", file); code != exitPass {
		t.Fatalf("within the memory budget: exit %d\n%s", code, out)
	}
}

func TestOverBudget(t *testing.T) {
	if _, over := overBudget(1 << 40); over {
		t.Fatal("over a budget of 1 TiB")
	}
	keep := make([]byte, 8<<20)
	if _, over := overBudget(1); !over {
		t.Fatal("not over a budget of one byte")
	}
	_ = keep[len(keep)-1]
}

func msAt(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// TestTheFailurePageOfAStaleRead: the page of a real failure shows the
// leaders and terms per host, the write the stale read missed beside the
// read, heartbeats collapsed, every fault in the fault lane, and the
// window asked for; porcupine's page opens at the failure.
func TestTheFailurePageOfAStaleRead(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := simrun(t, "run", "raft-bug-stale-reads", "-seed", "1", "-out", dir, "-window", "400ms"); code != exitFail {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	page, err := os.ReadFile(filepath.Join(dir, pageFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []regexp.Regexp{
		*regexp.MustCompile(`<g class="state s\d"><title>n\d: leader t\d+ from`),
		*regexp.MustCompile(`<g class="op ok missed">`),
		*regexp.MustCompile(`<g class="op ok highlight">`),
		*regexp.MustCompile(`×\d+ \(background, collapsed\)`),
		*regexp.MustCompile(`<g class="clusterfaults">\n<g class="fault`),
		*regexp.MustCompile(`\(400\.000 ms\), virtual time`),
	} {
		if !want.Match(page) {
			t.Errorf("the failure page lacks %s", want.String())
		}
	}
	lin, err := os.ReadFile(filepath.Join(dir, linFile))
	if err != nil || !bytes.Contains(lin, []byte(jumpToFailure)) || bytes.Index(lin, []byte(jumpToFailure)) > bytes.LastIndex(lin, []byte("</body>")) {
		t.Errorf("linearizability.html does not jump to the failure: %v", err)
	}
	if code, _, errOut := simrun(t, "run", "raft-happy", "-window", "1ns"); code != exitUsage || !strings.Contains(errOut, "-window 1ns: must be in [1ms, 1m0s]") {
		t.Errorf("-window 1ns: exit %d, %q", code, errOut)
	}
}

// TestTheREADMEsTableIsWhatSimrunPrints: the table and hints the README
// shows are the bare command's output, but for the wall times (and the
// command's name, which go run gives in the README).
func TestTheREADMEsTableIsWhatSimrunPrints(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "\n    SCENARIO ")
	if !ok {
		t.Fatal("the README shows no table")
	}
	block, _, _ = strings.Cut("SCENARIO "+block, "\n\n(")
	var want []string
	for _, line := range strings.Split(block, "\n") {
		want = append(want, strings.TrimPrefix(line, "    "))
	}
	_, out, _ := simrun(t)
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	norm := func(s string) string {
		fields := strings.Fields(strings.ReplaceAll(s, "go run ./cmd/simrun ", "simrun "))
		if len(fields) == 8 && fields[0] != "SCENARIO" {
			fields = append(fields[:5], fields[6:]...) // the wall time
		}
		return strings.Join(fields, " ")
	}
	if len(got) != len(want) {
		t.Fatalf("the README shows %d lines, simrun prints %d:\n%s", len(want), len(got), out)
	}
	for i := range got {
		if norm(got[i]) != norm(want[i]) {
			t.Errorf("line %d:\n  simrun prints %s\n  the README    %s", i+1, got[i], want[i])
		}
	}
}

// TestLinearizabilityPageOpensAtTheFailureInABrowser loads porcupine's
// page in headless Chromium and asks it, once loaded, whether the first
// error is selected: what the page's "jump to first error" does.
func TestLinearizabilityPageOpensAtTheFailureInABrowser(t *testing.T) {
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			bin = path
			break
		}
	}
	if bin == "" {
		const msg = "chromium not installed: apt-get install chromium; linearizability.html was not opened in a browser"
		if os.Getenv("DETSIM_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " (DETSIM_REQUIRE_BROWSER is set)")
		}
		t.Skip("!!! " + msg)
	}
	dir := failingRun(t)
	lin, err := os.ReadFile(filepath.Join(dir, linFile))
	if err != nil {
		t.Fatal(err)
	}
	const probe = `<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var pre = document.createElement('pre');
    pre.id = 'probe';
    pre.textContent = 'selected ' + document.querySelectorAll('.selected').length;
    document.body.appendChild(pre);
  }, 500);
});
</script>`
	probed := filepath.Join(dir, "probed.html")
	os.WriteFile(probed, bytes.Replace(lin, []byte("</body>"), []byte(probe+"</body>"), 1), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--virtual-time-budget=5000",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+probed)
	cmd.WaitDelay = 5 * time.Second
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	m := regexp.MustCompile(`<pre id="probe">selected (\d+)</pre>`).FindSubmatch(dom)
	if m == nil || string(m[1]) == "0" {
		t.Fatalf("the page did not open at its first error (probe %q)", m)
	}
}
