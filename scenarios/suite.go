package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is something wrong with a scenario's results over a seed set.
type Problem struct {
	Scenario string
	Seed     uint64 // 0 when the problem is about the whole seed set
	Message  string
}

func (p Problem) String() string {
	if p.Seed == 0 {
		return fmt.Sprintf("%s: %s", p.Scenario, p.Message)
	}
	return fmt.Sprintf("%s seed %d: %s\n  replay: go run ./cmd/simrun run %s -seed %d", p.Scenario, p.Seed, p.Message, p.Scenario, p.Seed)
}

// Evaluate judges a scenario's results over a seed set, as the CI suite
// does:
//
//   - a scenario expected to pass must pass every seed;
//   - a scenario expected to fail must fail in at least one seed, and only
//     ever for the check it names;
//   - every probe the scenario declares must fire in at least one seed.
func Evaluate(s Scenario, results []*Result) []Problem {
	var out []Problem
	failedAsExpected := false
	fired := map[Probe]bool{}
	for _, r := range results {
		for p, ok := range r.Probes {
			if ok {
				fired[p] = true
			}
		}
		switch {
		case r.Verdict == Unknown:
			out = append(out, Problem{s.Name, r.Seed, "verdict unknown: " + reasons(r)})
		case s.Expect.Verdict == Pass && r.Verdict != Pass:
			out = append(out, Problem{s.Name, r.Seed, "expected to pass, failed: " + reasons(r)})
		case s.Expect.Verdict == Fail && r.Verdict == Fail:
			for _, reason := range r.Reasons {
				if reason.Check != s.Expect.Check {
					out = append(out, Problem{s.Name, r.Seed, fmt.Sprintf("expected to fail only %s, also failed %s", s.Expect.Check, reason)})
				}
			}
			failedAsExpected = failedAsExpected || r.Expected
		}
	}
	if s.Expect.Verdict == Fail && !failedAsExpected {
		out = append(out, Problem{Scenario: s.Name, Message: fmt.Sprintf("expected to fail %s in some seed, but passed all %d", s.Expect.Check, len(results))})
	}
	for _, p := range s.Probes {
		if !fired[p] {
			out = append(out, Problem{Scenario: s.Name, Message: fmt.Sprintf("probe %q never fired in %d seeds: the faults never bit", p, len(results))})
		}
	}
	return out
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
