package cache

import (
	"fmt"
	"time"

	"github.com/detsim/detsim/sim"
)

// Mode is which of the package's two systems runs.
type Mode string

const (
	// ModeAside: a database, a sharded tier of cache servers, and
	// cache-aside clients.
	ModeAside Mode = "aside"
	// ModeReplicated: every server is a replica of one cache, which
	// pushes its writes to its peers.
	ModeReplicated Mode = "replicated"
)

// WritePolicy is what a cache-aside client does to the cache after it
// has updated the database.
type WritePolicy string

const (
	// WriteDelete deletes the key from the cache (the usual cache-aside).
	WriteDelete WritePolicy = "delete"
	// WriteUpdate sets the key in the cache to the value just written,
	// with the version the database gave it.
	WriteUpdate WritePolicy = "update"
	// WriteNone leaves the cache alone: only the database's invalidations
	// (Invalidation "db") make it consistent, as when a client crashes
	// between its write and its delete.
	WriteNone WritePolicy = "none"
)

// Invalidation says whether the database invalidates the cache itself.
type Invalidation string

const (
	// InvalidateOff: only the clients touch the cache after a write.
	InvalidateOff Invalidation = "off"
	// InvalidateDB: the database tails its commit log and sends every
	// commit to the cache server that owns the key, until acknowledged.
	InvalidateDB Invalidation = "db"
)

// Versioning orders the replicated cache's writes.
type Versioning string

const (
	// VersionCounterNode orders writes by (counter, node id),
	// lexicographically: a write takes a counter above every one its node
	// has seen for the key, and the node id breaks ties, so two
	// concurrent writes never share a version.
	VersionCounterNode Versioning = "counter-node"
	// VersionHLC orders writes by a hybrid logical clock (physical time of
	// the writer's clock, a logical counter, the node id): like
	// counter-node, and a later write by a well-synchronised clock wins.
	VersionHLC Versioning = "hlc"
)

// Config configures every node of the package. It is plain data that a
// scenario writes; durations are strings in JSON ("20ms").
type Config struct {
	_ struct{} // forces keyed literals

	Mode Mode `json:"mode"`

	// MemoryMax bounds a cache server's memory in bytes: the sum over its
	// entries of key, value and EntryOverhead. Past it the least recently
	// used entries are evicted.
	MemoryMax int `json:"memory_max"`
	// RingPoints is how many points each cache server has on the
	// consistent-hash ring, at most MaxRingPoints.
	RingPoints int `json:"ring_points"`

	// LeaseInterval is how long a lease token lasts, and so the shortest
	// time between two tokens for one key: a misser who finds a live
	// token waits LeaseRetry and asks again.
	LeaseInterval time.Duration `json:"lease_interval"`
	LeaseRetry    time.Duration `json:"lease_retry"`

	WritePolicy  WritePolicy  `json:"write_policy"`
	Invalidation Invalidation `json:"invalidation"`
	// InvalidationRetry is how long the database waits for an
	// invalidation's acknowledgement before it sends it again.
	InvalidationRetry time.Duration `json:"invalidation_retry"`

	// CacheTimeout is how long a client waits for a cache server's
	// answer; CacheAttempts bounds the attempts of a delete or an update
	// (a get that times out reads the database instead).
	CacheTimeout  time.Duration `json:"cache_timeout"`
	CacheAttempts int           `json:"cache_attempts"`

	// Replicated cache: a write is pushed to the peers after a delay drawn
	// from [0, PushDelayMax]; every AntiEntropyInterval a replica sends
	// its whole state to a random peer, which keeps what is newer.
	Versioning          Versioning    `json:"versioning"`
	PushDelayMax        time.Duration `json:"push_delay_max"`
	AntiEntropyInterval time.Duration `json:"anti_entropy_interval"`

	Bugs Bugs `json:"bugs"`

	// Observer, if set, hears what the nodes do, for checks. It is called
	// synchronously from within events and must not call back into them.
	Observer Observer `json:"-"`
}

// Bugs are planted bugs: each turns a correct piece of the protocol into a
// well-known wrong one, for the harness to find.
type Bugs struct {
	// NoLeases: misses get no lease token and every set is accepted, so
	// a reader's fill of a value it read before a write lands after the
	// writer's delete, and stays (the stale-set race).
	NoLeases bool `json:"no_leases"`
	// FillUnversioned: a set replaces an entry whatever its version, so
	// an older fill overwrites a newer one.
	FillUnversioned bool `json:"fill_unversioned"`
	// InvalidateOnce: the database sends each invalidation once and never
	// again, lost or not.
	InvalidateOnce bool `json:"invalidate_once"`
	// InvalidateUnordered: a cache server applies an invalidation's value
	// whatever the version of the entry it replaces, so invalidations
	// that arrive out of order leave the older value.
	InvalidateUnordered bool `json:"invalidate_unordered"`
	// TutorialVersions: the replicated cache numbers writes as the common
	// tutorial does, version[key]+1 on the writing node, and a replica
	// keeps a pushed write only if its version is greater. Two concurrent
	// writes of one key get the same version, and each side ignores the
	// other's forever.
	TutorialVersions bool `json:"tutorial_versions"`
}

