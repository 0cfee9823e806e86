package raftcheck

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Invariant names one of Raft's safety properties.
type Invariant uint8

const (
	// ElectionSafety: at most one leader per term.
	ElectionSafety Invariant = iota + 1
	// LogMatching: two logs holding an entry with the same index and term
	// hold the same entry there and agree on everything before it.
	LogMatching
	// LeaderCompleteness: a leader's log holds every entry committed in
	// an earlier term.
	LeaderCompleteness
	// StateMachineSafety: no two nodes apply different entries at one
	// index.
	StateMachineSafety
	// AppliedInOrder: a node applies indexes one by one, without gaps.
	AppliedInOrder
	// Durability: a node recovers from its disk at least what its
	// responses promised before it crashed: the highest term it revealed,
	// the vote it granted in that term, and the entries it acknowledged to
	// the leader of its recovered term.
	Durability
	// AppliedMonotonic: within one run of a node, its applied index and
	// state never go back. A restart may start again from the node's
	// snapshot and re-apply from there; an installed snapshot must not
	// replace state the node has already applied past.
	AppliedMonotonic
	// SnapshotMatches: a snapshot covers the entry at its index: it
	// records that entry's term, it is no later than what its node has
	// applied, and its state is the state every node had after applying
	// that index.
	SnapshotMatches
	// StateAgreement: two nodes that have applied the same index hold the
	// same state machine state, client sessions included.
	StateAgreement
	// ElectionQuorum: a leader won its term with granted votes of a
	// majority of the configuration in force at it.
	ElectionQuorum
	// CommitQuorum: a leader applies an entry it committed only once a
	// majority of the configuration in force at it acknowledged holding
	// the entry in its term.
	CommitQuorum
	// LogTermsOrdered: the terms of a node's log never decrease along its
	// indexes, from its snapshot's term on.
	LogTermsOrdered
	// CampaignerIsMember: a server asks for votes (or pre-votes) only
	// while its configuration holds it. A server that knows it was
	// removed, or that has not joined yet, never campaigns.
	CampaignerIsMember
	// CommitMonotonic: within one run of a node, its commit index never
	// goes back, and never falls below what it has applied (Figure 2 of
	// the Raft paper: it "increases monotonically").
	CommitMonotonic
	// AppliedCommitted: the first node to apply an index is a leader. A
	// leader applies an entry in the event that commits it, before it
	// tells anyone, so a follower that applies an index no leader has
	// applied applies what no leader committed (the initial configuration
	// entry, committed by definition, aside).
	AppliedCommitted
	// SenderRole: every Raft message carries its sender's current term
	// (a pre-vote request, and a granted pre-vote, the term to be), and
	// only a leader sends appends, heartbeats, snapshots and TimeoutNow,
	// only a candidate vote requests, only a pre-candidate pre-vote
	// requests.
	SenderRole
	// VoteOnce: a server grants at most one candidate its vote in a term
	// (as its vote responses show), across its restarts too.
	VoteOnce
	// HeartbeatCommit: a leader's heartbeat tells a follower a commit
	// index no higher than the follower acknowledged holding to that
	// leader in its term (the leader's commit, capped at the follower's
	// match, which only this term's acknowledgements raise).
	HeartbeatCommit
	// ConfigurationLatest: a server's configuration in force is the
	// latest one in its log, committed or not, or its snapshot's when the
	// log holds none (section 4.1 of the Raft dissertation), checked as
	// it recovers, as it campaigns and as it wins.
	ConfigurationLatest
)

