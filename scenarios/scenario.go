package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/system"
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
	// outside the cluster's configuration, for membership changes.
	Servers int `json:"servers"`
	Spares  int `json:"spares,omitempty"`
	// Clients each run the workload. Workload is the system's own: the
	// system decodes it onto its default workload, so a scenario names
	// only what it changes.
	Clients  int             `json:"clients"`
	Workload json.RawMessage `json:"workload,omitempty"`

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
	// Kind names a registered system (system.Register).
	Kind string `json:"kind"`
	// Config is the system's configuration, which it decodes onto its
	// defaults: absent fields keep their default values.
	Config json.RawMessage `json:"config,omitempty"`
}

// UnmarshalJSON also accepts the configuration under the system's name
// ({"kind": "raft", "raft": {...}}), the form scenarios had before
// "config".
func (s *System) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	*s = System{}
	kind, ok := fields["kind"]
	if !ok {
		return errors.New("system.kind is missing")
	}
	if err := json.Unmarshal(kind, &s.Kind); err != nil {
		return fmt.Errorf("system.kind: %v", err)
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case name == "kind":
		case name == "config" || (name == s.Kind && name != ""):
			if s.Config != nil {
				return fmt.Errorf("system: both config and %s are set; use config", s.Kind)
			}
			s.Config = fields[name]
		default:
			return fmt.Errorf("json: unknown field %q in system (want kind and config)", name)
		}
	}
	return nil
}

// SystemOf returns the System of kind with cfg, encoded, as its
// configuration.
func SystemOf(kind string, cfg any) System {
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(fmt.Sprintf("scenarios: a %s configuration does not encode: %v", kind, err))
	}
	return System{Kind: kind, Config: b}
}

// WorkloadOf encodes a workload for Scenario.Workload.
func WorkloadOf(wl any) json.RawMessage {
	b, err := json.Marshal(wl)
	if err != nil {
		panic(fmt.Sprintf("scenarios: a workload does not encode: %v", err))
	}
	return b
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
	// History checks the client history with the system's model: for a
	// key-value system, linearizability with porcupine. "linearizable" is
	// accepted for it in JSON.
	History bool `json:"history,omitempty"`
	// Invariants runs the system's safety invariants after every event.
	Invariants bool `json:"invariants,omitempty"`
	// Convergence requires every server's state to be equal at the end.
	Convergence bool `json:"convergence,omitempty"`
	// ConvergenceWithin, if positive, also bounds how long after the heal
	// the replicas may take to converge (Result.Convergence); in JSON it
	// is "convergence": {"within": "30s"}.
	ConvergenceWithin Duration `json:"-"`
	// Liveness requires every client to complete an operation in the heal
	// phase.
	Liveness bool `json:"liveness,omitempty"`
	// Quiet checks the system in its quiet windows, while the run goes
	// on: progress, and steadiness.
	Quiet *Quiet `json:"quiet,omitempty"`
	// LivenessPromises adjusts how the system's declared liveness
	// promises (system.Spec.Liveness: an election bound, step-down,
	// a stable leader) are judged; nil judges them as declared in a
	// scenario expected to pass, and not at all in one expected to fail.
	LivenessPromises *PromiseChecks `json:"liveness_promises,omitempty"`
	// Staleness measures how stale the reads of the history were (for
	// systems that promise less than linearizability); it is reported,
	// and never fails a run.
	Staleness bool `json:"staleness,omitempty"`
	// CheckTimeout bounds the history check (wall time); past it the
	// verdict is unknown. Zero means 10s.
	CheckTimeout Duration `json:"check_timeout,omitempty"`
}

