package raftcheck

import (
	"errors"
	"testing"

	"github.com/detsim/detsim/sim"
)

// fakeLog is a hand-built log: terms[i] is the term at index first+i.
type fakeLog struct {
	first, snapTerm uint64
	terms           []uint64
}

func (l fakeLog) ID() sim.HostID       { return 1 }
func (l fakeLog) FirstIndex() uint64   { return l.first }
func (l fakeLog) LastIndex() uint64    { return l.first + uint64(len(l.terms)) - 1 }
func (l fakeLog) SnapshotTerm() uint64 { return l.snapTerm }
func (l fakeLog) EntryTerm(i uint64) (uint64, bool) {
	if i < l.first || i > l.LastIndex() {
		return 0, false
	}
	return l.terms[i-l.first], true
}

func TestALogWhoseTermsGoBackIsALogTermsOrderedViolation(t *testing.T) {
	for _, c := range []struct {
		name  string
		log   fakeLog
		index uint64 // 0: no violation
	}{
		{"ordered", fakeLog{first: 1, terms: []uint64{0, 1, 1, 3, 3}}, 0},
		{"ordered after a snapshot", fakeLog{first: 11, snapTerm: 2, terms: []uint64{2, 4}}, 0},
		{"empty after a snapshot", fakeLog{first: 11, snapTerm: 2}, 0},
		{"a torn truncation: the new entry, then the old suffix", fakeLog{first: 1, terms: []uint64{0, 1, 3, 2, 2}}, 4},
		{"below the snapshot's term", fakeLog{first: 11, snapTerm: 4, terms: []uint64{3}}, 11},
	} {
		s := NewSafety()
		s.checkTermsOrdered(c.log)
		err := s.Check()
		var v *Violation
		switch {
		case c.index == 0 && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.index != 0 && (!errors.As(err, &v) || v.Invariant != LogTermsOrdered || v.Index != c.index):
			t.Errorf("%s: got %v, want a violation of log terms ordered at index %d", c.name, err, c.index)
		}
	}
}
