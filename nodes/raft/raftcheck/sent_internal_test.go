package raftcheck

import (
	"errors"
	"testing"

	"github.com/detsim/detsim/nodes/raft"
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

// fakeConf is a hand-built log of configurations: confs maps an index to
// the configuration entry there; every other index holds a command.
type fakeConf struct {
	snapIndex   uint64
	snapMembers []sim.HostID
	last        uint64
	confs       map[uint64][]sim.HostID
	members     []sim.HostID
}

func (l fakeConf) ID() sim.HostID                { return 1 }
func (l fakeConf) Term() uint64                  { return 3 }
func (l fakeConf) LastIndex() uint64             { return l.last }
func (l fakeConf) SnapshotIndex() uint64         { return l.snapIndex }
func (l fakeConf) SnapshotMembers() []sim.HostID { return l.snapMembers }
func (l fakeConf) Members() []sim.HostID         { return l.members }
func (l fakeConf) Entry(i uint64) (raft.Entry, bool) {
	if i <= l.snapIndex || i > l.last {
		return raft.Entry{}, false
	}
	if m, ok := l.confs[i]; ok {
		return raft.Entry{Index: i, Term: 1, Kind: raft.EntryConf, Members: m}, true
	}
	return raft.Entry{Index: i, Term: 1, Kind: raft.EntryCommand}, true
}

func TestAConfigurationOtherThanTheLogsLatestIsAViolation(t *testing.T) {
	three, four := []sim.HostID{0, 1, 2}, []sim.HostID{0, 1, 2, 3}
	for _, c := range []struct {
		name  string
		log   fakeConf
		index uint64 // 0: no violation
	}{
		{"the latest entry's", fakeConf{last: 9, confs: map[uint64][]sim.HostID{1: three, 6: four}, members: four}, 0},
		{"in another order", fakeConf{last: 9, confs: map[uint64][]sim.HostID{1: three, 6: four}, members: []sim.HostID{3, 2, 1, 0}}, 0},
		{"the snapshot's, with none after it", fakeConf{snapIndex: 20, snapMembers: four, last: 25, members: four}, 0},
		{"a joining server's, with none at all", fakeConf{}, 0},
		{"an earlier entry's (a committed one, say)", fakeConf{last: 9, confs: map[uint64][]sim.HostID{1: three, 6: four}, members: three}, 6},
		{"the snapshot's, with a later entry", fakeConf{snapIndex: 20, snapMembers: three, last: 25, confs: map[uint64][]sim.HostID{24: four}, members: three}, 24},
		{"an uncommitted entry it truncated away", fakeConf{snapIndex: 20, snapMembers: three, last: 25, members: four}, 20},
	} {
		s := NewSafety()
		s.checkConfigurationLatest(c.log, "recovered")
		err := s.Check()
		var v *Violation
		switch {
		case c.index == 0 && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.index != 0 && (!errors.As(err, &v) || v.Invariant != ConfigurationLatest || v.Index != c.index):
			t.Errorf("%s: got %v, want a violation of configuration latest at index %d", c.name, err, c.index)
		}
	}
}
