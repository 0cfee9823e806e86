package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// StorageFaults are the disk faults a host can suffer. Each ratio is a
// probability in [0, 1]. Draws come from the host's own disk stream, so
// turning faults on does not shift any node's random choices.
type StorageFaults struct {
	// TornWriteRatio: at a crash, the chance that the oldest unsynced write
	// reaches the disk half-written (the oldest past those FlushedPrefixRatio
	// kept). Reading it later gives ErrCorrupt.
	TornWriteRatio float64 `json:"torn_write_ratio,omitempty"`
	// FlushedPrefixRatio: at a crash, the chance that some unsynced writes
	// had reached the disk already: a prefix of them, in the order they
	// were made, of a length drawn uniformly from none to all, as a disk
	// that writes in order but had not finished does. A change made of
	// several writes (a truncation, then an append) can so survive in
	// part.
	FlushedPrefixRatio float64 `json:"flushed_prefix_ratio,omitempty"`
	// FlushedAnyRatio: at a crash (when FlushedPrefixRatio kept no
	// write), the chance that the unsynced writes had reached the disk
	// out of order: each one independently, with even odds, as a disk or
	// file system that reorders writes between syncs does (ALICE's
	// crash-consistency studies; FoundationDB's simulated files drop
	// unsynced writes at random). A change made of several writes can so
	// survive as any subset of them, with holes.
	FlushedAnyRatio float64 `json:"flushed_any_ratio,omitempty"`
	// LyingSyncRatio: the chance that a Sync returns without making
	// anything durable, so a crash loses writes the node believed safe.
	LyingSyncRatio float64 `json:"lying_sync_ratio,omitempty"`
	// CorruptReadRatio: the chance that a Get finds its value corrupted on
	// the medium. The corruption is permanent: the checksum fails from then
	// on, until the key is written again.
	CorruptReadRatio float64 `json:"corrupt_read_ratio,omitempty"`
	// CrashAtSyncRatio: the chance that the host crashes at a Sync that
	// has writes to make durable, just before it (the writes are lost) or
	// just after it (they are kept), half and half. The node's handler
	// stops right there, as a process that dies does: nothing it would do
	// after the Sync happens, and whatever it sent before does. A timed
	// crash falls between two events and never inside one, so only this
	// fault finds a reply sent before the state it promises is synced.
	// Like FoundationDB's fault points, it strikes at the storage
	// operations themselves.
	CrashAtSyncRatio float64 `json:"crash_at_sync_ratio,omitempty"`
	// CrashAtSyncAfterSendRatio: the chance that the host crashes just
	// before a Sync (its writes are lost) when the node sent a message
	// while those writes were unsynced: the window in which a message
	// reveals state the disk may not keep. A node that syncs before it
	// sends never offers the window, so the fault can be frequent without
	// crashing a correct node often. It draws only at such syncs, and
	// apart from CrashAtSyncRatio, which strikes at any sync.
	CrashAtSyncAfterSendRatio float64 `json:"crash_at_sync_after_send_ratio,omitempty"`
	// CrashAtSyncAfterDeleteRatio: the chance that the host crashes just
	// before a Sync whose writes include a delete: a change made of several
	// writes (a truncation and an append, a snapshot and the deletion of
	// what it replaces) is in flux until that Sync. With
	// FlushedPrefixRatio, part of the change survives.
	CrashAtSyncAfterDeleteRatio float64 `json:"crash_at_sync_after_delete_ratio,omitempty"`
}

// crashPoints reports whether a Sync may crash the host, so that the world
// must be ready to unwind the node's handler.
func (f StorageFaults) crashPoints() bool {
	return f.CrashAtSyncRatio > 0 || f.CrashAtSyncAfterSendRatio > 0 || f.CrashAtSyncAfterDeleteRatio > 0
}

func (f StorageFaults) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"TornWriteRatio", f.TornWriteRatio}, {"FlushedPrefixRatio", f.FlushedPrefixRatio}, {"FlushedAnyRatio", f.FlushedAnyRatio}, {"LyingSyncRatio", f.LyingSyncRatio}, {"CorruptReadRatio", f.CorruptReadRatio}, {"CrashAtSyncRatio", f.CrashAtSyncRatio}, {"CrashAtSyncAfterSendRatio", f.CrashAtSyncAfterSendRatio}, {"CrashAtSyncAfterDeleteRatio", f.CrashAtSyncAfterDeleteRatio}} {
		if !(r.v >= 0 && r.v <= 1) {
			return fmt.Errorf("StorageFaults.%s is %v; it must be in [0, 1]", r.name, r.v)
		}
	}
	return nil
}

type diskValue struct {
	b       []byte
	corrupt bool // the checksum would fail
}

