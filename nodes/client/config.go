package client

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/detsim/detsim/sim"
)

// Config is the client side's configuration: plain data that a scenario
// writes and JSON encodes. Durations are in nanoseconds in JSON.
type Config struct {
	_ struct{} // forces keyed literals, so fields can be added later

	// ID identifies the client to the servers (Request.Client) and in the
	// history. Every client of a run needs its own; 0 is refused, because it
	// is what a forgotten field looks like.
	ID uint64 `json:"id"`
	// Servers are the hosts the client may send to, tried round-robin when
	// no leader hint is known. No duplicates.
	Servers []sim.HostID `json:"servers"`

	// TimeoutAttempt is how long one attempt waits for its answer before
	// the client gives up on it and retries (local clock).
	TimeoutAttempt time.Duration `json:"timeout_attempt"`
	// Deadline bounds a whole operation, retries included (local clock).
	Deadline time.Duration `json:"deadline"`
	// AttemptsMax bounds the attempts of one operation; 0 leaves only the
	// Deadline as the bound.
	AttemptsMax int `json:"attempts_max"`

	// Retry n (counted from 0 within an operation) waits a delay drawn
	// uniformly from [0, min(BackoffMax, BackoffBase*2^n)]: exponential
	// backoff with full jitter. BackoffBase 0 retries at once.
	BackoffBase time.Duration `json:"backoff_base"`
	BackoffMax  time.Duration `json:"backoff_max"`

	// BreakerFailures consecutive failed attempts (timeouts, Unavailable)
	// open the circuit breaker; 0 disables it. An open breaker rejects
	// attempts for BreakerReset (local clock), then lets one probe through.
	BreakerFailures int           `json:"breaker_failures"`
	BreakerReset    time.Duration `json:"breaker_reset"`

	// RefusalDefinite says that a NotLeader answer proves the attempt will
	// never take effect, so an operation whose every attempt was refused is
	// recorded as failed. That holds only when the network cannot duplicate
	// a request: a second copy may reach the same server after it has become
	// the leader. Leave it false when the network may duplicate; such an
	// operation then stays open (unknown), which is always sound.
	RefusalDefinite bool `json:"refusal_definite"`
}

// DefaultConfig returns the timing defaults. ID and Servers are left for the
// scenario to fill in; without them the Config does not validate.
func DefaultConfig() Config {
	return Config{
		TimeoutAttempt:  50 * time.Millisecond,
		Deadline:        time.Second,
		BackoffBase:     5 * time.Millisecond,
		BackoffMax:      200 * time.Millisecond,
		BreakerFailures: 8,
		BreakerReset:    300 * time.Millisecond,
	}
}

// Validate reports the first field that is out of range, by its JSON
// name ("deadline: must be positive (is 0s)"), so that the error reads as
// the configuration a scenario writes.
func (c Config) Validate() error {
	if c.ID == 0 {
		return fieldErr("id", "must be set (non-zero) and distinct per client")
	}
	if len(c.Servers) == 0 {
		return fieldErr("servers", "must name at least one server")
	}
	for i, s := range c.Servers {
		if s < 0 {
			return fieldErr(fmt.Sprintf("servers[%d]", i), fmt.Sprintf("entry %d is %v, not a host", i, s))
		}
		for _, t := range c.Servers[:i] {
			if s == t {
				return fieldErr("servers", fmt.Sprintf("lists %v twice", s))
			}
		}
	}
	if c.TimeoutAttempt <= 0 {
		return fieldErr("timeout_attempt", fmt.Sprintf("must be positive (is %v)", c.TimeoutAttempt))
	}
	if c.Deadline <= 0 {
		return fieldErr("deadline", fmt.Sprintf("must be positive (is %v)", c.Deadline))
	}
	if c.AttemptsMax < 0 {
		return fieldErr("attempts_max", fmt.Sprintf("must be >= 0 (is %d)", c.AttemptsMax))
	}
	if c.BackoffBase < 0 {
		return fieldErr("backoff_base", fmt.Sprintf("must be >= 0 (is %v)", c.BackoffBase))
	}
	if c.BackoffMax < c.BackoffBase {
		return fieldErr("backoff_max", fmt.Sprintf("must be >= backoff_base (%v) (is %v)", c.BackoffBase, c.BackoffMax))
	}
	if c.BreakerFailures < 0 {
		return fieldErr("breaker_failures", fmt.Sprintf("must be >= 0 (is %d)", c.BreakerFailures))
	}
	if c.BreakerFailures > 0 && c.BreakerReset <= 0 {
		return fieldErr("breaker_reset", fmt.Sprintf("must be positive when breaker_failures is set (is %v)", c.BreakerReset))
	}
	return nil
}

func fieldErr(field, msg string) error {
	return fmt.Errorf("%s: %s", field, msg)
}

// backoffCeiling is min(max, base*2^n), without overflow.
func backoffCeiling(base, max time.Duration, n int) time.Duration {
	c := base
	for i := 0; i < n && c < max; i++ {
		if c > max/2 {
			return max
		}
		c *= 2
	}
	return min(c, max)
}

// backoffDelay draws retry n's delay uniformly from [0, ceiling] (full jitter).
func backoffDelay(r *rand.Rand, base, max time.Duration, n int) time.Duration {
	c := backoffCeiling(base, max, n)
	if c <= 0 {
		return 0
	}
	return time.Duration(r.Uint64N(uint64(c) + 1))
}
