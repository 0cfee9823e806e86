package capmeter

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

// Suite is what a CAP measurement runs: systems, each a built-in scenario
// with configuration overrides, crossed with partitions, over seeds. It is
// data (default.json is the default one); nothing in it is code, so a
// user's own system joins by naming one of its scenarios.
type Suite struct {
	// Seeds is how many seeds each pair runs, from seed 1.
	Seeds int `json:"seeds"`
	// Rate is the workload rate of every system, in operations per second
	// per client (system.Spec.Rate): each client thinks 1/Rate on
	// average between an answer and its next request. It overrides the
	// think times of the base and the entry.
	Rate float64 `json:"rate"`
	// PartitionAt is when the partition strikes; PartitionFor how long it
	// lasts (the fault phase ends with it and every fault is undone);
	// HealFor is the heal phase after it.
	PartitionAt  scenarios.Duration `json:"partition_at"`
	PartitionFor scenarios.Duration `json:"partition_for"`
	HealFor      scenarios.Duration `json:"heal_for"`
	Partitions   []Partition        `json:"partitions"`
	Systems      []Entry            `json:"systems"`

	_ struct{}
}

// Partition is one way of splitting the servers.
type Partition struct {
	Name     string `json:"name"`
	Topology string `json:"topology"`
	// Target is the partition's target ("leader" isolates the leader).
	Target string `json:"target,omitempty"`
}

// Entry is one system and configuration on the plane.
type Entry struct {
	// Label names the point ("raft-readindex").
	Label string `json:"label"`
	// Base is the built-in scenario the entry starts from: its system,
	// cluster, network, clocks and workload. Its nemesis and probes are
	// replaced by the suite's partition.
	Base string `json:"base"`
	// Config and Workload are merged, field by field at the top level,
	// onto the base's system configuration and workload.
	Config   json.RawMessage `json:"config,omitempty"`
	Workload json.RawMessage `json:"workload,omitempty"`
	// Faults strike alongside the partition, their "at" counted from
	// the partition's start (a clock step on the isolated leader, a
	// system's own fault that cuts a host the partition does not).
	Faults []scenarios.Fault `json:"faults,omitempty"`
	// Target, when set, replaces the target of the suite's targeted
	// partitions for this entry: the host whose isolation matters for a
	// system without a leader (a cache tier's database).
	Target string `json:"target,omitempty"`
	// LostWritesCounter names the system counter of acknowledged writes
	// lost, where the system counts them.
	LostWritesCounter string `json:"lost_writes_counter,omitempty"`
	// Counters are more of the system's counters to report, as means
	// over the seeds (two-phase commit's stuck transactions, the cache's
	// stale entries).
	Counters []string `json:"counters,omitempty"`
}

//go:embed default.json
var defaultSuite []byte

// Default returns the default suite.
func Default() Suite {
	s, err := Decode(defaultSuite)
	if err != nil {
		panic(fmt.Sprintf("capmeter: the default suite does not decode: %v", err))
	}
	return s
}

// Decode reads a suite from JSON strictly, naming the first bad field.
func Decode(b []byte) (Suite, error) {
	var s Suite
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Suite{}, fmt.Errorf("cap suite: %w", err)
	}
	if dec.More() {
		return Suite{}, errors.New("cap suite: trailing data after the JSON object")
	}
	return s, s.validate()
}

func (s Suite) validate() error {
	bad := func(format string, args ...any) error { return fmt.Errorf("cap suite: "+format, args...) }
	switch {
	case s.Seeds < 1 || s.Seeds > 100_000:
		return bad("seeds: must be in [1, 100000] (is %d)", s.Seeds)
	case math.IsNaN(s.Rate) || !(s.Rate > 0 && s.Rate <= system.RateMax):
		return bad("rate: must be in (0, %d] operations per second per client (is %v)", system.RateMax, s.Rate)
	case s.PartitionAt <= 0:
		return bad("partition_at: must be positive (is %v)", s.PartitionAt)
	case s.PartitionFor <= 0:
		return bad("partition_for: must be positive (is %v)", s.PartitionFor)
	case s.HealFor <= 0:
		return bad("heal_for: must be positive (is %v)", s.HealFor)
	case len(s.Partitions) == 0:
		return bad("partitions: none given")
	case len(s.Systems) == 0:
		return bad("systems: none given")
	}
	var seen []string
	for i, p := range s.Partitions {
		if p.Name == "" || slices.Contains(seen, "p:"+p.Name) {
			return bad("partitions[%d]: name %q is empty or repeated", i, p.Name)
		}
		seen = append(seen, "p:"+p.Name)
		if !slices.Contains(scenarios.AllTopologies, p.Topology) {
			return bad("partitions[%d] (%s): topology %q is not one of %v", i, p.Name, p.Topology, scenarios.AllTopologies)
		}
	}
	for i, e := range s.Systems {
		if e.Label == "" || slices.Contains(seen, "s:"+e.Label) {
			return bad("systems[%d]: label %q is empty or repeated", i, e.Label)
		}
		seen = append(seen, "s:"+e.Label)
	}
	return nil
}

