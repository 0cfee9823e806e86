package raftcheck_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/sim"
)

// quiet runs 3 correct servers, with obs as their Observer, for d.
func quiet(t *testing.T, obs raft.Observer, s *raftcheck.Safety, d time.Duration) *sim.World {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.New(w, net.Options{Default: net.Link{Latency: net.Uniform{Max: 5 * time.Millisecond}}}); err != nil {
		t.Fatal(err)
	}
	cfg := raft.DefaultConfig()
	cfg.Observer = obs
	cfg.Members = []sim.HostID{0, 1, 2}
	for i := 0; i < 3; i++ {
		if _, err := w.AddHost(sim.HostConfig{Factory: raft.New(cfg)}); err != nil {
			t.Fatal(err)
		}
	}
	w.AddHook(s.Hook(50))
	w.RunFor(d)
	return w
}

func node(t *testing.T, w *sim.World, h sim.HostID) *raft.Node {
	t.Helper()
	n, ok := w.Host(h).Node().(*raft.Node)
	if !ok {
		t.Fatalf("host %v runs no raft node", h)
	}
	return n
}

func wantViolation(t *testing.T, err error, inv raftcheck.Invariant, detail string) {
	t.Helper()
	var v *raftcheck.Violation
	if !errors.As(err, &v) || v.Invariant != inv || !strings.Contains(v.Detail, detail) {
		t.Fatalf("got %v, want a violation of %v saying %q", err, inv, detail)
	}
}

// TestARestartBelowATermItsMessagesRevealedIsADurabilityViolation: a
// server that sent a vote request of a term its disk does not hold (here
// a report of one it never wrote) is caught at its restart, though no
// response of its promised anything.
func TestARestartBelowATermItsMessagesRevealedIsADurabilityViolation(t *testing.T) {
	s := raftcheck.NewSafety().WithoutSenderRole()
	w := quiet(t, s, s, time.Second)
	if err := s.Check(); err != nil {
		t.Fatalf("a correct cluster: %v", err)
	}
	n := node(t, w, 1)
	s.Sent(n, 0, raft.VoteRequest{Term: n.Term() + 3})
	w.Host(1).Crash()
	w.Host(1).Restart()
	wantViolation(t, s.Check(), raftcheck.Durability, "a vote request of term")
}

// TestARestartWithAnotherVoteThanItsMessagesRevealedIsADurabilityViolation:
// a granted vote a server sent, and no longer holds after its restart.
func TestARestartWithAnotherVoteThanItsMessagesRevealedIsADurabilityViolation(t *testing.T) {
	s := raftcheck.NewSafety().WithoutSenderRole()
	w := quiet(t, s, s, time.Second)
	n := node(t, w, 1)
	other := sim.HostID(2)
	if n.Vote() == other {
		other = 0
	}
	s.Sent(n, other, raft.VoteResponse{Term: n.Term(), Granted: true})
	w.Host(1).Crash()
	w.Host(1).Restart()
	wantViolation(t, s.Check(), raftcheck.Durability, "a granted vote for")
}

