package scenarios

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Size measures a spec for shrinking: fewer faults, struck earlier, fewer
// clients and keys, shorter phases and fewer operations make a smaller
// spec. LastFault is when the last scheduled fault strikes; Ops is how
// many operations the run invoked.
type Size struct {
	Faults     int      `json:"faults"`
	LastFault  Duration `json:"last_fault"`
	Clients    int      `json:"clients"`
	Keys       int      `json:"keys"`
	FaultPhase Duration `json:"fault_phase"`
	HealPhase  Duration `json:"heal_phase"`
	Ops        int      `json:"ops"`
}

func (z Size) String() string {
	return fmt.Sprintf("%d faults (the last at %v), %d clients, %d keys, %v + %v, %d ops", z.Faults, z.LastFault, z.Clients, z.Keys, z.FaultPhase, z.HealPhase, z.Ops)
}

func sizeOf(s Scenario, r *Result) Size {
	z := Size{Faults: len(s.Nemesis.Schedule), LastFault: lastFault(s), Clients: s.Clients, Keys: s.workloadKeys(), FaultPhase: s.FaultPhase, HealPhase: s.HealPhase}
	if r != nil {
		z.Ops = r.Ops.Invoked
	}
	return z
}

// ShrinkOptions bound a shrink.
type ShrinkOptions struct {
	// MaxRuns bounds the runs tried; zero means 2000.
	MaxRuns int
	// Progress, if set, hears about each smaller spec found.
	Progress func(Size)
	_        struct{}
}

// ShrinkResult is a shrink's outcome.
type ShrinkResult struct {
	Spec   Spec
	Check  string // the check the spec fails, before and after
	Before Size
	After  Size
	Runs   int
}

// Shrink makes a failing spec smaller while it still fails the same check
// with the same seed: it drops faults (delta debugging: halves, then
// quarters, down to single faults), moves the faults that remain earlier
// (closing the quiet time before each), drops clients and keys, cuts the
// workload short of where the failure showed (its stop_at and ops_max,
// where the system's workload has them), trims the phases, and repeats
// until nothing more can go. The seed stays; a smaller spec is a different
// run of it, so each step is confirmed by running it.
func Shrink(spec Spec, opts ShrinkOptions) (ShrinkResult, error) {
	maxRuns := opts.MaxRuns
	if maxRuns == 0 {
		maxRuns = 2000
	}
	s := Materialize(spec.Scenario, spec.Seed)
	first, err := Run(s, spec.Seed, Options{CheckWorkers: 1})
	if err != nil {
		return ShrinkResult{}, err
	}
	if first.Verdict != Fail {
		return ShrinkResult{}, fmt.Errorf("the spec does not fail (verdict %s); there is nothing to shrink", first.Verdict)
	}
	check := first.Reasons[0].Check
	res := ShrinkResult{Check: check, Before: sizeOf(s, first), Runs: 1}
	best := first
	// try runs a candidate and keeps it if it still fails the check.
	try := func(c Scenario) bool {
		if res.Runs >= maxRuns || c.Validate() != nil {
			return false
		}
		res.Runs++
		r, err := Run(c, spec.Seed, Options{CheckWorkers: 1})
		if err != nil || r.Verdict != Fail || !slices.ContainsFunc(r.Reasons, func(x Reason) bool { return x.Check == check }) {
			return false
		}
		s, best = c, r
		if opts.Progress != nil {
			opts.Progress(sizeOf(s, r))
		}
		return true
	}
	for changed := true; changed && res.Runs < maxRuns; {
		changed = false
		// Faults: remove chunks, from halves down to single faults.
		for chunk := max(1, len(s.Nemesis.Schedule)/2); chunk >= 1; chunk /= 2 {
			for i := 0; i+chunk <= len(s.Nemesis.Schedule); {
				c := s.Clone()
				c.Nemesis.Schedule = slices.Delete(c.Nemesis.Schedule, i, i+chunk)
				if try(c) {
					changed = true
					continue // the next chunk slid into place i
				}
				i += chunk
			}
		}
		// A script's steps, one at a time, the last first: a step that
		// binds a name a later one uses cannot go while that one stays.
		for i := len(s.Nemesis.Script) - 1; i >= 0 && res.Runs < maxRuns; i-- {
			c := s.Clone()
			c.Nemesis.Script = slices.Delete(c.Nemesis.Script, i, i+1)
			if try(c) {
				changed = true
			}
		}
		// Earlier faults: close the gap before each fault, moving it and
		// every later one together so that a fault and its undo keep
		// their distance; a gap that cannot close whole is halved.
		for i := 0; i < len(s.Nemesis.Schedule) && res.Runs < maxRuns; i++ {
			for _, part := range []Duration{1, 2, 4} {
				prev := Duration(0)
				if i > 0 {
					prev = s.Nemesis.Schedule[i-1].At
				}
				gap := (s.Nemesis.Schedule[i].At - prev) / part
				if gap < Duration(time.Millisecond) {
					break
				}
				c := s.Clone()
				for j := i; j < len(c.Nemesis.Schedule); j++ {
					c.Nemesis.Schedule[j].At -= gap
				}
				if try(c) {
					changed = true
					break
				}
			}
		}
		for s.Clients > 1 {
			c := s.Clone()
			c.Clients--
			if !try(c) {
				break
			}
			changed = true
		}
		for s.workloadKeys() > 1 {
			c := s.Clone()
			if !c.setWorkloadKeys(s.workloadKeys()-1) || !try(c) {
				break
			}
			changed = true
		}
		// The workload: stop it soon after the failure showed, then
		// halve what each client does.
		if best.FailureAt > 0 && s.hasWorkloadField("stop_at") {
			stop := int64(best.FailureAt + Duration(100*time.Millisecond))
			if cur := s.workloadInt("stop_at"); cur == 0 || stop < cur {
				c := s.Clone()
				if c.setWorkloadField("stop_at", stop) && try(c) {
					changed = true
				}
			}
		}
		if s.hasWorkloadField("ops_max") && s.Clients > 0 {
			for res.Runs < maxRuns {
				each := int64(best.Ops.Invoked / s.Clients)
				if cur := s.workloadInt("ops_max"); cur > 0 {
					each = min(each, cur)
				}
				if each <= 1 {
					break
				}
				c := s.Clone()
				if !c.setWorkloadField("ops_max", each/2) || !try(c) {
					break
				}
				changed = true
			}
		}
		// The fault phase need only outlast the last fault: try just
		// past it, then halfway there.
		for _, end := range []Duration{lastFault(s) + Duration(500*time.Millisecond), (lastFault(s) + s.FaultPhase) / 2} {
			if end < s.FaultPhase && end > 0 {
				c := s.Clone()
				c.FaultPhase = end
				if try(c) {
					changed = true
					break
				}
			}
		}
		for s.HealPhase > Duration(time.Second) {
			c := s.Clone()
			c.HealPhase = max(Duration(time.Second), s.HealPhase/2)
			if !try(c) {
				break
			}
			changed = true
		}
	}
	res.Spec = NewSpec(s, spec.Seed, best)
	res.After = sizeOf(s, best)
	return res, nil
}

