package etcdraft

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"

	"github.com/detsim/detsim/internal/jsondur"
	"github.com/detsim/detsim/sim"
)

// Config is a node's configuration: the adapter's own settings and the
// etcd raft settings it passes on. It is plain data that encodes to JSON
// and back (decode onto DefaultConfig() so that absent fields keep their
// defaults), except Observer, which code sets.
type Config struct {
	// TickInterval is the time between two RawNode.Tick calls, on the
	// host's local clock. etcd raft counts every timeout in ticks.
	TickInterval time.Duration `json:"tick_interval"`
	// ElectionTicks and HeartbeatTicks are raft.Config's ElectionTick and
	// HeartbeatTick. etcd raft draws its randomized election timeout from
	// [ElectionTicks, 2*ElectionTicks) ticks.
	ElectionTicks  int `json:"election_ticks"`
	HeartbeatTicks int `json:"heartbeat_ticks"`

	// PreVote and CheckQuorum are raft.Config's.
	PreVote     bool `json:"pre_vote"`
	CheckQuorum bool `json:"check_quorum"`
	// ReadOnly is how ReadIndex confirms leadership: "safe" (a round of
	// heartbeats; raft.ReadOnlySafe) or "lease-based" (raft.ReadOnlyLeaseBased,
	// which trusts clocks and needs CheckQuorum).
	ReadOnly string `json:"read_only"`

	// MaxSizePerMsg and MaxInflightMsgs are raft.Config's flow control.
	MaxSizePerMsg   uint64 `json:"max_size_per_msg"`
	MaxInflightMsgs int    `json:"max_inflight_msgs"`

	// SnapshotEntries: once this many entries have been applied beyond the
	// last snapshot, the node snapshots its state machine and compacts its
	// log. Zero disables snapshots. SnapshotTrailing entries stay in the
	// log behind the snapshot, so that a follower a little behind catches
	// up without one.
	SnapshotEntries  int `json:"snapshot_entries"`
	SnapshotTrailing int `json:"snapshot_trailing"`

	// Members is the initial configuration, used once, when a node boots
	// on empty storage and its own id is in it. Empty means the host
	// itself plus env.Peers(). A node booting on empty storage whose id is
	// not in Members (or with Join set) starts with no configuration and
	// learns one from a leader once it has been added.
	Members []sim.HostID `json:"members,omitempty"`
	Join    bool         `json:"join,omitempty"`

	// Bugs are planted adapter bugs; all off by default.
	Bugs Bugs `json:"bugs"`

	// Observer, if set, is told about every Ready the node handled,
	// synchronously. It is for checkers and is not part of the JSON form.
	Observer Observer `json:"-"`
}

// Bugs are deliberately planted bugs in the adapter (etcd raft itself runs
// unchanged). Each is off by default; a test turns one on to prove that
// the harness finds it.
type Bugs struct {
	// SendBeforeSync: send a Ready's messages before its hard state and
	// entries are synced, against RawNode's contract. A crash then loses
	// votes and entries that other nodes already counted.
	SendBeforeSync bool `json:"send_before_sync,omitempty"`
}

const (
	ReadOnlySafe       = "safe"
	ReadOnlyLeaseBased = "lease-based"
)

// DefaultConfig matches nodes/raft's defaults: a 10ms tick, elections after
// 300-600ms, heartbeats every 50ms, PreVote and CheckQuorum on.
func DefaultConfig() Config {
	return Config{
		TickInterval:     10 * time.Millisecond,
		ElectionTicks:    30,
		HeartbeatTicks:   5,
		PreVote:          true,
		CheckQuorum:      true,
		ReadOnly:         ReadOnlySafe,
		MaxSizePerMsg:    1 << 20,
		MaxInflightMsgs:  256,
		SnapshotEntries:  1000,
		SnapshotTrailing: 100,
	}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("etcdraft: invalid config")

// Validate reports the first bad field, by its JSON name.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.TickInterval <= 0:
		return bad("tick_interval must be positive (is %v)", c.TickInterval)
	case c.HeartbeatTicks < 1:
		return bad("heartbeat_ticks must be at least 1 (is %d)", c.HeartbeatTicks)
	case c.ElectionTicks <= c.HeartbeatTicks:
		return bad("election_ticks (%d) must exceed heartbeat_ticks (%d)", c.ElectionTicks, c.HeartbeatTicks)
	case c.ReadOnly != ReadOnlySafe && c.ReadOnly != ReadOnlyLeaseBased:
		return bad("read_only %q is neither %q nor %q", c.ReadOnly, ReadOnlySafe, ReadOnlyLeaseBased)
	case c.ReadOnly == ReadOnlyLeaseBased && !c.CheckQuorum:
		return bad("read_only %q needs check_quorum", ReadOnlyLeaseBased)
	case c.MaxSizePerMsg == 0:
		return bad("max_size_per_msg must be positive")
	case c.MaxInflightMsgs < 1:
		return bad("max_inflight_msgs must be at least 1 (is %d)", c.MaxInflightMsgs)
	case c.SnapshotEntries < 0:
		return bad("snapshot_entries is negative (%d)", c.SnapshotEntries)
	case c.SnapshotTrailing < 0:
		return bad("snapshot_trailing is negative (%d)", c.SnapshotTrailing)
	}
	for i, m := range c.Members {
		if m < 0 {
			return bad("members[%d] is not a host id (%d)", i, m)
		}
	}
	return nil
}

// raftConfig is the etcd raft configuration of the node with raft id id.
func (c Config) raftConfig(id uint64, st raft.Storage, applied uint64, log raft.Logger) *raft.Config {
	ro := raft.ReadOnlySafe
	if c.ReadOnly == ReadOnlyLeaseBased {
		ro = raft.ReadOnlyLeaseBased
	}
	return &raft.Config{
		ID:                        id,
		ElectionTick:              c.ElectionTicks,
		HeartbeatTick:             c.HeartbeatTicks,
		Storage:                   st,
		Applied:                   applied,
		MaxSizePerMsg:             c.MaxSizePerMsg,
		MaxInflightMsgs:           c.MaxInflightMsgs,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               c.CheckQuorum,
		PreVote:                   c.PreVote,
		ReadOnlyOption:            ro,
		// Clients talk to the leader; a follower answers "not leader"
		// rather than forwarding, as nodes/raft does.
		DisableProposalForwarding: true,
		Logger:                    log,
	}
}

// MarshalJSON writes the tick interval as a string ("10ms").
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		TickInterval jsondur.Duration `json:"tick_interval"`
	}{plain(c), jsondur.Duration(c.TickInterval)})
}

// UnmarshalJSON reads the tick interval as a string or nanoseconds, and
// rejects unknown fields. Absent fields keep their value.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	return jsondur.Strict(b, &struct {
		*plain
		TickInterval *jsondur.Duration `json:"tick_interval"`
	}{(*plain)(c), jsondur.Of(&c.TickInterval)})
}
