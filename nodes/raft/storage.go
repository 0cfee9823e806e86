package raft

import (
	"encoding/binary"
	"github.com/detsim/detsim/nodes/kvstore"
	"strconv"

	"github.com/detsim/detsim/sim"
)

// The node's layout on sim.Storage:
//
//	raft/hard/a, raft/hard/b   term and vote, written alternately with a
//	                           sequence number; the valid one with the
//	                           higher number wins
//	raft/log/<index>           one entry per key, index zero-padded to 20
//	                           digits so that keys sort by index
//	raft/snap/<index>          snapshots; an older one is deleted only
//	                           after a newer one is synced
//
// Recovery and faults. A crash loses unsynced writes, and may leave the
// oldest unsynced write torn (Get reports sim.ErrCorrupt). The node syncs
// before every reply and action that depends on what it wrote, so a torn
// write is always one nobody depended on:
//   - a torn hard-state slot: the other slot holds the last synced state;
//   - a torn snapshot: an older snapshot (and the log it did not replace)
//     is still there, because old state is deleted only after the new
//     snapshot is synced;
//   - a torn or undecodable log entry: it, and every entry after it, are
//     treated as absent and deleted (the tail of a log can only be torn
//     where it was being written).
//
// A value corrupted after it was synced (sim's CorruptReadRatio) breaks
// Raft's assumption of durable storage. The node then recovers what it can
// by the same rules (an unreadable hard state becomes term 0, no vote; the
// log is cut at the first bad entry) and reports it with Logf; the safety
// invariants may then fail, which is the point of such a fault.

const (
	keyHardA   = "raft/hard/a"
	keyHardB   = "raft/hard/b"
	prefixLog  = "raft/log/"
	prefixSnap = "raft/snap/"
)

// disk is the node's persistence layer over sim.Storage.
type disk struct {
	st      sim.Storage
	hardSeq uint64 // sequence number of the last hard state written
	dirty   bool   // writes since the last Sync
	buf     []byte
	// logKeys holds the keys of the log entries [logKeysFrom,
	// logKeysFrom+logKeyBlock), back to back (see logKey).
	logKeys     string
	logKeysFrom uint64
}

func indexKey(prefix string, i uint64) string {
	return string(appendIndexKey(nil, prefix, i))
}

func appendIndexKey(b []byte, prefix string, i uint64) []byte {
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], i, 10)
	b = append(b, prefix...)
	b = append(b, "00000000000000000000"[len(d):]...)
	return append(b, d...)
}

const (
	logKeyBlock = 64
	logKeyLen   = len(prefixLog) + 20
)

// logKey is indexKey(prefixLog, i). The keys are cut from one string of
// logKeyBlock consecutive keys, one allocation for them all, since entries
// are written and deleted in runs of consecutive indexes; a block lives as
// long as the disk holds one of its keys.
func (d *disk) logKey(i uint64) string {
	if d.logKeys == "" || i < d.logKeysFrom || i-d.logKeysFrom >= logKeyBlock {
		d.logKeysFrom = i - i%logKeyBlock
		b := make([]byte, 0, logKeyBlock*logKeyLen)
		for j := range uint64(logKeyBlock) {
			b = appendIndexKey(b, prefixLog, d.logKeysFrom+j)
		}
		d.logKeys = string(b)
	}
	at := int(i-d.logKeysFrom) * logKeyLen
	return d.logKeys[at : at+logKeyLen]
}

func keyIndex(prefix, key string) (uint64, bool) {
	if len(key) != len(prefix)+20 {
		return 0, false
	}
	i, err := strconv.ParseUint(key[len(prefix):], 10, 64)
	return i, err == nil
}

func (d *disk) saveHard(term uint64, vote sim.HostID) {
	d.hardSeq++
	b := binary.AppendUvarint(d.buf[:0], d.hardSeq)
	b = binary.AppendUvarint(b, term)
	b = binary.AppendVarint(b, int64(vote))
	key := keyHardA
	if d.hardSeq%2 == 0 {
		key = keyHardB
	}
	d.st.Set(key, b)
	d.buf = b
	d.dirty = true
}

func (d *disk) saveEntry(e *Entry) {
	d.buf = appendEntry(d.buf[:0], e)
	d.st.Set(d.logKey(e.Index), d.buf)
	d.dirty = true
}

// installSnapshot makes s durable, then deletes the log entries
// [oldOffset+1, delTo] it covers or replaces and the snapshot oldSnap
// before it (none if 0). delTo past s's index means the log conflicts
// with s and goes whole.
func (d *disk) installSnapshot(s *Snapshot, oldOffset, delTo, oldSnap uint64) {
	// The snapshot must be durable before the state it replaces goes.
	d.saveSnapshot(s)
	d.sync()
	if delTo > s.Index {
		// A log the snapshot replaces: its entries past the snapshot go
		// first, synced, while the conflicting entry at the snapshot's
		// index still marks them for recovery as another history's. A
		// disk that reorders unsynced writes could otherwise keep that
		// entry's delete and lose theirs, leaving a suffix recovery would
		// take for the snapshot's own.
		d.deleteEntries(s.Index+1, delTo)
		d.sync()
		delTo = s.Index
	}
	d.deleteEntries(oldOffset+1, delTo)
	if oldSnap > 0 {
		d.deleteSnapshot(oldSnap)
	}
	d.sync()
}

