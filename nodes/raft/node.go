package raft

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/kvstore"
	"github.com/detsim/detsim/sim"
)

// New returns a factory of Raft nodes with configuration cfg. It panics if
// cfg is invalid: call cfg.Validate first on a configuration from outside.
func New(cfg Config) sim.Factory {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg.Members = slices.Clone(cfg.Members)
	return func() sim.Node { return &Node{cfg: cfg} }
}

// Node is one Raft server with its key-value state machine. It implements
// sim.Node; the exported methods other than Start, Receive and Timer are
// read-only accessors for checks and tests.
type Node struct {
	cfg  Config
	env  sim.Env
	id   sim.HostID
	disk disk
	obs  Observer
	// sentObs is obs, if it hears of every message sent.
	sentObs SendObserver

	// Durable state. Every change is written to disk at once and synced
	// before any message that depends on it is sent.
	term uint64
	vote sim.HostID // NoHost: no vote in term
	log  raftLog
	// snap is the latest snapshot (Index 0 and no Data: none). Its Index
	// is at least log.offset() and at most applied.
	snap Snapshot

	// Volatile state.
	role   Role
	leader sim.HostID // the leader of term, as far as this node knows
	// step handles a raft message whose term is already reconciled with
	// the node's; tick runs when the node's timer fires. Both are swapped
	// on every role change.
	step func(from sim.HostID, msg any)
	tick func()

	// commit >= applied >= snap.Index; commit <= log.lastIndex().
	commit  uint64
	applied uint64
	kv      *kvstore.Store

	// members is the configuration in force: the latest EntryConf in the
	// log (confIndex is its index), else the snapshot's (confIndex =
	// snap.Index), else empty (a joining node). prevMembers is the one it
	// replaced, when that is known; a leader keeps replicating to those
	// until confIndex commits, so a removed server learns it was removed.
	members     []sim.HostID
	prevMembers []sim.HostID
	confIndex   uint64

	// Timer. Exactly one timer is pending while the node runs: timer,
	// due at local time timerAt.
	timer   sim.TimerID
	timerAt time.Duration
	// rto is the randomized election timeout, drawn on each role or term
	// change; electionAt = last reset + rto.
	rto        time.Duration
	electionAt time.Duration
	// leaderSeen is when the leader was last heard from; stickyUntil is
	// when leader stickiness (CheckQuorum) ends.
	leaderSeen time.Duration
	// promised is what the responses this incarnation sent promised.
	promised    Promise
	stickyUntil time.Duration

	// Candidate and pre-candidate: the answers so far.
	votes []vote

	// Leader. prs holds one progress per replication target but self,
	// sorted by id.
	prs        []progress
	termStart  uint64 // index of this term's no-op
	proposals  []proposal
	reads      []pendingRead
	round      uint64 // the latest heartbeat round
	roundSent  [roundRing]time.Duration
	leaseUntil time.Duration
	quorumAt   time.Duration // next CheckQuorum
	transferee sim.HostID
	transferAt time.Duration // abandon the transfer then
	// timeoutSent: a TimeoutNow went out in this term; no more lease reads.
	timeoutSent bool
	matchBuf    []uint64
	// lastAppend is the latest AppendEntries sent, and boxed the box it
	// went in, for the next follower the same message goes to.
	lastAppend AppendEntries
	boxed      any
}

type vote struct {
	from    sim.HostID
	granted bool
}

type prState uint8

const (
	// stateProbe: one append in flight at a time until the follower's log
	// matches.
	stateProbe prState = iota
	// stateReplicate: appends stream, next advancing optimistically.
	stateReplicate
	// stateSnapshot: a snapshot is in flight.
	stateSnapshot
)

// progress is the leader's view of one follower.
type progress struct {
	id    sim.HostID
	match uint64 // highest index known to match; next > match
	next  uint64
	state prState
	// paused: a probe is in flight (stateProbe).
	paused bool
	// snapIndex and snapSent: the snapshot in flight (stateSnapshot).
	snapIndex uint64
	snapSent  time.Duration
	// active: heard from since the last CheckQuorum.
	active bool
	// round: the latest heartbeat round acknowledged in this term.
	round uint64
}

