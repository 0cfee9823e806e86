package raftcheck

import (
	"slices"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// What the messages nodes send reveal, and the checks that hold nodes to
// it. A node's own bookkeeping (raft.Node.Promised) says what its
// responses promised; these checks look at every Raft message as it left
// (raft.SendObserver), so a term or vote revealed by a request, or a
// quorum counted from acknowledgements nobody sent, shows as well.

// revealed is what one incarnation of a node told others through its
// messages, and so what its disk must give back after a crash.
type revealed struct {
	// term is the highest term of a Raft message it sent (pre-votes
	// aside: their term is one nobody is in).
	term    uint64
	termMsg string
	// vote is the vote its messages revealed in voteTerm: its own, by a
	// vote request; another's, by a granted vote.
	voteTerm uint64
	vote     sim.HostID
	voteMsg  string
}

type grantKey struct {
	term      uint64
	candidate sim.HostID
}

type voteKey struct {
	voter sim.HostID
	term  uint64
}

type ackKey struct {
	leader, follower sim.HostID
	term             uint64
}

// leaderStart is a leader's term and commit index when it was elected:
// what it applies up to that index was committed before its term.
type leaderStart struct {
	term, commit uint64
}

// sentState is what Safety learned from the messages sent so far.
type sentState struct {
	revealed map[sim.HostID]revealed
	// grants are the voters that granted each candidate a vote in a term,
	// in the order they did.
	grants map[grantKey][]sim.HostID
	// votes is the candidate each voter granted its vote in a term.
	votes map[voteKey]sim.HostID
	// acks is the highest index each follower acknowledged holding to a
	// leader in a term.
	acks    map[ackKey]uint64
	leaders map[sim.HostID]leaderStart
}

func (st *sentState) init() {
	if st.revealed == nil {
		st.revealed = map[sim.HostID]revealed{}
		st.grants = map[grantKey][]sim.HostID{}
		st.votes = map[voteKey]sim.HostID{}
		st.acks = map[ackKey]uint64{}
		st.leaders = map[sim.HostID]leaderStart{}
	}
}

var _ raft.SendObserver = (*Safety)(nil)

// Sent implements raft.SendObserver: it notes what msg reveals of n's
// durable state, the votes it grants and the entries it acknowledges.
func (s *Safety) Sent(n *raft.Node, to sim.HostID, msg any) {
	st := &s.sent
	st.init()
	id := n.ID()
	s.checkCommitMonotonic(n)
	s.checkSenderRole(n, msg)
	switch m := msg.(type) {
	case raft.VoteRequest:
		s.checkCampaignerIsMember(n, m)
		s.checkNodeConfiguration(n, "campaigned")
		if !m.Pre {
			st.reveal(id, m.Term, "a vote request")
			st.revealVote(id, m.Term, id, "a vote request for itself")
		}
	case raft.VoteResponse:
		if m.Pre {
			return
		}
		st.reveal(id, m.Term, "a vote response")
		if m.Granted {
			st.revealVote(id, m.Term, to, "a granted vote")
			v := voteKey{id, m.Term}
			if c, ok := st.votes[v]; ok && c != to {
				s.fail(VoteOnce, id, m.Term, 0, "granted its vote in term %d to %v, after it had granted it to %v", m.Term, to, c)
			}
			st.votes[v] = to
			k := grantKey{m.Term, to}
			if !slices.Contains(st.grants[k], id) {
				st.grants[k] = append(st.grants[k], id)
			}
		}
	case raft.AppendResponse:
		st.reveal(id, m.Term, "an append response")
		if m.Success {
			st.ack(to, id, m.Term, m.Index)
		}
	case raft.SnapshotResponse:
		st.reveal(id, m.Term, "a snapshot response")
		st.ack(to, id, m.Term, m.Index)
	case raft.AppendEntries:
		st.reveal(id, m.Term, "an append")
	case raft.Heartbeat:
		st.reveal(id, m.Term, "a heartbeat")
		if acked := st.acks[ackKey{id, to, m.Term}]; m.Commit > acked {
			s.fail(HeartbeatCommit, id, m.Term, m.Commit, "sent %v a heartbeat with commit index %d in term %d, but %v had acknowledged only index %d to it in that term", to, m.Commit, m.Term, to, acked)
		}
	case raft.HeartbeatResponse:
		st.reveal(id, m.Term, "a heartbeat response")
	case raft.InstallSnapshot:
		st.reveal(id, m.Term, "a snapshot")
	case raft.TimeoutNow:
		st.reveal(id, m.Term, "a TimeoutNow")
	}
}

func (st *sentState) reveal(id sim.HostID, term uint64, what string) {
	if r := st.revealed[id]; term > r.term {
		r.term, r.termMsg = term, what
		st.revealed[id] = r
	}
}

func (st *sentState) revealVote(id sim.HostID, term uint64, vote sim.HostID, what string) {
	if r := st.revealed[id]; term >= r.voteTerm {
		r.voteTerm, r.vote, r.voteMsg = term, vote, what
		st.revealed[id] = r
	}
}

func (st *sentState) ack(leader, follower sim.HostID, term, index uint64) {
	k := ackKey{leader, follower, term}
	st.acks[k] = max(st.acks[k], index)
}

// checkRevealed compares what a node recovered at its start with what the
// messages of its previous incarnation revealed, then starts a new record.
func (s *Safety) checkRevealed(n *raft.Node) {
	st := &s.sent
	st.init()
	id, term := n.ID(), n.Term()
	r, ok := st.revealed[id]
	if !ok {
		return
	}
	delete(st.revealed, id)
	switch {
	case term < r.term:
		s.fail(Durability, id, term, 0, "recovered term %d, but before it crashed it had sent %s of term %d", term, r.termMsg, r.term)
	case r.voteTerm > 0 && term == r.voteTerm && n.Vote() != r.vote:
		s.fail(Durability, id, term, 0, "recovered vote %v in term %d, but before it crashed it had sent %s for %v in that term", n.Vote(), term, r.voteMsg, r.vote)
	}
}

// checkElectionQuorum checks that the leader just elected holds granted
// votes of a majority of the configuration in force at it: its own (if
// it is a member) and those sent to it in its term.
func (s *Safety) checkElectionQuorum(n *raft.Node) {
	st := &s.sent
	st.init()
	id, term := n.ID(), n.Term()
	st.leaders[id] = leaderStart{term: term, commit: n.CommitIndex()}
	members := n.Members()
	votes := 0
	var voters []sim.HostID
	for _, m := range members {
		if m == id || slices.Contains(st.grants[grantKey{term, id}], m) {
			votes++
			voters = append(voters, m)
		}
	}
	if q := len(members)/2 + 1; votes < q {
		s.fail(ElectionQuorum, id, term, 0, "won term %d with the votes of %v, but a majority of its configuration %v is %d", term, voters, members, q)
	}
}

// checkCommitQuorum checks that an entry a leader applies above the commit
// index it was elected with is acknowledged, in the leader's term, by a
// majority of the configuration in force at the leader (the leader
// counting itself if it is a member).
func (s *Safety) checkCommitQuorum(n *raft.Node, e *raft.Entry) {
	if n.Role() != raft.Leader {
		return
	}
	st := &s.sent
	st.init()
	id, term := n.ID(), n.Term()
	if start, ok := st.leaders[id]; !ok || start.term != term || e.Index <= start.commit {
		return
	}
	members := n.Members()
	holders := 0
	var have []sim.HostID
	for _, m := range members {
		if m == id || st.acks[ackKey{id, m, term}] >= e.Index {
			holders++
			have = append(have, m)
		}
	}
	if q := len(members)/2 + 1; holders < q {
		s.fail(CommitQuorum, id, term, e.Index, "applied %v as leader, but only %v of its configuration %v had acknowledged index %d in term %d; a majority is %d", e, have, members, e.Index, term, q)
	}
}

// checkSenderRole checks that msg carries n's current term and suits its
// role: Raft's rules for who may send what, which a node that mixes up its
// roles (a deposed leader still beating, a follower answering in the
// request's term) breaks.
func (s *Safety) checkSenderRole(n *raft.Node, msg any) {
	if s.senderRoleOff {
		return
	}
	term, role := n.Term(), n.Role()
	var got uint64
	want, ok := term, true
	var what string
	switch m := msg.(type) {
	case raft.AppendEntries:
		got, ok, what = m.Term, role == raft.Leader, "an append"
	case raft.Heartbeat:
		got, ok, what = m.Term, role == raft.Leader, "a heartbeat"
	case raft.InstallSnapshot:
		got, ok, what = m.Term, role == raft.Leader, "a snapshot"
	case raft.TimeoutNow:
		got, ok, what = m.Term, role == raft.Leader, "a TimeoutNow"
	case raft.VoteRequest:
		got, what = m.Term, "a vote request"
		if m.Pre {
			want, ok, what = term+1, role == raft.PreCandidate, "a pre-vote request"
		} else {
			ok = role == raft.Candidate
		}
	case raft.VoteResponse:
		got, what = m.Term, "a vote response"
		if m.Pre && m.Granted {
			// A granted pre-vote carries the term asked for.
			want, what = max(got, term), "a granted pre-vote"
		}
	case raft.AppendResponse:
		got, what = m.Term, "an append response"
	case raft.HeartbeatResponse:
		got, what = m.Term, "a heartbeat response"
	case raft.SnapshotResponse:
		got, what = m.Term, "a snapshot response"
	default:
		return
	}
	switch {
	case !ok:
		s.fail(SenderRole, n.ID(), term, 0, "sent %s as a %v", what, role)
	case got != want:
		s.fail(SenderRole, n.ID(), term, 0, "sent %s of term %d as a %v in term %d", what, got, role, term)
	}
}

// checkCommitMonotonic checks, as n sends a message (it does in nearly
// every event it handles), that its commit index has not gone back since
// the last one and is not below what it applied: a follower that adopts a
// leader's lower commit index, say, from a new leader or a delayed append.
func (s *Safety) checkCommitMonotonic(n *raft.Node) {
	if h := s.host(n.ID()); h.node == n {
		s.commitSeen(h, n.ID(), n.Term(), n.CommitIndex(), n.LastApplied())
	}
}

// commitSeen holds the commit index c that host id (in term) has now to
// the one it had before, and to what it has applied.
func (s *Safety) commitSeen(h *hostState, id sim.HostID, term, c, applied uint64) {
	switch {
	case c < h.commit:
		s.fail(CommitMonotonic, id, term, c, "its commit index went back from %d to %d", h.commit, c)
	case c < applied:
		s.fail(CommitMonotonic, id, term, c, "its commit index %d is below what it applied, %d", c, applied)
	}
	h.commit = max(h.commit, c)
}

// checkCampaignerIsMember checks that a server asking for votes is a
// member of the configuration in force at it: one that holds the entry
// removing it, or a joining server that holds none yet, must stay a
// follower (as etcd raft's and LogCabin's do), or a removed server's
// elections bump the terms of those that remain.
func (s *Safety) checkCampaignerIsMember(n *raft.Node, m raft.VoteRequest) {
	members := n.Members()
	if slices.Contains(members, n.ID()) {
		return
	}
	what := "vote"
	if m.Pre {
		what = "pre-vote"
	}
	s.fail(CampaignerIsMember, n.ID(), m.Term, 0, "asked for a %s in term %d, but its configuration %v does not hold it", what, m.Term, members)
}

// termLog is the part of a node's log that checkTermsOrdered reads.
type termLog interface {
	ID() sim.HostID
	FirstIndex() uint64
	LastIndex() uint64
	SnapshotTerm() uint64
	EntryTerm(i uint64) (uint64, bool)
}

// checkTermsOrdered checks that the terms of a node's log never decrease
// along its indexes, from its snapshot's term on: every log Raft builds is
// so, and one that is not was left by a torn write or truncation that
// recovery let through.
func (s *Safety) checkTermsOrdered(l termLog) {
	prev := l.SnapshotTerm()
	for i := l.FirstIndex(); i <= l.LastIndex(); i++ {
		t, ok := l.EntryTerm(i)
		if !ok {
			break
		}
		if t < prev {
			s.fail(LogTermsOrdered, l.ID(), t, i, "its log holds term %d at index %d after term %d", t, i, prev)
			return
		}
		prev = t
	}
}
