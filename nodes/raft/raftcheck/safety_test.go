package raftcheck_test

import (
	"errors"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/sim"
)

// world runs 3 servers for 10 s, crashing one (the leader, half the time)
// every 100-500 ms.
func world(t *testing.T, seed uint64, bugs raft.Bugs) (*raftcheck.Safety, sim.Outcome) {
	w, err := sim.NewWorld(sim.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.New(w, net.Options{Default: net.Link{Latency: net.Uniform{Max: 10 * time.Millisecond}}}); err != nil {
		t.Fatal(err)
	}
	s := raftcheck.NewSafety()
	cfg := raft.DefaultConfig()
	cfg.Bugs = bugs
	cfg.Observer = s
	cfg.Members = []sim.HostID{0, 1, 2}
	for i := 0; i < 3; i++ {
		if _, err := w.AddHost(sim.HostConfig{Factory: raft.New(cfg)}); err != nil {
			t.Fatal(err)
		}
	}
	w.AddHook(s.Hook(50))
	r := w.Stream("nemesis")
	var crash func()
	crash = func() {
		h := w.Host(sim.HostID(r.IntN(3)))
		for i := 0; i < 3 && r.IntN(2) == 0; i++ {
			if n, ok := w.Host(sim.HostID(i)).Node().(*raft.Node); ok && n.Role() == raft.Leader {
				h = w.Host(sim.HostID(i))
			}
		}
		if h.Up() {
			h.Crash()
			w.After(time.Duration(50+r.IntN(200))*time.Millisecond, h.Restart)
		}
		w.After(time.Duration(100+r.IntN(400))*time.Millisecond, crash)
	}
	w.After(time.Second, crash)
	return s, w.RunFor(10 * time.Second)
}

func TestSafetyPassesACorrectCluster(t *testing.T) {
	s, out := world(t, 1, raft.Bugs{})
	if out.Reason != sim.StopDeadline || s.Check() != nil || s.CheckLogs() != nil {
		t.Fatalf("%v %v %v", out.Reason, out.Err, s.CheckLogs())
	}
	if s.Terms() < 3 || s.AppliedIndex() < 3 {
		t.Fatalf("terms %d, applied %d", s.Terms(), s.AppliedIndex())
	}
	if e, ok := s.AppliedEntry(1); !ok || e.Kind != raft.EntryConf {
		t.Fatalf("entry 1: %v %v", e, ok)
	}
}

func TestSafetyHaltsOnAViolation(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		s, out := world(t, seed, raft.Bugs{VoteWithoutLogCheck: true, ReplyBeforeSync: true})
		if out.Reason != sim.StopHalted {
			continue
		}
		var v *raftcheck.Violation
		if !errors.As(out.Err, &v) || !errors.Is(out.Err, raftcheck.ErrViolation) || s.Check() != out.Err || s.Violations() < 1 {
			t.Fatalf("seed %d: %v", seed, out.Err)
		}
		t.Logf("seed %d: %v", seed, v)
		return
	}
	t.Fatal("no violation in 50 seeds")
}
