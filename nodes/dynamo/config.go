package dynamo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/detsim/detsim/internal/jsondur"
)

// Config is a store server's configuration: plain data that encodes to JSON
// and back (decode onto DefaultConfig() so that absent fields keep their
// defaults), except Observer, which a harness sets in code.
type Config struct {
	// N replicas hold each key; a get waits for R of them, a put for W.
	N int `json:"n"`
	R int `json:"r"`
	W int `json:"w"`
	// Sloppy quorums send to the first N healthy servers of the key's
	// preference list, so fallbacks past the N primaries stand in for the
	// ones the failure detector holds down, keeping hints for them.
	// Strict quorums (false) send to the N primaries only.
	Sloppy bool `json:"sloppy"`
	// Vnodes is the number of tokens each server owns on the ring.
	Vnodes int `json:"vnodes"`
	// LastWriteWins keeps one version per key, the latest by the
	// coordinator's clock, instead of siblings: concurrent writes are not
	// detected and all but one are silently lost.
	LastWriteWins bool `json:"last_write_wins"`

	// RequestTimeout is how long a coordinator waits for its quorum before
	// answering Unavailable (local clock).
	RequestTimeout time.Duration `json:"request_timeout"`
	// ReadRepair sends the merged object of a get to the replicas that
	// answered with less, once every replica answered or the timeout came.
	ReadRepair bool `json:"read_repair"`
	// AntiEntropyInterval is how often a server compares the Merkle tree of
	// one of its key ranges with another replica of that range; 0 turns
	// anti-entropy off.
	AntiEntropyInterval time.Duration `json:"anti_entropy_interval"`
	// GossipInterval is how often a server gossips its membership and
	// heartbeat table to a random peer. A peer whose heartbeat has not
	// advanced for FailAfter is held down by the failure detector.
	GossipInterval time.Duration `json:"gossip_interval"`
	FailAfter      time.Duration `json:"fail_after"`
	// HintInterval is how often a server tries to hand its hints to their
	// targets that the failure detector holds up.
	HintInterval time.Duration `json:"hint_interval"`
	// TombstoneGrace is how long a key whose every sibling is a tombstone
	// is kept before it is reaped; ReapInterval is how often servers look.
	// The grace must outlast any partition a replica may sit out, or the
	// replica brings the deleted key back.
	TombstoneGrace time.Duration `json:"tombstone_grace"`
	ReapInterval   time.Duration `json:"reap_interval"`

	// Bugs are planted defects for the harness to find. All off is correct.
	Bugs Bugs `json:"bugs"`

	// Observer, if set, sees every change of a replica's state.
	Observer Observer `json:"-"`
}

// Bugs are deliberate defects, each found by its own scenario.
type Bugs struct {
	// ClientClocks keys version vectors by client instead of by server:
	// a client that writes from a stale context reuses a dot, and the
	// store takes two different writes for one.
	ClientClocks bool `json:"client_clocks,omitempty"`
	// ReapEarly reaps tombstones at the next reap, ignoring the grace: a
	// replica that was partitioned away from the delete resurrects the key.
	ReapEarly bool `json:"reap_early,omitempty"`
	// RepairOverwrite makes read repair replace the replicas' objects with
	// the first answer the coordinator got, instead of merging the merged
	// object into them: a newer version is overwritten with an older one.
	RepairOverwrite bool `json:"repair_overwrite,omitempty"`
	// UnsyncedHints keeps hints in memory only: a crash of the fallback
	// drops every hint it held, though it acknowledged the writes.
	UnsyncedHints bool `json:"unsynced_hints,omitempty"`
	// PruneClocks prunes the causal context of every put to its
	// PrunedEntries entries of highest counter before the write is stored,
	// as Riak prunes a vector clock past small_vclock entries once they
	// are older than young_vclock (here every entry is old enough, and the
	// counter stands in for the entry's timestamp). The write no longer
	// supersedes the siblings of the servers pruned away: siblings the
	// client merged come back as concurrent (false concurrency), pile up,
	// and a delete leaves the values it removed beside its tombstone.
	PruneClocks bool `json:"prune_clocks,omitempty"`
}

// PrunedEntries is how many entries Bugs.PruneClocks leaves in a context.
const PrunedEntries = 2