func (i Invariant) String() string {
	switch i {
	case ElectionSafety:
		return "election safety"
	case LogMatching:
		return "log matching"
	case LeaderCompleteness:
		return "leader completeness"
	case StateMachineSafety:
		return "state machine safety"
	case AppliedInOrder:
		return "applied in order"
	case Durability:
		return "durability"
	case AppliedMonotonic:
		return "applied monotonic"
	case SnapshotMatches:
		return "snapshot matches"
	case StateAgreement:
		return "state agreement"
	case ElectionQuorum:
		return "election quorum"
	case CommitQuorum:
		return "commit quorum"
	case LogTermsOrdered:
		return "log terms ordered"
	case CampaignerIsMember:
		return "campaigner is member"
	case CommitMonotonic:
		return "commit monotonic"
	case AppliedCommitted:
		return "applied committed"
	case SenderRole:
		return "sender role"
	case VoteOnce:
		return "vote once"
	case HeartbeatCommit:
		return "heartbeat commit"
	case ConfigurationLatest:
		return "configuration latest"
	}
	return fmt.Sprintf("Invariant(%d)", uint8(i))
}

// ErrViolation is wrapped by every Violation.
var ErrViolation = errors.New("raftcheck: safety invariant violated")

// Violation is a broken invariant, with where it broke.
type Violation struct {
	Invariant Invariant
	Host      sim.HostID
	// HostName is the host's name, when the checker knows its world's
	// names (Safety.Names).
	HostName string
	Term     uint64
	Index    uint64
	Detail   string
}

func (v *Violation) Error() string {
	host := v.HostName
	if host == "" {
		host = v.Host.String()
	}
	return fmt.Sprintf("raftcheck: %v violated at %s (term %d, index %d): %s", v.Invariant, host, v.Term, v.Index, v.Detail)
}

func (v *Violation) Unwrap() error { return ErrViolation }

// Safety checks Raft's invariants while a run goes on; see the package
// documentation.
type Safety struct {
	// Names, if set, names hosts in violations (sim.World.HostName), so
	// that they speak of hosts as the trace does.
	Names func(sim.HostID) string

	err        error
	violations int
	// senderRoleOff: tests that report made-up messages skip SenderRole.
	senderRoleOff bool

	leaders map[uint64]sim.HostID // term -> leader
	// entries holds, by index, every entry seen appended there: the first
	// of each term. A slice, not a map keyed by (index, term): the
	// indexes are dense, and nearly every index is appended in one term
	// only.
	entries []seenAt
	applied []appliedEntry       // by index
	hosts   []hostState          // by host id; node nil for a host never started
	states  map[uint64]seenState // applied index -> the state first seen there
	calls   int
	sent    sentState
	// complete is where CheckLogs last checked leader completeness.
	complete completeness
}

// completeness records that node, leader of term with its log starting at
// first, held every entry applied up to upTo in an earlier term.
type completeness struct {
	node        *raft.Node
	term, first uint64
	upTo        uint64
}

// hostState is what the checker knows of one host.
type hostState struct {
	node        *raft.Node // the latest instance
	lastApplied uint64
	// commit is node's highest commit index seen as it sent a message.
	commit   uint64
	snapSeen uint64 // the snapshot index last checked
	// The log scan's bookkeeping, for node: CheckLogs has checked the
	// entries [scanFirst, scanLast] of scanned, and none below dirty has
	// been appended since. Every change to a running node's log is a
	// reported append, a truncation (after which the log holds only
	// entries already checked, or reported appends) or a compaction (the
	// first index moves), so the next scan need only check from dirty,
	// or from past scanLast if the log grew without a report, unless the
	// instance or the first index changed.
	scanned             *raft.Node
	scanFirst, scanLast uint64
	dirty               uint64
	conf                confMemo // checkNodeConfiguration's last scan
}

// seenAt is the entries seen at one index: first, and any of other terms.
type seenAt struct {
	first seenEntry
	known bool
	more  []seenEntry
}

// seenState is a state machine's digest at an applied index, and who held
// it.
type seenState struct {
	hash uint64
	host sim.HostID
}

type seenEntry struct {
	e        raft.Entry
	prevTerm uint64
	host     sim.HostID
}

type appliedEntry struct {
	e    raft.Entry
	host sim.HostID
	// term is the applier's term when the entry was first applied: the
	// entry was committed in that term or an earlier one, so every leader
	// of a later term must hold it. A leader of an earlier term need not:
	// a candidate that collected its votes before a newer term began can
	// still win its old term afterwards (it then commits nothing).
	term  uint64
	known bool
}