// undoWrite is an unsynced write, with what it replaced.
type undoWrite struct {
	key   string
	value []byte // what was written (a torn write keeps half of it)
	del   bool
	prev  diskValue // what key held before, if had
	had   bool
}

// disk holds what the node sees (cur) and, for the writes since the last
// sync, in order, what each replaced (undo): rolled back, they give what
// would survive a crash. Keeping the image that survives as undo records,
// not as a second map, makes a sync forget them instead of writing each
// into the map again: on a Raft run those inserts were 4% of the time.
type disk struct {
	cur  diskMap
	undo []undoWrite
	// A value corrupted on reading while the key had unsynced writes is
	// corrupt in cur only: the sync writes the key again, whole. Such keys
	// wait in volatile until the sync, then in healed, whose values
	// survive a crash uncorrupted, until the key is written again. Both
	// are nearly always empty.
	volatile, healed []string
	faults           StorageFaults
	rng              *rand.Rand
	// sentUnsynced: the node sent a message while undo held writes, and
	// has not synced them since; deleteUnsynced: undo holds a delete.
	sentUnsynced, deleteUnsynced bool
	arena                        []byte // where keep copies values (diskarena.go)
}

func newDisk(rng *rand.Rand) *disk {
	return &disk{rng: rng}
}

func (d *disk) write(key string, value []byte, del bool) {
	var prev diskValue
	var had bool
	if del {
		d.deleteUnsynced = true
		prev, had = d.cur.del(key)
	} else {
		prev, had = d.cur.set(key, diskValue{b: value})
	}
	if i := slices.Index(d.healed, key); i >= 0 {
		prev.corrupt = false // what survives is the value the sync wrote
		d.healed = slices.Delete(d.healed, i, i+1)
	}
	d.undo = append(d.undo, undoWrite{key: key, value: value, del: del, prev: prev, had: had})
}

// rollBack undoes the unsynced writes from the last down to undo[from].
func (d *disk) rollBack(from int) {
	for i := len(d.undo) - 1; i >= from; i-- {
		u := &d.undo[i]
		if u.had {
			d.cur.set(u.key, u.prev)
		} else {
			d.cur.del(u.key)
		}
	}
}

// redo makes u again, whole.
func (d *disk) redo(u *undoWrite) {
	if u.del {
		d.cur.del(u.key)
		return
	}
	d.cur.set(u.key, diskValue{b: u.value})
}

// corruptDurable marks what survives a crash at key as corrupt, as a read
// of the medium found it: the oldest unsynced write's previous value if key
// has one, and otherwise cur's, which the caller has marked.
func (d *disk) corruptDurable(key string) {
	for i := range d.undo {
		if u := &d.undo[i]; u.key == key {
			u.prev.corrupt = true
			if !slices.Contains(d.volatile, key) {
				d.volatile = append(d.volatile, key)
			}
			return
		}
	}
}

func (d *disk) sync(w *World, host HostID) {
	d.sentUnsynced, d.deleteUnsynced = false, false
	if len(d.undo) == 0 {
		return
	}
	if d.faults.LyingSyncRatio > 0 && d.rng.Float64() < d.faults.LyingSyncRatio {
		w.Trace(KindFault, host, "storage.lying-sync", fmt.Sprintf("sync of %d writes did not reach the disk", len(d.undo)))
		return
	}
	clear(d.undo) // drop the references the records hold
	d.undo = d.undo[:0]
	for _, k := range d.volatile {
		// Written again since it was corrupted, the key reads well
		// and its value is the one the sync wrote: nothing to heal.
		if v, ok := d.cur.get(k); ok && v.corrupt && !slices.Contains(d.healed, k) {
			d.healed = append(d.healed, k)
		}
	}
	d.volatile = d.volatile[:0]
}

