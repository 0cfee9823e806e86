package raftcheck_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/sim"
)

// misreporter passes every report on to Safety, but misstates every
// lieEvery-th entry that host 0 appends as leader (0: never), and keeps
// quiet about every hideEvery-th entry that host 0 appends past the end
// of any log it has held (0: never), as a node whose log is not what it
// reports would: only the log scan can tell.
type misreporter struct {
	*raftcheck.Safety
	lieEvery, hideEvery int
	appends             int
	high                uint64 // the highest index host 0's instance has held
}

func (m *misreporter) Started(n *raft.Node) {
	if n.ID() == 0 {
		m.high = n.LastIndex()
	}
	m.Safety.Started(n)
}

func (m *misreporter) Appended(n *raft.Node, e *raft.Entry, prevTerm uint64) {
	if n.ID() == 0 {
		m.appends++
		beyond := e.Index > m.high
		m.high = max(m.high, e.Index)
		switch {
		case m.hideEvery > 0 && beyond && m.appends%m.hideEvery == 0:
			return
		case m.lieEvery > 0 && n.Role() == raft.Leader && m.appends%m.lieEvery == 0:
			lie := *e
			lie.Cmd.Seq += 1000
			e = &lie
		}
	}
	m.Safety.Appended(n, e, prevTerm)
}

// scanWorld runs 3 servers with torn writes, planted bugs and a
// misreporting host for 5 s, crashing one every 100-500 ms, with a log
// check every 3 events: in full if full is set, and incremental
// otherwise.
func scanWorld(t *testing.T, seed uint64, bugs raft.Bugs, lieEvery, hideEvery int, full bool) (sim.Outcome, uint64, *raftcheck.Safety) {
	w, err := sim.NewWorld(sim.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.New(w, net.Options{Default: net.Link{Latency: net.Uniform{Max: 10 * time.Millisecond}, LossRatio: 0.05}}); err != nil {
		t.Fatal(err)
	}
	s := raftcheck.NewSafety()
	cfg := raft.DefaultConfig()
	cfg.Bugs = bugs
	cfg.Observer = &misreporter{Safety: s, lieEvery: lieEvery, hideEvery: hideEvery}
	cfg.Members = []sim.HostID{0, 1, 2}
	cfg.SnapshotEntries = 20 // compactions too
	for i := 0; i < 3; i++ {
		id, err := w.AddHost(sim.HostConfig{Factory: raft.New(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Host(id).SetStorageFaults(sim.StorageFaults{TornWriteRatio: 0.3}); err != nil {
			t.Fatal(err)
		}
	}
	calls := 0
	w.AddHook(func() error {
		if err := s.Check(); err != nil {
			return err
		}
		if err := s.CheckSnapshots(); err != nil {
			return err
		}
		if calls++; calls%3 != 0 {
			return nil
		}
		if full {
			return s.CheckLogsInFull()
		}
		return s.CheckLogs()
	})
	r := w.Stream("nemesis")
	var crash func()
	crash = func() {
		h := w.Host(sim.HostID(r.IntN(3)))
		if h.Up() {
			h.Crash()
			w.After(time.Duration(50+r.IntN(200))*time.Millisecond, h.Restart)
		}
		w.After(time.Duration(100+r.IntN(400))*time.Millisecond, crash)
	}
	w.After(500*time.Millisecond, crash)
	out := w.RunFor(5 * time.Second)
	return out, w.Hash(), s
}

// The incremental log scan finds every violation a full scan finds, at
// the same event: with planted bugs, torn writes and a host that
// misreports its appends, the two runs of each seed end alike. Some of
// the runs must end on what only the log scan sees, or the comparison
// would prove nothing.
func TestIncrementalLogScanFindsWhatAFullScanFinds(t *testing.T) {
	bugSets := []raft.Bugs{
		{},
		{VoteWithoutLogCheck: true, ReplyBeforeSync: true},
		{CommitOldTerms: true},
		{NoSessionDedup: true},
	}
	byScan := 0
	for bi, bugs := range bugSets {
		for seed := uint64(1); seed <= 12; seed++ {
			lieEvery, hideEvery := []int{0, 1, 2, 0}[seed%4], []int{0, 0, 3, 1}[seed%4]
			inc, incHash, s := scanWorld(t, seed, bugs, lieEvery, hideEvery, false)
			full, fullHash, _ := scanWorld(t, seed, bugs, lieEvery, hideEvery, true)
			if describe(inc) != describe(full) || incHash != fullHash {
				t.Fatalf("bugs %d, seed %d: incremental scan: %s (hash %x); full scan: %s (hash %x)", bi, seed, describe(inc), incHash, describe(full), fullHash)
			}
			var v *raftcheck.Violation
			if errors.As(inc.Err, &v) && v.Invariant == raftcheck.LogMatching && strings.HasPrefix(v.Detail, "holds ") {
				byScan++
			}
			if inc.Reason != sim.StopHalted && s.CheckLogsInFull() != nil {
				t.Fatalf("bugs %d, seed %d: a full scan at the end finds %v, which the incremental scans missed", bi, seed, s.CheckLogsInFull())
			}
		}
	}
	if byScan == 0 {
		t.Fatal("no run ended on a log matching violation that a log scan found")
	}
	t.Logf("%d runs ended on a violation that a log scan found", byScan)
}

func describe(o sim.Outcome) string { return fmt.Sprintf("%v at %v: %v", o.Reason, o.Now, o.Err) }
