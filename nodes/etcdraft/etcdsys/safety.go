package etcdsys

import (
	"fmt"
	"slices"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/sim"
)

// safety checks Raft's safety properties on etcd raft from the outside:
// what each node reports through Status() and what it persisted in its
// raft.Storage, as the nodes hand over their Readies. It also counts
// what the counters report, and lets a program hear of elections and
// first commits.
//
//   - Election safety: at most one leader per term.
//   - Leader completeness: a new leader's log holds every entry any node
//     applied while in an earlier term (so committed before its term).
//   - State machine safety: no two nodes apply different entries at one
//     index (compared by term and data).
//   - Log matching: two logs that hold an entry of the same index and
//     term agree on every entry before it (checked every checkEvery
//     events and at the end, over every pair of live nodes' storage).
//   - Commit bounds: no node's commit index is below what it applied or
//     beyond its last index.
type safety struct {
	leaders map[uint64]sim.HostID   // term -> leader
	applied map[uint64]appliedEntry // index -> the entry applied there
	// maxApplied is the highest index any node applied.
	maxApplied uint64
	err        error

	confChanges   map[uint64]bool // indexes of applied conf changes
	snapInstalled int

	// elected and firstCommit, if set, hear of a new leader and of the
	// first commit of its term (the figure8 program).
	elected, firstCommit func(n *etcdraft.Node)
	committedInTerm      map[sim.HostID]uint64 // term of each leader's first commit seen

	// checkLogs' buffers, kept from one check to the next.
	logs    []nodeLog
	matcher logMatcher
}

type appliedEntry struct {
	term uint64
	data string
	by   sim.HostID
	// committedBy bounds the term in which the entry was committed: the
	// lowest term any node was in when it applied it.
	committedBy uint64
}

func newSafety() *safety {
	return &safety{
		leaders: map[uint64]sim.HostID{}, applied: map[uint64]appliedEntry{},
		confChanges: map[uint64]bool{}, committedInTerm: map[sim.HostID]uint64{},
	}
}

func (s *safety) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
	}
}

func (s *safety) Started(n *etcdraft.Node) {}

func (s *safety) Handled(n *etcdraft.Node, rd *raft.Ready) {
	id := n.Host()
	st := n.BasicStatus()
	if rd.SoftState != nil && rd.SoftState.RaftState == raft.StateLeader {
		if other, ok := s.leaders[st.Term]; ok && other != id {
			s.fail("election safety: h%d and h%d both led term %d", other, id, st.Term)
		}
		s.leaders[st.Term] = id
		s.checkComplete(n, st.Term)
		if s.elected != nil {
			s.elected(n)
		}
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		s.snapInstalled++
		m := rd.Snapshot.Metadata
		if a, ok := s.applied[m.Index]; ok && a.term != m.Term {
			s.fail("state machine safety: h%d installed a snapshot at index %d of term %d, but h%d applied term %d there", id, m.Index, m.Term, a.by, a.term)
		}
	}
	for i := range rd.CommittedEntries {
		e := &rd.CommittedEntries[i]
		if a, ok := s.applied[e.Index]; ok {
			if a.term != e.Term || a.data != string(e.Data) {
				s.fail("state machine safety: at index %d h%d applied an entry of term %d, h%d one of term %d", e.Index, a.by, a.term, id, e.Term)
			}
			if st.Term < a.committedBy {
				a.committedBy = st.Term
				s.applied[e.Index] = a
			}
		} else {
			s.applied[e.Index] = appliedEntry{term: e.Term, data: string(e.Data), by: id, committedBy: st.Term}
			s.maxApplied = max(s.maxApplied, e.Index)
		}
		if e.Type == raftpb.EntryConfChange || e.Type == raftpb.EntryConfChangeV2 {
			s.confChanges[e.Index] = true
		}
	}
	if st.Commit < n.Applied() {
		s.fail("commit bounds: h%d applied %d beyond its commit index %d", id, n.Applied(), st.Commit)
	}
	if last, _ := n.Storage().LastIndex(); st.Commit > last {
		s.fail("commit bounds: h%d's commit index %d is beyond its last index %d", id, st.Commit, last)
	}
	if s.firstCommit != nil && st.RaftState == raft.StateLeader && s.committedInTerm[id] != st.Term {
		if t, err := n.Storage().Term(st.Commit); err == nil && t == st.Term {
			s.committedInTerm[id] = st.Term
			s.firstCommit(n)
		}
	}
}

