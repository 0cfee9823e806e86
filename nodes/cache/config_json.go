package cache

import (
	"encoding/json"

	"github.com/detsim/detsim/internal/jsondur"
)

// MarshalJSON writes durations as strings ("50ms").
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		LeaseInterval       jsondur.Duration `json:"lease_interval"`
		LeaseRetry          jsondur.Duration `json:"lease_retry"`
		InvalidationRetry   jsondur.Duration `json:"invalidation_retry"`
		CacheTimeout        jsondur.Duration `json:"cache_timeout"`
		PushDelayMax        jsondur.Duration `json:"push_delay_max"`
		AntiEntropyInterval jsondur.Duration `json:"anti_entropy_interval"`
	}{plain(c), jsondur.Duration(c.LeaseInterval), jsondur.Duration(c.LeaseRetry), jsondur.Duration(c.InvalidationRetry),
		jsondur.Duration(c.CacheTimeout), jsondur.Duration(c.PushDelayMax), jsondur.Duration(c.AntiEntropyInterval)})
}

// UnmarshalJSON reads durations as strings or nanoseconds, and rejects
// unknown fields.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		LeaseInterval       *jsondur.Duration `json:"lease_interval"`
		LeaseRetry          *jsondur.Duration `json:"lease_retry"`
		InvalidationRetry   *jsondur.Duration `json:"invalidation_retry"`
		CacheTimeout        *jsondur.Duration `json:"cache_timeout"`
		PushDelayMax        *jsondur.Duration `json:"push_delay_max"`
		AntiEntropyInterval *jsondur.Duration `json:"anti_entropy_interval"`
	}{(*plain)(c), jsondur.Of(&c.LeaseInterval), jsondur.Of(&c.LeaseRetry), jsondur.Of(&c.InvalidationRetry),
		jsondur.Of(&c.CacheTimeout), jsondur.Of(&c.PushDelayMax), jsondur.Of(&c.AntiEntropyInterval)})
}