// Scenario builds the scenario of entry e under partition p: the base
// with its configuration merged, clients placed on the partition's sides,
// one partition from PartitionAt for PartitionFor, and the checks the
// system offers. The built-in scenarios must be loaded (scenarios.Builtins).
func (s Suite) Scenario(e Entry, p Partition) (scenarios.Scenario, error) {
	base, err := scenarios.Lookup(e.Base)
	if err != nil {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: base: %w", e.Label, err)
	}
	sc := base.Clone()
	sc.Name = "cap-" + e.Label + "-" + p.Name
	sc.Description = fmt.Sprintf("CAP measurement of %s (from %s) under the %s partition", e.Label, e.Base, p.Name)
	if sc.System.Config, err = merge(sc.System.Config, e.Config); err != nil {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: config: %w", e.Label, err)
	}
	if sc.Workload, err = merge(sc.Workload, e.Workload); err != nil {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: workload: %w", e.Label, err)
	}
	sys, err := system.Lookup(sc.System.Kind)
	if err != nil {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: %w", e.Label, err)
	}
	if sc.Clients == 0 {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: base %s has no clients, so nothing to measure", e.Label, e.Base)
	}
	if sc.Workload, err = sys.WithRate(sc.Workload, s.Rate); err != nil {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: rate: %w", e.Label, err)
	}
	at := s.PartitionAt
	target := p.Target
	if e.Target != "" && target != "" {
		target = e.Target
	}
	sched := []scenarios.Fault{{At: at, Kind: scenarios.FaultPartition, Topology: p.Topology, Target: target}}
	for _, f := range e.Faults {
		f.At += at
		sched = append(sched, f)
	}
	sc.Nemesis = scenarios.Nemesis{Schedule: sched, ClientSides: scenarios.ClientSidesHome}
	sc.FaultPhase = at + s.PartitionFor
	sc.HealPhase = s.HealFor
	sc.Probes = nil
	sc.MaxEvents = 0
	sc.Expect = scenarios.Expect{Verdict: scenarios.Pass}
	promises := sys.Promises()
	// The measurement judges liveness and quiet itself, per side; the
	// base's history and invariant checks stay, since a base turns off the
	// history check of a system that does not promise linearizability.
	sc.Checks.Liveness = false
	sc.Checks.Quiet = nil
	sc.Checks.Staleness = promises.Staleness && sc.Clients > 0
	sc.Checks.Convergence = promises.Convergence
	sc.Checks.ConvergenceWithin = 0 // measured here, not bounded
	if e.LostWritesCounter != "" && !sys.HasCounter(e.LostWritesCounter) {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: lost_writes_counter: the %s system has no counter %q", e.Label, sys.Name(), e.LostWritesCounter)
	}
	for _, c := range e.Counters {
		if !sys.HasCounter(c) {
			return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s: counters: the %s system has no counter %q", e.Label, sys.Name(), c)
		}
	}
	if err := sc.Validate(); err != nil {
		return scenarios.Scenario{}, fmt.Errorf("cap suite: system %s under %s: %w", e.Label, p.Name, err)
	}
	return sc, nil
}

// merge sets the top-level fields of over onto base, both JSON objects.
func merge(base, over json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(over)) == 0 {
		return base, nil
	}
	fields := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(base)) > 0 && string(bytes.TrimSpace(base)) != "null" {
		if err := json.Unmarshal(base, &fields); err != nil {
			return nil, fmt.Errorf("the base is not a JSON object: %v", err)
		}
	}
	var add map[string]json.RawMessage
	if err := json.Unmarshal(over, &add); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	for k, v := range add {
		fields[k] = v
	}
	// encoding/json writes map keys sorted, so the merge is canonical.
	return json.Marshal(fields)
}

// window is the partition's span in virtual time.
func (s Suite) window() (from, until time.Duration) {
	return s.PartitionAt.D(), (s.PartitionAt + s.PartitionFor).D()
}
