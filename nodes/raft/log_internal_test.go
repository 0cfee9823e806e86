package raft

import (
	"slices"
	"testing"
)

// A message shares the log's array (view; AppendEntries is net.Immutable),
// so what a message carries must not change when the log is truncated and
// written again, or compacted, after it was sent.
func TestAViewKeepsItsEntriesThroughTruncationAndAppend(t *testing.T) {
	l := newLog(0, 0)
	for i := uint64(1); i <= 6; i++ {
		l.append(Entry{Index: i, Term: 1, Kind: EntryNoop})
	}
	sent := l.view(3, 6)
	want := slices.Clone(sent)
	l.truncate(3)
	for i := uint64(4); i <= 8; i++ {
		l.append(Entry{Index: i, Term: 2, Kind: EntryNoop})
	}
	l.compact(5)
	l.append(Entry{Index: 9, Term: 2, Kind: EntryNoop})
	if !slices.EqualFunc(sent, want, func(a, b Entry) bool { return a.Equal(&b) }) {
		t.Fatalf("the view sent was %v; after truncate, append and compact it is %v", want, sent)
	}
	if e := l.at(6); e.Term != 2 {
		t.Fatalf("the log holds %v at 6, want term 2", e)
	}
	later := l.view(5, 7)
	wantLater := slices.Clone(later)
	l.truncate(6)
	l.append(Entry{Index: 7, Term: 3, Kind: EntryNoop})
	if !slices.EqualFunc(later, wantLater, func(a, b Entry) bool { return a.Equal(&b) }) {
		t.Fatalf("the view sent was %v; it is now %v", wantLater, later)
	}
}

// The messages that share the log, or a snapshot, tell the network so.
func TestMessagesThatShareAreImmutable(t *testing.T) {
	type immutable interface{ ImmutableMessage() }
	for _, m := range []any{AppendEntries{}, InstallSnapshot{}} {
		if _, ok := m.(immutable); !ok {
			t.Errorf("%T is not net.Immutable: the network would deep-copy it", m)
		}
	}
}

// The log keys cut from shared blocks are the keys indexKey makes, in any
// order of indexes, across block boundaries.
func TestLogKeysFromBlocksAreIndexKeys(t *testing.T) {
	var d disk
	for _, i := range []uint64{1, 2, 63, 64, 65, 200, 127, 128, 0, 1 << 40, 3, 1<<63 + 5} {
		if got, want := d.logKey(i), indexKey(prefixLog, i); got != want {
			t.Fatalf("logKey(%d) = %q, want %q", i, got, want)
		}
	}
}
