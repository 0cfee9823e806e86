package twopc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/2pc"
)

// silenceCoordinator cuts every link from the coordinator to the shards, so
// that it collects votes and decides but nobody hears the decision, and
// crashes it at crashAt; it returns at restartAt.
func (c *cluster) silenceCoordinator(cutAt, crashAt, restartAt time.Duration) {
	c.w.At(cutAt, func() {
		for _, s := range c.topo.Shards {
			c.net.Cut(c.topo.Coordinator, s)
		}
	})
	c.w.At(crashAt, func() {
		c.w.Host(c.topo.Coordinator).Crash()
		c.net.Heal()
	})
	c.w.At(restartAt, func() { c.w.Host(c.topo.Coordinator).Restart() })
}

func TestTwoPhaseCommitBlocksWhileTheCoordinatorIsDownAfterTheVotes(t *testing.T) {
	wl := twopc.DefaultWorkload()
	wl.StopAt = 4 * time.Second
	c := newCluster(t, opts{seed: 3, clients: 3, wl: wl})
	c.silenceCoordinator(time.Second, 1100*time.Millisecond, 3500*time.Millisecond)
	c.run(3400 * time.Millisecond)
	stuck := 0
	for i := range c.topo.Shards {
		stuck += len(c.shard(i).InDoubt())
	}
	if stuck == 0 {
		t.Fatal("no shard holds a transaction in doubt while the coordinator is down")
	}
	if c.atom.Stuck() == 0 || c.atom.BlockedTime() < time.Second {
		t.Errorf("stuck=%d blocked=%v: the blocking is not reported", c.atom.Stuck(), c.atom.BlockedTime())
	}
	c.run(3 * time.Second)
	c.settled()
	if c.atom.Recoveries() != 1 {
		t.Errorf("recoveries = %d, want 1", c.atom.Recoveries())
	}
	t.Logf("blocked %v, %d stuck, %d committed", c.atom.BlockedTime(), c.atom.Stuck(), c.atom.Committed())
}

func TestPaxosCommitFinishesWhileTheLeaderIsDown(t *testing.T) {
	for _, faster := range []bool{false, true} {
		name := "paxos-commit"
		if faster {
			name = "faster-paxos-commit"
		}
		t.Run(name, func(t *testing.T) { paxosCommitFinishesWhileTheLeaderIsDown(t, faster) })
	}
}

func paxosCommitFinishesWhileTheLeaderIsDown(t *testing.T, faster bool) {
	cfg := twopc.DefaultConfig()
	cfg.Protocol, cfg.Faster = twopc.PaxosCommit, faster
	wl := twopc.DefaultWorkload()
	wl.StopAt = 2500 * time.Millisecond
	c := newCluster(t, opts{seed: 3, clients: 3, cfg: cfg, wl: wl})
	// The leader stays down past the end of the run's checks.
	c.silenceCoordinator(time.Second, 1100*time.Millisecond, time.Hour)
	c.run(5 * time.Second)
	c.settled()
	if c.atom.Stuck() != 0 {
		t.Errorf("%d transactions stuck with F=1 and only the leader down", c.atom.Stuck())
	}
	if c.atom.Queries() == 0 {
		t.Error("no recovery ballot ran: the leader's crash did not bite")
	}
	t.Logf("blocked %v, %d recovery ballots, %d committed", c.atom.BlockedTime(), c.atom.Queries(), c.atom.Committed())
}

// crashShards crashes a shard every period, in turn, and restarts it after
// down.
func (c *cluster) crashShards(from, until, period, down time.Duration) {
	i := 0
	for at := from; at < until; at += period {
		s := c.topo.Shards[i%len(c.topo.Shards)]
		i++
		c.w.At(at, func() { c.w.Host(s).Crash() })
		c.w.At(at+down, func() { c.w.Host(s).Restart() })
	}
}

func TestRestartedShardsRestoreWhatTheyPrepared(t *testing.T) {
	for _, proto := range []twopc.Protocol{twopc.TwoPhase, twopc.PaxosCommit} {
		t.Run(string(proto), func(t *testing.T) {
			cfg := twopc.DefaultConfig()
			cfg.Protocol = proto
			wl := twopc.DefaultWorkload()
			wl.StopAt = 4 * time.Second
			link := lan()
			link.LossRatio = 0.05
			c := newCluster(t, opts{seed: 5, clients: 3, cfg: cfg, wl: wl, link: link})
			c.crashShards(300*time.Millisecond, 3500*time.Millisecond, 250*time.Millisecond, 100*time.Millisecond)
			c.run(7 * time.Second)
			c.settled()
			if c.atom.Recoveries() < 10 {
				t.Errorf("only %d recoveries", c.atom.Recoveries())
			}
			if c.atom.Committed() < 50 {
				t.Errorf("only %d commits", c.atom.Committed())
			}
		})
	}
}

// violation runs o until the checker halts it and returns the reason.
func violation(t *testing.T, o opts, faults func(c *cluster), d time.Duration) string {
	t.Helper()
	c := newCluster(t, o)
	faults(c)
	out := c.w.RunFor(d)
	if out.Err == nil {
		return ""
	}
	return out.Err.Error()
}

func TestPlantedBugsBreakAtomicCommitment(t *testing.T) {
	lossy := lan()
	lossy.LossRatio = 0.1
	cases := []struct {
		name   string
		bugs   twopc.Bugs
		link   net.Link
		faults func(c *cluster)
		want   string
	}{
		{"unsynced prepare", twopc.Bugs{UnsyncedPrepare: true}, lan(), func(c *cluster) {
			c.crashShards(300*time.Millisecond, 3*time.Second, 200*time.Millisecond, 50*time.Millisecond)
		}, "prepared state lost"},
		{"commit before force", twopc.Bugs{CommitBeforeForce: true}, lossy, func(c *cluster) {
			for at := 300 * time.Millisecond; at < 3*time.Second; at += 300 * time.Millisecond {
				c.w.At(at, func() { c.w.Host(c.topo.Coordinator).Crash() })
				c.w.At(at+20*time.Millisecond, func() { c.w.Host(c.topo.Coordinator).Restart() })
			}
		}, "reversed"},
		{"abort after yes", twopc.Bugs{AbortAfterYes: true}, lan(), func(c *cluster) {
			c.silenceCoordinator(time.Second, 1100*time.Millisecond, 2*time.Second)
		}, "atomicity violated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wl := twopc.DefaultWorkload()
			wl.StopAt = 3 * time.Second
			cfg := twopc.DefaultConfig()
			o := opts{seed: 1, clients: 3, cfg: cfg, wl: wl, link: tc.link}
			if got := violation(t, o, tc.faults, 4*time.Second); got != "" {
				t.Fatalf("without the bug: %s", got)
			}
			o.cfg.Bugs = tc.bugs
			var got string
			for o.seed = 1; o.seed <= 10 && got == ""; o.seed++ {
				got = violation(t, o, tc.faults, 4*time.Second)
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("with the bug, seeds 1-10 stopped with %q; want a violation containing %q", got, tc.want)
			}
			t.Log(got)
		})
	}
}