// DefaultConfig is N=3, R=W=2 with strict quorums, read repair,
// anti-entropy every 200ms and a tombstone grace of a minute.
func DefaultConfig() Config {
	return Config{
		N: 3, R: 2, W: 2,
		Vnodes:              8,
		RequestTimeout:      100 * time.Millisecond,
		ReadRepair:          true,
		AntiEntropyInterval: 200 * time.Millisecond,
		GossipInterval:      100 * time.Millisecond,
		FailAfter:           600 * time.Millisecond,
		HintInterval:        200 * time.Millisecond,
		TombstoneGrace:      time.Minute,
		ReapInterval:        250 * time.Millisecond,
	}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.N < 1:
		return fmt.Errorf("n must be at least 1 (is %d)", c.N)
	case c.R < 1 || c.R > c.N:
		return fmt.Errorf("r must be in [1, n=%d] (is %d)", c.N, c.R)
	case c.W < 1 || c.W > c.N:
		return fmt.Errorf("w must be in [1, n=%d] (is %d)", c.N, c.W)
	case c.Vnodes < 1 || c.Vnodes > 1024:
		return fmt.Errorf("vnodes must be in [1, 1024] (is %d)", c.Vnodes)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("request_timeout must be positive (is %v)", c.RequestTimeout)
	case c.AntiEntropyInterval < 0:
		return fmt.Errorf("anti_entropy_interval is negative (%v)", c.AntiEntropyInterval)
	case c.GossipInterval <= 0:
		return fmt.Errorf("gossip_interval must be positive (is %v)", c.GossipInterval)
	case c.FailAfter <= c.GossipInterval:
		return fmt.Errorf("fail_after (%v) must exceed gossip_interval (%v)", c.FailAfter, c.GossipInterval)
	case c.HintInterval <= 0:
		return fmt.Errorf("hint_interval must be positive (is %v)", c.HintInterval)
	case c.TombstoneGrace < 0:
		return fmt.Errorf("tombstone_grace is negative (%v)", c.TombstoneGrace)
	case c.ReapInterval <= 0:
		return fmt.Errorf("reap_interval must be positive (is %v)", c.ReapInterval)
	}
	return nil
}

// validateServers checks the configuration against the ring's size.
func (c Config) validateServers(servers int) error {
	if c.N > servers {
		return fmt.Errorf("n (%d) exceeds the %d servers", c.N, servers)
	}
	return nil
}

// MarshalJSON writes durations as strings ("100ms").
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		RequestTimeout      jsondur.Duration `json:"request_timeout"`
		AntiEntropyInterval jsondur.Duration `json:"anti_entropy_interval"`
		GossipInterval      jsondur.Duration `json:"gossip_interval"`
		FailAfter           jsondur.Duration `json:"fail_after"`
		HintInterval        jsondur.Duration `json:"hint_interval"`
		TombstoneGrace      jsondur.Duration `json:"tombstone_grace"`
		ReapInterval        jsondur.Duration `json:"reap_interval"`
	}{plain(c), jsondur.Duration(c.RequestTimeout), jsondur.Duration(c.AntiEntropyInterval), jsondur.Duration(c.GossipInterval),
		jsondur.Duration(c.FailAfter), jsondur.Duration(c.HintInterval), jsondur.Duration(c.TombstoneGrace), jsondur.Duration(c.ReapInterval)})
}

// UnmarshalJSON reads durations as strings or nanoseconds and rejects
// unknown fields; absent fields keep their value.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		RequestTimeout      *jsondur.Duration `json:"request_timeout"`
		AntiEntropyInterval *jsondur.Duration `json:"anti_entropy_interval"`
		GossipInterval      *jsondur.Duration `json:"gossip_interval"`
		FailAfter           *jsondur.Duration `json:"fail_after"`
		HintInterval        *jsondur.Duration `json:"hint_interval"`
		TombstoneGrace      *jsondur.Duration `json:"tombstone_grace"`
		ReapInterval        *jsondur.Duration `json:"reap_interval"`
	}{(*plain)(c), jsondur.Of(&c.RequestTimeout), jsondur.Of(&c.AntiEntropyInterval), jsondur.Of(&c.GossipInterval),
		jsondur.Of(&c.FailAfter), jsondur.Of(&c.HintInterval), jsondur.Of(&c.TombstoneGrace), jsondur.Of(&c.ReapInterval)})
}
