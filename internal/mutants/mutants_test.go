package mutants

import (
	"context"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const moduleRoot = "../.."

func TestEveryMutantAppliesOnceAndStillParses(t *testing.T) {
	names := map[string]bool{}
	areas := map[string]bool{}
	for _, m := range Raft {
		if names[m.Name] {
			t.Errorf("two mutants are named %s", m.Name)
		}
		names[m.Name] = true
		areas[m.Area] = true
		if m.Why == "" || m.Area == "" {
			t.Errorf("mutant %s: says neither what mistake it stands for nor where", m.Name)
		}
		if changed := changedLines(m.Old, m.New); changed != 1 {
			t.Errorf("mutant %s changes %d lines, want one", m.Name, changed)
		}
		src, err := os.ReadFile(filepath.Join(moduleRoot, m.File))
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Apply(src)
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := parser.ParseFile(token.NewFileSet(), m.File, out, 0); err != nil {
			t.Errorf("mutant %s does not parse: %v", m.Name, err)
		}
	}
	if len(Raft) < 30 {
		t.Errorf("%d mutants; the score means little on fewer than 30", len(Raft))
	}
	for _, area := range []string{"election", "replication", "commitment", "persistence", "snapshots", "reads", "sessions", "membership", "step-down", "prevote", "checkquorum"} {
		if !areas[area] {
			t.Errorf("no mutant in area %s", area)
		}
	}
}

// changedLines counts the lines that differ between old and new, which
// have the same number of lines or differ by one removed line.
func changedLines(old, new string) int {
	a, b := strings.Split(old, "\n"), strings.Split(new, "\n")
	if len(a) != len(b) {
		if len(a) == len(b)+1 {
			return 1
		}
		return -1
	}
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func TestApplyNamesAMutantWhoseTextIsMissingOrAmbiguous(t *testing.T) {
	m := Mutant{Name: "m", File: "f.go", Old: "x := 1", New: "x := 2"}
	if _, err := m.Apply([]byte("y := 1")); err == nil || !strings.Contains(err.Error(), "mutant m") {
		t.Errorf("missing text: got %v", err)
	}
	if _, err := m.Apply([]byte("x := 1\nx := 1")); err == nil || !strings.Contains(err.Error(), "2 times") {
		t.Errorf("ambiguous text: got %v", err)
	}
	out, err := m.Apply([]byte("a\nx := 1\nb"))
	if err != nil || string(out) != "a\nx := 2\nb" {
		t.Errorf("got %q, %v", out, err)
	}
}

func TestClassifyTellsCorrectnessFromIncidentalFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		output string
		want   []Class
		by     string
	}{
		{"pass", "ok  \tgithub.com/detsim/detsim/builtin\t20s\n", nil, ""},
		{"check", "    suite_test.go:71: raft-partition seed 3: expected to pass, failed: linearizable: no linearization\n--- FAIL: TestFaultInjectionSuite/raft-partition (1s)\n", []Class{Correctness}, "raft-partition seed 3: linearizable"},
		{"probe only", `    suite_test.go:71: raft-crash: probe "leader-crashed" never fired in 8 seeds: the faults never bit` + "\n", []Class{Probe}, "raft-crash: probe leader-crashed"},
		{"precondition", "    raft-bug-x: expected to fail durability in some seed, but passed all 24\n", []Class{Precondition}, "raft-bug-x: durability never found"},
		{"unit and probe", "--- FAIL: TestElectsOneLeader (0.1s)\n" + `raft-crash: probe "p" never fired in 8 seeds` + "\n", []Class{UnitTest, Probe}, "TestElectsOneLeader"},
		{"build", "# github.com/detsim/detsim/nodes/raft\nnodes/raft/x.go:1: undefined: y\nFAIL\tgithub.com/detsim/detsim/nodes/raft [build failed]\n", []Class{Stillborn}, "the mutant does not build"},
		{"timeout", "panic: test timed out after 5m0s\n", []Class{Hang}, "a test command ran out of time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, by := Classify(tc.output, false)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("classes %v, want %v", got, tc.want)
			}
			if len(got) > 0 && by[got[0]] != tc.by {
				t.Errorf("by %q, want %q", by[got[0]], tc.by)
			}
		})
	}
}

