package sim

// DiskBytes is how many bytes the host's disk holds durably: the keys and
// values that would survive a crash now. It is for checks that bound a
// node's persisted state (a log that is never compacted grows without
// end); a node reads its own disk through Env.Storage, never through this.
func (h *Host) DiskBytes() int {
	d := h.disk
	n := 0
	for k, v := range d.cur.all() {
		n += len(k) + len(v.b)
	}
	// A key written since the last sync survives as what its first
	// unsynced write replaced.
	var rolledBack map[string]bool
	for _, u := range d.undo {
		if rolledBack[u.key] {
			continue
		}
		if rolledBack == nil {
			rolledBack = map[string]bool{}
		}
		rolledBack[u.key] = true
		if v, ok := d.cur.get(u.key); ok {
			n -= len(u.key) + len(v.b)
		}
		if u.had {
			n += len(u.key) + len(u.prev.b)
		}
	}
	return n
}