// checkComplete: the new leader of term holds every applied entry that
// was committed before its term, where its storage still has it (older
// ones are in its snapshot). An entry committed in its term or later need
// not be there: a candidate whose votes were held up (a pause) can win an
// old term after later leaders have committed more.
func (s *safety) checkComplete(n *etcdraft.Node, term uint64) {
	ms := n.Storage()
	first, _ := ms.FirstIndex()
	last, _ := ms.LastIndex()
	for i := first; i <= s.maxApplied; i++ {
		a, ok := s.applied[i]
		if !ok || a.committedBy >= term {
			continue
		}
		if i > last {
			s.fail("leader completeness: h%d leads term %d with last index %d, but h%d applied index %d in term %d", n.Host(), term, last, a.by, i, a.committedBy)
			return
		}
		if t, err := ms.Term(i); err == nil && t != a.term {
			s.fail("leader completeness: h%d leads term %d with an entry of term %d at index %d, where h%d applied term %d", n.Host(), term, t, i, a.by, a.term)
			return
		}
	}
}

// checkLogs compares every pair of live nodes' logs (log matching).
func (s *safety) checkLogs(nodes []*etcdraft.Node) error {
	if s.err != nil {
		return s.err
	}
	logs := s.logs[:0]
	for _, n := range nodes {
		ms := n.Storage()
		first, _ := ms.FirstIndex()
		last, _ := ms.LastIndex()
		var ents []raftpb.Entry
		if last >= first {
			var err error
			ents, err = ms.Entries(first, last+1, 1<<62)
			if err != nil {
				return fmt.Errorf("log matching: reading h%d's log [%d, %d]: %v", n.Host(), first, last, err)
			}
		}
		logs = append(logs, nodeLog{id: n.Host(), first: first, last: last, ents: ents})
	}
	s.logs = logs
	err := s.matcher.match(logs)
	clear(logs) // keeps no node's entries alive until the next check
	return err
}

// nodeLog is a node's log: entries first to last (none if last < first).
type nodeLog struct {
	id          sim.HostID
	first, last uint64
	ents        []raftpb.Entry
}

// matchLogs checks log matching over every pair of logs: entries of equal
// index and term are equal, and so are all the entries before them.
func matchLogs(logs []nodeLog) error {
	var m logMatcher
	return m.match(logs)
}

// logMatcher is matchLogs with its buffers kept from one check to the
// next: the check runs every checkEvery events.
type logMatcher struct {
	classes []int32   // every log's entry classes, one after the other
	class   [][]int32 // by log, its part of classes
}

func (m *logMatcher) match(logs []nodeLog) error {
	// Equal entries are an equivalence: each entry is compared with the
	// first of the earlier logs' entries at its index that stands for its
	// class (same term, type and data), so that the pairs below compare
	// class numbers, not data. With every log equal, that is one
	// comparison per entry instead of one per pair of logs.
	total := 0
	for i := range logs {
		total += len(logs[i].ents)
	}
	m.classes = slices.Grow(m.classes[:0], total)[:total]
	m.class = slices.Grow(m.class[:0], len(logs))[:len(logs)]
	class, off := m.class, 0 // class[i][k]: the log standing for the class of log i's entry k
	for i := range logs {
		a := &logs[i]
		class[i] = m.classes[off : off+len(a.ents) : off+len(a.ents)]
		off += len(a.ents)
		for k := range a.ents {
			idx, ea := a.first+uint64(k), &a.ents[k]
			class[i][k] = int32(i)
			for j := 0; j < i; j++ {
				b := &logs[j]
				if idx < b.first || idx > b.last || class[j][idx-b.first] != int32(j) {
					continue
				}
				if eb := &b.ents[idx-b.first]; ea.Term == eb.Term && ea.Type == eb.Type && string(ea.Data) == string(eb.Data) {
					class[i][k] = int32(j)
					break
				}
			}
		}
	}
	for i := range logs {
		for j := i + 1; j < len(logs); j++ {
			a, b := &logs[i], &logs[j]
			lo, hi := max(a.first, b.first), min(a.last, b.last)
			matched := false // an entry of equal index and term seen above
			for k := hi; k >= lo && k > 0; k-- {
				// Entries of one class have one term, so equal classes
				// settle an index without reading the entries: the common
				// case, logs that agree.
				if class[i][k-a.first] == class[j][k-b.first] {
					matched = true
					continue
				}
				ea, eb := &a.ents[k-a.first], &b.ents[k-b.first]
				if ea.Term == eb.Term {
					return fmt.Errorf("log matching: h%d and h%d hold different entries of term %d at index %d", a.id, b.id, ea.Term, k)
				} else if matched {
					return fmt.Errorf("log matching: h%d and h%d agree at a later index but differ at %d (terms %d and %d)", a.id, b.id, k, ea.Term, eb.Term)
				}
			}
		}
	}
	return nil
}
