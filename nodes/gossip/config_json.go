package gossip

import (
	"encoding/json"

	"github.com/detsim/detsim/internal/jsondur"
)

// MarshalJSON writes the interval as a string ("50ms").
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		Interval jsondur.Duration `json:"interval"`
	}{plain(c), jsondur.Duration(c.Interval)})
}

// UnmarshalJSON reads the interval as a string or nanoseconds, and rejects
// unknown fields.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		Interval *jsondur.Duration `json:"interval"`
	}{(*plain)(c), jsondur.Of(&c.Interval)})
}
