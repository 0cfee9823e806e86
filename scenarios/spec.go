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
	s.Scenario.fillDefaults()
	if err := s.Scenario.Validate(); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	if !validTraceHash(s.TraceHash) {
		return Spec{}, fmt.Errorf("spec: trace_hash %q is not a trace hash (16 lowercase hex digits, as a run prints it), nor empty", s.TraceHash)
	}
	switch s.Verdict {
	case "", Pass, Fail, Unknown:
	default:
		return Spec{}, fmt.Errorf("spec: verdict %q is not pass, fail or unknown", s.Verdict)
	}
	return s, nil
}

// validTraceHash reports whether h is empty or a hash as Result.TraceHash
// writes it: a replay compares it as text, so a garbled one would only
// ever report a mismatch.
func validTraceHash(h string) bool {
	if h == "" {
		return true
	}
	if len(h) != 16 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