// deleteEntries removes the entries [lo, hi], the highest first: a crash
// that keeps only the first of these deletes then leaves a contiguous run
// from lo, never a suffix whose predecessor is gone. A snapshot installed
// over a conflicting log relies on it: recovery drops the log after a
// snapshot whose entry at the snapshot's index has another term, and it
// can only see that while the entry is there.
func (d *disk) deleteEntries(lo, hi uint64) {
	for i := hi; i >= lo && i <= hi; i-- {
		d.st.Delete(d.logKey(i))
		d.dirty = true
	}
}

func (d *disk) saveSnapshot(s *Snapshot) {
	b := binary.AppendUvarint(nil, s.Index)
	b = binary.AppendUvarint(b, s.Term)
	b = appendMembers(b, s.Members)
	b = append(b, s.Data...)
	d.st.Set(indexKey(prefixSnap, s.Index), b)
	d.dirty = true
}

func (d *disk) deleteSnapshot(index uint64) {
	d.st.Delete(indexKey(prefixSnap, index))
	d.dirty = true
}

func (d *disk) sync() {
	if d.dirty {
		d.st.Sync()
		d.dirty = false
	}
}

// recovered is what load found on the disk.
type recovered struct {
	term uint64
	vote sim.HostID
	snap Snapshot // Index 0: none
	ents []Entry  // contiguous, from snap.Index+1
	// empty: nothing at all was stored (a first boot).
	empty bool
	// damage describes what had to be dropped, for the log.
	damage []string
}

func decodeSnapshot(b []byte) (Snapshot, error) {
	d := decoder{b: b}
	s := Snapshot{Index: d.uvarint(), Term: d.uvarint(), Members: d.members()}
	if d.err {
		return Snapshot{}, errDecode
	}
	s.Data = d.b
	if _, err := kvstore.Decode(s.Data); err != nil {
		return Snapshot{}, err
	}
	return s, nil
}

// load reads the node's state, repairing what faults left behind, and
// syncs the repairs.
func (d *disk) load() recovered {
	r := recovered{vote: sim.NoHost}
	hardKeys := d.st.Keys("raft/hard/")
	snapKeys := d.st.Keys(prefixSnap)
	logKeys := d.st.Keys(prefixLog)
	r.empty = len(hardKeys) == 0 && len(snapKeys) == 0 && len(logKeys) == 0

	// Hard state: the valid slot with the highest sequence number.
	for _, key := range hardKeys {
		b, err := d.st.Get(key)
		if err != nil {
			r.damage = append(r.damage, key)
			continue
		}
		dec := decoder{b: b}
		seq, term, vote := dec.uvarint(), dec.uvarint(), sim.HostID(dec.varint())
		if dec.finish() != nil {
			r.damage = append(r.damage, key)
			continue
		}
		if seq > d.hardSeq {
			d.hardSeq, r.term, r.vote = seq, term, vote
		}
	}

	// Snapshot: the newest readable one; unreadable ones are deleted.
	for i := len(snapKeys) - 1; i >= 0; i-- {
		b, err := d.st.Get(snapKeys[i])
		if err == nil {
			if s, derr := decodeSnapshot(b); derr == nil {
				r.snap = s
				break
			}
		}
		r.damage = append(r.damage, snapKeys[i])
		d.st.Delete(snapKeys[i])
		d.dirty = true
	}
	for _, key := range snapKeys {
		if i, ok := keyIndex(prefixSnap, key); ok && i < r.snap.Index {
			d.st.Delete(key)
			d.dirty = true
		}
	}

	// Log: the contiguous run of good entries after the snapshot. Entries
	// at or below the snapshot's index are dropped; if the one at its
	// index has another term, the log after it belongs to another history
	// (a snapshot installed over a conflicting log, then a crash before
	// the old entries were deleted) and goes too.
	next, prevTerm := r.snap.Index+1, r.snap.Term
	conflict, bad := false, false
	for _, key := range logKeys {
		i, ok := keyIndex(prefixLog, key)
		switch {
		case ok && i == r.snap.Index && i > 0:
			if e, err := d.readEntry(key, i); err != nil || e.Term != r.snap.Term {
				conflict = true
			}
		case ok && i > r.snap.Index && !bad && !conflict:
			e, err := d.readEntry(key, i)
			if err == nil && i == next && e.Term >= prevTerm {
				r.ents = append(r.ents, e)
				next, prevTerm = next+1, e.Term
				continue
			}
			r.damage = append(r.damage, key)
			bad = true
		}
		d.st.Delete(key)
		d.dirty = true
	}
	d.sync()
	return r
}

func (d *disk) readEntry(key string, i uint64) (Entry, error) {
	b, err := d.st.Get(key)
	if err != nil {
		return Entry{}, err
	}
	e, err := decodeEntry(b)
	if err == nil && e.Index != i {
		err = errDecode
	}
	return e, err
}