func lastFault(s Scenario) Duration {
	var last Duration
	for _, f := range s.Nemesis.Schedule {
		last = max(last, f.At)
	}
	return last
}

// workloadKeys is the workload's "keys" field, as the system decodes it
// (its default when the scenario omits it); 0 when the workload has none.
func (s Scenario) workloadKeys() int {
	cfg, err := s.validate()
	if err != nil || cfg.Workload() == nil {
		return 0
	}
	b, err := json.Marshal(cfg.Workload())
	if err != nil {
		return 0
	}
	var wl struct {
		Keys int `json:"keys"`
	}
	if json.Unmarshal(b, &wl) != nil {
		return 0
	}
	return wl.Keys
}

// setWorkloadKeys sets the workload's "keys" field.
func (s *Scenario) setWorkloadKeys(n int) bool { return s.setWorkloadField("keys", int64(n)) }

// decodedWorkload is the workload's top-level fields as the system
// decodes it, defaults included; nil when it has none.
func (s Scenario) decodedWorkload() map[string]json.RawMessage {
	cfg, err := s.validate()
	if err != nil || cfg.Workload() == nil {
		return nil
	}
	b, err := json.Marshal(cfg.Workload())
	if err != nil {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil {
		return nil
	}
	return fields
}

// hasWorkloadField reports whether the system's workload has a top-level
// integer field name: the shrinker edits only fields it finds.
func (s Scenario) hasWorkloadField(name string) bool {
	var n int64
	raw, ok := s.decodedWorkload()[name]
	return ok && json.Unmarshal(raw, &n) == nil
}

// workloadInt is the workload's integer field name, as decoded; 0 when it
// has none.
func (s Scenario) workloadInt(name string) int64 {
	var n int64
	if raw, ok := s.decodedWorkload()[name]; ok {
		json.Unmarshal(raw, &n)
	}
	return n
}

// setWorkloadField sets a top-level integer field of the workload, keeping
// the others as the scenario wrote them.
func (s *Scenario) setWorkloadField(name string, n int64) bool {
	fields := map[string]json.RawMessage{}
	if len(s.Workload) > 0 && json.Unmarshal(s.Workload, &fields) != nil {
		return false
	}
	fields[name] = json.RawMessage(fmt.Sprint(n))
	b, err := json.Marshal(fields)
	if err != nil {
		return false
	}
	s.Workload = b
	return true
}