// proposal is a client request or membership change that waits for its
// entry to apply.
type proposal struct {
	index uint64
	term  uint64
	from  sim.HostID
	conf  bool
	req   client.Request // !conf
	id    uint64         // conf: the ConfChange's ID
}

// pendingRead is a get that waits for its round to be confirmed and its
// read index to be applied.
type pendingRead struct {
	index uint64
	round uint64
	from  sim.HostID
	req   client.Request
}

const roundRing = 64

// timerTag is the tag of the node's one timer.
type timerTag struct{}

// Start recovers the node from storage and starts it as a follower.
func (n *Node) Start(env sim.Env) {
	n.env, n.id = env, env.ID()
	n.obs = n.cfg.Observer
	n.sentObs, _ = n.obs.(SendObserver)
	n.disk = disk{st: env.Storage()}
	n.transferee = sim.NoHost
	boot := n.recover()
	if n.obs != nil {
		n.obs.Started(n)
		if boot {
			n.obs.Appended(n, n.log.at(1), 0)
		}
	}
	n.applyCommitted()
	if n.cfg.CheckQuorum {
		// A node that restarts cannot know whom it heard from last: it
		// keeps away from elections for a timeout, so it never helps
		// depose a leader whose lease it may have granted.
		n.stickyUntil = env.Now() + n.cfg.ElectionTimeoutMin
	}
	n.becomeFollower(n.term, sim.NoHost)
	n.flush()
}

// recover loads the node's state. It reports whether this was a first boot
// that wrote the initial configuration.
func (n *Node) recover() (boot bool) {
	r := n.disk.load()
	for _, key := range r.damage {
		n.env.Logf("raft: dropped unreadable or inconsistent record %s", key)
	}
	n.term, n.vote, n.snap = r.term, r.vote, r.snap
	n.log = newLog(r.snap.Index, r.snap.Term)
	for _, e := range r.ents {
		n.log.append(e)
	}
	n.kv = kvstore.New()
	if r.snap.Index > 0 {
		kv, err := kvstore.Decode(r.snap.Data)
		if err != nil {
			panic("raft: snapshot passed its check at load but does not decode")
		}
		n.kv = kv
	}
	n.commit, n.applied = r.snap.Index, r.snap.Index
	if r.empty && !n.cfg.Join {
		members := n.cfg.Members
		if len(members) == 0 {
			members = append(n.env.Peers(), n.id)
		}
		members = sortedUnique(members)
		if slices.Contains(members, n.id) {
			// Every initial member writes the same first entry, which
			// is committed by definition; a joining node receives it
			// from the leader.
			e := Entry{Index: 1, Term: 0, Kind: EntryConf, Members: members}
			n.log.append(e)
			n.disk.saveEntry(&e)
			n.disk.sync()
			boot = true
		}
	}
	if t, ok := n.log.term(1); ok && t == 0 && n.log.lastIndex() >= 1 {
		n.commit = max(n.commit, 1)
	}
	n.recomputeMembers()
	return boot
}

func sortedUnique(ids []sim.HostID) []sim.HostID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Timer runs the node's timer.
func (n *Node) Timer(id sim.TimerID, tag any) {
	if id != n.timer {
		return
	}
	n.timer = 0
	n.tick()
	n.flush()
}

// flush syncs what the event wrote and did not sync yet (a term learned
// from a response, say), so that no event ends with unsynced writes. Bug
// ReplyBeforeSync skips it too, so that a timed crash, which falls between
// events, can lose what a reply promised.
func (n *Node) flush() {
	if !n.cfg.Bugs.ReplyBeforeSync {
		n.disk.sync()
	}
}

// armAt makes sure the node's timer fires no later than local time at.
func (n *Node) armAt(at time.Duration) {
	if n.timer != 0 {
		if n.timerAt <= at {
			return
		}
		n.env.Cancel(n.timer)
	}
	n.timerAt = at
	n.timer = n.env.After(at-n.env.Now(), timerTag{})
}