// NewSafety returns an empty checker.
func NewSafety() *Safety {
	return &Safety{
		leaders: map[uint64]sim.HostID{},
		states:  map[uint64]seenState{},
	}
}

var _ raft.Observer = (*Safety)(nil)

func (s *Safety) fail(inv Invariant, host sim.HostID, term, index uint64, format string, args ...any) {
	s.violations++
	if s.err == nil {
		v := &Violation{Invariant: inv, Host: host, Term: term, Index: index}
		if s.Names != nil {
			v.HostName = s.Names(host)
			args = s.named(args)
		}
		v.Detail = fmt.Sprintf(format, args...)
		s.err = v
	}
}

// named replaces the hosts among a violation's arguments, and in the
// configurations its entries carry, with their names.
func (s *Safety) named(args []any) []any {
	out := slices.Clone(args)
	for i, a := range out {
		switch x := a.(type) {
		case sim.HostID:
			out[i] = s.Names(x)
		case []sim.HostID:
			names := make([]string, len(x))
			for j, h := range x {
				names[j] = s.Names(h)
			}
			out[i] = names
		case *raft.Entry:
			if x.Kind == raft.EntryConf {
				names := make([]string, len(x.Members))
				for j, m := range x.Members {
					names[j] = s.Names(m)
				}
				out[i] = fmt.Sprintf("%d@%d conf%v", x.Index, x.Term, names)
			}
		case raft.Entry:
			out[i] = s.named([]any{&x})[0]
		}
	}
	return out
}

// Check returns the first violation found so far, or nil.
func (s *Safety) Check() error { return s.err }

// Violations counts the violations found (the first is Check's).
func (s *Safety) Violations() int { return s.violations }

// Hook returns a check for sim.World.AddHook: Check and CheckSnapshots
// after every event, and CheckLogs every n-th call (never, if n <= 0).
func (s *Safety) Hook(n int) func() error {
	return func() error {
		if s.err != nil {
			return s.err
		}
		if s.CheckSnapshots() != nil {
			return s.err
		}
		s.calls++
		if n > 0 && s.calls%n == 0 {
			return s.CheckLogs()
		}
		return nil
	}
}

// host returns the state of host id, making room for it.
func (s *Safety) host(id sim.HostID) *hostState {
	if int(id) >= len(s.hosts) {
		s.hosts = append(s.hosts, make([]hostState, int(id)+1-len(s.hosts))...)
	}
	return &s.hosts[id]
}

// LeaderOf is the leader elected in term, or NoHost.
func (s *Safety) LeaderOf(term uint64) sim.HostID {
	if id, ok := s.leaders[term]; ok {
		return id
	}
	return sim.NoHost
}

// Terms is the number of terms in which a leader was elected.
func (s *Safety) Terms() int { return len(s.leaders) }

// AppliedIndex is the highest index any node has applied.
func (s *Safety) AppliedIndex() uint64 {
	if len(s.applied) == 0 {
		return 0
	}
	return uint64(len(s.applied) - 1)
}

// AppliedEntry returns the entry applied at index i, if any node applied
// one.
func (s *Safety) AppliedEntry(i uint64) (raft.Entry, bool) {
	if i >= uint64(len(s.applied)) || !s.applied[i].known {
		return raft.Entry{}, false
	}
	return s.applied[i].e, true
}

// Started implements raft.Observer.
func (s *Safety) Started(n *raft.Node) {
	h := s.host(n.ID())
	if old := h.node; old != nil && old != n {
		s.checkDurable(old.Promised(), n)
	}
	s.checkRevealed(n)
	s.checkTermsOrdered(n)
	s.checkNodeConfiguration(n, "recovered")
	h.node = n
	h.lastApplied = n.LastApplied()
	h.commit = n.CommitIndex()
	s.checkSnapshot(n)
}

// BecameLeader implements raft.Observer.
func (s *Safety) BecameLeader(n *raft.Node) {
	id, term := n.ID(), n.Term()
	if prev, ok := s.leaders[term]; ok && prev != id {
		s.fail(ElectionSafety, id, term, 0, "%v and %v are both leaders of term %d", prev, id, term)
		return
	}
	s.leaders[term] = id
	s.checkNodeConfiguration(n, "won its election")
	s.checkElectionQuorum(n)
	s.checkComplete(n)
}

