package sim

import "iter"

// diskMap is a disk's image, from key to value: a table of open
// addressing (linear probing, deletion by backward shift) over a slab of
// entries that keep their key's hash. A map[string]diskValue hashed
// every key again each time it grew, and a Raft server's log adds a key
// per entry: growing was three quarters of the cost of a write. Here a
// table that grows moves four-byte slots by the hashes it has kept, and
// a write that replaces a value finds its key once, where the map looked
// it up and then assigned it.
type diskMap struct {
	slots []int32 // 0: empty; i+1: ents[i]. A power of two, at most half full.
	ents  []diskEntry
	free  []int32 // indexes of dead entries in ents
	n     int
}

type diskEntry struct {
	key  string
	hash uint64
	val  diskValue
	live bool
}

// diskKeyHash hashes a key eight bytes at a time. Only the speed of the
// table depends on it: the image is read by key, and listed sorted.
func diskKeyHash(key string) uint64 {
	h := uint64(len(key)) * 0x9e3779b97f4a7c15
	i := 0
	for ; i+8 <= len(key); i += 8 {
		w := uint64(key[i]) | uint64(key[i+1])<<8 | uint64(key[i+2])<<16 | uint64(key[i+3])<<24 |
			uint64(key[i+4])<<32 | uint64(key[i+5])<<40 | uint64(key[i+6])<<48 | uint64(key[i+7])<<56
		h = (h ^ w) * 0xbf58476d1ce4e5b9
		h ^= h >> 29
	}
	for ; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 0x94d049bb133111eb
	}
	// The table indexes by the low bits, which a product takes from its
	// factors' low bits alone: mix the high ones down.
	h = (h ^ h>>33) * 0xff51afd7ed558ccd
	h = (h ^ h>>33) * 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

func (m *diskMap) len() int { return m.n }

// find returns the slot that holds key, or the empty slot where it
// would go, and the index of its entry (-1 if absent).
func (m *diskMap) find(key string, h uint64) (slot, ent int) {
	mask := len(m.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := m.slots[i]
		if s == 0 {
			return i, -1
		}
		if e := &m.ents[s-1]; e.hash == h && e.key == key {
			return i, int(s - 1)
		}
	}
}

func (m *diskMap) get(key string) (diskValue, bool) {
	if m.n == 0 {
		return diskValue{}, false
	}
	if _, e := m.find(key, diskKeyHash(key)); e >= 0 {
		return m.ents[e].val, true
	}
	return diskValue{}, false
}

// set puts v under key and returns what key held before, if it had.
func (m *diskMap) set(key string, v diskValue) (prev diskValue, had bool) {
	if 2*(m.n+1) > len(m.slots) {
		m.grow()
	}
	h := diskKeyHash(key)
	slot, e := m.find(key, h)
	if e >= 0 {
		prev, m.ents[e].val = m.ents[e].val, v
		return prev, true
	}
	var i int32
	if k := len(m.free); k > 0 {
		i = m.free[k-1]
		m.free = m.free[:k-1]
	} else {
		m.ents = append(m.ents, diskEntry{})
		i = int32(len(m.ents) - 1)
	}
	m.ents[i] = diskEntry{key: key, hash: h, val: v, live: true}
	m.slots[slot] = i + 1
	m.n++
	return diskValue{}, false
}

// del removes key and returns what it held, if it had.
func (m *diskMap) del(key string) (prev diskValue, had bool) {
	if m.n == 0 {
		return diskValue{}, false
	}
	slot, e := m.find(key, diskKeyHash(key))
	if e < 0 {
		return diskValue{}, false
	}
	prev = m.ents[e].val
	m.ents[e] = diskEntry{}
	m.free = append(m.free, int32(e))
	m.n--
	// Close the hole: move back each later entry of the run that the
	// hole would hide from a search starting at its home slot.
	mask := len(m.slots) - 1
	hole := slot
	for j := (hole + 1) & mask; m.slots[j] != 0; j = (j + 1) & mask {
		home := int(m.ents[m.slots[j]-1].hash) & mask
		if hole <= j {
			if hole < home && home <= j {
				continue
			}
		} else if hole < home || home <= j {
			continue
		}
		m.slots[hole] = m.slots[j]
		hole = j
	}
	m.slots[hole] = 0
	return prev, true
}

func (m *diskMap) grow() {
	size := max(16, 2*len(m.slots))
	m.slots = make([]int32, size)
	mask := size - 1
	for i := range m.ents {
		e := &m.ents[i]
		if !e.live {
			continue
		}
		j := int(e.hash) & mask
		for m.slots[j] != 0 {
			j = (j + 1) & mask
		}
		m.slots[j] = int32(i) + 1
	}
}

// all lists the image's keys and values, in no particular order.
func (m *diskMap) all() iter.Seq2[string, diskValue] {
	return func(yield func(string, diskValue) bool) {
		for i := range m.ents {
			if e := &m.ents[i]; e.live && !yield(e.key, e.val) {
				return
			}
		}
	}
}
