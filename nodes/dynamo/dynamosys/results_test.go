package dynamosys_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

var updateResults = flag.Bool("update-results", false, "rewrite testdata/results.jsonl from this build")

// resultSeeds are the seeds of every built-in scenario whose whole
// results testdata/results.jsonl holds.
const resultSeeds = 5

const resultsFile = "testdata/results.jsonl"

// TestResultsAreThePinnedOnes runs every built-in dynamo scenario on
// resultSeeds seeds and compares each whole result (verdict, problems,
// counters, set-full and staleness figures, convergence times, messages,
// operations, latency and the trace hash; not the wall time) with the one
// pinned in testdata/results.jsonl, so that a change made for speed is
// shown to change nothing a run reports.
func TestResultsAreThePinnedOnes(t *testing.T) {
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, name := range scenarios.Names() {
		s := lookup(t, name)
		if s.System.Kind != "dynamo" {
			continue
		}
		for seed := uint64(1); seed <= resultSeeds; seed++ {
			r := run(t, s, seed)
			r.Wall = 0
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(b))
		}
	}
	if *updateResults {
		if err := os.WriteFile(resultsFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readLines(t, resultsFile)
	if len(want) != len(got) {
		t.Fatalf("%d results, %s pins %d (rewrite it with -update-results if scenarios were added)", len(got), resultsFile, len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("result %d differs from the pinned one:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with -update-results)", err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", path, err))
	}
	return lines
}
