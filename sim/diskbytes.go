package sim

// DiskBytes is how many bytes the host's disk holds durably: the keys and
// values that would survive a crash now. It is for checks that bound a
// node's persisted state (a log that is never compacted grows without
// end); a node reads its own disk through Env.Storage, never through this.
func (h *Host) DiskBytes() int {
	n := 0
	for k, v := range h.disk.durable {
		n += len(k) + len(v.b)
	}
	return n
}