// rearm replaces the pending timer with one at local time at.
func (n *Node) rearm(at time.Duration) {
	if n.timer != 0 {
		n.env.Cancel(n.timer)
		n.timer = 0
	}
	n.armAt(at)
}

// Receive handles a message.
func (n *Node) Receive(from sim.HostID, msg any) {
	n.receive(from, msg)
	n.flush()
}

func (n *Node) receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case client.Request:
		n.onClient(from, m)
		return
	case *client.Request:
		n.onClient(from, *m)
		return
	case ConfChange:
		n.onConfChange(from, m)
		return
	case TransferLeader:
		n.onTransfer(from, m)
		return
	}
	t, ok := termOf(msg)
	if !ok {
		n.env.Logf("raft: ignoring a message of unknown type %T", msg)
		return
	}
	switch {
	case t > n.term:
		leader := sim.NoHost
		switch m := msg.(type) {
		case VoteRequest:
			if !m.Transfer && n.inLease() {
				// Leader stickiness: a leader we heard from recently is
				// alive; this candidate is cut off from it, or behind.
				return
			}
			if m.Pre {
				n.handleVote(from, m) // pre-votes never change our term
				return
			}
		case VoteResponse:
			if m.Pre && m.Granted {
				// A granted pre-vote carries the term we would
				// campaign in, not a term anyone is in.
				n.step(from, msg)
				return
			}
		case AppendEntries, Heartbeat, InstallSnapshot:
			leader = from
		}
		n.becomeFollower(t, leader)
	case t < n.term:
		switch m := msg.(type) {
		case AppendEntries, Heartbeat, InstallSnapshot:
			// A stale leader: tell it the current term so it steps down.
			n.send(from, AppendResponse{Term: n.term})
		case VoteRequest:
			n.send(from, VoteResponse{Term: n.term, Pre: m.Pre})
		}
		return
	}
	n.step(from, msg)
}

// inLease reports whether leader stickiness holds: CheckQuorum is on and
// this node is the leader or heard from one within ElectionTimeoutMin.
func (n *Node) inLease() bool {
	if !n.cfg.CheckQuorum {
		return false
	}
	return n.role == Leader || n.env.Now() < n.stickyUntil
}

func (n *Node) send(to sim.HostID, msg any) {
	if to == sim.NoHost {
		return
	}
	n.promise(to, msg)
	n.env.Send(to, msg)
	if n.sentObs != nil {
		n.sentObs.Sent(n, to, msg)
	}
}

// promise notes what a response tells its receiver, for Promised: a
// response is a promise that its term, a vote it grants and the entries
// it acknowledges are on disk.
func (n *Node) promise(to sim.HostID, msg any) {
	switch m := msg.(type) {
	case VoteResponse:
		if !m.Pre {
			n.promised.Term = max(n.promised.Term, m.Term)
			if m.Granted {
				n.promised.VoteTerm, n.promised.Vote = m.Term, to
			}
		}
	case AppendResponse:
		n.promised.Term = max(n.promised.Term, m.Term)
		if m.Success {
			t, _ := n.log.term(m.Index)
			n.promised.MatchTerm, n.promised.Match, n.promised.MatchIndexTerm = m.Term, m.Index, t
		}
	}
}

// setTerm moves to a later term, forgetting the vote. The caller syncs.
func (n *Node) setTerm(t uint64) {
	if t < n.term {
		panic(fmt.Sprintf("raft: term going back from %d to %d", n.term, t))
	}
	if t == n.term {
		return
	}
	n.term, n.vote = t, sim.NoHost
	n.disk.saveHard(n.term, n.vote)
}

// resetElection draws a new randomized timeout and restarts the election
// timer from now.
func (n *Node) resetElection() {
	span := int64(n.cfg.ElectionTimeoutMax - n.cfg.ElectionTimeoutMin)
	n.rto = n.cfg.ElectionTimeoutMin + time.Duration(n.env.Rand().Int64N(span))
	n.electionAt = n.env.Now() + n.rto
	n.armAt(n.electionAt)
}

