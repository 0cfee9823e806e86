package net

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/detsim/detsim/internal/detmath"
)

// Latency is a model of one-way message delay. Sample must draw only from r
// and must be deterministic given r's state.
type Latency interface {
	Sample(r *rand.Rand) time.Duration
	// Validate reports a bad parameter, naming it.
	Validate() error
	String() string
}

// Constant is a fixed delay.
type Constant struct{ D time.Duration }

func (c Constant) Sample(*rand.Rand) time.Duration { return c.D }
func (c Constant) String() string                  { return fmt.Sprintf("constant(%v)", c.D) }
func (c Constant) Validate() error {
	if c.D < 0 {
		return fmt.Errorf("Constant.D is negative (%v)", c.D)
	}
	return nil
}

// Uniform is a delay drawn uniformly from [Min, Max].
type Uniform struct{ Min, Max time.Duration }

func (u Uniform) Sample(r *rand.Rand) time.Duration {
	if u.Max <= u.Min {
		return u.Min
	}
	return u.Min + time.Duration(r.Int64N(int64(u.Max-u.Min)+1))
}
func (u Uniform) String() string { return fmt.Sprintf("uniform(%v..%v)", u.Min, u.Max) }
func (u Uniform) Validate() error {
	switch {
	case u.Min < 0:
		return fmt.Errorf("Uniform.Min is negative (%v)", u.Min)
	case u.Max < u.Min:
		return fmt.Errorf("Uniform.Max (%v) is less than Uniform.Min (%v)", u.Max, u.Min)
	}
	return nil
}

// Exponential is Min plus an exponentially distributed delay whose mean is
// Mean, so the model's mean is Min + Mean. It is the memoryless queueing
// delay of a busy link.
type Exponential struct{ Min, Mean time.Duration }

func (e Exponential) Sample(r *rand.Rand) time.Duration {
	return e.Min + toDuration(-detmath.Log(unitOpen(r))*float64(e.Mean))
}
func (e Exponential) String() string {
	return fmt.Sprintf("exponential(min %v, mean %v)", e.Min, e.Mean)
}
func (e Exponential) Validate() error {
	switch {
	case e.Min < 0:
		return fmt.Errorf("Exponential.Min is negative (%v)", e.Min)
	case e.Mean < 0:
		return fmt.Errorf("Exponential.Mean is negative (%v)", e.Mean)
	}
	return nil
}

// LogNormal is a delay whose logarithm is normal: Median is its median and
// Sigma the standard deviation of its logarithm. It models the long right
// tail of real RPC latencies.
type LogNormal struct {
	Median time.Duration
	Sigma  float64
}

func (l LogNormal) Sample(r *rand.Rand) time.Duration {
	return toDuration(float64(l.Median) * detmath.Exp(l.Sigma*normal(r)))
}
func (l LogNormal) String() string {
	return fmt.Sprintf("lognormal(median %v, sigma %v)", l.Median, l.Sigma)
}
func (l LogNormal) Validate() error {
	switch {
	case l.Median < 0:
		return fmt.Errorf("LogNormal.Median is negative (%v)", l.Median)
	case !(l.Sigma >= 0) || math.IsInf(l.Sigma, 0):
		return fmt.Errorf("LogNormal.Sigma must be a finite number >= 0 (is %v)", l.Sigma)
	}
	return nil
}

// Pareto is a heavy-tailed delay: at least Min, with P(delay > x) =
// (Min/x)^Alpha. Alpha <= 1 has no finite mean; at most a few stragglers
// then take very long.
type Pareto struct {
	Min   time.Duration
	Alpha float64
}

func (p Pareto) Sample(r *rand.Rand) time.Duration {
	return toDuration(float64(p.Min) * detmath.Exp(-detmath.Log(unitOpen(r))/p.Alpha))
}
func (p Pareto) String() string { return fmt.Sprintf("pareto(min %v, alpha %v)", p.Min, p.Alpha) }
func (p Pareto) Validate() error {
	switch {
	case p.Min < 0:
		return fmt.Errorf("Pareto.Min is negative (%v)", p.Min)
	case !(p.Alpha > 0) || math.IsInf(p.Alpha, 0):
		return fmt.Errorf("Pareto.Alpha must be a finite number > 0 (is %v)", p.Alpha)
	}
	return nil
}

// Weighted is one part of a Mixture.
type Weighted struct {
	Weight  float64
	Latency Latency
}

// Mixture draws a part with probability proportional to its weight, then a
// delay from that part: "mostly 1-5 ms, 1% of the time 200-800 ms".
type Mixture struct{ Parts []Weighted }

func (m Mixture) Sample(r *rand.Rand) time.Duration {
	var total float64
	for _, p := range m.Parts {
		total += p.Weight
	}
	x := r.Float64() * total
	for _, p := range m.Parts {
		if x < p.Weight {
			return p.Latency.Sample(r)
		}
		x -= p.Weight
	}
	return m.Parts[len(m.Parts)-1].Latency.Sample(r)
}

func (m Mixture) String() string {
	parts := make([]string, len(m.Parts))
	for i, p := range m.Parts {
		parts[i] = fmt.Sprintf("%v*%v", p.Weight, p.Latency)
	}
	return "mixture(" + strings.Join(parts, ", ") + ")"
}

func (m Mixture) Validate() error {
	if len(m.Parts) == 0 {
		return errors.New("Mixture.Parts is empty")
	}
	var total float64
	for i, p := range m.Parts {
		if !(p.Weight >= 0) || math.IsInf(p.Weight, 0) {
			return fmt.Errorf("Mixture.Parts[%d].Weight must be a finite number >= 0 (is %v)", i, p.Weight)
		}
		if p.Latency == nil {
			return fmt.Errorf("Mixture.Parts[%d].Latency is nil", i)
		}
		if err := p.Latency.Validate(); err != nil {
			return fmt.Errorf("Mixture.Parts[%d]: %w", i, err)
		}
		total += p.Weight
	}
	if total <= 0 {
		return errors.New("Mixture.Parts weights sum to zero")
	}
	return nil
}

// unitOpen draws from (0, 1], so its logarithm is finite.
func unitOpen(r *rand.Rand) float64 { return 1 - r.Float64() }

// normal draws a standard normal variate by Marsaglia's polar method, which
// needs only a logarithm and a square root (both deterministic here).
func normal(r *rand.Rand) float64 {
	for {
		u := float64(2*r.Float64()) - 1
		v := float64(2*r.Float64()) - 1
		s := float64(u*u) + float64(v*v)
		if s > 0 && s < 1 {
			return u * math.Sqrt(-2*detmath.Log(s)/s)
		}
	}
}

func toDuration(ns float64) time.Duration {
	if ns >= math.MaxInt64 || math.IsNaN(ns) {
		return math.MaxInt64 / 4
	}
	if ns <= 0 {
		return 0
	}
	return time.Duration(math.Round(ns))
}
