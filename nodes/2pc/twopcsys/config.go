package twopcsys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/internal/jsondur"
	"github.com/detsim/detsim/nodes/2pc"
)

// Config is the system's configuration: the protocol's (twopc.Config, whose
// fields it shares at the top level of the JSON) and what a run is judged
// by.
type Config struct {
	twopc.Config
	// Consistency is the model the transaction history must satisfy.
	Consistency string `json:"consistency"`
	// StuckAfter is how long a transaction must stay in doubt at a shard to
	// count as stuck (the txns-stuck counter).
	StuckAfter time.Duration `json:"stuck_after"`
	// InDoubtMax, if positive, fails the run (as an invariant, at its end)
	// when a transaction stayed in doubt at a shard longer than this: a
	// bound on blocking, which Paxos Commit keeps and two-phase commit,
	// with its coordinator down, does not.
	InDoubtMax time.Duration `json:"in_doubt_max"`
}

// DefaultConfig is two-phase commit, judged strict serializable.
func DefaultConfig() Config {
	return Config{Config: twopc.DefaultConfig(), Consistency: checker.StrictSerializable.String(), StuckAfter: time.Second}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if _, err := checker.ParseConsistency(c.Consistency); err != nil {
		return fmt.Errorf("consistency: %w", err)
	}
	if c.StuckAfter <= 0 {
		return fmt.Errorf("stuck_after must be positive (is %v)", c.StuckAfter)
	}
	if c.InDoubtMax < 0 {
		return fmt.Errorf("in_doubt_max is negative (%v)", c.InDoubtMax)
	}
	if len(c.Initial) > 0 {
		return fmt.Errorf("initial: set by the workload (bank balances), not by the scenario")
	}
	return nil
}

// own are the JSON fields Config adds to twopc.Config's.
type own struct {
	Consistency *string           `json:"consistency,omitempty"`
	StuckAfter  *jsondur.Duration `json:"stuck_after,omitempty"`
	InDoubtMax  *jsondur.Duration `json:"in_doubt_max,omitempty"`
}

func (c Config) MarshalJSON() ([]byte, error) {
	inner, err := json.Marshal(c.Config)
	if err != nil {
		return nil, err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(inner, &fields); err != nil {
		return nil, err
	}
	fields["consistency"], _ = json.Marshal(c.Consistency)
	fields["stuck_after"], _ = json.Marshal(jsondur.Duration(c.StuckAfter))
	fields["in_doubt_max"], _ = json.Marshal(jsondur.Duration(c.InDoubtMax))
	return json.Marshal(fields) // encoding/json sorts map keys
}

// UnmarshalJSON takes this Config's own fields out of the object and
// decodes the rest strictly onto twopc.Config; absent fields keep their
// values.
func (c *Config) UnmarshalJSON(b []byte) error {
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	mine := map[string]json.RawMessage{}
	for _, k := range []string{"consistency", "stuck_after", "in_doubt_max"} {
		if v, ok := fields[k]; ok {
			mine[k] = v
			delete(fields, k)
		}
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	if err := c.Config.UnmarshalJSON(rest); err != nil {
		return err
	}
	ownJSON, err := json.Marshal(mine)
	if err != nil {
		return err
	}
	o := own{Consistency: &c.Consistency, StuckAfter: jsondur.Of(&c.StuckAfter), InDoubtMax: jsondur.Of(&c.InDoubtMax)}
	return jsondur.Strict(bytes.TrimSpace(ownJSON), &o)
}