// TestAPreVoteRevealsNoTerm: a pre-vote's term is one nobody is in yet;
// a server that asked for one and restarts below it broke nothing.
func TestAPreVoteRevealsNoTerm(t *testing.T) {
	s := raftcheck.NewSafety().WithoutSenderRole()
	w := quiet(t, s, s, time.Second)
	n := node(t, w, 1)
	s.Sent(n, 0, raft.VoteRequest{Term: n.Term() + 1, Pre: true})
	s.Sent(n, 0, raft.VoteResponse{Term: n.Term() + 1, Pre: true, Granted: true})
	w.Host(1).Crash()
	w.Host(1).Restart()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// unheard passes every report on to the checker but the messages drop
// says it never hears of.
type unheard struct {
	*raftcheck.Safety
	drop func(msg any) bool
}

func (u unheard) Sent(n *raft.Node, to sim.HostID, msg any) {
	if !u.drop(msg) {
		u.Safety.Sent(n, to, msg)
	}
}

// TestALeaderWithoutAMajorityOfGrantsIsAnElectionQuorumViolation: the
// checker counts the grants it saw sent, so a leader whose voters' grants
// it never saw won without a quorum as far as it can tell.
func TestALeaderWithoutAMajorityOfGrantsIsAnElectionQuorumViolation(t *testing.T) {
	s := raftcheck.NewSafety()
	quiet(t, unheard{s, func(msg any) bool {
		m, ok := msg.(raft.VoteResponse)
		return ok && m.Granted
	}}, s, time.Second)
	wantViolation(t, s.Check(), raftcheck.ElectionQuorum, "but a majority of its configuration")
}

// TestACommitWithoutAMajorityOfAcknowledgementsIsACommitQuorumViolation:
// with the followers' acknowledgements unseen, the leader's first commit
// (its no-op) has only the leader behind it.
func TestACommitWithoutAMajorityOfAcknowledgementsIsACommitQuorumViolation(t *testing.T) {
	s := raftcheck.NewSafety()
	quiet(t, unheard{s, func(msg any) bool {
		_, ok := msg.(raft.AppendResponse)
		return ok
	}}, s, time.Second)
	wantViolation(t, s.Check(), raftcheck.CommitQuorum, "had acknowledged index")
}

// TestAServerOutsideItsConfigurationThatAsksForVotesIsACampaignerViolation:
// a joining server, which holds no configuration yet, asks for a pre-vote.
func TestAServerOutsideItsConfigurationThatAsksForVotesIsACampaignerViolation(t *testing.T) {
	s := raftcheck.NewSafety().WithoutSenderRole()
	w := quiet(t, s, s, time.Second)
	cfg := raft.DefaultConfig()
	cfg.Observer = s
	cfg.Join = true
	h, err := w.AddHost(sim.HostConfig{Factory: raft.New(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	w.RunFor(2 * time.Second)
	if err := s.Check(); err != nil {
		t.Fatalf("a joining server that waits: %v", err)
	}
	n := node(t, w, h)
	s.Sent(n, 0, raft.VoteRequest{Term: n.Term() + 1, Pre: true})
	wantViolation(t, s.Check(), raftcheck.CampaignerIsMember, "asked for a pre-vote")
}

// TestAHeartbeatCommitPastWhatTheFollowerAcknowledgedIsAViolation: a
// leader tells a follower a commit index above the follower's
// acknowledgements in its term, as one counting an answer of its earlier
// term would; a heartbeat of a term the follower has acknowledged nothing
// in may carry no commit index at all.
func TestAHeartbeatCommitPastWhatTheFollowerAcknowledgedIsAViolation(t *testing.T) {
	for _, next := range []bool{false, true} {
		s := raftcheck.NewSafety().WithoutSenderRole()
		w := quiet(t, s, s, time.Second)
		if err := s.Check(); err != nil {
			t.Fatalf("a correct cluster: %v", err)
		}
		var l *raft.Node
		for h := range sim.HostID(3) {
			if n := node(t, w, h); n.Role() == raft.Leader {
				l = n
			}
		}
		if l == nil {
			t.Fatal("no leader after 1s")
		}
		f := (l.ID() + 1) % 3
		m := raft.Heartbeat{Term: l.Term(), Commit: l.LastIndex() + 1}
		if next {
			m = raft.Heartbeat{Term: l.Term() + 1, Commit: 1}
		}
		s.Sent(l, f, m)
		wantViolation(t, s.Check(), raftcheck.HeartbeatCommit, "had acknowledged only index")
	}
}

// TestACommitIndexThatGoesBackIsACommitMonotonicViolation: a commit index
// lower than at the node's last message, or lower than what it applied,
// is a violation; a restart starts the record again.
func TestACommitIndexThatGoesBackIsACommitMonotonicViolation(t *testing.T) {
	s := raftcheck.NewSafety()
	w := quiet(t, s, s, time.Second)
	n := node(t, w, 1)
	c := n.CommitIndex()
	if c < 2 {
		t.Fatalf("commit index %d after 1s", c)
	}
	w.Host(1).Crash()
	w.Host(1).Restart()
	w.RunFor(10 * time.Millisecond)
	if err := s.Check(); err != nil {
		t.Fatalf("a restart, which recovers a commit index from its snapshot only: %v", err)
	}
	s.SeeCommit(1, c+5, c)
	s.SeeCommit(1, c+4, c)
	wantViolation(t, s.Check(), raftcheck.CommitMonotonic, "went back from")

	s = raftcheck.NewSafety()
	quiet(t, s, s, 100*time.Millisecond)
	s.SeeCommit(2, 3, 4)
	wantViolation(t, s.Check(), raftcheck.CommitMonotonic, "below what it applied")
}

// TestAFollowerThatAppliesAnIndexFirstIsAnAppliedCommittedViolation: a
// follower reported applying the index after the last one any leader
// applied.
func TestAFollowerThatAppliesAnIndexFirstIsAnAppliedCommittedViolation(t *testing.T) {
	s := raftcheck.NewSafety()
	w := quiet(t, s, s, time.Second)
	if err := s.Check(); err != nil {
		t.Fatalf("a correct cluster, whose followers apply the initial configuration first: %v", err)
	}
	for h := range sim.HostID(3) {
		n := node(t, w, h)
		if n.Role() == raft.Leader {
			continue
		}
		s.Applied(n, &raft.Entry{Index: s.AppliedIndex() + 1, Term: n.Term(), Kind: raft.EntryNoop})
		wantViolation(t, s.Check(), raftcheck.AppliedCommitted, "before any leader applied index")
		return
	}
	t.Fatal("no follower")
}

// TestAMessageOfAnotherTermOrRoleIsASenderRoleViolation: a follower that
// beats like a leader, and a follower that answers in a term it is not
// in.
func TestAMessageOfAnotherTermOrRoleIsASenderRoleViolation(t *testing.T) {
	for _, tc := range []struct {
		msg    func(n *raft.Node) any
		detail string
	}{
		{func(n *raft.Node) any { return raft.Heartbeat{Term: n.Term()} }, "sent a heartbeat as a follower"},
		{func(n *raft.Node) any { return raft.AppendResponse{Term: n.Term() + 1} }, "sent an append response of term"},
	} {
		s := raftcheck.NewSafety()
		w := quiet(t, s, s, time.Second)
		if err := s.Check(); err != nil {
			t.Fatalf("a correct cluster: %v", err)
		}
		for h := range sim.HostID(3) {
			if n := node(t, w, h); n.Role() == raft.Follower {
				s.Sent(n, (h+1)%3, tc.msg(n))
				break
			}
		}
		wantViolation(t, s.Check(), raftcheck.SenderRole, tc.detail)
	}
}

// TestASecondGrantInATermIsAVoteOnceViolation: a server that granted its
// vote in a term grants it to another candidate in the same term.
func TestASecondGrantInATermIsAVoteOnceViolation(t *testing.T) {
	s := raftcheck.NewSafety()
	w := quiet(t, s, s, time.Second)
	n := node(t, w, 1)
	term := n.Term() + 1
	s.WithoutSenderRole()
	s.Sent(n, 0, raft.VoteResponse{Term: term, Granted: true})
	s.Sent(n, 0, raft.VoteResponse{Term: term, Granted: true})
	if err := s.Check(); err != nil {
		t.Fatalf("the same grant twice: %v", err)
	}
	s.Sent(n, 2, raft.VoteResponse{Term: term, Granted: true})
	wantViolation(t, s.Check(), raftcheck.VoteOnce, "after it had granted it to")
}