// UnmarshalJSON accepts "linearizable" as the old name of "history",
// and "convergence" as a bool or as {"within": "30s"}.
func (c *Checks) UnmarshalJSON(b []byte) error {
	type plain Checks
	var v struct {
		plain
		Linearizable *bool           `json:"linearizable,omitempty"`
		Convergence  json.RawMessage `json:"convergence,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*c = Checks(v.plain)
	if v.Linearizable != nil {
		c.History = c.History || *v.Linearizable
	}
	var err error
	c.Convergence, c.ConvergenceWithin, err = decodeConvergence(v.Convergence)
	return err
}

// MarshalJSON writes "convergence" as {"within": ...} when it has a
// bound, and as a bool otherwise.
func (c Checks) MarshalJSON() ([]byte, error) {
	type plain Checks
	if c.ConvergenceWithin == 0 {
		return json.Marshal(plain(c))
	}
	return json.Marshal(struct {
		plain
		Convergence any `json:"convergence,omitempty"`
	}{plain(c), c.encodeConvergence()})
}

// Enabled names the checks that are on, in a fixed order.
func (c Checks) Enabled() []string {
	var on []string
	for _, x := range []struct {
		on   bool
		name string
	}{{c.History, CheckHistory}, {c.Invariants, CheckInvariants}, {c.Convergence, CheckConvergence}, {c.Liveness, CheckLiveness},
		{c.Quiet != nil && c.Quiet.Within > 0, CheckProgress}, {c.Quiet != nil && c.Quiet.Steady, CheckSteady}, {c.Staleness, "staleness"}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	return on
}

// Check names, as used in Expect.Check and Reason.Check. A history
// check's reasons carry the name of the check the model makes
// (CheckLinearizable for porcupine's); Expect.Check may name it, or
// CheckHistory for whichever it is.
const (
	CheckHistory      = "history"
	CheckLinearizable = "linearizable"
	CheckInvariants   = "invariants"
	CheckConvergence  = "convergence"
	CheckLiveness     = "liveness"
	CheckProgress     = "progress"
	CheckSteady       = "steady"
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
	_, err := s.validate()
	return err
}

// validate checks s and returns its system's decoded configuration.
func (s *Scenario) validate() (system.Config, error) { return s.validateAs(nil) }

// validateAs is validate with the system's configuration decoded
// already, unless decoded is nil: a run decodes it before it
// materializes its scenario, which leaves the system's configuration and
// workload as they were, and checks the materialized scenario with it.
func (s *Scenario) validateAs(decoded *system.Config) (system.Config, error) {
	bad := func(field, format string, args ...any) (system.Config, error) {
		return system.Config{}, fmt.Errorf("scenario %q: %s: %s", s.Name, field, fmt.Sprintf(format, args...))
	}
	if s.Name == "" {
		return system.Config{}, errors.New("scenario: name is empty")
	}
	sys, err := system.Lookup(s.System.Kind)
	if err != nil {
		return bad("system.kind", "%v", err)
	}
	var cfg system.Config
	if decoded != nil {
		cfg = *decoded
	} else if cfg, err = sys.Decode(s.System.Config, s.Workload); err != nil {
		return system.Config{}, fmt.Errorf("scenario %q: %w", s.Name, err)
	}
	switch {
	case s.Servers < 1 || s.Servers > 64:
		return bad("servers", "must be in [1, 64] (is %d)", s.Servers)
	case s.Spares < 0 || s.Spares > 16:
		return bad("spares", "must be in [0, 16] (is %d)", s.Spares)
	case s.Clients < 0 || s.Clients > 256:
		return bad("clients", "must be in [0, 256] (is %d)", s.Clients)
	case s.FaultPhase < 0:
		return bad("fault_phase", "is negative (%v)", s.FaultPhase)
	case s.HealPhase <= 0:
		return bad("heal_phase", "must be positive (is %v)", s.HealPhase)
	case s.FaultPhase.D()+s.HealPhase.D() > 24*time.Hour:
		return bad("fault_phase", "the two phases exceed 24h of virtual time")
	case math.IsNaN(s.Clocks.DriftMax) || !(s.Clocks.DriftMax >= 0 && s.Clocks.DriftMax < 0.5):
		return bad("clocks.drift_max", "must be in [0, 0.5) (is %v)", s.Clocks.DriftMax)
	case s.Clocks.OffsetMax < 0:
		return bad("clocks.offset_max", "is negative (%v)", s.Clocks.OffsetMax)
	case s.Checks.CheckTimeout < 0:
		return bad("checks.check_timeout", "is negative (%v)", s.Checks.CheckTimeout)
	case s.Checks.ConvergenceWithin < 0:
		return bad("checks.convergence.within", "is negative (%v)", s.Checks.ConvergenceWithin)
	case s.Checks.ConvergenceWithin > 0 && !s.Checks.Convergence:
		return bad("checks.convergence.within", "bounds the convergence check, which is off")
	case s.Checks.ConvergenceWithin > s.HealPhase:
		return bad("checks.convergence.within", "is %v, longer than the heal phase (%v): the run ends before it could be missed", s.Checks.ConvergenceWithin, s.HealPhase)
	case s.MaxEvents > MaxEventsLimit:
		return bad("max_events", "must be at most %d (is %d)", uint64(MaxEventsLimit), s.MaxEvents)
	case !s.Checks.History && !s.Checks.Invariants && !s.Checks.Convergence && !s.Checks.Liveness && s.Checks.Quiet == nil && !hasAssertions(s.Nemesis.Script) && s.Expect.Check != CheckPanic && !slices.Contains(promiseNames, s.Expect.Check) && !s.judgesPromises(cfg):
		return bad("checks", "no check that can fail is enabled (history, invariants, convergence, liveness, quiet, a script's assertions or liveness_promises): only a panic could fail a run, and the scenario does not expect one")
	}
	if err := cfg.Validate(system.Shape{Servers: s.Servers, Spares: s.Spares, Clients: s.Clients}); err != nil {
		return system.Config{}, fmt.Errorf("scenario %q: %w", s.Name, err)
	}
	if s.Clients > 0 && s.duplicates() && refusalDefinite(s.Workload) {
		return bad("workload.client.refusal_definite", "is unsound on a network that duplicates messages: a copy of a refused request can reach the server after it became leader, so a refusal proves nothing")
	}
	promises := sys.Promises()
	switch {
	case (s.Checks.History || s.Checks.Liveness || s.Checks.Staleness) && s.Clients == 0:
		return bad("checks", "history, liveness and staleness checks need clients")
	case s.Checks.History && !promises.History:
		return bad("checks.history", "the %s system records no history to check", sys.Name())
	case s.Checks.Staleness && !promises.Staleness:
		return bad("checks.staleness", "the %s system's history cannot be measured for staleness", sys.Name())
	case s.Checks.Invariants && !promises.Invariants:
		return bad("checks.invariants", "the %s system checks no invariants", sys.Name())
	case s.Checks.Convergence && !promises.Convergence:
		return bad("checks.convergence", "the %s system reports no replica states", sys.Name())
	}
	if q := s.Checks.Quiet; q != nil {
		if err := q.validate(s); err != nil {
			return bad("checks.quiet", "%v", err)
		}
		if q.Steady && len(sys.Steady()) == 0 {
			return bad("checks.quiet.steady", "the %s system declares no steady counters", sys.Name())
		}
	}
	if p := s.Checks.LivenessPromises; p != nil && !p.Off {
		if !sys.DeclaresLiveness() {
			return bad("checks.liveness_promises", "the %s system declares no liveness promises", sys.Name())
		}
		if err := p.validate(cfg.Liveness()); err != nil {
			return bad("checks.liveness_promises", "%v", err)
		}
	}
	if err := s.Network.validate(); err != nil {
		return bad("network", "%v", err)
	}
	if err := s.Nemesis.validate(s, sys); err != nil {
		return bad("nemesis", "%v", err)
	}
	for i, p := range s.Probes {
		if !slices.Contains(harnessProbes, p) && !sys.HasCounter(string(p)) {
			return bad(fmt.Sprintf("probes[%d]", i), "%q is not a probe of the %s system (%v)", p, sys.Name(), probeNames(sys))
		}
	}
	switch s.Expect.Verdict {
	case Pass:
		if s.Expect.Check != "" {
			return bad("expect.check", "names a check but the expected verdict is pass")
		}
	case Fail:
		if !slices.Contains(failingChecks, s.Expect.Check) {
			return bad("expect.check", "an expected failure must name the check that fails (%s), not %q", strings.Join(failingChecks, ", "), s.Expect.Check)
		}
		if slices.Contains(promiseNames, s.Expect.Check) && !s.judgesPromise(cfg, s.Expect.Check) {
			return bad("expect.check", "names the %s promise, which this scenario does not judge (a scenario expected to fail judges the promises only with checks.liveness_promises)", s.Expect.Check)
		}
	default:
		return bad("expect.verdict", "must be pass or fail (is %q)", s.Expect.Verdict)
	}
	return cfg, nil
}

// failingChecks are the checks an expected failure may name.
var failingChecks = []string{CheckHistory, CheckLinearizable, CheckInvariants, CheckConvergence, CheckLiveness, CheckProgress, CheckSteady, CheckPanic, CheckAssert, CheckCost, CheckDisk, CheckElect, CheckStepDown, CheckStable}

// judgesPromises reports whether s asks for its system's liveness
// promises and a run of it judges any. Promises judged by default do not
// count: a scenario that names no check of its own is refused, whatever
// its system declares.
func (s *Scenario) judgesPromises(cfg system.Config) bool {
	return s.Checks.LivenessPromises != nil && slices.ContainsFunc(promiseNames, func(name string) bool { return s.judgesPromise(cfg, name) })
}

// judgesPromise reports whether a run of s judges the promise name.
func (s *Scenario) judgesPromise(cfg system.Config, name string) bool {
	p := s.promisesFor(cfg.Liveness())
	switch name {
	case CheckElect:
		return p.ElectWithin > 0
	case CheckStable:
		return p.StableAfter > 0
	case CheckStepDown:
		return p.StepDownWithin > 0
	case CheckHeartbeatRate:
		return p.Heartbeats.PerSecond > 0
	}
	return false
}

// refusalDefinite reports whether a workload sets client.refusal_definite,
// whatever the system: the flag is the shared client's.
func refusalDefinite(raw json.RawMessage) bool {
	var wl struct {
		Client struct {
			RefusalDefinite bool `json:"refusal_definite"`
		} `json:"client"`
	}
	return len(raw) > 0 && json.Unmarshal(raw, &wl) == nil && wl.Client.RefusalDefinite
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

// DefaultLatency is the network latency of a scenario that gives none.
var DefaultLatency = Latency{Kind: "uniform", Min: Duration(time.Millisecond), Max: Duration(10 * time.Millisecond)}

// fillDefaults gives a decoded scenario what it may leave out: the
// network's latency (DefaultLatency) and the expectation (pass). What the
// system decodes (system.config, workload) gets the system's defaults
// field by field, at any depth.
func (s *Scenario) fillDefaults() {
	if l := s.Network.Latency; l.Kind == "" && l.D == 0 && l.Min == 0 && l.Max == 0 && l.Mean == 0 && l.Median == 0 && l.Sigma == 0 && l.Alpha == 0 && len(l.Parts) == 0 {
		s.Network.Latency = DefaultLatency
	}
	if s.Expect.Verdict == "" && s.Expect.Check == "" {
		s.Expect.Verdict = Pass
	}
}

// Decode reads a scenario from JSON, rejecting unknown fields and bad
// values with the field named. What a scenario may leave out gets its
// default (fillDefaults).
func Decode(r io.Reader) (Scenario, error) {
	var s Scenario
	if err := decodeStrict(r, &s); err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	s.fillDefaults()
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
