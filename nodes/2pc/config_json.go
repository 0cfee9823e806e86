package twopc

import (
	"encoding/json"

	"github.com/detsim/detsim/internal/jsondur"
)

// MarshalJSON writes durations as strings ("300ms"), so specs stay readable.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		LockWait         jsondur.Duration `json:"lock_wait"`
		ActiveTimeout    jsondur.Duration `json:"active_timeout"`
		VoteTimeout      jsondur.Duration `json:"vote_timeout"`
		DecisionTimeout  jsondur.Duration `json:"decision_timeout"`
		DecisionRetryMax jsondur.Duration `json:"decision_retry_max"`
		ResendInterval   jsondur.Duration `json:"resend_interval"`
	}{plain(c), jsondur.Duration(c.LockWait), jsondur.Duration(c.ActiveTimeout), jsondur.Duration(c.VoteTimeout),
		jsondur.Duration(c.DecisionTimeout), jsondur.Duration(c.DecisionRetryMax), jsondur.Duration(c.ResendInterval)})
}

// UnmarshalJSON reads durations as strings or nanoseconds and rejects
// unknown fields; absent fields keep their value.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		LockWait         *jsondur.Duration `json:"lock_wait"`
		ActiveTimeout    *jsondur.Duration `json:"active_timeout"`
		VoteTimeout      *jsondur.Duration `json:"vote_timeout"`
		DecisionTimeout  *jsondur.Duration `json:"decision_timeout"`
		DecisionRetryMax *jsondur.Duration `json:"decision_retry_max"`
		ResendInterval   *jsondur.Duration `json:"resend_interval"`
	}{(*plain)(c), jsondur.Of(&c.LockWait), jsondur.Of(&c.ActiveTimeout), jsondur.Of(&c.VoteTimeout),
		jsondur.Of(&c.DecisionTimeout), jsondur.Of(&c.DecisionRetryMax), jsondur.Of(&c.ResendInterval)})
}

// MarshalJSON writes durations as strings.
func (w Workload) MarshalJSON() ([]byte, error) {
	type plain Workload
	return json.Marshal(struct {
		plain
		AttemptTimeout jsondur.Duration `json:"attempt_timeout"`
		Deadline       jsondur.Duration `json:"deadline"`
		ThinkMin       jsondur.Duration `json:"think_min"`
		ThinkMax       jsondur.Duration `json:"think_max"`
		StopAt         jsondur.Duration `json:"stop_at"`
	}{plain(w), jsondur.Duration(w.AttemptTimeout), jsondur.Duration(w.Deadline),
		jsondur.Duration(w.ThinkMin), jsondur.Duration(w.ThinkMax), jsondur.Duration(w.StopAt)})
}

// UnmarshalJSON reads durations as strings or nanoseconds and rejects
// unknown fields; absent fields keep their value.
func (w *Workload) UnmarshalJSON(b []byte) error {
	type plain Workload
	return jsondur.Strict(b, &struct {
		*plain
		AttemptTimeout *jsondur.Duration `json:"attempt_timeout"`
		Deadline       *jsondur.Duration `json:"deadline"`
		ThinkMin       *jsondur.Duration `json:"think_min"`
		ThinkMax       *jsondur.Duration `json:"think_max"`
		StopAt         *jsondur.Duration `json:"stop_at"`
	}{(*plain)(w), jsondur.Of(&w.AttemptTimeout), jsondur.Of(&w.Deadline),
		jsondur.Of(&w.ThinkMin), jsondur.Of(&w.ThinkMax), jsondur.Of(&w.StopAt)})
}
