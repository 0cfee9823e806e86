package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is something wrong with a scenario's results over a seed set.
type Problem struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed,omitempty"` // 0 when about the whole seed set
	Message  string `json:"message"`
	// Class says what kind of wrong it is, so that a run whose faults
	// never bit is not mistaken for a bug found, nor the other way round.
	Class ProblemClass `json:"class"`
}

// ProblemClass is the kind of a Problem.
type ProblemClass string

const (
	// ProblemCorrectness: a seed failed a check it was declared to pass,
	// or failed a check other than the one it was declared to fail.
	ProblemCorrectness ProblemClass = "correctness"
	// ProblemUnknown: a seed's verdict could not be reached (a check ran
	// out of time or memory).
	ProblemUnknown ProblemClass = "unknown"
	// ProblemCoverage: a probe never fired over the seed set, so the
	// faults the scenario relies on never happened; no check failed.
	ProblemCoverage ProblemClass = "coverage"
	// ProblemPrecondition: a scenario that hunts a planted bug did not
	// find it in any seed; no check failed.
	ProblemPrecondition ProblemClass = "precondition"
)

// Incidental reports whether the class is about the seed set rather than
// a check that failed: coverage and precondition.
func (c ProblemClass) Incidental() bool {
	return c == ProblemCoverage || c == ProblemPrecondition
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
	// Counters sum up each counter over the seeds: its total, its largest
	// value in one seed, and the seeds in which it was positive.
	Counters map[string]CounterTally `json:"counters,omitempty"`
	// Staleness sums up the stale reads of the seeds that measured them.
	Staleness *StalenessTally `json:"staleness,omitempty"`
	// Convergence sums up the times to converge after the heal of the
	// seeds that measured them.
	Convergence *ConvergenceTally `json:"convergence,omitempty"`
	// Bad are the per-seed problems, those of the lowest seeds, at most
	// MaxProblems of them, in seed order; BadCount counts them all.
	Bad      []Problem `json:"bad,omitempty"`
	BadCount int       `json:"bad_count"`
}

// MaxProblems bounds the per-seed problems a tally keeps.
const MaxProblems = 100

// NewTally starts an empty tally for s.
func NewTally(s Scenario) *Tally {
	return &Tally{Scenario: s.Name, Expect: s.Expect, Probes: slices.Clone(s.Probes), Fired: map[Probe]int{}, Counters: map[string]CounterTally{}}
}

// CounterTally is one counter over a seed set.
type CounterTally struct {
	Sum   int `json:"sum"`
	Max   int `json:"max"`
	Seeds int `json:"seeds"` // seeds in which it was positive
}

func (c CounterTally) merge(o CounterTally) CounterTally {
	return CounterTally{Sum: c.Sum + o.Sum, Max: max(c.Max, o.Max), Seeds: c.Seeds + o.Seeds}
}

// StalenessTally is the staleness of a seed set.
type StalenessTally struct {
	Seeds             int      `json:"seeds"`
	Reads             int      `json:"reads"`
	ReadsStale        int      `json:"reads_stale"`
	VersionsBehindMax int      `json:"versions_behind_max"`
	StaleForMax       Duration `json:"stale_for_max"`
	// StaleForP99Max is the largest per-seed p99 of stale-for times.
	StaleForP99Max Duration `json:"stale_for_p99_max"`
}

func (s *StalenessTally) add(o StalenessTally) {
	s.Seeds += o.Seeds
	s.Reads += o.Reads
	s.ReadsStale += o.ReadsStale
	s.VersionsBehindMax = max(s.VersionsBehindMax, o.VersionsBehindMax)
	s.StaleForMax = max(s.StaleForMax, o.StaleForMax)
	s.StaleForP99Max = max(s.StaleForP99Max, o.StaleForP99Max)
}

func (s StalenessTally) String() string {
	ratio := 0.0
	if s.Reads > 0 {
		ratio = float64(s.ReadsStale) / float64(s.Reads)
	}
	return fmt.Sprintf("%d reads over %d seeds, %d stale (%.2f%%); versions behind max %d; stale for max %v, worst p99 %v",
		s.Reads, s.Seeds, s.ReadsStale, 100*ratio, s.VersionsBehindMax, s.StaleForMax, s.StaleForP99Max)
}

