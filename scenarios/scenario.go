package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Scenario is everything a run needs besides its seed: the system and its
// configuration, the cluster, the network and clocks, the workload, the
// nemesis, the two phases and the checks. It is plain data and encodes to
// JSON; a failure spec is a Scenario with the seed that failed it.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`

	System System `json:"system"`
	// Servers run the system. Spares are extra server hosts that start
	// outside the cluster's configuration, for membership changes (raft).
	Servers int `json:"servers"`
	Spares  int `json:"spares,omitempty"`
	// Clients each run the workload, one operation at a time.
	Clients  int                   `json:"clients"`
	Workload client.WorkloadConfig `json:"workload"`

	Network Network `json:"network"`
	Clocks  Clocks  `json:"clocks"`
	Nemesis Nemesis `json:"nemesis"`

	// FaultPhase is how long faults are injected; safety is checked all
	// along. HealPhase follows: every fault is undone, and the system must
	// serve clients again and converge before it ends.
	FaultPhase Duration `json:"fault_phase"`
	HealPhase  Duration `json:"heal_phase"`

	Checks Checks `json:"checks"`
	// Probes name things that must happen in at least some seeds of this
	// scenario; see Probe.
	Probes []Probe `json:"probes,omitempty"`
	Expect Expect  `json:"expect"`

	// MaxEvents is the run's event budget; zero picks one from the phases.
	MaxEvents uint64 `json:"max_events,omitempty"`
}

// System chooses the system under test and carries its configuration.
type System struct {
	// Kind is "raft" or "gossip".
	Kind   string         `json:"kind"`
	Raft   *raft.Config   `json:"raft,omitempty"`
	Gossip *gossip.Config `json:"gossip,omitempty"`
}

// Clocks skews the servers' clocks: each server draws a drift in
// [-DriftMax, DriftMax] and an offset in [0, OffsetMax] from the seed.
// Clients keep true time.
type Clocks struct {
	DriftMax  float64  `json:"drift_max,omitempty"`
	OffsetMax Duration `json:"offset_max,omitempty"`
}

// Checks says which checks decide the verdict.
type Checks struct {
	// Linearizable checks the client history with porcupine.
	Linearizable bool `json:"linearizable,omitempty"`
	// Invariants runs the system's safety invariants after every event.
	Invariants bool `json:"invariants,omitempty"`
	// Convergence requires every server's state to be equal at the end.
	Convergence bool `json:"convergence,omitempty"`
	// Liveness requires every client to complete an operation in the heal
	// phase.
	Liveness bool `json:"liveness,omitempty"`
	// CheckTimeout bounds the linearizability check (wall time); past it
	// the verdict is unknown. Zero means 10s.
	CheckTimeout Duration `json:"check_timeout,omitempty"`
}

// Check names, as used in Expect.Check and Reason.Check.
const (
	CheckLinearizable = "linearizable"
	CheckInvariants   = "invariants"
	CheckConvergence  = "convergence"
	CheckLiveness     = "liveness"
	CheckPanic        = "panic"
	CheckBudget       = "budget"
)

// Expect states the verdict a scenario should reach.
type Expect struct {
	// Verdict is "pass" or "fail".
	Verdict Verdict `json:"verdict"`
	// Check is, for an expected failure, the check that should fail.
	Check string `json:"check,omitempty"`
}