func TestSummaryCountsIncidentalKillsApart(t *testing.T) {
	s := Summarize([]Outcome{
		{Mutant: Mutant{Name: "a"}, Class: Correctness},
		{Mutant: Mutant{Name: "b"}, Class: Probe},
		{Mutant: Mutant{Name: "c"}, Class: Survived},
		{Mutant: Mutant{Name: "d"}, Class: Stillborn},
	})
	if !strings.HasPrefix(s, "mutants: 3 tried, 2 killed (67%), 1 by a check (33%)\n") || !strings.Contains(s, "survivors: c\n") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestBaselineOutcomesAreNeitherKillsNorSurvivors(t *testing.T) {
	if Baseline.Killed() {
		t.Error("a failure the unmutated module shows too counts as a kill")
	}
	s := Summarize([]Outcome{
		{Mutant: Mutant{Name: "a"}, Class: Correctness},
		{Mutant: Mutant{Name: "b"}, Class: Baseline},
	})
	if !strings.HasPrefix(s, "mutants: 1 tried, 1 killed (100%)") || strings.Contains(s, "survivors") || !strings.Contains(s, "same seeds): b\n") {
		t.Errorf("summary:\n%s", s)
	}
}

// TestConfirmReplaysTheFailingSeedsOnTheUnmutatedModule: a kill stands if
// the unmutated module passes one of the failing seeds, and is Baseline if
// it fails them all. The module here is a stand-in whose simrun fails the
// scenario "flaky" and passes every other.
func TestConfirmReplaysTheFailingSeedsOnTheUnmutatedModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/standin\n\ngo 1.22\n",
		"cmd/simrun/main.go": `package main

import "os"

func main() {
	if len(os.Args) > 2 && os.Args[2] == "flaky" {
		os.Exit(1)
	}
}
`,
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	replay := func(name string) string {
		return name + " seed 9: expected to pass, failed: steady\n  replay: go run ./cmd/simrun run " + name + " -seed 9\n"
	}
	r := Runner{Root: root, Confirm: true}
	for _, tc := range []struct {
		output string
		want   Class
	}{
		{replay("flaky"), Baseline},
		{replay("flaky") + replay("real"), Correctness},
		{"panic: raft: truncating the log below the commit index", Correctness},
	} {
		o := Outcome{Mutant: Mutant{Name: "m"}, Class: Correctness}
		if _, err := r.confirm(context.Background(), &o, tc.output); err != nil {
			t.Fatal(err)
		}
		if o.Class != tc.want {
			t.Errorf("output %q: class %s (%s), want %s", tc.output, o.Class, o.By, tc.want)
		}
	}
}

// TestSampleOfMutantsIsKilled runs the real suite on a few mutants, one
// build and suite run each (about a minute apiece on 2 cores), so it runs
// only when DETSIM_MUTANTS is set: the mutscore command is the full
// measurement.
func TestSampleOfMutantsIsKilled(t *testing.T) {
	if os.Getenv("DETSIM_MUTANTS") == "" || testing.Short() {
		t.Skip("set DETSIM_MUTANTS=1 to build and test mutants")
	}
	sample := []string{"election-votes-twice", "commit-before-leader-term-check", "read-confirmed-by-earlier-round"}
	r := Runner{Root: moduleRoot, Timeout: 5 * time.Minute}
	for _, m := range Raft {
		if !slices.Contains(sample, m.Name) {
			continue
		}
		o, err := r.Run(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Class.Killed() || o.Class.Incidental() {
			t.Errorf("mutant %s: %s (%s), want killed by a check", m.Name, o.Class, o.By)
		}
	}
}
