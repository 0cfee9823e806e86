package etcdraft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/sim"
)

// The node's layout on sim.Storage, each value a marshalled raftpb type:
//
//	etcd/hard/0, /1    raftpb.HardState, behind an 8-byte sequence number
//	etcd/snap/0, /1    raftpb.Snapshot, the latest (the state machine's
//	                   data and the configuration at its index), likewise
//	etcd/log/<index>   raftpb.Entry, index zero-padded to 20 digits so that
//	                   keys sort by index
//
// The disk mirrors a raft.MemoryStorage, which is what etcd raft reads:
// every change goes to both, and the node syncs at the end of each Ready
// before it sends the Ready's messages. A crash falls between events or at
// that sync, so what it loses was never promised to anyone.
//
// A crash may tear the oldest write it loses. The hard state and the
// snapshot are written in place, so each alternates between two slots and
// load takes the newest slot that reads back whole: a torn write leaves the
// one before it. A torn entry is the last key of the log (what followed it
// was lost whole), so load cuts the log there, as etcd's WAL repairs a torn
// tail. Any other value that fails its checksum was damaged after it was
// synced: etcd raft has no answer to failed storage (it panics), and
// neither has the node: load panics, naming the key, and the world reports
// the panic as a failure of the host, with the run's seed.
const (
	keyHard   = "etcd/hard/"
	keySnap   = "etcd/snap/"
	prefixLog = "etcd/log/"
)

// logKey is the key of log entry i: its index in 20 digits, so that the
// keys sort by it, written in one allocation.
func logKey(i uint64) string {
	var b [len(prefixLog) + 20]byte
	copy(b[:], prefixLog)
	for k := len(b) - 1; k >= len(prefixLog); k-- {
		b[k] = byte('0' + i%10)
		i /= 10
	}
	return string(b[:])
}

// disk is the node's durable state: sim storage and the MemoryStorage
// etcd raft reads, changed together.
type disk struct {
	st    sim.Storage
	mem   *raft.MemoryStorage
	dirty bool
	// seq numbers the writes of the two-slot values, by key prefix.
	seq map[string]uint64
}

// load reads the durable state into a fresh MemoryStorage. empty reports a
// first boot: nothing was ever stored.
func load(st sim.Storage) (d *disk, snap raftpb.Snapshot, empty bool) {
	d = &disk{st: st, mem: raft.NewMemoryStorage(), seq: map[string]uint64{}}
	var hs raftpb.HardState
	hsFound := d.getSlots(keyHard, &hs)
	snapFound := d.getSlots(keySnap, &snap)
	keys := st.Keys(prefixLog)
	if !hsFound && !snapFound && len(keys) == 0 {
		return d, snap, true
	}
	if snapFound {
		if err := d.mem.ApplySnapshot(snap); err != nil {
			panic(fmt.Sprintf("etcdraft: restoring snapshot %d: %v", snap.Metadata.Index, err))
		}
	}
	var ents []raftpb.Entry
	for i, k := range keys {
		var e raftpb.Entry
		if i == len(keys)-1 && d.torn(k) {
			// The torn tail of the log: never synced, never promised.
			st.Delete(k)
			d.dirty = true
			break
		}
		d.get(k, &e)
		if e.Index <= snap.Metadata.Index {
			// Compacted behind the snapshot, or an entry a snapshot
			// replaced: etcd raft will not ask for it again.
			st.Delete(k)
			d.dirty = true
			continue
		}
		if want := snap.Metadata.Index + uint64(len(ents)) + 1; e.Index != want {
			panic(fmt.Sprintf("etcdraft: the log on disk has a gap: key %s holds entry %d, expected %d", k, e.Index, want))
		}
		ents = append(ents, e)
	}
	if err := d.mem.Append(ents); err != nil {
		panic(fmt.Sprintf("etcdraft: restoring the log: %v", err))
	}
	if hsFound {
		if err := d.mem.SetHardState(hs); err != nil {
			panic(fmt.Sprintf("etcdraft: restoring the hard state: %v", err))
		}
	}
	d.sync()
	return d, snap, false
}

// unmarshaler is what the raftpb types have in common.
type unmarshaler interface{ Unmarshal([]byte) error }

// get reads and decodes key into v, reporting whether it was there. A
// value that fails its checksum or does not decode panics: see the layout.
func (d *disk) get(key string, v unmarshaler) bool {
	b, err := d.st.Get(key)
	switch {
	case err == sim.ErrNotFound:
		return false
	case err != nil:
		panic(fmt.Sprintf("etcdraft: reading %s: %v", key, err))
	}
	if err := v.Unmarshal(b); err != nil {
		panic(fmt.Sprintf("etcdraft: decoding %s: %v", key, err))
	}
	return true
}

// torn reports whether key fails its checksum.
func (d *disk) torn(key string) bool {
	_, err := d.st.Get(key)
	return errors.Is(err, sim.ErrCorrupt)
}

