package sim

// Values written to a disk are copied (the writer may reuse its buffer)
// into chunks of arenaChunk bytes, many values to one allocation, instead
// of one allocation each: a Raft server writes an entry or its hard state
// on nearly every message it handles. Each copy is capped at its own
// length, so nothing can append into its neighbour, and no one writes into
// a stored value. A chunk is freed when the last value in it is
// overwritten or deleted; a node's values are written close together in
// time and mostly die together (a compaction deletes a run of entries), so
// few chunks are kept alive by a single value. Values larger than
// arenaValueMax get an allocation of their own, so a chunk never holds a
// large value alive.
const (
	arenaChunk    = 4096
	arenaValueMax = 512
)

// keep returns a copy of value that the disk may hold; never nil, as a
// stored empty value is not an absent one.
func (d *disk) keep(value []byte) []byte {
	n := len(value)
	if n > arenaValueMax {
		return append(make([]byte, 0, n), value...)
	}
	if d.arena == nil || n > cap(d.arena)-len(d.arena) {
		d.arena = make([]byte, 0, arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, value...)
	return d.arena[start : start+n : start+n]
}
