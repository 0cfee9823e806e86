package raft

import (
	"encoding/json"

	"github.com/detsim/detsim/internal/jsondur"
)

// MarshalJSON writes durations as strings ("300ms"), so specs stay readable.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		ElectionTimeoutMin jsondur.Duration `json:"election_timeout_min"`
		ElectionTimeoutMax jsondur.Duration `json:"election_timeout_max"`
		HeartbeatInterval  jsondur.Duration `json:"heartbeat_interval"`
		LeaseDriftBound    jsondur.Duration `json:"lease_drift_bound"`
	}{plain(c), jsondur.Duration(c.ElectionTimeoutMin), jsondur.Duration(c.ElectionTimeoutMax), jsondur.Duration(c.HeartbeatInterval), jsondur.Duration(c.LeaseDriftBound)})
}

// UnmarshalJSON reads durations as strings or nanoseconds, and rejects
// unknown fields. Fields absent from the JSON keep their value, so decoding
// onto DefaultConfig() changes only what the JSON names.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		ElectionTimeoutMin *jsondur.Duration `json:"election_timeout_min"`
		ElectionTimeoutMax *jsondur.Duration `json:"election_timeout_max"`
		HeartbeatInterval  *jsondur.Duration `json:"heartbeat_interval"`
		LeaseDriftBound    *jsondur.Duration `json:"lease_drift_bound"`
	}{(*plain)(c), jsondur.Of(&c.ElectionTimeoutMin), jsondur.Of(&c.ElectionTimeoutMax), jsondur.Of(&c.HeartbeatInterval), jsondur.Of(&c.LeaseDriftBound)})
}