// EntryOverhead is the bytes a cache entry costs beyond its key and value.
const EntryOverhead = 48

// MaxRingPoints bounds Config.RingPoints: the ring is built at every
// boot, and a mistyped count must be refused, not spend minutes hashing.
// Real rings use tens to hundreds of points per server.
const MaxRingPoints = 4096

// DefaultConfig is a cache-aside system with leases and deleting clients.
func DefaultConfig() Config {
	return Config{
		Mode:                ModeAside,
		MemoryMax:           64 << 10,
		RingPoints:          64,
		LeaseInterval:       50 * time.Millisecond,
		LeaseRetry:          10 * time.Millisecond,
		WritePolicy:         WriteDelete,
		Invalidation:        InvalidateOff,
		InvalidationRetry:   50 * time.Millisecond,
		CacheTimeout:        30 * time.Millisecond,
		CacheAttempts:       5,
		Versioning:          VersionCounterNode,
		PushDelayMax:        50 * time.Millisecond,
		AntiEntropyInterval: 200 * time.Millisecond,
	}
}

// Validate names the first field out of range, by its JSON name.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("cache: %s %s", field, fmt.Sprintf(format, args...))
	}
	switch c.Mode {
	case ModeAside, ModeReplicated:
	default:
		return bad("mode", "must be %q or %q, not %q", ModeAside, ModeReplicated, c.Mode)
	}
	switch c.WritePolicy {
	case WriteDelete, WriteUpdate, WriteNone:
	default:
		return bad("write_policy", "must be %q, %q or %q, not %q", WriteDelete, WriteUpdate, WriteNone, c.WritePolicy)
	}
	switch c.Invalidation {
	case InvalidateOff, InvalidateDB:
	default:
		return bad("invalidation", "must be %q or %q, not %q", InvalidateOff, InvalidateDB, c.Invalidation)
	}
	switch c.Versioning {
	case VersionCounterNode, VersionHLC:
	default:
		return bad("versioning", "must be %q or %q, not %q", VersionCounterNode, VersionHLC, c.Versioning)
	}
	switch {
	case c.MemoryMax < EntryOverhead:
		return bad("memory_max", "must hold at least one entry (>= %d bytes), got %d", EntryOverhead, c.MemoryMax)
	case c.RingPoints < 1 || c.RingPoints > MaxRingPoints:
		return bad("ring_points", "must be in [1, %d], got %d", MaxRingPoints, c.RingPoints)
	case c.LeaseInterval <= 0:
		return bad("lease_interval", "must be positive, got %v", c.LeaseInterval)
	case c.LeaseRetry <= 0:
		return bad("lease_retry", "must be positive, got %v", c.LeaseRetry)
	case c.InvalidationRetry <= 0:
		return bad("invalidation_retry", "must be positive, got %v", c.InvalidationRetry)
	case c.CacheTimeout <= 0:
		return bad("cache_timeout", "must be positive, got %v", c.CacheTimeout)
	case c.CacheAttempts < 1:
		return bad("cache_attempts", "must be >= 1, got %d", c.CacheAttempts)
	case c.PushDelayMax < 0:
		return bad("push_delay_max", "must be >= 0, got %v", c.PushDelayMax)
	case c.AntiEntropyInterval <= 0:
		return bad("anti_entropy_interval", "must be positive, got %v", c.AntiEntropyInterval)
	case c.Mode == ModeAside && c.WritePolicy == WriteNone && c.Invalidation == InvalidateOff:
		return bad("write_policy", "%q needs invalidation %q, or nothing ever makes the cache consistent", WriteNone, InvalidateDB)
	}
	return nil
}

// Observer hears what the cache-aside nodes do, in the order of events
// (the replicated cache reports nothing). Servers are host ids; versions
// are the database's.
type Observer interface {
	// CacheStarted: a cache server booted, empty.
	CacheStarted(server sim.HostID)
	// CacheStored: server now holds key at version (a fill, an update,
	// or an invalidation's refresh).
	CacheStored(server sim.HostID, key string, version uint64)
	// CacheRemoved: server dropped key; evicted tells an eviction from a
	// delete or an invalidation.
	CacheRemoved(server sim.HostID, key string, evicted bool)
	// LeaseWait: a misser was told to wait for another's lease.
	LeaseWait(server sim.HostID, key string)
	// DBQueried: the database is about to answer reader's read of key.
	DBQueried(key string, reader sim.HostID)
	// DBCommitted: the database made version of key durable with value.
	DBCommitted(key, value string, version uint64)
}
