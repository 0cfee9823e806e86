package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
)

// Spec is a failure spec: a scenario with its generator drawn into a fixed
// schedule, the seed, and what the run found. `simrun replay` runs it again
// and compares trace hashes; `simrun shrink` makes it smaller.
type Spec struct {
	Scenario  Scenario `json:"scenario"`
	Seed      uint64   `json:"seed"`
	TraceHash string   `json:"trace_hash,omitempty"`
	Verdict   Verdict  `json:"verdict,omitempty"`
	Reasons   []Reason `json:"reasons,omitempty"`
}

// NewSpec records the run of s with seed that gave r.
func NewSpec(s Scenario, seed uint64, r *Result) Spec {
	spec := Spec{Scenario: Materialize(s, seed), Seed: seed}
	if r != nil {
		spec.TraceHash, spec.Verdict, spec.Reasons = r.TraceHash, r.Verdict, r.Reasons
	}
	return spec
}

// Encode writes the spec as indented JSON.
func (s Spec) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// DecodeSpec reads a spec, rejecting unknown fields and invalid scenarios
// with the field named.
func DecodeSpec(r io.Reader) (Spec, error) {
	var s Spec
	if err := decodeStrict(r, &s); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	if s.Scenario.Name == "" {
		return Spec{}, fmt.Errorf("spec: scenario is missing (a spec is {\"scenario\": {...}, \"seed\": N, ...})")
	}
	if err := s.Scenario.Validate(); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	switch s.Verdict {
	case "", Pass, Fail, Unknown:
	default:
		return Spec{}, fmt.Errorf("spec: verdict %q is not pass, fail or unknown", s.Verdict)
	}
	return s, nil
}