// getSlots reads the newest of the two slots of prefix that reads back
// whole into v. Both slots damaged is damage after a sync: it panics.
func (d *disk) getSlots(prefix string, v unmarshaler) bool {
	best, found, damaged := uint64(0), false, 0
	var data []byte
	for slot := 0; slot < 2; slot++ {
		key := prefix + strconv.Itoa(slot)
		b, err := d.st.Get(key)
		switch {
		case errors.Is(err, sim.ErrNotFound):
			continue
		case errors.Is(err, sim.ErrCorrupt):
			damaged++
			continue
		case err != nil || len(b) < 8:
			panic(fmt.Sprintf("etcdraft: reading %s: %v (%d bytes)", key, err, len(b)))
		}
		if seq := binary.BigEndian.Uint64(b); !found || seq > best {
			best, found, data = seq, true, b[8:]
		}
	}
	if !found {
		if damaged > 0 {
			panic(fmt.Sprintf("etcdraft: reading %s: every slot failed its checksum: %v", prefix, sim.ErrCorrupt))
		}
		return false
	}
	if err := v.Unmarshal(data); err != nil {
		panic(fmt.Sprintf("etcdraft: decoding %s: %v", prefix, err))
	}
	d.seq[prefix] = best
	return true
}

// setSlots writes v to the slot of prefix that does not hold the newest
// value.
func (d *disk) setSlots(prefix string, v marshaler) {
	b, err := v.Marshal()
	if err != nil {
		panic(fmt.Sprintf("etcdraft: encoding %s: %v", prefix, err))
	}
	seq := d.seq[prefix] + 1
	d.seq[prefix] = seq
	buf := make([]byte, 8, 8+len(b))
	binary.BigEndian.PutUint64(buf, seq)
	d.st.Set(prefix+strconv.Itoa(int(seq%2)), append(buf, b...))
	d.dirty = true
}

type marshaler interface{ Marshal() ([]byte, error) }

func (d *disk) set(key string, v marshaler) {
	b, err := v.Marshal()
	if err != nil {
		panic(fmt.Sprintf("etcdraft: encoding %s: %v", key, err))
	}
	d.st.Set(key, b)
	d.dirty = true
}

// bootstrap stores the initial configuration as a snapshot at index 1, as
// etcd's own tests start a cluster, so that a restart finds it like any
// other snapshot.
func (d *disk) bootstrap(voters []uint64, data []byte) raftpb.Snapshot {
	snap := raftpb.Snapshot{Data: data, Metadata: raftpb.SnapshotMetadata{
		Index: 1, Term: 1, ConfState: raftpb.ConfState{Voters: voters},
	}}
	d.applySnapshot(snap)
	// Term 1, as raft.RawNode.Bootstrap leaves it: no entry may carry a
	// term above the node's.
	hs := raftpb.HardState{Term: 1, Commit: 1}
	d.setSlots(keyHard, &hs)
	if err := d.mem.SetHardState(hs); err != nil {
		panic(fmt.Sprintf("etcdraft: setting the hard state: %v", err))
	}
	d.sync()
	return snap
}

// save persists what a Ready asks to: a snapshot, entries (which replace
// any log suffix they overlap) and the hard state. It does not sync.
func (d *disk) save(rd *raft.Ready) {
	if !raft.IsEmptySnap(rd.Snapshot) {
		d.applySnapshot(rd.Snapshot)
	}
	if n := len(rd.Entries); n > 0 {
		oldLast, _ := d.mem.LastIndex()
		for i := range rd.Entries {
			d.set(logKey(rd.Entries[i].Index), &rd.Entries[i])
		}
		for i := rd.Entries[n-1].Index + 1; i <= oldLast; i++ {
			d.st.Delete(logKey(i))
		}
		if err := d.mem.Append(rd.Entries); err != nil {
			panic(fmt.Sprintf("etcdraft: appending entries %d-%d: %v", rd.Entries[0].Index, rd.Entries[n-1].Index, err))
		}
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		d.setSlots(keyHard, &rd.HardState)
		if err := d.mem.SetHardState(rd.HardState); err != nil {
			panic(fmt.Sprintf("etcdraft: setting the hard state: %v", err))
		}
	}
}

// applySnapshot replaces the whole log with snap, as MemoryStorage does.
func (d *disk) applySnapshot(snap raftpb.Snapshot) {
	first, _ := d.mem.FirstIndex()
	last, _ := d.mem.LastIndex()
	for i := first; i <= last; i++ {
		d.st.Delete(logKey(i))
	}
	d.setSlots(keySnap, &snap)
	if err := d.mem.ApplySnapshot(snap); err != nil {
		panic(fmt.Sprintf("etcdraft: applying snapshot %d: %v", snap.Metadata.Index, err))
	}
}

// snapshot records the state machine at index applied and compacts the
// log up to trailing entries behind it. It does not sync.
func (d *disk) snapshot(applied uint64, cs *raftpb.ConfState, data []byte, trailing uint64) {
	snap, err := d.mem.CreateSnapshot(applied, cs, data)
	if err != nil {
		panic(fmt.Sprintf("etcdraft: snapshot at %d: %v", applied, err))
	}
	d.setSlots(keySnap, &snap)
	if applied <= trailing {
		return
	}
	to := applied - trailing
	first, _ := d.mem.FirstIndex()
	if to < first {
		return
	}
	for i := first; i <= to; i++ {
		d.st.Delete(logKey(i))
	}
	if err := d.mem.Compact(to); err != nil {
		panic(fmt.Sprintf("etcdraft: compacting to %d: %v", to, err))
	}
	d.dirty = true
}

func (d *disk) sync() {
	if d.dirty {
		d.st.Sync()
		d.dirty = false
	}
}
