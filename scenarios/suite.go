package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is something wrong with a scenario's results over a seed set.
type Problem struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed,omitempty"` // 0 when about the whole seed set
	Message  string `json:"message"`
}

func (p Problem) String() string {
	if p.Seed == 0 {
		return fmt.Sprintf("%s: %s", p.Scenario, p.Message)
	}
	return fmt.Sprintf("%s seed %d: %s\n  replay: go run ./cmd/simrun run %s -seed %d", p.Scenario, p.Seed, p.Message, p.Scenario, p.Seed)
}

// Tally judges a scenario's results over a seed set, one result at a time,
// so that a sweep of millions of seeds keeps only counts:
//
//   - a scenario expected to pass must pass every seed;
//   - a scenario expected to fail must fail in at least one seed, and only
//     ever for the check it names;
//   - every probe the scenario declares must fire in at least one seed.
//
// Tallies of disjoint seed sets merge (Merge), which is how sweep shards
// run on many machines combine.
type Tally struct {
	Scenario string `json:"scenario"`
	Expect   Expect `json:"expect"`
	// Probes are the probes the scenario declares.
	Probes  []Probe `json:"probes,omitempty"`
	Runs    int     `json:"runs"`
	Pass    int     `json:"pass"`
	Fail    int     `json:"fail"`
	Unknown int     `json:"unknown"`
	// FailedAsExpected counts failures of the expected check.
	FailedAsExpected int `json:"failed_as_expected"`
	// Fired counts, per probe, the seeds in which it fired.
	Fired map[Probe]int `json:"fired"`
	// Bad are the per-seed problems, at most MaxProblems of them;
	// BadCount counts them all.
	Bad      []Problem `json:"bad,omitempty"`
	BadCount int       `json:"bad_count"`
}

// MaxProblems bounds the per-seed problems a tally keeps.
const MaxProblems = 100

// NewTally starts an empty tally for s.
func NewTally(s Scenario) *Tally {
	return &Tally{Scenario: s.Name, Expect: s.Expect, Probes: slices.Clone(s.Probes), Fired: map[Probe]int{}}
}

func (t *Tally) bad(seed uint64, msg string) {
	t.BadCount++
	if len(t.Bad) < MaxProblems {
		t.Bad = append(t.Bad, Problem{t.Scenario, seed, msg})
	}
}

// Add counts one result.
func (t *Tally) Add(r *Result) {
	t.Runs++
	for p, ok := range r.Probes {
		if ok {
			t.Fired[p]++
		}
	}
	switch r.Verdict {
	case Pass:
		t.Pass++
	case Fail:
		t.Fail++
	case Unknown:
		t.Unknown++
	}
	switch {
	case r.Verdict == Unknown:
		t.bad(r.Seed, "verdict unknown: "+reasons(r))
	case t.Expect.Verdict == Pass && r.Verdict != Pass:
		t.bad(r.Seed, "expected to pass, failed: "+reasons(r))
	case t.Expect.Verdict == Fail && r.Verdict == Fail:
		for _, reason := range r.Reasons {
			if !t.Expect.matches(reason, r.Lin) {
				t.bad(r.Seed, fmt.Sprintf("expected to fail only %s, also failed %s", t.Expect.Check, reason))
			}
		}
		if r.Expected {
			t.FailedAsExpected++
		}
	}
}

// Merge adds another tally of the same scenario over other seeds.
func (t *Tally) Merge(o *Tally) error {
	if o.Scenario != t.Scenario {
		return fmt.Errorf("cannot merge a tally of %q into one of %q", o.Scenario, t.Scenario)
	}
	t.Runs += o.Runs
	t.Pass += o.Pass
	t.Fail += o.Fail
	t.Unknown += o.Unknown
	t.FailedAsExpected += o.FailedAsExpected
	for p, n := range o.Fired {
		t.Fired[p] += n
	}
	t.BadCount += o.BadCount
	for _, p := range o.Bad {
		if len(t.Bad) < MaxProblems {
			t.Bad = append(t.Bad, p)
		}
	}
	slices.SortStableFunc(t.Bad, func(a, b Problem) int { return cmp.Compare(a.Seed, b.Seed) })
	return nil
}

// Problems are the tally's verdict: the per-seed problems, then those of
// the seed set as a whole. None means the scenario behaved as declared.
func (t *Tally) Problems() []Problem {
	out := slices.Clone(t.Bad)
	if t.Expect.Verdict == Fail && t.FailedAsExpected == 0 {
		out = append(out, Problem{Scenario: t.Scenario, Message: fmt.Sprintf("expected to fail %s in some seed, but passed all %d", t.Expect.Check, t.Runs)})
	}
	for _, p := range t.Probes {
		if t.Fired[p] == 0 {
			out = append(out, Problem{Scenario: t.Scenario, Message: fmt.Sprintf("probe %q never fired in %d seeds: the faults never bit", p, t.Runs)})
		}
	}
	return out
}

// Evaluate judges a scenario's results over a seed set, as the CI suite
// does; see Tally.
func Evaluate(s Scenario, results []*Result) []Problem {
	t := NewTally(s)
	for _, r := range results {
		t.Add(r)
	}
	return t.Problems()
}

func reasons(r *Result) string {
	var parts []string
	for _, reason := range r.Reasons {
		parts = append(parts, reason.String())
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(slices.Compact(parts), "; ")
}
