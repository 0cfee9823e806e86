package sim

import "time"

// eventKind says what a queued event does when it runs.
type eventKind uint8

const (
	evFree    eventKind = iota // slot is on the free list
	evFunc                     // a world-level callback
	evHandler                  // a Handler with an argument (hot path: no closure)
	evTimer                    // a node's timer
	evDeliver                  // a message handed to a host that was paused
)

// slot holds what an event needs. Events live in a slab so the heap moves
// only small (time, seq, index) entries, and so timers can be cancelled in
// O(1) by bumping the slot's generation.
type slot struct {
	gen     uint32 // bumped on release: stale IDs stop matching
	ver     uint32 // bumped on reschedule: stale heap entries stop matching
	kind    eventKind
	host    HostID
	from    HostID
	inc     uint32 // host incarnation the timer belongs to
	fn      func()
	handler Handler
	arg     any
	// Timers only: the local-clock deadline and the node's tag.
	local time.Duration
	tag   any
}

type entry struct {
	at   time.Duration
	seq  uint64
	slot uint32
	ver  uint32
}

func (a entry) before(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// queue is a 4-ary min-heap of entries ordered by (time, sequence number),
// with the slab of event slots it points into.
type queue struct {
	heap  []entry
	slots []slot
	free  []uint32
	seq   uint64
}

func (q *queue) alloc() uint32 {
	if n := len(q.free); n > 0 {
		i := q.free[n-1]
		q.free = q.free[:n-1]
		return i
	}
	q.slots = append(q.slots, slot{})
	return uint32(len(q.slots) - 1)
}

func (q *queue) release(i uint32) {
	s := &q.slots[i]
	*s = slot{gen: s.gen + 1, ver: s.ver + 1}
	q.free = append(q.free, i)
}

// id names slot i in its current generation; it is never zero.
func (q *queue) id(i uint32) uint64 { return uint64(q.slots[i].gen)<<32 | uint64(i+1) }

// lookup returns the slot an id names, if that slot is still in the
// generation the id was issued in.
func (q *queue) lookup(id uint64) (uint32, bool) {
	low := uint32(id)
	if low == 0 || int(low) > len(q.slots) {
		return 0, false
	}
	i := low - 1
	s := &q.slots[i]
	return i, s.kind != evFree && s.gen == uint32(id>>32)
}

// push schedules slot i at time at. An earlier entry for the same slot goes
// stale, so pushing again reschedules.
func (q *queue) push(at time.Duration, i uint32) {
	q.seq++
	s := &q.slots[i]
	s.ver++
	e := entry{at: at, seq: q.seq, slot: i, ver: s.ver}
	h := append(q.heap, e)
	j := len(h) - 1
	for j > 0 {
		p := (j - 1) / 4
		if !e.before(h[p]) {
			break
		}
		h[j] = h[p]
		j = p
	}
	h[j] = e
	q.heap = h
}

func (q *queue) peek() (entry, bool) {
	if len(q.heap) == 0 {
		return entry{}, false
	}
	return q.heap[0], true
}

func (q *queue) pop() entry {
	h := q.heap
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	j := 0
	for {
		c := 4*j + 1
		if c >= n {
			break
		}
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for k := c + 1; k < end; k++ {
			if h[k].before(h[m]) {
				m = k
			}
		}
		if !h[m].before(last) {
			break
		}
		h[j] = h[m]
		j = m
	}
	if n > 0 {
		h[j] = last
	}
	q.heap = h
	return top
}

func (q *queue) len() int { return len(q.heap) }