// Validate reports the first bad field of s, by its JSON path.
func (s *Scenario) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("scenario %q: %s: %s", s.Name, field, fmt.Sprintf(format, args...))
	}
	if s.Name == "" {
		return errors.New("scenario: name is empty")
	}
	switch s.System.Kind {
	case "raft":
		if s.System.Gossip != nil {
			return bad("system.gossip", "is set for a raft system")
		}
		if s.System.Raft != nil {
			if err := s.System.Raft.Validate(); err != nil {
				return bad("system.raft", "%v", err)
			}
		}
	case "gossip":
		if s.System.Raft != nil {
			return bad("system.raft", "is set for a gossip system")
		}
		if s.Clients != 0 {
			return bad("clients", "must be 0 for gossip, which has no client API")
		}
		if s.System.Gossip != nil {
			if err := s.System.Gossip.Validate(); err != nil {
				return bad("system.gossip", "%v", err)
			}
		}
	default:
		return bad("system.kind", "%q is not a known system (raft, gossip)", s.System.Kind)
	}
	switch {
	case s.Servers < 1 || s.Servers > 64:
		return bad("servers", "must be in [1, 64] (is %d)", s.Servers)
	case s.Spares < 0 || s.Spares > 16:
		return bad("spares", "must be in [0, 16] (is %d)", s.Spares)
	case s.Spares > 0 && s.System.Kind != "raft":
		return bad("spares", "only raft supports membership changes")
	case s.Clients < 0 || s.Clients > 256:
		return bad("clients", "must be in [0, 256] (is %d)", s.Clients)
	case s.FaultPhase < 0:
		return bad("fault_phase", "is negative (%v)", s.FaultPhase)
	case s.HealPhase <= 0:
		return bad("heal_phase", "must be positive (is %v)", s.HealPhase)
	case s.FaultPhase.D()+s.HealPhase.D() > 24*time.Hour:
		return bad("fault_phase", "the two phases exceed 24h of virtual time")
	case !(s.Clocks.DriftMax >= 0 && s.Clocks.DriftMax < 0.5):
		return bad("clocks.drift_max", "must be in [0, 0.5) (is %v)", s.Clocks.DriftMax)
	case s.Clocks.OffsetMax < 0:
		return bad("clocks.offset_max", "is negative (%v)", s.Clocks.OffsetMax)
	case s.Checks.CheckTimeout < 0:
		return bad("checks.check_timeout", "is negative (%v)", s.Checks.CheckTimeout)
	}
	if s.Clients > 0 {
		w := s.Workload
		w.Client.ID = 1
		w.Client.Servers = []sim.HostID{0}
		if err := w.Validate(); err != nil {
			return bad("workload", "%v", err)
		}
	}
	if s.Clients > 0 && s.Workload.Client.RefusalDefinite && s.duplicates() {
		return bad("workload.client.refusal_definite", "is unsound on a network that duplicates messages: a copy of a refused request can reach the server after it became leader, so a refusal proves nothing")
	}
	if (s.Checks.Linearizable || s.Checks.Liveness) && s.Clients == 0 {
		return bad("checks", "linearizable and liveness checks need clients")
	}
	if s.Checks.Linearizable && s.System.Kind != "raft" {
		return bad("checks.linearizable", "the %s system does not promise linearizability", s.System.Kind)
	}
	if err := s.Network.validate(); err != nil {
		return bad("network", "%v", err)
	}
	if err := s.Nemesis.validate(s); err != nil {
		return bad("nemesis", "%v", err)
	}
	for i, p := range s.Probes {
		if !slices.Contains(AllProbes, p) {
			return bad(fmt.Sprintf("probes[%d]", i), "%q is not a probe (%v)", p, AllProbes)
		}
	}
	switch s.Expect.Verdict {
	case Pass:
		if s.Expect.Check != "" {
			return bad("expect.check", "names a check but the expected verdict is pass")
		}
	case Fail:
		if !slices.Contains([]string{CheckLinearizable, CheckInvariants, CheckConvergence, CheckLiveness, CheckPanic}, s.Expect.Check) {
			return bad("expect.check", "an expected failure must name the check that fails (linearizable, invariants, convergence, liveness, panic), not %q", s.Expect.Check)
		}
	default:
		return bad("expect.verdict", "must be pass or fail (is %q)", s.Expect.Verdict)
	}
	if math.IsNaN(s.Clocks.DriftMax) {
		return bad("clocks.drift_max", "is NaN")
	}
	return nil
}

// duplicates reports whether the network, or a link fault, may duplicate
// messages.
func (s *Scenario) duplicates() bool {
	if s.Network.DupRatio > 0 {
		return true
	}
	for _, f := range s.Nemesis.Schedule {
		if f.Link != nil && f.Link.DupRatio > 0 {
			return true
		}
	}
	return false
}

// Decode reads a scenario from JSON, rejecting unknown fields and bad
// values with the field named.
func Decode(r io.Reader) (Scenario, error) {
	var s Scenario
	if err := decodeStrict(r, &s); err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, err
	}
	return s, nil
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("malformed JSON at byte %d: %v", syn.Offset, err)
		case errors.As(err, &typ):
			return fmt.Errorf("field %q: cannot use a JSON %s as %v", typ.Field, typ.Value, typ.Type)
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// Encode writes s as indented JSON.
func (s Scenario) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Clone returns a deep copy of s, by way of its JSON form.
func (s Scenario) Clone() Scenario {
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		panic(fmt.Sprintf("scenarios: a scenario failed to encode: %v", err))
	}
	var c Scenario
	if err := json.Unmarshal(b.Bytes(), &c); err != nil {
		panic(fmt.Sprintf("scenarios: a scenario failed to decode: %v", err))
	}
	return c
}
