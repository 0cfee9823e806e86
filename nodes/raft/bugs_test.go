package raft_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/nodes/raft/rafttest"
	"github.com/detsim/detsim/sim"
)

// A bug hunt: one run per seed, with a planted bug or without. It returns
// the error that shows the bug, or nil if the run found nothing.
type hunt func(t *testing.T, seed uint64, bugs raft.Bugs) error

// runSafety runs c for d and returns a safety violation, a panic, or the
// result of a final full log scan.
func runSafety(c *cluster, d time.Duration) error {
	out := c.outcome(d)
	switch out.Reason {
	case sim.StopDeadline, sim.StopQuiescent:
	default:
		return fmt.Errorf("%v: %w", out.Reason, out.Err)
	}
	return c.safety.CheckLogs()
}

// linearizable returns an error if c's history is not linearizable.
func linearizable(c *cluster) error {
	res := c.checkLinearizable()
	switch res.Verdict {
	case checker.Ok:
		return nil
	case checker.Illegal:
		return fmt.Errorf("%w: %s", errIllegal, res.Failure.Explanation)
	}
	return fmt.Errorf("linearizability check undecided (%d ops)", res.Ops)
}

// requireFound runs seeds 1..budget with the bug planted until one finds
// it (an error that want accepts), then the same seeds without the bug,
// which must all pass.
func requireFound(t *testing.T, name string, budget uint64, bugs raft.Bugs, want func(error) bool, h hunt) {
	t.Helper()
	found := uint64(0)
	var ferr error
	for seed := uint64(1); seed <= budget; seed++ {
		err := h(t, seed, bugs)
		if err != nil && !want(err) {
			t.Fatalf("%s: seed %d failed otherwise than expected: %v", name, seed, err)
		}
		if err != nil {
			found, ferr = seed, err
			break
		}
	}
	if found == 0 {
		t.Fatalf("%s: not found in %d seeds", name, budget)
	}
	t.Logf("%s: found with seed %d: %v", name, found, short(ferr))
	for seed := uint64(1); seed <= found; seed++ {
		if err := h(t, seed, raft.Bugs{}); err != nil {
			t.Fatalf("%s: seed %d fails without the bug: %v", name, seed, err)
		}
	}
}