// checkComplete checks that n's log holds every entry applied so far in a
// term before n's.
func (s *Safety) checkComplete(n *raft.Node) { s.checkCompleteFrom(n, n.FirstIndex()) }

// checkCompleteFrom checks it for the applied indexes from first on.
func (s *Safety) checkCompleteFrom(n *raft.Node, first uint64) {
	for i := first; i < uint64(len(s.applied)); i++ {
		a := &s.applied[i]
		if !a.known || a.term >= n.Term() {
			continue
		}
		e, ok := n.Entry(i)
		if !ok {
			s.fail(LeaderCompleteness, n.ID(), n.Term(), i, "leader's log ends at %d, but %v was applied (by %v)", n.LastIndex(), &a.e, a.host)
			return
		}
		if !e.Equal(&a.e) {
			s.failIncomplete(n, i, e, a)
			return
		}
	}
}

// The fail* helpers take entries by value so that the loops above, which
// run on every scan, keep their entries on the stack: passing &e to a
// variadic fail would move every one of them to the heap.

func (s *Safety) failUnreported(id sim.HostID, i uint64, e raft.Entry) {
	s.fail(LogMatching, id, e.Term, i, "holds %v, which was never reported appended", &e)
}

func (s *Safety) failMismatch(id sim.HostID, i uint64, e raft.Entry, prevTerm uint64, seen seenEntry) {
	s.fail(LogMatching, id, e.Term, i, "holds %v after term %d; %v has %v after term %d", &e, prevTerm, seen.host, &seen.e, seen.prevTerm)
}

func (s *Safety) failIncomplete(n *raft.Node, i uint64, e raft.Entry, a *appliedEntry) {
	s.fail(LeaderCompleteness, n.ID(), n.Term(), i, "leader holds %v where %v was applied (by %v)", &e, &a.e, a.host)
}

// Appended implements raft.Observer.
func (s *Safety) Appended(n *raft.Node, e *raft.Entry, prevTerm uint64) {
	h := s.host(n.ID())
	if h.scanned == n {
		h.dirty = min(h.dirty, e.Index)
	}
	h.conf.ok = false
	seen := s.seen(e.Index, e.Term)
	if seen == nil {
		s.remember(seenEntry{e: *e, prevTerm: prevTerm, host: n.ID()})
		return
	}
	switch {
	case !seen.e.Equal(e):
		s.fail(LogMatching, n.ID(), e.Term, e.Index, "appended %v, but %v holds %v there", e, seen.host, &seen.e)
	case seen.prevTerm != prevTerm:
		s.fail(LogMatching, n.ID(), e.Term, e.Index, "appended %v after term %d, but %v has it after term %d", e, prevTerm, seen.host, seen.prevTerm)
	}
}

// seen returns the first entry seen appended at (index, term), or nil.
func (s *Safety) seen(index, term uint64) *seenEntry {
	if index >= uint64(len(s.entries)) {
		return nil
	}
	at := &s.entries[index]
	if !at.known {
		return nil
	}
	if at.first.e.Term == term {
		return &at.first
	}
	for i := range at.more {
		if at.more[i].e.Term == term {
			return &at.more[i]
		}
	}
	return nil
}

// remember records the first entry seen at its index and term.
func (s *Safety) remember(se seenEntry) {
	i := se.e.Index
	if i >= uint64(len(s.entries)) {
		s.entries = append(s.entries, make([]seenAt, i+1-uint64(len(s.entries)))...)
	}
	if at := &s.entries[i]; !at.known {
		at.first, at.known = se, true
	} else {
		at.more = append(at.more, se)
	}
}