func (t *Tally) bad(seed uint64, class ProblemClass, msg string) {
	t.BadCount++
	t.keep(Problem{Scenario: t.Scenario, Seed: seed, Message: msg, Class: class})
}

// keep adds p to Bad, which holds the problems of the lowest seeds, in seed
// order, whatever order the results arrive in: a sweep's report is then
// the same at any parallelism.
func (t *Tally) keep(p Problem) {
	i, _ := slices.BinarySearchFunc(t.Bad, p.Seed, func(q Problem, seed uint64) int {
		if q.Seed <= seed {
			return -1 // after the problems of the same seed: they came first
		}
		return 1
	})
	if i < MaxProblems {
		t.Bad = slices.Insert(t.Bad, i, p)
		t.Bad = t.Bad[:min(len(t.Bad), MaxProblems)]
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
	if t.Counters == nil {
		t.Counters = map[string]CounterTally{}
	}
	for name, n := range r.Counters { //detsim:maporder each key's sum and max, whatever the order
		c := CounterTally{Sum: n, Max: n}
		if n > 0 {
			c.Seeds = 1
		}
		t.Counters[name] = t.Counters[name].merge(c)
	}
	if st := r.Staleness; st != nil {
		if t.Staleness == nil {
			t.Staleness = &StalenessTally{}
		}
		t.Staleness.add(StalenessTally{Seeds: 1, Reads: st.Reads, ReadsStale: st.ReadsStale, VersionsBehindMax: st.VersionsBehindMax, StaleForMax: st.StaleForMax, StaleForP99Max: st.StaleForP99})
	}
	if ct := r.Convergence; ct != nil {
		if t.Convergence == nil {
			t.Convergence = &ConvergenceTally{}
		}
		t.Convergence.add(*ct)
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
		t.bad(r.Seed, ProblemUnknown, "verdict unknown: "+reasons(r))
	case t.Expect.Verdict == Pass && r.Verdict != Pass:
		t.bad(r.Seed, ProblemCorrectness, "expected to pass, failed: "+reasons(r))
	case t.Expect.Verdict == Fail && r.Verdict == Fail:
		for _, reason := range r.Reasons {
			if !t.Expect.matches(reason, r.Lin) {
				t.bad(r.Seed, ProblemCorrectness, fmt.Sprintf("expected to fail only %s, also failed %s", t.Expect.Check, reason))
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
	if t.Counters == nil {
		t.Counters = map[string]CounterTally{}
	}
	for name, c := range o.Counters { //detsim:maporder each key's sum and max, whatever the order
		t.Counters[name] = t.Counters[name].merge(c)
	}
	if o.Staleness != nil {
		if t.Staleness == nil {
			t.Staleness = &StalenessTally{}
		}
		t.Staleness.add(*o.Staleness)
	}
	if o.Convergence != nil {
		if t.Convergence == nil {
			t.Convergence = &ConvergenceTally{}
		}
		t.Convergence.merge(*o.Convergence)
	}
	t.BadCount += o.BadCount
	for _, p := range o.Bad {
		t.keep(p)
	}
	return nil
}

// Problems are the tally's verdict: the per-seed problems, then those of
// the seed set as a whole. None means the scenario behaved as declared.
func (t *Tally) Problems() []Problem {
	out := slices.Clone(t.Bad)
	if t.Expect.Verdict == Fail && t.FailedAsExpected == 0 {
		out = append(out, Problem{Scenario: t.Scenario, Class: ProblemPrecondition, Message: fmt.Sprintf("expected to fail %s in some seed, but passed all %d", t.Expect.Check, t.Runs)})
	}
	for _, p := range t.Probes {
		if t.Fired[p] == 0 {
			out = append(out, Problem{Scenario: t.Scenario, Class: ProblemCoverage, Message: fmt.Sprintf("probe %q never fired in %d seeds: the faults never bit", p, t.Runs)})
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
