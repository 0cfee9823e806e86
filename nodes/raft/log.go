package raft

import "fmt"

// raftLog is the in-memory log: the entries after a compaction point.
//
// ents[0] is a sentinel that stands for the last compacted entry: its Index
// is the offset and its Term that entry's term (0 and 0 for an uncompacted
// log). ents[i] holds the entry with Index offset+i, for every i >= 1.
//
// Messages in flight share the log's array (view), so the log never writes
// an element of ents that it has once held: append writes only past the
// end, and truncate gives up the capacity it frees, so that the next append
// moves the log to a new array.
type raftLog struct {
	ents []Entry
}

func newLog(offset, offsetTerm uint64) raftLog {
	return raftLog{ents: []Entry{{Index: offset, Term: offsetTerm}}}
}

func (l *raftLog) offset() uint64    { return l.ents[0].Index }
func (l *raftLog) lastIndex() uint64 { return l.ents[0].Index + uint64(len(l.ents)) - 1 }
func (l *raftLog) lastTerm() uint64  { return l.ents[len(l.ents)-1].Term }

// term returns the term at index i; ok is false if i is compacted away
// (below the offset) or beyond the last entry.
func (l *raftLog) term(i uint64) (t uint64, ok bool) {
	off := l.offset()
	if i < off || i > l.lastIndex() {
		return 0, false
	}
	return l.ents[i-off].Term, true
}

// at returns the entry at i, which must lie in (offset, lastIndex].
func (l *raftLog) at(i uint64) *Entry {
	off := l.offset()
	if i <= off || i > l.lastIndex() {
		panic(fmt.Sprintf("raft: log index %d outside (%d, %d]", i, off, l.lastIndex()))
	}
	return &l.ents[i-off]
}

// view returns the entries [lo, hi] (hi capped at the last index) without
// copying them, capped so that an append to it cannot write into the log.
// It is for a message about to be sent: the message shares the log's array,
// which the log never writes again where it has held an entry.
func (l *raftLog) view(lo, hi uint64) []Entry {
	hi = min(hi, l.lastIndex())
	if lo > hi {
		return nil
	}
	off := l.offset()
	return l.ents[lo-off : hi-off+1 : hi-off+1]
}

func (l *raftLog) append(e Entry) {
	if e.Index != l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: appending index %d after %d", e.Index, l.lastIndex()))
	}
	l.ents = append(l.ents, e)
}

// truncate drops every entry after i. The capacity goes with them: an
// entry appended later must not overwrite one a message may still share.
func (l *raftLog) truncate(i uint64) {
	k := i - l.offset() + 1
	l.ents = l.ents[:k:k]
}

// compact drops the entries up to i, which must be in the log; i becomes
// the new offset.
func (l *raftLog) compact(i uint64) {
	t, ok := l.term(i)
	if !ok {
		panic(fmt.Sprintf("raft: compact to %d outside the log [%d, %d]", i, l.offset(), l.lastIndex()))
	}
	rest := l.ents[i-l.offset()+1:]
	ents := make([]Entry, 1, len(rest)+1+len(rest)/2)
	ents[0] = Entry{Index: i, Term: t}
	l.ents = append(ents, rest...)
}

// upToDate is Raft's election restriction: a log ending in (index, term) is
// at least as up to date as this one.
func (l *raftLog) upToDate(index, term uint64) bool {
	lt := l.lastTerm()
	return term > lt || (term == lt && index >= l.lastIndex())
}

// lastIndexOfTerm is the last index holding term t, or 0 if none does (at
// or after the offset).
func (l *raftLog) lastIndexOfTerm(t uint64) uint64 {
	for i := len(l.ents) - 1; i >= 0; i-- {
		switch et := l.ents[i].Term; {
		case et == t:
			return l.ents[i].Index
		case et < t:
			return 0
		}
	}
	return 0
}

// firstIndexOfTerm walks back from i (in the log) to the first index of
// the same term, not below offset+1.
func (l *raftLog) firstIndexOfTerm(i uint64) uint64 {
	off := l.offset()
	t := l.ents[i-off].Term
	for i > off+1 && l.ents[i-1-off].Term == t {
		i--
	}
	return i
}
