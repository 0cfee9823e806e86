package scenarios

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Generator draws a fault schedule from the seed. With Swarm set, the seed
// also chooses which of Kinds are enabled and how intense the run is, so
// that every seed explores a different mix of faults (swarm testing, as in
// TigerBeetle's VOPR): a run with only crashes finds bugs that a run with
// everything at once drowns out.
type Generator struct {
	// Kinds are the faults to draw from; empty means every harness kind
	// the generator draws, and every kind of the system's own that it
	// marks as generated.
	Kinds []FaultKind `json:"kinds,omitempty"`
	// Interval is the mean time between faults at intensity 1.
	Interval Duration `json:"interval"`
	// Intensity in (0, 1] scales how often faults strike and how long they
	// last; with Swarm, the seed draws it from [Intensity/4, Intensity].
	Intensity float64 `json:"intensity"`
	Swarm     bool    `json:"swarm,omitempty"`
	// ClockStepMax bounds clock steps and strobes; DriftMax bounds drifts.
	ClockStepMax Duration `json:"clock_step_max,omitempty"`
	DriftMax     float64  `json:"drift_max,omitempty"`
}

func (g *Generator) validate(sys *system.System) error {
	for i, k := range g.Kinds {
		if !slices.Contains(faultKinds(sys), k) {
			return fmt.Errorf("kinds[%d]: %q is not a fault of the %s system", i, k, sys.Name())
		}
		if slices.Contains(AimedFaultKinds, k) {
			return fmt.Errorf("kinds[%d]: the generator does not draw %s, a fault aimed by hand; schedule it", i, k)
		}
		if f, ok := sys.Fault(string(k)); ok && !f.Generated {
			return fmt.Errorf("kinds[%d]: the generator does not draw %s; schedule it", i, k)
		}
	}
	switch {
	case g.Interval <= 0:
		return fmt.Errorf("interval must be positive (is %v)", g.Interval)
	case !(g.Intensity > 0 && g.Intensity <= 1):
		return fmt.Errorf("intensity must be in (0, 1] (is %v)", g.Intensity)
	case g.ClockStepMax < 0:
		return fmt.Errorf("clock_step_max is negative (%v)", g.ClockStepMax)
	case !(g.DriftMax >= 0 && g.DriftMax < 0.5):
		return fmt.Errorf("drift_max must be in [0, 0.5) (is %v)", g.DriftMax)
	}
	return nil
}

var generatedKinds = []FaultKind{
	FaultPartition, FaultCrash, FaultKillAll, FaultPause, FaultClockStep, FaultClockDrift,
	FaultClockStrobe, FaultLink, FaultClog, FaultStorage,
}

// kinds are the kinds the generator may draw for sys, in a fixed order:
// the harness's, then the system's own.
func (g *Generator) kinds(sys *system.System) []FaultKind {
	kinds := slices.Clone(g.Kinds)
	if len(kinds) == 0 {
		kinds = slices.Clone(generatedKinds)
		for _, f := range sys.Faults() {
			if f.Generated {
				kinds = append(kinds, FaultKind(f.Name))
			}
		}
	}
	return slices.DeleteFunc(kinds, func(k FaultKind) bool {
		return k == FaultHeal || k == FaultRestart || k == FaultResume || k == FaultUnclog
	})
}

// Materialize draws the generator's schedule for one run of s, whose
// system must be registered. Every fault it draws is undone before the
// fault phase ends or by the heal, and faults that need an undo (crash,
// pause, clog, partition) come with it.
func (g *Generator) Materialize(r *rand.Rand, s *Scenario) []Fault {
	sys, err := system.Lookup(s.System.Kind)
	if err != nil {
		return nil // Validate reports it
	}
	kinds := g.kinds(sys)
	intensity := g.Intensity
	if g.Swarm {
		var on []FaultKind
		for _, k := range kinds {
			if r.IntN(2) == 0 {
				on = append(on, k)
			}
		}
		if len(on) == 0 && len(kinds) > 0 {
			on = []FaultKind{kinds[r.IntN(len(kinds))]}
		}
		kinds = on
		intensity = g.Intensity * (0.25 + float64(0.75*r.Float64()))
	}
	if len(kinds) == 0 {
		return nil
	}
	stepMax := g.ClockStepMax.D()
	if stepMax == 0 {
		stepMax = 500 * time.Millisecond
	}
	driftMax := g.DriftMax
	if driftMax == 0 {
		driftMax = 0.05
	}
	end := s.FaultPhase.D()
	mean := time.Duration(float64(g.Interval.D()) / intensity)
	hold := func() Duration { // how long a fault lasts
		return Duration(time.Duration(float64(mean) * (0.2 + float64(1.6*r.Float64()))))
	}
	targets := []string{"leader", "follower", "random"}
	var out []Fault
	add := func(f Fault) {
		if f.At < Duration(end) {
			out = append(out, f)
		}
	}
	for t := Duration(time.Duration(float64(mean) * r.Float64())); t < Duration(end); t += Duration(time.Duration(float64(mean) * (0.5 + r.Float64()))) {
		k := kinds[r.IntN(len(kinds))]
		target := targets[r.IntN(len(targets))]
		f := Fault{At: t, Kind: k, Target: target}
		switch k {
		case FaultPartition:
			f.Topology = AllTopologies[r.IntN(len(AllTopologies))]
			add(f)
			add(Fault{At: t + hold(), Kind: FaultHeal})
		case FaultCrash:
			add(f)
			add(Fault{At: t + hold(), Kind: FaultRestart, Target: "all"})
		case FaultKillAll:
			f.Target = ""
			f.For = hold() / 4
			add(f)
		case FaultPause:
			add(f)
			add(Fault{At: t + hold(), Kind: FaultResume, Target: "all"})
		case FaultClockStep:
			f.Step = Duration(time.Duration(r.Int64N(int64(2*stepMax))) - stepMax)
			add(f)
		case FaultClockDrift:
			f.Drift = (float64(2*r.Float64()) - 1) * driftMax
			add(f)
		case FaultClockStrobe:
			f.Step = Duration(1 + r.Int64N(int64(stepMax)))
			f.Period = Duration(time.Duration(5+r.IntN(50)) * time.Millisecond)
			f.For = hold()
			add(f)
		case FaultLink:
			f.Link = &Network{Latency: uniform(Duration(time.Millisecond), Duration(time.Duration(5+r.IntN(200))*time.Millisecond)), LossRatio: 0.5 * r.Float64()}
			add(f)
			add(Fault{At: t + hold(), Kind: FaultHeal})
		case FaultClog:
			add(f)
			add(Fault{At: t + hold(), Kind: FaultUnclog})
		case FaultStorage:
			// Torn writes and crashes at syncs: a correct protocol
			// survives both, since neither loses a write the node
			// synced. Lying syncs and corruption break any protocol that
			// trusts fsync; schedule them explicitly to test detection.
			// A crash at a sync needs a restart, which follows.
			f.Storage = &sim.StorageFaults{TornWriteRatio: r.Float64(), CrashAtSyncRatio: float64(0.02 * r.Float64())}
			add(f)
			add(Fault{At: t + hold(), Kind: FaultRestart, Target: "all"})
		default: // one of the system's own: it picks the target it needs
			f.Target = "follower"
			add(f)
		}
	}
	slices.SortStableFunc(out, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	return out
}
