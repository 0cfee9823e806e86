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
	// reaches the disk half-written. Reading it later gives ErrCorrupt.
	TornWriteRatio float64 `json:"torn_write_ratio,omitempty"`
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
}

func (f StorageFaults) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"TornWriteRatio", f.TornWriteRatio}, {"LyingSyncRatio", f.LyingSyncRatio}, {"CorruptReadRatio", f.CorruptReadRatio}, {"CrashAtSyncRatio", f.CrashAtSyncRatio}} {
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

type diskWrite struct {
	key   string
	value []byte
	del   bool
}

// disk keeps two images: what the node sees (cur) and what would survive a
// crash (durable), plus the writes between them in order.
type disk struct {
	cur     map[string]diskValue
	durable map[string]diskValue
	pending []diskWrite
	faults  StorageFaults
	rng     *rand.Rand
}

func newDisk(rng *rand.Rand) *disk {
	return &disk{cur: map[string]diskValue{}, durable: map[string]diskValue{}, rng: rng}
}

func (d *disk) apply(img map[string]diskValue, wr diskWrite, torn bool) {
	if wr.del {
		delete(img, wr.key)
		return
	}
	v := diskValue{b: wr.value}
	if torn {
		v = diskValue{b: wr.value[:len(wr.value)/2], corrupt: true}
	}
	img[wr.key] = v
}

func (d *disk) sync(w *World, host HostID) {
	if len(d.pending) == 0 {
		return
	}
	if d.faults.LyingSyncRatio > 0 && d.rng.Float64() < d.faults.LyingSyncRatio {
		w.Trace(KindFault, host, "storage.lying-sync", fmt.Sprintf("sync of %d writes did not reach the disk", len(d.pending)))
		return
	}
	for _, wr := range d.pending {
		d.apply(d.durable, wr, false)
	}
	d.pending = d.pending[:0]
}

func (d *disk) crash(w *World, host HostID) {
	if len(d.pending) > 0 && d.faults.TornWriteRatio > 0 && d.rng.Float64() < d.faults.TornWriteRatio {
		first := d.pending[0]
		d.apply(d.durable, first, !first.del)
		w.Trace(KindFault, host, "storage.torn-write", "torn write of key "+first.key)
	}
	d.pending = d.pending[:0]
	clear(d.cur)
	for k, v := range d.durable {
		d.cur[k] = v
	}
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
	d := v.h.disk
	val, ok := d.cur[key]
	if !ok {
		return nil, ErrNotFound
	}
	if !val.corrupt && d.faults.CorruptReadRatio > 0 && d.rng.Float64() < d.faults.CorruptReadRatio {
		val.corrupt = true
		d.cur[key] = val
		if dv, ok := d.durable[key]; ok {
			dv.corrupt = true
			d.durable[key] = dv
		}
		v.h.w.Trace(KindFault, v.h.id, "storage.corrupt-read", "corrupted key "+key)
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
	d := v.h.disk
	wr := diskWrite{key: key, value: slices.Clone(value)}
	if wr.value == nil {
		wr.value = []byte{}
	}
	d.pending = append(d.pending, wr)
	d.apply(d.cur, wr, false)
}

func (v diskView) Delete(key string) {
	if v.h.stale(v.inc, "Storage.Delete") != nil {
		return
	}
	d := v.h.disk
	wr := diskWrite{key: key, del: true}
	d.pending = append(d.pending, wr)
	d.apply(d.cur, wr, false)
}

func (v diskView) Sync() {
	if v.h.stale(v.inc, "Storage.Sync") != nil {
		return
	}
	h, d := v.h, v.h.disk
	if d.faults.CrashAtSyncRatio > 0 && len(d.pending) > 0 && d.rng.Float64() < d.faults.CrashAtSyncRatio {
		before := d.rng.IntN(2) == 0
		label := "storage.crash-after-sync"
		if before {
			label = "storage.crash-before-sync"
		} else {
			d.sync(h.w, h.id)
		}
		h.w.Trace(KindFault, h.id, label, fmt.Sprintf("crash at a sync of %d writes", len(d.pending)))
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
	for k := range v.h.disk.cur {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
