package raft

import (
	"fmt"
	"github.com/detsim/detsim/nodes/kvstore"

	"github.com/detsim/detsim/sim"
)

// handleAppend is the follower's side of AppendEntries: the consistency
// check on (PrevIndex, PrevTerm), then truncation of a conflicting suffix
// and the append, synced before the reply.
func (n *Node) handleAppend(from sim.HostID, m AppendEntries) {
	n.heardFromLeader(from)
	prev, prevTerm, ents := m.PrevIndex, m.PrevTerm, m.Entries
	if prev < n.commit {
		// Everything up to commit matches the leader's log already (and
		// may be compacted here): skip it.
		skip := n.commit - prev
		if skip >= uint64(len(ents)) {
			n.syncForReply()
			n.send(from, AppendResponse{Term: n.term, Success: true, Index: n.commit})
			return
		}
		prevTerm = ents[skip-1].Term // the leader's term at our commit index
		ents = ents[skip:]
		prev = n.commit
	}
	if t, ok := n.log.term(prev); !ok || t != prevTerm {
		resp := AppendResponse{Term: n.term, RejectIndex: m.PrevIndex}
		if !ok {
			resp.ConflictIndex = n.log.lastIndex() + 1
		} else {
			resp.ConflictTerm = t
			resp.ConflictIndex = n.log.firstIndexOfTerm(prev)
		}
		n.syncForReply()
		n.send(from, resp)
		return
	}
	for j := range ents {
		e := &ents[j]
		t, ok := n.log.term(e.Index)
		if ok && t == e.Term {
			continue
		}
		if ok {
			n.truncateAfter(e.Index - 1)
		}
		n.appendEntries(ents[j:])
		break
	}
	lastNew := prev + uint64(len(ents))
	n.syncForReply()
	if c := min(m.Commit, lastNew); c > n.commit {
		n.commit = c
		n.applyCommitted()
	}
	n.send(from, AppendResponse{Term: n.term, Success: true, Index: lastNew})
}

// handleHeartbeat: the leader's Commit is capped at what it knows this
// node holds, so it is safe to adopt.
func (n *Node) handleHeartbeat(from sim.HostID, m Heartbeat) {
	n.heardFromLeader(from)
	n.syncForReply()
	if c := min(m.Commit, n.log.lastIndex()); c > n.commit {
		n.commit = c
		n.applyCommitted()
	}
	n.send(from, HeartbeatResponse{Term: n.term, Round: m.Round})
}

// handleSnapshot replaces the state machine with the leader's snapshot,
// keeping the log after it if the log holds the snapshot's last entry.
func (n *Node) handleSnapshot(from sim.HostID, m InstallSnapshot) {
	n.heardFromLeader(from)
	s := m.Snapshot
	if s.Index <= n.commit && (!n.cfg.Bugs.InstallOldSnapshot || s.Index <= n.snap.Index) {
		n.syncForReply()
		n.send(from, SnapshotResponse{Term: n.term, Index: n.commit})
		return
	}
	kv, err := kvstore.Decode(s.Data)
	if err != nil {
		panic(fmt.Sprintf("raft: snapshot %d from %v does not decode: %v", s.Index, from, err))
	}
	oldOffset, oldLast, oldSnap := n.log.offset(), n.log.lastIndex(), n.snap.Index
	delTo := oldLast
	if t, ok := n.log.term(s.Index); ok && t == s.Term {
		n.log.compact(s.Index)
		delTo = s.Index
	} else {
		n.log = newLog(s.Index, s.Term)
	}
	n.kv, n.snap = kv, s
	n.commit, n.applied = s.Index, s.Index
	n.recomputeMembers()
	n.disk.installSnapshot(&s, oldOffset, delTo, oldSnap)
	if n.obs != nil {
		n.obs.Restored(n, &n.snap)
	}
	n.send(from, SnapshotResponse{Term: n.term, Index: s.Index})
}
