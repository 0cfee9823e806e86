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

// Only an AppendEntries of equal fields, over the same elements of the
// same array, is the same message: one that may share another's box.
func TestAnAppendIsTheSameOnlyOverTheSameEntries(t *testing.T) {
	log := make([]Entry, 4, 8)
	other := make([]Entry, 4, 8)
	base := AppendEntries{Term: 2, PrevIndex: 5, PrevTerm: 1, Entries: log[1:3], Commit: 4}
	if again := base; !base.same(&again) {
		t.Fatal("an append is not the same as its copy")
	}
	for _, c := range []struct {
		name   string
		change func(m *AppendEntries)
	}{
		{"term", func(m *AppendEntries) { m.Term++ }},
		{"prev index", func(m *AppendEntries) { m.PrevIndex++ }},
		{"prev term", func(m *AppendEntries) { m.PrevTerm++ }},
		{"commit", func(m *AppendEntries) { m.Commit++ }},
		{"another array", func(m *AppendEntries) { m.Entries = other[1:3] }},
		{"later elements", func(m *AppendEntries) { m.Entries = log[2:4] }},
		{"fewer entries", func(m *AppendEntries) { m.Entries = log[1:2] }},
		{"less capacity", func(m *AppendEntries) { m.Entries = log[1:3:3] }},
		{"no entries at all", func(m *AppendEntries) { m.Entries = nil }},
	} {
		m := base
		c.change(&m)
		if m.same(&base) || base.same(&m) {
			t.Errorf("an append with %s is the same", c.name)
		}
	}
	empty, none := base, base
	empty.Entries, none.Entries = log[:0], nil
	if empty.same(&none) || !none.same(&none) {
		t.Error("an empty and a nil list of entries: same is wrong")
	}
}
