package etcdraft

import (
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// The predictions of entropy.go's list: which calls into etcd raft can
// reach raft.reset, the only place it draws, told from what the node
// sees before the call. The argument is over go.etcd.io/raft/v3 v3.6.0's
// raft.go; a prediction that is wrong (one that says "cannot draw" where
// etcd raft draws) makes the guard panic, it cannot go unseen.

// drawing runs fn, a call into etcd raft that can draw an election
// timeout, with the guard handing the draw the host's seeded stream
// (entropy.go), and reports whether etcd raft drew. A draw is a
// raft.reset, which zeroes the election timer.
func (n *Node) drawing(fn func()) (drew bool) {
	before := n.entropy.reads
	withSeededEntropy(&n.entropy, fn)
	if n.entropy.reads == before {
		return false
	}
	n.clock = electionClock{exact: true}
	return true
}

// electionClock follows raft.electionElapsed, which the node cannot read:
// the ticks since the node last heard from its leader, granted a vote or
// reset its state (leaders count ticks towards their check of quorum).
// Only a Tick raises it, by one; raft.go writes it in these places only:
//
//   - raft.reset zeroes it: that is a draw, which the node sees;
//   - tickElection and tickHeartbeat raise it, and zero it once it
//     reaches the randomized election timeout (at least ElectionTicks)
//     or ElectionTicks: an election or a check of quorum;
//   - a follower zeroes it on a MsgApp, MsgHeartbeat or MsgSnap of its
//     term (stepFollower);
//   - a vote granted (a MsgVote) and a leader's MsgTransferLeader zero it.
//
// Zeroing that the node does not see only leaves elapsed above the
// timer, which keeps every prediction on the safe side.
type electionClock struct {
	// elapsed is never below raft.electionElapsed.
	elapsed int
	// exact: elapsed is raft.electionElapsed.
	exact bool
}

// tick ticks the RawNode. The timer expires when it reaches
// ElectionTicks (a leader checks its quorum and may step down) or the
// randomized timeout, never below ElectionTicks (a follower or a
// candidate campaigns), and only then can Tick draw: below, the tick
// runs outside the lock.
func (n *Node) tick() {
	c := &n.clock
	if c.elapsed+1 < n.cfg.ElectionTicks {
		n.rn.Tick()
		panicOnMissedDraw()
		c.elapsed++
		return
	}
	leader := n.rn.BasicStatus().RaftState == raft.StateLeader
	if n.drawing(n.rn.Tick) {
		return
	}
	switch {
	case leader && c.exact:
		// The check of quorum ran and kept the node leader (stepping
		// down draws): tickHeartbeat zeroed the timer.
		c.elapsed = 0
	case leader:
		c.elapsed++
	default:
		// A follower or candidate whose timer expired campaigned
		// (a pre-vote does not draw) and zeroed it; one whose timer had
		// not expired counted on.
		c.elapsed++
		c.exact = false
	}
}

// step steps a peer's message into the RawNode, through the lock when
// it can draw.
func (n *Node) step(m raftpb.Message) {
	st := n.rn.BasicStatus()
	// Errors are messages raft does not want (from a peer it does not
	// track, or a local message type); it drops them itself.
	if stepCanDraw(st, m) {
		if n.drawing(func() { _ = n.rn.Step(m) }) {
			return
		}
	} else {
		_ = n.rn.Step(m)
		panicOnMissedDraw()
	}
	n.clock.stepped(st, m)
}

// stepCanDraw tells whether raft.Step of a peer's message m can reach
// raft.reset, from the node's state st before the step. raft.Step
// resets:
//
//   - on a higher term (becomeFollower), except for a MsgPreVote, which
//     never changes the term (a MsgPreVoteResp granted at a higher term
//     reaches a pre-candidate only);
//   - at a candidate or pre-candidate (stepCandidate): a leader of its
//     term heard from (becomeFollower), a vote won (becomeCandidate after
//     pre-votes, becomeLeader) or lost (becomeFollower);
//   - on a MsgTimeoutNow at a follower (hup, becomeCandidate).
//
// Nothing else does: a leader resets only on its own MsgCheckQuorum, a
// local message that Tick steps and RawNode.Step refuses from a peer; a
// message of a lower term is dropped or answered; a vote or pre-vote
// request is answered by raft.Step itself, in every state; a follower
// resets on nothing else of its own term.
func stepCanDraw(st raft.BasicStatus, m raftpb.Message) bool {
	switch {
	case m.Term > st.Term && m.Type != raftpb.MsgPreVote:
		return true
	case st.RaftState == raft.StateCandidate || st.RaftState == raft.StatePreCandidate:
		return true
	case m.Type == raftpb.MsgTimeoutNow:
		return true
	}
	return false
}

// stepped follows the election timer through a step of m, made in state
// st, that did not draw.
func (c *electionClock) stepped(st raft.BasicStatus, m raftpb.Message) {
	switch m.Type {
	case raftpb.MsgApp, raftpb.MsgHeartbeat, raftpb.MsgSnap:
		if st.RaftState == raft.StateFollower && m.Term >= st.Term {
			*c = electionClock{exact: true}
			return
		}
		c.exact = false
	case raftpb.MsgVote, raftpb.MsgTransferLeader:
		c.exact = false
	}
}

// advance advances the RawNode past the Ready it handed over, and reports
// the snapshots it sent. Advance steps the node's own messages: its
// self-acknowledged entries and storage responses (no state resets on
// those) and, at a candidate or pre-candidate, its vote for itself,
// which can win the election (a single voter's, or the last one
// needed). ReportSnapshot steps MsgSnapStatus, a local message that only
// a leader handles, by probing the follower.
func (n *Node) advance(rd raft.Ready) {
	switch n.rn.BasicStatus().RaftState {
	case raft.StateCandidate, raft.StatePreCandidate:
		n.drawing(func() { n.rn.Advance(rd) })
	default:
		n.rn.Advance(rd)
		panicOnMissedDraw()
	}
	for _, to := range n.snapsSent {
		// The network gives no delivery report; a lost snapshot is
		// noticed by the leader's probing, which sends another.
		n.rn.ReportSnapshot(to, raft.SnapshotFinish)
		panicOnMissedDraw()
	}
	n.snapsSent = n.snapsSent[:0]
}