func short(err error) string {
	s := err.Error()
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// isViolation: err is a broken Raft invariant.
func isViolation(err error) bool { return errors.Is(err, raftcheck.ErrViolation) }

// isIllegal: err is a non-linearizable history.
func isIllegal(err error) bool { return errors.Is(err, errIllegal) }

var errIllegal = errors.New("not linearizable")

// Bug 1, Figure 8: a leader that commits an entry of an earlier term by
// counting replicas can have it overwritten by a later leader. Appends of
// one entry at a time let an old entry reach a majority before the new
// leader's no-op does (with bigger appends they travel together, which
// hides the bug); rafttest.Figure8 cuts leaders off as they are elected or as
// they first commit, so leaders with divergent logs alternate.
func TestBugCommitOldTerms(t *testing.T) {
	requireFound(t, "CommitOldTerms", 40, raft.Bugs{CommitOldTerms: true}, isViolation, func(t *testing.T, seed uint64, bugs raft.Bugs) error {
		_, err := figure8Run(t, seed, bugs, 1)
		return err
	})
}

func figure8Run(t *testing.T, seed uint64, bugs raft.Bugs, appendMax int) (*cluster, error) {
	cfg := raft.DefaultConfig()
	cfg.Bugs = bugs
	cfg.AppendEntriesMax = appendMax
	o := opts{seed: seed, servers: 3, clients: 3, cfg: cfg, link: unreliable(), hookEvery: 200}
	o.install = func(rc *rafttest.Cluster, tap *rafttest.Tap) func() {
		rafttest.Figure8(rc, tap, 1)
		return nil
	}
	c := newCluster(t, o)
	return c, runSafety(c, 10*time.Second)
}

// Bug 2: votes granted without the up-to-date check elect a leader that
// lacks committed entries (leader completeness).
func TestBugVoteWithoutLogCheck(t *testing.T) {
	requireFound(t, "VoteWithoutLogCheck", 30, raft.Bugs{VoteWithoutLogCheck: true}, isViolation, func(t *testing.T, seed uint64, bugs raft.Bugs) error {
		_, err := crashRun(t, seed, bugs)
		return err
	})
}

// Bug 3: replies sent before the vote or entries are synced; a crash then
// forgets a vote or an acknowledged entry.
func TestBugReplyBeforeSync(t *testing.T) {
	requireFound(t, "ReplyBeforeSync", 30, raft.Bugs{ReplyBeforeSync: true}, isViolation, func(t *testing.T, seed uint64, bugs raft.Bugs) error {
		_, err := crashRun(t, seed, bugs)
		return err
	})
}

// crashRun: 3 servers, 3 clients, the unreliable network, and a nemesis
// that crashes and restarts servers (leaders more often), a fault every
// 75-225 ms for 8 s.
func crashRun(t *testing.T, seed uint64, bugs raft.Bugs) (*cluster, error) {
	cfg := raft.DefaultConfig()
	cfg.Bugs = bugs
	c := newCluster(t, opts{seed: seed, servers: 3, clients: 3, cfg: cfg, link: unreliable(), hookEvery: 200})
	c.startNemesis(faults{every: 150 * time.Millisecond, crash: true, crashLeader: true, until: 8 * time.Second})
	return c, runSafety(c, 10*time.Second)
}

// Bug 4: a leader that answers gets from local state, without confirming
// its leadership, serves stale reads once a new leader has taken writes.
// The nemesis cuts the leader off from the other servers (clients still
// reach it). CheckQuorum is off, as in a deployment without it: with it,
// the deposed leader steps down within 2 election timeouts, which narrows
// the window to one a 10 s run rarely hits.
func TestBugStaleReads(t *testing.T) {
	requireFound(t, "StaleReads", 30, raft.Bugs{StaleReads: true}, isIllegal, func(t *testing.T, seed uint64, bugs raft.Bugs) error {
		cfg := raft.DefaultConfig()
		cfg.Bugs = bugs
		cfg.CheckQuorum = false
		c := newCluster(t, opts{seed: seed, servers: 5, clients: 3, cfg: cfg, link: unreliable(), keys: 2})
		c.startNemesis(faults{every: 1500 * time.Millisecond, partition: true, isolateLeader: true, until: 8 * time.Second})
		if err := runSafety(c, 10*time.Second); err != nil {
			return err
		}
		return linearizable(c)
	})
}

// Bug 5: without session deduplication a retried write (its answer was
// lost) applies twice.
func TestBugNoSessionDedup(t *testing.T) {
	requireFound(t, "NoSessionDedup", 30, raft.Bugs{NoSessionDedup: true}, isIllegal, func(t *testing.T, seed uint64, bugs raft.Bugs) error {
		cfg := raft.DefaultConfig()
		cfg.Bugs = bugs
		c := newCluster(t, opts{seed: seed, servers: 5, clients: 3, cfg: cfg, link: unreliable(), keys: 3})
		if err := runSafety(c, 10*time.Second); err != nil {
			return err
		}
		return linearizable(c)
	})
}

// Bug 6: a membership change appended before the leader has committed an
// entry of its term can overlap an uncommitted change of the previous
// leader: two majorities that need not intersect (the single-server
// change bug of Raft's early dissertation). rafttest.ConfSplit drives the
// schedule that exposes it, with every choice seeded.
func TestBugEarlyConfChange(t *testing.T) {
	requireFound(t, "EarlyConfChange", 40, raft.Bugs{EarlyConfChange: true}, isViolation, func(t *testing.T, seed uint64, bugs raft.Bugs) error {
		_, err := confSplitRun(t, seed, bugs)
		return err
	})
}

func confSplitRun(t *testing.T, seed uint64, bugs raft.Bugs) (*cluster, error) {
	cfg := raft.DefaultConfig()
	cfg.Bugs = bugs
	o := opts{seed: seed, servers: 4, joiners: 2, clients: 2, cfg: cfg, link: unreliable(), admin: true, hookEvery: 200}
	o.install = func(rc *rafttest.Cluster, tap *rafttest.Tap) func() {
		return rafttest.NewConfSplit(rc, tap).Start
	}
	c := newCluster(t, o)
	return c, runSafety(c, 10*time.Second)
}
