package raft

import (
	"errors"
	"fmt"
	"time"

	"github.com/detsim/detsim/sim"
)

// ReadMode says how a leader serves a get.
type ReadMode string

const (
	// ReadLog puts every get through the log, like a write. Always safe;
	// the slowest.
	ReadLog ReadMode = "log"
	// ReadIndex records the commit index, confirms leadership with a round
	// of heartbeats acknowledged by a quorum, waits until the state machine
	// has applied that index, then answers from local state. Safe whatever
	// the clocks do.
	ReadIndex ReadMode = "index"
	// ReadLease answers from local state while the leader holds a lease: a
	// quorum acknowledged a heartbeat sent at t, and no follower will vote
	// for another leader before t + ElectionTimeoutMin on its own clock.
	// The lease ends at t + ElectionTimeoutMin - LeaseDriftBound on the
	// leader's clock. UNSAFE when clocks drift or step by more than
	// LeaseDriftBound within a lease: a deposed leader can then serve a
	// stale read. Requires CheckQuorum (followers' leader stickiness).
	ReadLease ReadMode = "lease"
)

// Config is a Raft node's configuration. It is plain data: it encodes to
// JSON and back (decode onto DefaultConfig() so that absent fields keep
// their defaults), except Observer, which a test sets in code.
type Config struct {
	// ElectionTimeoutMin and ElectionTimeoutMax bound the randomized
	// election timeout, drawn from [Min, Max) on the host's stream each
	// time the timer is reset. Measured on the host's local clock.
	ElectionTimeoutMin time.Duration `json:"election_timeout_min"`
	ElectionTimeoutMax time.Duration `json:"election_timeout_max"`
	// HeartbeatInterval is how often a leader sends heartbeats. It must be
	// below ElectionTimeoutMin.
	HeartbeatInterval time.Duration `json:"heartbeat_interval"`

	// PreVote: a follower whose timer fires first asks whether it could
	// win (without raising its term), so a node that rejoins after a
	// partition does not depose a healthy leader.
	PreVote bool `json:"pre_vote"`
	// CheckQuorum: a leader that has not heard from a quorum within
	// ElectionTimeoutMin steps down, and a follower that heard from a
	// leader within ElectionTimeoutMin ignores vote requests (leader
	// stickiness). Lease reads depend on it.
	CheckQuorum bool `json:"check_quorum"`

	// ReadMode selects how gets are served; see ReadLog, ReadIndex,
	// ReadLease.
	ReadMode ReadMode `json:"read_mode"`
	// LeaseDriftBound is how much clock error a lease tolerates
	// (ReadLease only); it must be below ElectionTimeoutMin.
	LeaseDriftBound time.Duration `json:"lease_drift_bound"`

	// SnapshotEntries: once the state machine has applied this many
	// entries beyond the last snapshot, the node snapshots the state
	// machine and compacts its log. Zero disables snapshots.
	SnapshotEntries int `json:"snapshot_entries"`
	// SnapshotTrailing entries are kept in the log behind a snapshot, so
	// that a follower that lags a little catches up without one.
	SnapshotTrailing int `json:"snapshot_trailing"`
	// AppendEntriesMax caps the entries in one AppendEntries message.
	AppendEntriesMax int `json:"append_entries_max"`

	// Members is the initial configuration, used once, when a node boots
	// on empty storage and its own id is in it. Empty means the host
	// itself plus env.Peers(). A node booting on empty storage whose id
	// is not in Members (or with Join set) starts with no configuration
	// and learns one from a leader once it has been added.
	Members []sim.HostID `json:"members,omitempty"`
	// Join: start empty and wait to be added (see Members).
	Join bool `json:"join,omitempty"`

	// Bugs are planted faults for testing the harness; all off by default.
	Bugs Bugs `json:"bugs"`

	// Observer, if set, is told about every election, append and apply,
	// synchronously. It is for tests (raftcheck.Safety implements it) and
	// is not part of the JSON form.
	Observer Observer `json:"-"`
}

