package scenarios

import (
	"slices"

	"github.com/detsim/detsim/system"
)

// Probe names something that must happen in at least some seeds of a
// scenario ("sometimes" assertions, after Antithesis and FoundationDB's
// buggify coverage). A probe that never fires over a seed set means the
// scenario's faults never bit: the run passed without testing anything.
//
// A probe fires in a run when the counter of its name is positive: the
// harness's own counters below, or one the system declares
// (system.Counter), so a new system adds probes without a schema change.
type Probe string

// The harness's own probes, for every system.
const (
	// ProbeOpTimeout: an operation's outcome stayed unknown.
	ProbeOpTimeout Probe = "op-timeout"
	// ProbeLeaderCutOff: a partition cut the leader off from a majority.
	ProbeLeaderCutOff Probe = "leader-cut-off"
	// ProbeCrash: a server crashed.
	ProbeCrash Probe = "crash"
	// ProbeFailed: the run failed a check (for scenarios that are expected
	// to find a bug in some seeds, not all).
	ProbeFailed Probe = "failed"
)

// harnessProbes are the probes every scenario may name.
var harnessProbes = []Probe{ProbeOpTimeout, ProbeLeaderCutOff, ProbeCrash, ProbeFailed}

// probeNames lists the probes a scenario of sys may name.
func probeNames(sys *system.System) []Probe {
	out := slices.Clone(harnessProbes)
	for _, c := range sys.Counters() {
		out = append(out, Probe(c.Name))
	}
	return out
}

// evalProbes sets r.Probes: every probe the scenario's system offers, and
// whether it fired.
func (r *Result) evalProbes(sys *system.System) {
	r.Probes = map[Probe]bool{}
	for _, p := range probeNames(sys) {
		switch p {
		case ProbeFailed:
			r.Probes[p] = r.Verdict == Fail
		default:
			r.Probes[p] = r.Counters[string(p)] > 0
		}
	}
}
