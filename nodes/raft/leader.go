package raft

import (
	"slices"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

func (n *Node) becomeLeader() {
	n.timeoutSent = false
	n.role = Leader
	n.step = n.stepLeader
	n.tick = n.tickLeader
	n.leader = n.id
	n.transferee = sim.NoHost
	n.leaseUntil = 0
	now := n.env.Now()
	n.quorumAt = now + n.cfg.ElectionTimeoutMin
	n.prs = n.prs[:0]
	n.syncProgress()
	n.env.Logf("raft: leader in term %d", n.term)
	if n.obs != nil {
		n.obs.BecameLeader(n)
	}
	n.rearm(now + n.cfg.HeartbeatInterval)
	// The no-op commits everything before it once it commits, and marks
	// the first index at which reads and membership changes are safe.
	n.termStart = n.appendLocal(Entry{Kind: EntryNoop})
	n.replicate()
}

// stepDown leaves leadership: what waited for an answer gets one now.
// Pending writes and membership changes may still commit under the next
// leader, so their outcome is unknown (StatusUnavailable,
// AdminUnavailable); a pending read has no effect either way
// (StatusNotLeader).
func (n *Node) stepDown(newLeader sim.HostID) {
	for _, p := range n.proposals {
		if p.conf {
			n.send(p.from, ConfChangeResponse{ID: p.id, Status: AdminUnavailable, Leader: newLeader})
		} else {
			n.send(p.from, client.Response{Client: p.req.Client, Seq: p.req.Seq, Status: client.StatusUnavailable, Leader: newLeader})
		}
	}
	for _, r := range n.reads {
		n.send(r.from, client.Response{Client: r.req.Client, Seq: r.req.Seq, Status: client.StatusNotLeader, Leader: newLeader})
	}
	n.proposals, n.reads = n.proposals[:0], n.reads[:0]
	n.prs = n.prs[:0]
	n.transferee = sim.NoHost
	n.leaseUntil = 0
}

// syncProgress makes prs match the replication targets: the members, plus
// the previous members while the latest configuration is uncommitted.
func (n *Node) syncProgress() {
	targets := n.members
	if n.confIndex > n.commit && len(n.prevMembers) > 0 {
		targets = sortedUnique(append(slices.Clone(n.members), n.prevMembers...))
	}
	prs := make([]progress, 0, len(targets))
	for _, id := range targets {
		if id == n.id {
			continue
		}
		if i := n.progressIndex(id); i >= 0 {
			prs = append(prs, n.prs[i])
			continue
		}
		prs = append(prs, progress{id: id, next: n.log.lastIndex() + 1, active: true})
	}
	n.prs = prs
}

func (n *Node) progressIndex(id sim.HostID) int {
	for i := range n.prs {
		if n.prs[i].id == id {
			return i
		}
	}
	return -1
}

func (n *Node) progress(id sim.HostID) *progress {
	if i := n.progressIndex(id); i >= 0 {
		return &n.prs[i]
	}
	return nil
}

// appendLocal appends an entry of the current term to the leader's log
// and syncs it. It returns the entry's index; replicate sends it on.
func (n *Node) appendLocal(e Entry) uint64 {
	e.Index, e.Term = n.log.lastIndex()+1, n.term
	prevTerm := n.log.lastTerm()
	n.log.append(e)
	n.appended(n.log.at(e.Index), prevTerm)
	n.disk.sync()
	return e.Index
}

// replicate commits what a quorum holds (a one-member cluster commits at
// once) and sends new entries to the followers that take them.
func (n *Node) replicate() {
	n.maybeCommit()
	if n.role != Leader {
		return
	}
	for i := range n.prs {
		pr := &n.prs[i]
		if pr.state == stateReplicate || (pr.state == stateProbe && !pr.paused) {
			n.sendAppend(pr)
		}
	}
}

// sendAppend sends pr the entries from pr.next on (or a snapshot, if
// they are compacted away).
func (n *Node) sendAppend(pr *progress) {
	if pr.next <= n.log.offset() {
		n.sendSnapshot(pr)
		return
	}
	prev := pr.next - 1
	prevTerm, _ := n.log.term(prev)
	ents := n.log.view(pr.next, prev+uint64(n.cfg.AppendEntriesMax))
	m := AppendEntries{Term: n.term, PrevIndex: prev, PrevTerm: prevTerm, Entries: ents, Commit: n.commit}
	if n.boxed == nil || !m.same(&n.lastAppend) {
		n.lastAppend, n.boxed = m, m
	}
	n.send(pr.id, n.boxed)
	switch pr.state {
	case stateReplicate:
		pr.next += uint64(len(ents))
	case stateProbe:
		pr.paused = true
	}
}

func (n *Node) sendSnapshot(pr *progress) {
	now := n.env.Now()
	if pr.state == stateSnapshot && pr.snapIndex == n.snap.Index && now < pr.snapSent+n.cfg.ElectionTimeoutMin {
		return // one in flight
	}
	pr.state, pr.snapIndex, pr.snapSent = stateSnapshot, n.snap.Index, now
	m := InstallSnapshot{Term: n.term, Snapshot: n.snap}
	if o, ok := n.obs.(SnapshotObserver); ok {
		o.SnapshotSent(n, pr.id, m)
	}
	n.send(pr.id, m)
}

// maybeCommit advances the commit index to the highest index held by a
// quorum of the members, if that entry is of the current term (bug
// CommitOldTerms: of any term).
func (n *Node) maybeCommit() {
	ms := n.matchBuf[:0]
	for _, id := range n.members {
		if id == n.id {
			ms = append(ms, n.log.lastIndex())
		} else if pr := n.progress(id); pr != nil {
			ms = append(ms, pr.match)
		} else {
			ms = append(ms, 0)
		}
	}
	n.matchBuf = ms
	if len(ms) == 0 {
		return
	}
	slices.Sort(ms)
	c := ms[len(ms)-n.quorum()]
	if c <= n.commit {
		return
	}
	if t, _ := n.log.term(c); t != n.term && !n.cfg.Bugs.CommitOldTerms {
		return
	}
	n.commit = c
	n.applyCommitted()
}

func (n *Node) stepLeader(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case AppendResponse:
		n.handleAppendResponse(from, m)
	case HeartbeatResponse:
		n.handleHeartbeatResponse(from, m)
	case SnapshotResponse:
		n.handleSnapshotResponse(from, m)
	case VoteRequest:
		n.handleVote(from, m)
	case AppendEntries, Heartbeat, InstallSnapshot:
		// Another leader in our term: election safety is broken. The
		// Observer reports it; the node keeps going.
		n.env.Logf("raft: another leader %v in term %d", from, n.term)
	}
}