// Bugs are deliberately planted protocol bugs. Each is off by default; a
// test turns one on to prove that the harness finds it.
type Bugs struct {
	// CommitOldTerms: a leader commits entries of earlier terms by
	// counting replicas (the Figure 8 bug of the Raft paper).
	CommitOldTerms bool `json:"commit_old_terms,omitempty"`
	// VoteWithoutLogCheck: grant votes without the up-to-date log check.
	VoteWithoutLogCheck bool `json:"vote_without_log_check,omitempty"`
	// ReplyBeforeSync: reply to RequestVote and AppendEntries without
	// syncing the vote or the entries first. (Crashes fall between events,
	// so the bug also leaves the writes unsynced at the end of the event,
	// until some later sync.)
	ReplyBeforeSync bool `json:"reply_before_sync,omitempty"`
	// SyncAfterReply: reply to RequestVote and AppendEntries first and
	// sync the vote or the entries after, in the same handler. Timed
	// crashes fall between events and cannot tell; a crash at the sync
	// (sim.StorageFaults.CrashAtSyncRatio) loses what the reply promised.
	SyncAfterReply bool `json:"sync_after_reply,omitempty"`
	// PreVoteIgnoresLeader: grant pre-votes while a live leader is still
	// heard from, so a server that lost only its own link to the leader
	// wins a pre-vote and deposes a leader connected to a quorum. Safety
	// holds; stability does not.
	PreVoteIgnoresLeader bool `json:"pre_vote_ignores_leader,omitempty"`
	// StaleReads: a leader answers gets from local state at once, without
	// confirming it is still the leader.
	StaleReads bool `json:"stale_reads,omitempty"`
	// NoSessionDedup: apply every copy of a retried write (no client
	// session deduplication).
	NoSessionDedup bool `json:"no_session_dedup,omitempty"`
	// EarlyConfChange: a leader appends a membership change before it
	// has committed an entry of its own term.
	EarlyConfChange bool `json:"early_conf_change,omitempty"`
	// InstallOldSnapshot: a follower installs any InstallSnapshot newer
	// than its own last snapshot, even one below its commit index, so an
	// old snapshot delivered late rolls its applied state back.
	InstallOldSnapshot bool `json:"install_old_snapshot,omitempty"`
}

// Any reports whether any bug is planted.
func (b Bugs) Any() bool { return b != Bugs{} }

// DefaultConfig is a configuration for a LAN-like network with one-way
// delays of a few to tens of milliseconds.
func DefaultConfig() Config {
	return Config{
		ElectionTimeoutMin: 300 * time.Millisecond,
		ElectionTimeoutMax: 600 * time.Millisecond,
		HeartbeatInterval:  50 * time.Millisecond,
		PreVote:            true,
		CheckQuorum:        true,
		ReadMode:           ReadIndex,
		LeaseDriftBound:    30 * time.Millisecond,
		SnapshotEntries:    1000,
		SnapshotTrailing:   100,
		AppendEntriesMax:   64,
	}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("raft: invalid config")

// Validate reports the first bad field, by name.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.ElectionTimeoutMin <= 0:
		return bad("ElectionTimeoutMin must be positive (is %v)", c.ElectionTimeoutMin)
	case c.ElectionTimeoutMax <= c.ElectionTimeoutMin:
		return bad("ElectionTimeoutMax (%v) must exceed ElectionTimeoutMin (%v)", c.ElectionTimeoutMax, c.ElectionTimeoutMin)
	case c.HeartbeatInterval <= 0 || c.HeartbeatInterval >= c.ElectionTimeoutMin:
		return bad("HeartbeatInterval (%v) must be positive and below ElectionTimeoutMin (%v)", c.HeartbeatInterval, c.ElectionTimeoutMin)
	case c.ReadMode != ReadLog && c.ReadMode != ReadIndex && c.ReadMode != ReadLease:
		return bad("ReadMode %q is none of %q, %q, %q", c.ReadMode, ReadLog, ReadIndex, ReadLease)
	case c.ReadMode == ReadLease && !c.CheckQuorum:
		return bad("ReadMode %q needs CheckQuorum", ReadLease)
	case c.LeaseDriftBound < 0 || c.LeaseDriftBound >= c.ElectionTimeoutMin:
		return bad("LeaseDriftBound (%v) must be in [0, ElectionTimeoutMin)", c.LeaseDriftBound)
	case c.SnapshotEntries < 0:
		return bad("SnapshotEntries is negative (%d)", c.SnapshotEntries)
	case c.SnapshotTrailing < 0:
		return bad("SnapshotTrailing is negative (%d)", c.SnapshotTrailing)
	case c.AppendEntriesMax < 1:
		return bad("AppendEntriesMax must be at least 1 (is %d)", c.AppendEntriesMax)
	}
	for i, m := range c.Members {
		if m < 0 {
			return bad("Members[%d] is not a host id (%d)", i, m)
		}
	}
	return nil
}