// heardFromLeader pushes the election timer back and renews stickiness.
func (n *Node) heardFromLeader(from sim.HostID) {
	now := n.env.Now()
	n.leader = from
	n.leaderSeen = now
	n.electionAt = now + n.rto
	n.stickyUntil = max(n.stickyUntil, now+n.cfg.ElectionTimeoutMin)
}

func (n *Node) becomeFollower(term uint64, leader sim.HostID) {
	wasLeader := n.role == Leader
	termChanged := term != n.term
	n.setTerm(term)
	if wasLeader {
		n.stepDown(leader)
	}
	changed := n.role != Follower || termChanged
	n.role = Follower
	n.step = n.stepFollower
	n.tick = n.tickElection
	n.leader = leader
	if leader != sim.NoHost {
		n.leaderSeen = n.env.Now()
	}
	if changed || n.timer == 0 {
		n.resetElection()
	}
	if changed {
		n.env.Logf("raft: follower in term %d", n.term)
	}
}

func (n *Node) becomePreCandidate() {
	n.role = PreCandidate
	n.step = n.stepCandidate
	n.tick = n.tickElection
	n.leader = sim.NoHost
	n.resetElection()
	n.env.Logf("raft: pre-candidate in term %d", n.term)
	n.votes = append(n.votes[:0], vote{n.id, true})
	if n.poll() {
		n.becomeCandidate(false)
		return
	}
	req := VoteRequest{Term: n.term + 1, LastIndex: n.log.lastIndex(), LastTerm: n.log.lastTerm(), Pre: true}
	n.sendToMembers(req)
}

func (n *Node) becomeCandidate(transfer bool) {
	n.term, n.vote = n.term+1, n.id
	n.disk.saveHard(n.term, n.vote)
	n.disk.sync()
	n.role = Candidate
	n.step = n.stepCandidate
	n.tick = n.tickElection
	n.leader = sim.NoHost
	n.resetElection()
	n.env.Logf("raft: candidate in term %d", n.term)
	n.votes = append(n.votes[:0], vote{n.id, true})
	if n.poll() {
		n.becomeLeader()
		return
	}
	req := VoteRequest{Term: n.term, LastIndex: n.log.lastIndex(), LastTerm: n.log.lastTerm(), Transfer: transfer}
	n.sendToMembers(req)
}

func (n *Node) sendToMembers(msg any) {
	for _, m := range n.members {
		if m != n.id {
			n.send(m, msg)
		}
	}
}

// poll counts the votes of members. It reports a win; on a loss it makes
// the node a follower.
func (n *Node) poll() bool {
	granted, rejected := 0, 0
	for _, v := range n.votes {
		if !slices.Contains(n.members, v.from) {
			continue
		}
		if v.granted {
			granted++
		} else {
			rejected++
		}
	}
	q := n.quorum()
	switch {
	case granted >= q:
		return true
	case rejected >= q:
		n.becomeFollower(n.term, sim.NoHost)
	}
	return false
}

func (n *Node) quorum() int { return len(n.members)/2 + 1 }

func (n *Node) isMember(id sim.HostID) bool { return slices.Contains(n.members, id) }

// tickElection is the timer of followers and candidates.
func (n *Node) tickElection() {
	now := n.env.Now()
	if now < n.electionAt {
		n.armAt(n.electionAt)
		return
	}
	n.campaign(false)
}

// campaign starts an election (after a pre-vote, if configured), unless
// this node is not a voting member.
func (n *Node) campaign(transfer bool) {
	if !n.isMember(n.id) {
		n.resetElection()
		return
	}
	if n.cfg.PreVote && !transfer {
		n.becomePreCandidate()
	} else {
		n.becomeCandidate(transfer)
	}
}

func (n *Node) stepFollower(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case AppendEntries:
		n.handleAppend(from, m)
	case Heartbeat:
		n.handleHeartbeat(from, m)
	case InstallSnapshot:
		n.handleSnapshot(from, m)
	case VoteRequest:
		n.handleVote(from, m)
	case TimeoutNow:
		n.env.Logf("raft: leadership transfer: campaigning at once")
		n.campaign(true)
	}
}