// Applied implements raft.Observer.
func (s *Safety) Applied(n *raft.Node, e *raft.Entry) {
	id := n.ID()
	s.checkCommitQuorum(n, e)
	h := s.host(id)
	if last := h.lastApplied; e.Index != last+1 {
		s.fail(AppliedInOrder, id, e.Term, e.Index, "applied %d after %d", e.Index, last)
	}
	h.lastApplied = e.Index
	for uint64(len(s.applied)) <= e.Index {
		s.applied = append(s.applied, appliedEntry{})
	}
	a := &s.applied[e.Index]
	if !a.known {
		if r := n.Role(); r != raft.Leader && (e.Index != 1 || e.Term != 0) {
			as := "as a " + r.String()
			if r == raft.Role(0) {
				as = "as it recovered at its start"
			}
			s.fail(AppliedCommitted, id, e.Term, e.Index, "applied %v %s, before any leader applied index %d", e, as, e.Index)
		}
		*a = appliedEntry{e: *e, host: id, term: n.Term(), known: true}
		if c := &s.complete; e.Index <= c.upTo {
			c.upTo = e.Index - 1 // a gap the last completeness check passed over
		}
		return
	}
	if !a.e.Equal(e) {
		s.fail(StateMachineSafety, id, e.Term, e.Index, "applied %v, but %v applied %v", e, a.host, &a.e)
	}
}

// Restored implements raft.Observer.
func (s *Safety) Restored(n *raft.Node, snap *raft.Snapshot) {
	id := n.ID()
	if i := snap.Index; i < uint64(len(s.applied)) && s.applied[i].known && s.applied[i].e.Term != snap.Term {
		s.fail(StateMachineSafety, id, snap.Term, i, "restored a snapshot ending in term %d, but %v applied %v", snap.Term, s.applied[i].host, &s.applied[i].e)
	}
	h := s.host(id)
	if last := h.lastApplied; snap.Index < last {
		s.fail(AppliedMonotonic, id, snap.Term, snap.Index, "restored a snapshot of index %d after it had applied up to %d: its state went back", snap.Index, last)
	}
	h.lastApplied = snap.Index
	s.checkSnapshot(n)
}

// CheckSnapshots checks the snapshot of every host's latest node that has
// changed since the last look: one taken or installed in the event just
// run (see SnapshotMatches). It returns the first violation found so far.
func (s *Safety) CheckSnapshots() error {
	for i := range s.hosts {
		if s.err != nil {
			break
		}
		if h := &s.hosts[i]; h.node != nil && h.node.SnapshotIndex() != h.snapSeen {
			s.checkSnapshot(h.node)
		}
	}
	return s.err
}

// checkSnapshot checks n's latest snapshot against the entry applied at its
// index and the state first seen there.
func (s *Safety) checkSnapshot(n *raft.Node) {
	id, i := n.ID(), n.SnapshotIndex()
	s.host(id).snapSeen = i
	if i == 0 {
		return
	}
	if applied := n.LastApplied(); i > applied {
		s.fail(SnapshotMatches, id, n.SnapshotTerm(), i, "holds a snapshot of index %d, but has applied only up to %d", i, applied)
		return
	}
	if t, ok := n.EntryTerm(i); ok && t != n.SnapshotTerm() {
		s.fail(SnapshotMatches, id, n.SnapshotTerm(), i, "holds a snapshot of index %d in term %d, but its log has term %d there", i, n.SnapshotTerm(), t)
		return
	}
	if i < uint64(len(s.applied)) && s.applied[i].known && s.applied[i].e.Term != n.SnapshotTerm() {
		a := &s.applied[i]
		s.fail(SnapshotMatches, id, n.SnapshotTerm(), i, "holds a snapshot of index %d in term %d, but %v applied %v there", i, n.SnapshotTerm(), a.host, &a.e)
		return
	}
	if members, ok := s.configAt(i); ok && !slices.Equal(members, sortedIDs(n.SnapshotMembers())) {
		s.fail(SnapshotMatches, id, n.SnapshotTerm(), i, "holds a snapshot of index %d with configuration %v, but the configuration applied as of that index is %v", i, sortedIDs(n.SnapshotMembers()), members)
		return
	}
	if n.LastApplied() == i {
		s.checkState(n, SnapshotMatches)
	}
}

