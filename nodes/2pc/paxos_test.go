package twopc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/sim"
)

// leaderBallots counts the phase 1a messages the leader sends.
type leaderBallots struct {
	leader sim.HostID
	sent   int
}

func (l *leaderBallots) Write(r *sim.Record) error {
	if r.Kind == sim.KindSend && r.Host == l.leader && strings.HasSuffix(r.Label, ".Phase1a") {
		l.sent++
	}
	return nil
}

// With one of the F+1 acceptors that receive the votes down, ballot 0
// cannot choose them; the leader, after VoteTimeout, goes to every
// acceptor with a ballot of its own and commits. The shards' own recovery
// waits far longer, so the commits are the leader's.
func TestTheLeaderGoesToEveryAcceptorWhenAVoterIsDown(t *testing.T) {
	cfg := twopc.DefaultConfig()
	cfg.Protocol = twopc.PaxosCommit
	cfg.VoteTimeout = 100 * time.Millisecond
	cfg.DecisionTimeout, cfg.DecisionRetryMax = time.Minute, time.Minute
	wl := twopc.DefaultWorkload()
	wl.StopAt, wl.AttemptTimeout = 2*time.Second, time.Second
	ballots := &leaderBallots{leader: 0}
	c := newCluster(t, opts{seed: 5, clients: 3, cfg: cfg, wl: wl, sink: ballots})
	if c.topo.Coordinator != ballots.leader {
		t.Fatalf("the leader is host %d, not %d", c.topo.Coordinator, ballots.leader)
	}
	c.w.At(time.Millisecond, func() { c.w.Host(c.topo.Acceptors[0]).Crash() })
	c.run(4 * time.Second)
	c.settled()
	if c.atom.Queries() != 0 {
		t.Errorf("the shards ran %d recovery ballots: the commits are not the leader's alone", c.atom.Queries())
	}
	if ballots.sent == 0 {
		t.Fatal("the leader sent no phase 1a: it never went beyond the F+1 acceptors")
	}
	ok, _, _ := countStatus(c.txns.Txns())
	if ok < 20 {
		t.Errorf("only %d transactions committed through the leader's ballots", ok)
	}
	t.Logf("%d committed, %d aborted, %d phase 1a from the leader", c.atom.Committed(), c.atom.Aborted(), ballots.sent)
}