func (n *Node) stepCandidate(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case VoteResponse:
		if m.Pre != (n.role == PreCandidate) {
			return
		}
		if slices.ContainsFunc(n.votes, func(v vote) bool { return v.from == from }) {
			return
		}
		n.votes = append(n.votes, vote{from, m.Granted})
		if n.poll() {
			if n.role == PreCandidate {
				n.becomeCandidate(false)
			} else {
				n.becomeLeader()
			}
		}
	case AppendEntries, Heartbeat, InstallSnapshot:
		// A leader of our term exists.
		n.becomeFollower(n.term, from)
		n.step(from, msg)
	case VoteRequest:
		n.handleVote(from, m)
	case TimeoutNow:
		n.campaign(true)
	}
}

// handleVote answers a vote or pre-vote request whose term is at least
// ours (a real vote's term equals ours by now).
func (n *Node) handleVote(from sim.HostID, m VoteRequest) {
	logOK := n.cfg.Bugs.VoteWithoutLogCheck || n.log.upToDate(m.LastIndex, m.LastTerm)
	var grant bool
	if m.Pre {
		// Grant only if we too have lost the leader: the pre-vote check
		// of the Raft dissertation (section 9.6).
		leaderAlive := n.role == Leader ||
			(n.leader != sim.NoHost && n.env.Now() < n.leaderSeen+n.cfg.ElectionTimeoutMin)
		if n.cfg.Bugs.PreVoteIgnoresLeader {
			leaderAlive = false
		}
		canVote := m.Term > n.term || (n.vote == from || (n.vote == sim.NoHost && n.leader == sim.NoHost))
		grant = logOK && canVote && !leaderAlive
	} else {
		grant = logOK && m.Term == n.term && (n.vote == sim.NoHost || n.vote == from)
		if grant && n.vote != from {
			n.vote = from
			n.disk.saveHard(n.term, n.vote)
			n.electionAt = n.env.Now() + n.rto
		}
	}
	n.syncForReply()
	resp := VoteResponse{Term: n.term, Pre: m.Pre, Granted: grant}
	if m.Pre && grant {
		resp.Term = m.Term
	}
	n.send(from, resp)
}

// syncForReply makes the node's writes durable before it replies to a
// vote request, append or heartbeat; bugs ReplyBeforeSync and
// SyncAfterReply skip it (the second leaves the sync to flush, after the
// reply).
func (n *Node) syncForReply() {
	if !n.cfg.Bugs.ReplyBeforeSync && !n.cfg.Bugs.SyncAfterReply {
		n.disk.sync()
	}
}

// recomputeMembers finds the configuration in force from the log and the
// snapshot.
func (n *Node) recomputeMembers() {
	n.members, n.prevMembers, n.confIndex = nil, nil, 0
	found := 0
	for i := n.log.lastIndex(); i > n.log.offset() && found < 2; i-- {
		e := n.log.at(i)
		if e.Kind != EntryConf {
			continue
		}
		if found == 0 {
			n.members, n.confIndex = e.Members, i
		} else {
			n.prevMembers = e.Members
		}
		found++
	}
	switch {
	case found == 0 && n.snap.Index > 0:
		n.members, n.confIndex = n.snap.Members, n.snap.Index
	case found == 1 && n.snap.Index > 0:
		n.prevMembers = n.snap.Members
	}
}

// setConf adopts a configuration entry just appended.
func (n *Node) setConf(e *Entry) {
	n.prevMembers, n.members, n.confIndex = n.members, e.Members, e.Index
	if n.role == Leader {
		n.syncProgress()
	}
}

// appendEntries writes entries that follow the log's last entry, without
// syncing.
func (n *Node) appendEntries(ents []Entry) {
	for i := range ents {
		prevTerm := n.log.lastTerm()
		n.log.append(ents[i])
		n.appended(&ents[i], prevTerm)
	}
}

// appended saves an entry just appended after prevTerm and tells the
// observer. The observer is an interface, so e escapes: callers pass an
// entry that already lives on the heap (in a message, or in the log).
func (n *Node) appended(e *Entry, prevTerm uint64) {
	n.disk.saveEntry(e)
	if e.Kind == EntryConf {
		n.setConf(e)
	}
	if n.obs != nil {
		n.obs.Appended(n, e, prevTerm)
	}
}

