package twopc

import (
	"errors"
	"fmt"
	"time"
)

// Protocol is the atomic commitment protocol a system runs.
type Protocol string

const (
	// TwoPhase is two-phase commit with presumed abort: one coordinator
	// decides, and blocks the participants while it is down.
	TwoPhase Protocol = "2pc"
	// PaxosCommit is Gray and Lamport's Paxos Commit: each participant's
	// vote is chosen by Paxos among 2F+1 acceptors, so any participant can
	// finish a transaction while the coordinator (the leader) is down.
	PaxosCommit Protocol = "paxos-commit"
)

// Config is the configuration every host of a transaction system shares.
// It is plain data (JSON with readable durations), except Observer, which
// a checker sets in code.
type Config struct {
	Protocol Protocol `json:"protocol"`
	// F is the number of acceptor failures Paxos Commit tolerates: it runs
	// 2F+1 acceptors. Ignored by two-phase commit.
	F int `json:"f"`
	// Placement says which parts share hosts (Paxos Commit only).
	Placement Placement `json:"placement"`
	// Faster runs Faster Paxos Commit: acceptors report the votes to every
	// participant instead of the leader, and each participant learns the
	// outcome itself, a message delay sooner.
	Faster bool `json:"faster,omitempty"`

	// LockWait bounds how long a transaction waits for a lock before it is
	// aborted: the backstop of wait-die, which already keeps waits acyclic.
	LockWait time.Duration `json:"lock_wait"`
	// ActiveTimeout is how long a participant keeps an executed transaction
	// that it has not been asked to prepare before aborting it on its own
	// (allowed, because it has not voted).
	ActiveTimeout time.Duration `json:"active_timeout"`
	// VoteTimeout is how long a coordinator waits for votes before it
	// decides abort.
	VoteTimeout time.Duration `json:"vote_timeout"`
	// DecisionTimeout is how long a prepared participant waits for the
	// decision before it asks for it (termination), and then between
	// asks, doubling up to DecisionRetryMax.
	DecisionTimeout  time.Duration `json:"decision_timeout"`
	DecisionRetryMax time.Duration `json:"decision_retry_max"`
	// ResendInterval is how often a coordinator resends Prepare to the
	// participants that have not voted, and a commit decision to those
	// that have not acknowledged it.
	ResendInterval time.Duration `json:"resend_interval"`

	// Initial holds the values keys have before any write (a bank's
	// opening balances), as registers; absent keys start empty.
	Initial map[string]int `json:"initial,omitempty"`

	// Bugs are planted protocol bugs, all off by default.
	Bugs Bugs `json:"bugs"`

	// Observer, if set, is told of every prepare, decision and recovery,
	// synchronously (twopccheck.Atomicity implements it). Not part of the
	// JSON form.
	Observer Observer `json:"-"`
}

// Bugs are deliberately planted protocol bugs for testing the harness.
type Bugs struct {
	// UnsyncedPrepare: a participant votes yes without syncing its
	// PREPARED record, so a crash forgets the prepared transaction and
	// its locks (the class of MySQL bugs #12161 and #75204).
	UnsyncedPrepare bool `json:"unsynced_prepare,omitempty"`
	// CommitBeforeForce: the coordinator sends COMMIT before forcing its
	// decision; crashing in between, it recovers with no record and
	// presumes abort.
	CommitBeforeForce bool `json:"commit_before_force,omitempty"`
	// AbortAfterYes: a prepared participant that times out waiting for the
	// decision aborts on its own, although it voted yes.
	AbortAfterYes bool `json:"abort_after_yes,omitempty"`
	// ReapplyCommit: a participant applies the writes of every COMMIT it
	// receives, so a retried decision appends twice.
	ReapplyCommit bool `json:"reapply_commit,omitempty"`
	// ReleaseAtPrepare: a participant releases a transaction's locks when
	// it prepares instead of when the transaction ends, which breaks strict
	// two-phase locking: another transaction reads the old values before
	// the writes land (a G-single or G2 anomaly).
	ReleaseAtPrepare bool `json:"release_at_prepare,omitempty"`
}

// Any reports whether any bug is planted.
func (b Bugs) Any() bool { return b != Bugs{} }

// DefaultConfig is two-phase commit on a LAN with delays of a few
// milliseconds.
func DefaultConfig() Config {
	return Config{
		Protocol:         TwoPhase,
		F:                1,
		Placement:        Apart,
		LockWait:         300 * time.Millisecond,
		ActiveTimeout:    300 * time.Millisecond,
		VoteTimeout:      300 * time.Millisecond,
		DecisionTimeout:  300 * time.Millisecond,
		DecisionRetryMax: 1 * time.Second,
		ResendInterval:   50 * time.Millisecond,
	}
}

// Acceptors is the number of acceptors the protocol runs: 2F+1 for Paxos
// Commit, none for two-phase commit.
func (c Config) Acceptors() int {
	if c.Protocol == PaxosCommit {
		return 2*c.F + 1
	}
	return 0
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("twopc: invalid config")

// Validate reports the first bad field, by its JSON name.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Protocol != TwoPhase && c.Protocol != PaxosCommit:
		return bad("protocol %q is neither %q nor %q", c.Protocol, TwoPhase, PaxosCommit)
	case c.Protocol == PaxosCommit && (c.F < 0 || c.F > 3):
		return bad("f must be in [0, 3] (is %d)", c.F)
	case c.Placement.validate(c.Protocol) != nil:
		return bad("%v", c.Placement.validate(c.Protocol))
	case c.Faster && c.Protocol != PaxosCommit:
		return bad("faster is Faster Paxos Commit, and protocol is %q", c.Protocol)
	case c.LockWait <= 0:
		return bad("lock_wait must be positive (is %v)", c.LockWait)
	case c.ActiveTimeout <= 0:
		return bad("active_timeout must be positive (is %v)", c.ActiveTimeout)
	case c.VoteTimeout <= 0:
		return bad("vote_timeout must be positive (is %v)", c.VoteTimeout)
	case c.DecisionTimeout <= 0:
		return bad("decision_timeout must be positive (is %v)", c.DecisionTimeout)
	case c.DecisionRetryMax < c.DecisionTimeout:
		return bad("decision_retry_max (%v) must be at least decision_timeout (%v)", c.DecisionRetryMax, c.DecisionTimeout)
	case c.ResendInterval <= 0:
		return bad("resend_interval must be positive (is %v)", c.ResendInterval)
	}
	return nil
}