func (d *disk) crash(w *World, host HostID) {
	kept := 0 // the oldest unsynced writes, which reached the disk whole
	if len(d.undo) > 0 && d.faults.FlushedPrefixRatio > 0 && d.rng.Float64() < d.faults.FlushedPrefixRatio {
		kept = d.rng.IntN(len(d.undo) + 1)
		w.Trace(KindFault, host, "storage.flushed-prefix", fmt.Sprintf("%d of %d unsynced writes reached the disk", kept, len(d.undo)))
	}
	var reordered []bool // which unsynced writes reached the disk, in any order
	if kept == 0 && len(d.undo) > 0 && d.faults.FlushedAnyRatio > 0 && d.rng.Float64() < d.faults.FlushedAnyRatio {
		reordered = make([]bool, len(d.undo))
		n := 0
		for i := range reordered {
			if reordered[i] = d.rng.IntN(2) == 0; reordered[i] {
				n++
			}
		}
		w.Trace(KindFault, host, "storage.flushed-any", fmt.Sprintf("%d of %d unsynced writes reached the disk, out of order", n, len(d.undo)))
	}
	torn := reordered == nil && kept < len(d.undo) && d.faults.TornWriteRatio > 0 && d.rng.Float64() < d.faults.TornWriteRatio
	// Back to what was synced, then forward by the writes that reached
	// the disk, each whole: a value corrupted in cur only by a read is
	// written again.
	d.rollBack(0)
	for i := range d.undo[:kept] {
		d.redo(&d.undo[i])
	}
	for i, reached := range reordered {
		if reached {
			d.redo(&d.undo[i])
		}
	}
	if torn {
		// The oldest unsynced write not kept reaches the disk,
		// half-written (a delete, whole), and nothing after it.
		first := &d.undo[kept]
		if first.del {
			d.cur.del(first.key)
		} else {
			d.cur.set(first.key, diskValue{b: first.value[:len(first.value)/2], corrupt: true})
		}
		w.Trace(KindFault, host, "storage.torn-write", "torn write of key "+first.key)
	}
	clear(d.undo)
	d.undo = d.undo[:0]
	d.sentUnsynced, d.deleteUnsynced = false, false
	for _, k := range d.healed {
		if v, ok := d.cur.get(k); ok {
			v.corrupt = false
			d.cur.set(k, v)
		}
	}
	d.healed, d.volatile = d.healed[:0], d.volatile[:0]
}

// diskView is the Storage of one incarnation. It reaches the disk through
// the host, and only while its incarnation runs: a view kept from before a
// crash must not read or write the disk of the node that restarted.
type diskView struct {
	h   *Host
	inc uint32
}

func (v diskView) Get(key string) ([]byte, error) {
	if err := v.h.stale(v.inc, "Storage.Get"); err != nil {
		return nil, err
	}
	return v.h.disk.get(v.h.w, v.h.id, key)
}

func (d *disk) get(w *World, host HostID, key string) ([]byte, error) {
	val, ok := d.cur.get(key)
	if !ok {
		return nil, ErrNotFound
	}
	if !val.corrupt && d.faults.CorruptReadRatio > 0 && d.rng.Float64() < d.faults.CorruptReadRatio {
		val.corrupt = true
		d.cur.set(key, val)
		d.corruptDurable(key)
		w.Trace(KindFault, host, "storage.corrupt-read", "corrupted key "+key)
	}
	if val.corrupt {
		return nil, fmt.Errorf("key %q: %w", key, ErrCorrupt)
	}
	return slices.Clone(val.b), nil
}

func (v diskView) Set(key string, value []byte) {
	if v.h.stale(v.inc, "Storage.Set") != nil {
		return
	}
	v.h.disk.write(key, v.h.disk.keep(value), false)
}

func (v diskView) Delete(key string) {
	if v.h.stale(v.inc, "Storage.Delete") != nil {
		return
	}
	v.h.disk.write(key, nil, true)
}

func (v diskView) Sync() {
	if v.h.stale(v.inc, "Storage.Sync") != nil {
		return
	}
	h, d := v.h, v.h.disk
	if d.sentUnsynced && d.faults.CrashAtSyncAfterSendRatio > 0 && len(d.undo) > 0 && d.rng.Float64() < d.faults.CrashAtSyncAfterSendRatio {
		h.w.Trace(KindFault, h.id, "storage.crash-after-send", fmt.Sprintf("crash before a sync of %d writes that a message sent before it may depend on", len(d.undo)))
		h.Crash()
		panic(crashPoint{host: h.id})
	}
	if d.deleteUnsynced && d.faults.CrashAtSyncAfterDeleteRatio > 0 && len(d.undo) > 0 && d.rng.Float64() < d.faults.CrashAtSyncAfterDeleteRatio {
		h.w.Trace(KindFault, h.id, "storage.crash-after-delete", fmt.Sprintf("crash before a sync of %d writes, deletes among them", len(d.undo)))
		h.Crash()
		panic(crashPoint{host: h.id})
	}
	if d.faults.CrashAtSyncRatio > 0 && len(d.undo) > 0 && d.rng.Float64() < d.faults.CrashAtSyncRatio {
		before := d.rng.IntN(2) == 0
		label := "storage.crash-after-sync"
		if before {
			label = "storage.crash-before-sync"
		} else {
			d.sync(h.w, h.id)
		}
		h.w.Trace(KindFault, h.id, label, fmt.Sprintf("crash at a sync of %d writes", len(d.undo)))
		h.Crash()
		panic(crashPoint{host: h.id})
	}
	d.sync(h.w, h.id)
}

// crashPoint unwinds a node's handler when its host crashes at a storage
// fault point; the world recovers it where it called the node.
type crashPoint struct{ host HostID }

func (v diskView) Keys(prefix string) []string {
	if v.h.stale(v.inc, "Storage.Keys") != nil {
		return nil
	}
	var keys []string
	for k := range v.h.disk.cur.all() {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