// configAt is the configuration in force after applying index i: that of
// the last configuration entry applied at or below i. ok is false if an
// index on the way back is unknown (no node was seen applying it).
func (s *Safety) configAt(i uint64) (members []sim.HostID, ok bool) {
	if i >= uint64(len(s.applied)) {
		return nil, false
	}
	for j := i; j >= 1; j-- {
		a := &s.applied[j]
		if !a.known {
			return nil, false
		}
		if a.e.Kind == raft.EntryConf {
			return sortedIDs(a.e.Members), true
		}
	}
	return nil, false
}

func sortedIDs(ids []sim.HostID) []sim.HostID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// checkState compares the state machine of n with the first state seen at
// the same applied index.
func (s *Safety) checkState(n *raft.Node, inv Invariant) {
	i, h := n.LastApplied(), n.StateHash()
	seen, ok := s.states[i]
	if !ok {
		s.states[i] = seenState{hash: h, host: n.ID()}
		return
	}
	if seen.hash != h {
		s.fail(inv, n.ID(), n.Term(), i, "its state after applying index %d differs from the state %v had there (data or client sessions)", i, seen.host)
	}
}

// CheckLogs checks the log of every host's latest node: each entry must
// agree with what was first seen at its index and term (log matching),
// and the leader of the highest term must hold every applied entry
// (leader completeness). It returns the first violation found so far,
// this scan's or an earlier one.
//
// A scan checks only what may have changed since the last one: the
// entries of a node from the lowest index appended since (or from its
// last entry then, if its log has grown without a report), and the whole
// log of a node instance not scanned before or whose log was compacted
// since. Every other entry is one the previous scan checked, in place.
func (s *Safety) CheckLogs() error {
	if s.err != nil {
		return s.err
	}
	var maxTerm uint64
	for t := range s.leaders {
		maxTerm = max(maxTerm, t)
	}
	var top *raft.Node
	var topFrom uint64
	for id := range s.hosts {
		h := &s.hosts[id]
		n := h.node
		if n == nil {
			continue
		}
		first, last := n.FirstIndex(), n.LastIndex()
		from := first
		if h.scanned == n && h.scanFirst == first {
			from = max(first, min(h.dirty, h.scanLast+1))
		}
		if s.scanLog(sim.HostID(id), n, from, last); s.err != nil {
			return s.err
		}
		h.scanned, h.scanFirst, h.scanLast, h.dirty = n, first, last, math.MaxUint64
		if n.Role() == raft.Leader && n.Term() == maxTerm {
			top, topFrom = n, from // the latest leader; older "leaders" may be crashed instances
		}
		if s.checkState(n, StateAgreement); s.err != nil {
			return s.err
		}
	}
	if top != nil {
		s.checkTopComplete(top, topFrom)
	}
	return s.err
}

// scanLog checks the entries [from, last] of n's log against those seen
// appended.
func (s *Safety) scanLog(id sim.HostID, n *raft.Node, from, last uint64) {
	prevTerm, _ := n.EntryTerm(from - 1)
	for i := from; i <= last; i++ {
		e, _ := n.Entry(i)
		switch seen := s.seen(i, e.Term); {
		case seen == nil:
			s.failUnreported(id, i, e)
		case !seen.e.Equal(&e) || seen.prevTerm != prevTerm:
			s.failMismatch(id, i, e, prevTerm, *seen)
		}
		if s.err != nil {
			return
		}
		prevTerm = e.Term
	}
}

// checkTopComplete checks leader completeness for top, the leader of the
// highest term, whose log CheckLogs has just checked from index from. The
// check of the last scan stands for the applied indexes it covered if top
// was its leader too and its log below from is what that scan saw.
func (s *Safety) checkTopComplete(top *raft.Node, from uint64) {
	c := &s.complete
	start := top.FirstIndex()
	if c.node == top && c.term == top.Term() && c.first == start {
		start = max(start, min(from, c.upTo+1))
	}
	s.checkCompleteFrom(top, start)
	*c = completeness{node: top, term: top.Term(), first: top.FirstIndex(), upTo: uint64(max(len(s.applied), 1) - 1)}
}