func (n *Node) handleAppendResponse(from sim.HostID, m AppendResponse) {
	pr := n.progress(from)
	if pr == nil {
		return
	}
	pr.active = true
	if m.Success {
		if m.Index > pr.match {
			pr.match = m.Index
		}
		pr.next = max(pr.next, pr.match+1)
		if pr.state != stateReplicate {
			pr.state, pr.paused = stateReplicate, false
		}
		n.maybeCommit()
		if n.role != Leader {
			return // committing removed this node
		}
		if pr.next <= n.log.lastIndex() {
			n.sendAppend(pr)
		}
		n.maybeTimeoutNow(pr)
		return
	}
	// A rejection. Ignore stale ones: those of an append we no longer
	// wait for.
	if m.RejectIndex <= pr.match || (pr.state == stateProbe && m.RejectIndex != pr.next-1) || pr.state == stateSnapshot {
		return
	}
	next := m.ConflictIndex
	if m.ConflictTerm > 0 {
		if i := n.log.lastIndexOfTerm(m.ConflictTerm); i > 0 {
			next = i + 1
		}
	}
	pr.next = max(min(next, m.RejectIndex), pr.match+1)
	pr.state, pr.paused = stateProbe, false
	n.sendAppend(pr)
}

func (n *Node) handleHeartbeatResponse(from sim.HostID, m HeartbeatResponse) {
	pr := n.progress(from)
	if pr == nil {
		return
	}
	pr.active = true
	if m.Round > pr.round {
		pr.round = m.Round
		n.confirmReads()
	}
	if pr.match < n.log.lastIndex() {
		switch pr.state {
		case stateProbe:
			pr.paused = false
			n.sendAppend(pr)
		case stateReplicate:
			n.sendAppend(pr) // finds a lost append
		case stateSnapshot:
			n.sendSnapshot(pr) // resends a lost snapshot after a while
		}
	}
}

