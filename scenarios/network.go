package scenarios

import (
	"errors"
	"fmt"

	simnet "github.com/detsim/detsim/net"
)

// Network is the scenario's default link, as data.
type Network struct {
	Latency   Latency `json:"latency"`
	LossRatio float64 `json:"loss_ratio,omitempty"`
	DupRatio  float64 `json:"dup_ratio,omitempty"`
	FIFO      bool    `json:"fifo,omitempty"`
}

// Latency is a latency model as data. Kind selects the model and which of
// the other fields it reads:
//
//	constant     d
//	uniform      min, max
//	exponential  min, mean
//	lognormal    median, sigma
//	pareto       min, alpha
//	mixture      parts (each a weight and a latency)
type Latency struct {
	Kind   string     `json:"kind"`
	D      Duration   `json:"d,omitempty"`
	Min    Duration   `json:"min,omitempty"`
	Max    Duration   `json:"max,omitempty"`
	Mean   Duration   `json:"mean,omitempty"`
	Median Duration   `json:"median,omitempty"`
	Sigma  float64    `json:"sigma,omitempty"`
	Alpha  float64    `json:"alpha,omitempty"`
	Parts  []Weighted `json:"parts,omitempty"`
}

// Weighted is one part of a mixture.
type Weighted struct {
	Weight  float64 `json:"weight"`
	Latency Latency `json:"latency"`
}

// Build turns the spec into a model, or names what is wrong with it.
func (l Latency) Build() (simnet.Latency, error) {
	var m simnet.Latency
	switch l.Kind {
	case "constant":
		m = simnet.Constant{D: l.D.D()}
	case "uniform":
		m = simnet.Uniform{Min: l.Min.D(), Max: l.Max.D()}
	case "exponential":
		m = simnet.Exponential{Min: l.Min.D(), Mean: l.Mean.D()}
	case "lognormal":
		m = simnet.LogNormal{Median: l.Median.D(), Sigma: l.Sigma}
	case "pareto":
		m = simnet.Pareto{Min: l.Min.D(), Alpha: l.Alpha}
	case "mixture":
		mix := simnet.Mixture{}
		for i, p := range l.Parts {
			part, err := p.Latency.Build()
			if err != nil {
				return nil, fmt.Errorf("parts[%d].latency: %w", i, err)
			}
			mix.Parts = append(mix.Parts, simnet.Weighted{Weight: p.Weight, Latency: part})
		}
		m = mix
	case "":
		return nil, errors.New("kind is empty (constant, uniform, exponential, lognormal, pareto, mixture)")
	default:
		return nil, fmt.Errorf("kind %q is not a latency model (constant, uniform, exponential, lognormal, pareto, mixture)", l.Kind)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Link builds the network link.
func (n Network) Link() (simnet.Link, error) {
	lat, err := n.Latency.Build()
	if err != nil {
		return simnet.Link{}, fmt.Errorf("latency: %w", err)
	}
	return simnet.Link{Latency: lat, LossRatio: n.LossRatio, DupRatio: n.DupRatio, FIFO: n.FIFO}, nil
}

func (n Network) validate() error {
	if !(n.LossRatio >= 0 && n.LossRatio <= 1) {
		return fmt.Errorf("loss_ratio must be in [0, 1] (is %v)", n.LossRatio)
	}
	if !(n.DupRatio >= 0 && n.DupRatio <= 1) {
		return fmt.Errorf("dup_ratio must be in [0, 1] (is %v)", n.DupRatio)
	}
	_, err := n.Link()
	return err
}

// Uniform, Constant and friends build latency specs tersely for the
// registry.
func uniform(min, max Duration) Latency { return Latency{Kind: "uniform", Min: min, Max: max} }
