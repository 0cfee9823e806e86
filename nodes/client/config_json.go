package client

import (
	"encoding/json"

	"github.com/detsim/detsim/internal/jsondur"
)

// MarshalJSON writes durations as strings ("150ms"), so specs stay readable.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		TimeoutAttempt jsondur.Duration `json:"timeout_attempt"`
		Deadline       jsondur.Duration `json:"deadline"`
		BackoffBase    jsondur.Duration `json:"backoff_base"`
		BackoffMax     jsondur.Duration `json:"backoff_max"`
		BreakerReset   jsondur.Duration `json:"breaker_reset"`
	}{plain(c), jsondur.Duration(c.TimeoutAttempt), jsondur.Duration(c.Deadline), jsondur.Duration(c.BackoffBase), jsondur.Duration(c.BackoffMax), jsondur.Duration(c.BreakerReset)})
}

// UnmarshalJSON reads durations as strings or nanoseconds, and rejects
// unknown fields.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		TimeoutAttempt *jsondur.Duration `json:"timeout_attempt"`
		Deadline       *jsondur.Duration `json:"deadline"`
		BackoffBase    *jsondur.Duration `json:"backoff_base"`
		BackoffMax     *jsondur.Duration `json:"backoff_max"`
		BreakerReset   *jsondur.Duration `json:"breaker_reset"`
	}{(*plain)(c), jsondur.Of(&c.TimeoutAttempt), jsondur.Of(&c.Deadline), jsondur.Of(&c.BackoffBase), jsondur.Of(&c.BackoffMax), jsondur.Of(&c.BreakerReset)})
}

// MarshalJSON writes durations as strings.
func (c WorkloadConfig) MarshalJSON() ([]byte, error) {
	type plain WorkloadConfig
	return json.Marshal(struct {
		plain
		ThinkMin jsondur.Duration `json:"think_min"`
		ThinkMax jsondur.Duration `json:"think_max"`
		StopAt   jsondur.Duration `json:"stop_at"`
	}{plain(c), jsondur.Duration(c.ThinkMin), jsondur.Duration(c.ThinkMax), jsondur.Duration(c.StopAt)})
}

// UnmarshalJSON reads durations as strings or nanoseconds, and rejects
// unknown fields.
func (c *WorkloadConfig) UnmarshalJSON(b []byte) error {
	type plain WorkloadConfig
	return jsondur.Strict(b, &struct {
		*plain
		ThinkMin *jsondur.Duration `json:"think_min"`
		ThinkMax *jsondur.Duration `json:"think_max"`
		StopAt   *jsondur.Duration `json:"stop_at"`
	}{(*plain)(c), jsondur.Of(&c.ThinkMin), jsondur.Of(&c.ThinkMax), jsondur.Of(&c.StopAt)})
}
