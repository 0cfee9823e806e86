package builtin_test

import (
	. "github.com/detsim/detsim/scenarios"
	"os"
	"strings"
	"testing"
)

// TestTheREADMEScenarioRuns keeps the README's example scenario true: it
// must decode, pass its checks, and fire its probes.
func TestTheREADMEScenarioRuns(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```json\n")
	if !ok {
		t.Fatal("the README has no JSON scenario")
	}
	block, _, _ := strings.Cut(rest, "```")
	s, err := Decode(strings.NewReader(block))
	if err != nil {
		t.Fatalf("the README's scenario does not decode: %v", err)
	}
	var results []*Result
	for seed := uint64(1); seed <= 3; seed++ {
		results = append(results, runOrFatal(t, s, seed))
	}
	for _, p := range Evaluate(s, results) {
		t.Error(p)
	}
}