func (n *Node) handleSnapshotResponse(from sim.HostID, m SnapshotResponse) {
	pr := n.progress(from)
	if pr == nil {
		return
	}
	pr.active = true
	if m.Index > pr.match {
		pr.match = m.Index
	}
	pr.next = max(pr.next, pr.match+1)
	if pr.state == stateSnapshot && pr.match >= pr.snapIndex {
		pr.state, pr.paused = stateProbe, false
	}
	n.maybeCommit()
	if n.role == Leader && pr.next <= n.log.lastIndex() && pr.state == stateProbe {
		n.sendAppend(pr)
	}
}

// tickLeader runs every HeartbeatInterval: heartbeats (a new read
// round), CheckQuorum, and the end of an overdue transfer.
func (n *Node) tickLeader() {
	now := n.env.Now()
	n.armAt(now + n.cfg.HeartbeatInterval)
	if n.transferee != sim.NoHost && now >= n.transferAt {
		n.env.Logf("raft: leadership transfer to %v abandoned", n.transferee)
		n.transferee = sim.NoHost
	}
	if n.cfg.CheckQuorum && now >= n.quorumAt {
		n.quorumAt = now + n.cfg.ElectionTimeoutMin
		active := 0
		for _, id := range n.members {
			if id == n.id {
				active++
			} else if pr := n.progress(id); pr != nil && pr.active {
				active++
			}
		}
		for i := range n.prs {
			n.prs[i].active = false
		}
		if active < n.quorum() {
			n.env.Logf("raft: check quorum failed in term %d; stepping down", n.term)
			n.becomeFollower(n.term, sim.NoHost)
			return
		}
	}
	n.broadcastHeartbeat()
}

// broadcastHeartbeat starts a new round.
func (n *Node) broadcastHeartbeat() {
	n.round++
	n.roundSent[n.round%roundRing] = n.env.Now()
	// Followers that hold the commit index get the same heartbeat, so
	// they share one box: a flat message's box is never written, and the
	// network hands it to each receiver as it would a copy of its own.
	var last Heartbeat
	var boxed any
	for i := range n.prs {
		pr := &n.prs[i]
		hb := Heartbeat{Term: n.term, Commit: min(pr.match, n.commit), Round: n.round}
		if boxed == nil || hb != last {
			last, boxed = hb, hb
		}
		n.send(pr.id, boxed)
	}
	if len(n.prs) == 0 {
		n.confirmReads()
	}
}

// quorumRound is the latest round a quorum of members has acknowledged
// (the leader acknowledges each round as it sends it).
func (n *Node) quorumRound() uint64 {
	ms := n.matchBuf[:0]
	for _, id := range n.members {
		if id == n.id {
			ms = append(ms, n.round)
		} else if pr := n.progress(id); pr != nil {
			ms = append(ms, pr.round)
		} else {
			ms = append(ms, 0)
		}
	}
	n.matchBuf = ms
	if len(ms) == 0 {
		return 0
	}
	slices.Sort(ms)
	return ms[len(ms)-n.quorum()]
}

