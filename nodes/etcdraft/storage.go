package etcdraft

import (
	"fmt"
	"strconv"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/sim"
)

// The node's layout on sim.Storage, each value a marshalled raftpb type:
//
//	etcd/hard          raftpb.HardState
//	etcd/snap          raftpb.Snapshot, the latest (the state machine's
//	                   data and the configuration at its index)
//	etcd/log/<index>   raftpb.Entry, index zero-padded to 20 digits so that
//	                   keys sort by index
//
// The disk mirrors a raft.MemoryStorage, which is what etcd raft reads:
// every change goes to both, and the node syncs at the end of each Ready
// before it sends the Ready's messages. A crash falls between events or at
// that sync, so what it loses was never promised to anyone. A value that
// fails its checksum was damaged after it was synced, or torn by a crash
// at a sync: etcd raft has no answer to failed storage (it panics), and
// neither has the node: load panics, naming the key, and the world
// reports the panic as a failure of the host, with the run's seed.
const (
	keyHard   = "etcd/hard"
	keySnap   = "etcd/snap"
	prefixLog = "etcd/log/"
)

func logKey(i uint64) string {
	d := strconv.FormatUint(i, 10)
	return prefixLog + "00000000000000000000"[len(d):] + d
}

// disk is the node's durable state: sim storage and the MemoryStorage
// etcd raft reads, changed together.
type disk struct {
	st    sim.Storage
	mem   *raft.MemoryStorage
	dirty bool
}

// load reads the durable state into a fresh MemoryStorage. empty reports a
// first boot: nothing was ever stored.
func load(st sim.Storage) (d *disk, snap raftpb.Snapshot, empty bool) {
	d = &disk{st: st, mem: raft.NewMemoryStorage()}
	var hs raftpb.HardState
	hsFound := d.get(keyHard, &hs)
	snapFound := d.get(keySnap, &snap)
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
	for _, k := range keys {
		var e raftpb.Entry
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
	d.set(keyHard, &hs)
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
		d.set(keyHard, &rd.HardState)
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
	d.set(keySnap, &snap)
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
	d.set(keySnap, &snap)
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