// truncateAfter drops the entries after i, which must not be committed.
func (n *Node) truncateAfter(i uint64) {
	if i < n.commit {
		panic(fmt.Sprintf("raft: truncating the log to %d below the commit index %d", i, n.commit))
	}
	last := n.log.lastIndex()
	n.log.truncate(i)
	n.disk.deleteEntries(i+1, last)
	// The stale entries must be gone from the disk before the entries
	// that replace them are written: a disk that reorders unsynced writes
	// could otherwise keep a new entry after a stale one it did not
	// delete, a log no leader ever sent.
	n.disk.sync()
	if n.confIndex > i {
		n.recomputeMembers()
		if n.role == Leader {
			n.syncProgress()
		}
	}
}

// applyCommitted applies the entries up to commit, in order, and then
// serves what waited on them.
func (n *Node) applyCommitted() {
	removed := false
	for n.applied < n.commit {
		i := n.applied + 1
		e := n.log.at(i)
		n.applied = i
		var res client.Result
		if e.Kind == EntryCommand {
			res = n.kv.Apply(e.Cmd, !n.cfg.Bugs.NoSessionDedup)
		}
		if n.obs != nil {
			n.obs.Applied(n, e)
		}
		if n.role == Leader {
			n.answerProposals(e, res)
			if e.Kind == EntryConf && i == n.confIndex {
				n.syncProgress()
				removed = !n.isMember(n.id)
			}
		}
	}
	if n.role == Leader {
		n.serveReads()
		if removed {
			n.handOff()
		}
	}
	n.maybeSnapshot()
}

// answerProposals replies to the proposals whose entry e is.
func (n *Node) answerProposals(e *Entry, res client.Result) {
	for len(n.proposals) > 0 && n.proposals[0].index <= e.Index {
		p := n.proposals[0]
		n.proposals = n.proposals[1:]
		if p.index < e.Index || p.term != e.Term {
			continue
		}
		if p.conf {
			n.send(p.from, ConfChangeResponse{ID: p.id, Status: AdminOK, Leader: n.id})
		} else {
			n.send(p.from, client.Response{Client: p.req.Client, Seq: p.req.Seq, Status: client.StatusOK, Result: res, Leader: n.id})
		}
	}
}

// handOff: the leader has committed a configuration without itself. It
// steps down and asks the most up-to-date member to campaign at once.
func (n *Node) handOff() {
	var best *progress
	for i := range n.prs {
		pr := &n.prs[i]
		if n.isMember(pr.id) && (best == nil || pr.match > best.match) {
			best = pr
		}
	}
	n.env.Logf("raft: removed from the configuration; stepping down")
	if best != nil && best.match == n.log.lastIndex() {
		n.sendTimeoutNow(best.id)
	}
	n.becomeFollower(n.term, sim.NoHost)
}

// maybeSnapshot snapshots the state machine once SnapshotEntries entries
// have applied since the last snapshot, then compacts the log.
func (n *Node) maybeSnapshot() {
	if n.cfg.SnapshotEntries == 0 || n.applied-n.snap.Index < uint64(n.cfg.SnapshotEntries) {
		return
	}
	// The configuration as of the applied index.
	members := n.snap.Members
	for i := n.applied; i > n.log.offset(); i-- {
		if e := n.log.at(i); e.Kind == EntryConf {
			members = e.Members
			break
		}
	}
	t, _ := n.log.term(n.applied)
	s := Snapshot{Index: n.applied, Term: t, Members: members, Data: n.kv.Encode()}
	old := n.snap
	n.disk.saveSnapshot(&s)
	n.disk.sync()
	n.snap = s
	if old.Index > 0 {
		n.disk.deleteSnapshot(old.Index)
	}
	if s.Index > uint64(n.cfg.SnapshotTrailing) {
		to := s.Index - uint64(n.cfg.SnapshotTrailing)
		if to > n.log.offset() {
			n.disk.deleteEntries(n.log.offset()+1, to)
			n.log.compact(to)
		}
	}
	n.disk.sync()
}