// confirmReads extends the lease and serves the reads whose round a
// quorum acknowledged.
func (n *Node) confirmReads() {
	q := n.quorumRound()
	if q > 0 && q+roundRing > n.round {
		if until := n.roundSent[q%roundRing] + n.cfg.ElectionTimeoutMin - n.cfg.LeaseDriftBound; until > n.leaseUntil {
			n.leaseUntil = until
		}
	}
	n.serveReads()
}

// serveReads answers, in order, the reads that are confirmed and whose
// read index has been applied.
func (n *Node) serveReads() {
	if len(n.reads) == 0 {
		return
	}
	q := n.quorumRound()
	done := 0
	for _, r := range n.reads {
		if r.round > q || r.index > n.applied {
			break
		}
		n.send(r.from, client.Response{Client: r.req.Client, Seq: r.req.Seq, Status: client.StatusOK, Result: n.kv.Read(r.req.Op.Key), Leader: n.id})
		done++
	}
	n.reads = n.reads[:copy(n.reads, n.reads[done:])]
}

// onClient handles a client request.
func (n *Node) onClient(from sim.HostID, req client.Request) {
	if n.role != Leader || n.transferee != sim.NoHost {
		hint := n.leader
		if n.role == Leader {
			hint = sim.NoHost // handing over
		}
		n.send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusNotLeader, Leader: hint})
		return
	}
	if req.Op.Kind == client.OpGet && (n.cfg.ReadMode != ReadLog || n.cfg.Bugs.StaleReads) {
		n.read(from, req)
		return
	}
	if !n.cfg.Bugs.NoSessionDedup {
		if res, ok := n.kv.Duplicate(req); ok {
			n.send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: res, Leader: n.id})
			return
		}
		if n.kv.Stale(req) {
			return // the client has moved on
		}
		for i := range n.proposals {
			if p := &n.proposals[i]; !p.conf && p.req.Client == req.Client && p.req.Seq == req.Seq {
				p.from = from // a retry of a pending write: answer the new sender
				return
			}
		}
	}
	i := n.appendLocal(Entry{Kind: EntryCommand, Cmd: req})
	n.proposals = append(n.proposals, proposal{index: i, term: n.term, from: from, req: req})
	n.replicate()
}

// read serves a get without the log: by lease, or by read index.
func (n *Node) read(from sim.HostID, req client.Request) {
	if n.cfg.Bugs.StaleReads {
		n.send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: n.kv.Read(req.Op.Key), Leader: n.id})
		return
	}
	// The read index: everything committed when the read arrived. Entries
	// committed by earlier leaders may be unknown to us as committed yet,
	// but they lie at or before this term's no-op.
	index := max(n.commit, n.termStart)
	if n.cfg.ReadMode == ReadLease && n.leaseValid() && n.commit >= n.termStart {
		n.reads = append(n.reads, pendingRead{index: index, round: 0, from: from, req: req})
		n.serveReads()
		return
	}
	n.reads = append(n.reads, pendingRead{index: index, round: n.round + 1, from: from, req: req})
	n.broadcastHeartbeat()
	if o, ok := n.obs.(ReadObserver); ok {
		o.ReadReceived(n, req)
	}
}

// leaseValid: the lease holds, and this leader has not started a
// transfer in its term (a transferee campaigns past leader stickiness, so
// a TimeoutNow still in flight could end the lease early).
func (n *Node) leaseValid() bool {
	return !n.timeoutSent && n.env.Now() < n.leaseUntil
}

// maybeTimeoutNow completes a leadership transfer once the transferee's
// log is complete.
func (n *Node) maybeTimeoutNow(pr *progress) {
	if pr.id == n.transferee && pr.match == n.log.lastIndex() {
		n.sendTimeoutNow(pr.id)
	}
}

func (n *Node) sendTimeoutNow(to sim.HostID) {
	n.timeoutSent = true
	n.leaseUntil = 0
	n.send(to, TimeoutNow{Term: n.term})
}
