package sim

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"time"
)

// HostID names a host in a world. Hosts are numbered from 0 in the order
// they were added.
type HostID int

// NoHost is the HostID of no host (for example, the sender of a record that
// concerns one host only).
const NoHost HostID = -1

func (id HostID) String() string {
	if id == NoHost {
		return "-"
	}
	return "h" + strconv.Itoa(int(id))
}

// TimerID identifies a pending timer. The zero TimerID is never issued.
type TimerID uint64

// A Node is a deterministic state machine run by a host. The simulator calls
// exactly one of its methods at a time, each to completion; the node acts on
// the world only through the Env it was given in Start.
//
// A node must not start goroutines, read the wall clock, sleep, or use any
// random source other than Env.Rand. It must not let map iteration order
// decide what it does.
type Node interface {
	// Start runs when the host boots and again, on a fresh instance, after
	// every restart. A restarted node recovers whatever it needs from
	// env.Storage(); its memory and timers from before the crash are gone.
	Start(env Env)
	// Receive handles a message from another host. msg is the node's own
	// copy: the sender cannot change it any more.
	Receive(from HostID, msg any)
	// Timer handles a timer the node set with Env.After.
	Timer(id TimerID, tag any)
}

// Factory builds a fresh node. The world calls it at boot and at every
// restart.
type Factory func() Node

// Env is a node's whole view of the world. It belongs to one incarnation:
// once that incarnation has crashed, a call that acts through it, or through
// its Storage, does nothing and halts the run with a *StaleEnvError.
type Env interface {
	// ID is this host's id; Name is its human-readable name.
	ID() HostID
	Name() string
	// Peers are the hosts this node was configured to know, in the order
	// the scenario gave them.
	Peers() []HostID
	// Now reads the host's local clock: true time scaled by (1 + drift),
	// plus an offset. Two hosts' clocks disagree, and a clock may be stepped.
	Now() time.Duration
	// Send hands msg to the network. The network copies it, so the caller
	// may reuse or change msg afterwards.
	Send(to HostID, msg any)
	// After sets a timer that fires when the local clock has advanced by d.
	// tag comes back in Node.Timer. Steps and drift of the local clock move
	// the timer with it.
	After(d time.Duration, tag any) TimerID
	// Cancel stops a pending timer and reports whether it was pending.
	Cancel(id TimerID) bool
	// Rand is this host's random stream, derived from the world's seed.
	Rand() *rand.Rand
	// Storage is the host's durable storage; it survives crashes, except
	// for writes that were not synced.
	Storage() Storage
	// Logf writes a line into the trace. The trace hash covers the format
	// string, not the arguments, so logging stays cheap when no sink is
	// attached.
	Logf(format string, args ...any)
}

// ErrCorrupt is returned by Storage.Get when a value fails its checksum: the
// storage fault injector tore or corrupted it.
var ErrCorrupt = errors.New("sim: stored value failed its checksum")

// ErrNotFound is returned by Storage.Get for a key that holds no value.
var ErrNotFound = errors.New("sim: key not found")

// Storage is a host's disk as a key-value store. Set and Delete are volatile
// until Sync returns; a crash loses every unsynced change. Keys are listed in
// byte order, so iteration never depends on map order.
type Storage interface {
	// Get returns a copy of the value at key, ErrNotFound, or ErrCorrupt
	// (or a *StaleEnvError, called through a crashed incarnation's Storage).
	Get(key string) ([]byte, error)
	// Set stores a copy of value at key.
	Set(key string, value []byte)
	// Delete removes key.
	Delete(key string)
	// Sync makes every earlier Set and Delete durable.
	Sync()
	// Keys lists the keys that start with prefix, sorted.
	Keys(prefix string) []string
}