// checkDurable compares what a restarted node recovered with what its
// previous incarnation promised.
func (s *Safety) checkDurable(p raft.Promise, n *raft.Node) {
	id, term := n.ID(), n.Term()
	switch {
	case term < p.Term:
		s.fail(Durability, id, term, 0, "recovered term %d, but it had answered in term %d", term, p.Term)
	case p.VoteTerm > 0 && term == p.VoteTerm && n.Vote() != p.Vote:
		s.fail(Durability, id, term, 0, "recovered vote %v in term %d, but it had granted its vote to %v", n.Vote(), term, p.Vote)
	case p.MatchTerm > 0 && term == p.MatchTerm && p.Match > n.SnapshotIndex():
		// In the same term the leader only appends, so what the node
		// acknowledged to it must still be there.
		if t, ok := n.EntryTerm(p.Match); !ok || t != p.MatchIndexTerm {
			s.fail(Durability, id, term, p.Match, "recovered a log without index %d (term %d), which it had acknowledged to the leader of term %d", p.Match, p.MatchIndexTerm, p.MatchTerm)
		}
	}
}

// confLog is the part of a node that checkConfigurationLatest reads.
type confLog interface {
	ID() sim.HostID
	Term() uint64
	LastIndex() uint64
	SnapshotIndex() uint64
	SnapshotMembers() []sim.HostID
	Entry(i uint64) (raft.Entry, bool)
	Members() []sim.HostID
}

// checkConfigurationLatest checks that n's configuration in force is the
// latest in its log, found by a scan from its last index back to its
// first configuration entry. It runs at starts and elections, which are
// few, so the scan's cost does not reach the per-event path. A server
// that takes a committed configuration instead (etcd raft's rule, which
// its own conf changes need) counts votes and acknowledgements among the
// wrong servers after a restart or a truncation.
func (s *Safety) checkConfigurationLatest(n confLog, when string) {
	want, at := latestConfiguration(n)
	s.compareConfiguration(n, want, at, when)
}

// checkNodeConfiguration is checkConfigurationLatest for a running node,
// with the scan's answer kept until the node's log changes: a server cut
// off from the others asks for pre-votes every election timeout with the
// same log, and a scan back through a long log without a configuration
// entry was 5% of a partitioned run.
func (s *Safety) checkNodeConfiguration(n *raft.Node, when string) {
	m := &s.host(n.ID()).conf
	if !m.ok || m.node != n || m.last != n.LastIndex() || m.snap != n.SnapshotIndex() {
		want, at := latestConfiguration(n)
		*m = confMemo{ok: true, node: n, last: n.LastIndex(), snap: n.SnapshotIndex(), want: want, at: at}
	}
	s.compareConfiguration(n, m.want, m.at, when)
}

// confMemo is the latest configuration found in a node's log, valid while
// the node instance, its last index and its snapshot are the same and it
// has appended nothing (an append after a truncation can keep the last
// index).
type confMemo struct {
	ok         bool
	node       *raft.Node
	last, snap uint64
	want       []sim.HostID // sorted
	at         uint64
}

// latestConfiguration is the latest configuration entry in l's log, or its
// snapshot's configuration, sorted, and the index it is at.
func latestConfiguration(l confLog) ([]sim.HostID, uint64) {
	want, at := l.SnapshotMembers(), l.SnapshotIndex()
	for i := l.LastIndex(); i > l.SnapshotIndex(); i-- {
		if e, ok := l.Entry(i); ok && e.Kind == raft.EntryConf {
			want, at = e.Members, i
			break
		}
	}
	return slices.Sorted(slices.Values(want)), at
}

func (s *Safety) compareConfiguration(n confLog, want []sim.HostID, at uint64, when string) {
	if at == 0 && len(want) == 0 {
		return // no configuration yet: a joining server
	}
	got := n.Members()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		s.fail(ConfigurationLatest, n.ID(), n.Term(), at, "%s with configuration %v in force, but the latest in its log (at index %d) is %v", when, got, at, want)
	}
}
