package sim

import (
	"math/bits"
	"time"
)

// eventKind says what a queued event does when it runs.
type eventKind uint8

const (
	evFree    eventKind = iota // slot is on the free list
	evFunc                     // a world-level callback
	evHandler                  // a Handler with an argument (hot path: no closure)
	evTimer                    // a node's timer
	evDeliver                  // a message handed to a host that was paused
	evSeries                   // a world-level callback, one of a series (AtEach)
)

// slot holds what an event needs. Events live in a slab so the heap moves
// only small (time, key) entries, and so timers can be cancelled in O(1) by
// bumping the slot's generation. A slot is 64 bytes, one cache line.
type slot struct {
	seq  uint64 // sequence number of the slot's live heap entry
	gen  uint32 // bumped on release: stale IDs stop matching
	inc  uint32 // timers: the host incarnation that set them
	host int32
	kind eventKind
	// local is a timer's deadline on its host's clock.
	local time.Duration
	// handler runs evHandler events. arg is the handler's argument, an
	// evFunc's func(), a timer's tag, a held delivery's Message, or an
	// evSeries event's *series.
	handler Handler
	arg     any
}

// entry is 16 bytes so that a node's four children share one cache line.
// key holds the sequence number in its high bits and the slot index in its
// low slotBits, so ordering by key is ordering by sequence number.
type entry struct {
	at  time.Duration
	key uint64
}

const (
	slotBits = 26
	slotMask = 1<<slotBits - 1
	maxSeq   = 1<<(64-slotBits) - 1
)

func (e entry) slot() uint32 { return uint32(e.key & slotMask) }
func (e entry) seq() uint64  { return e.key >> slotBits }

// before orders entries by (at, seq) as one 128-bit comparison. Times are
// never negative, so they compare as unsigned; the subtract-with-borrow
// chain has no branches, which matters because heap comparisons on random
// times are unpredictable.
func (a entry) before(b entry) bool { return a.beforeBit(b) != 0 }

// beforeBit is before as 0 or 1, for index arithmetic without branches.
func (a entry) beforeBit(b entry) int {
	_, borrow := bits.Sub64(a.key, b.key, 0)
	_, borrow = bits.Sub64(uint64(a.at), uint64(b.at), borrow)
	return int(borrow)
}

// queue is a 4-ary min-heap of entries ordered by (time, sequence number),
// with the slab of event slots it points into.
type queue struct {
	heap  []entry
	slots []slot
	free  []uint32
	seq   uint64
	// stale counts the heap's entries whose event was cancelled or
	// rescheduled (see compact); an estimate, which only decides when
	// to compact.
	stale int
}

func (q *queue) alloc() uint32 {
	if n := len(q.free); n > 0 {
		i := q.free[n-1]
		q.free = q.free[:n-1]
		return i
	}
	if len(q.slots) > slotMask {
		panic("sim: more than 67 million events pending at once")
	}
	q.slots = append(q.slots, slot{})
	return uint32(len(q.slots) - 1)
}

func (q *queue) release(i uint32) {
	s := &q.slots[i]
	*s = slot{gen: s.gen + 1}
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
func (q *queue) push(at time.Duration, i uint32) { q.pushAs(at, i, q.nextSeq()) }

// nextSeq takes the next sequence number.
func (q *queue) nextSeq() uint64 {
	q.seq++
	if q.seq > maxSeq {
		panic("sim: event sequence numbers exhausted")
	}
	return q.seq
}

// pushAs schedules slot i at time at under a sequence number taken
// earlier with nextSeq: the entry orders among the others as it would
// have had it been pushed then.
func (q *queue) pushAs(at time.Duration, i uint32, seq uint64) {
	q.slots[i].seq = seq
	e := entry{at: at, key: seq<<slotBits | uint64(i)}
	if q.heap == nil {
		q.heap = make([]entry, root, 1024)
	}
	h := append(q.heap, e)
	j := len(h) - 1
	for j > root {
		p := parent(j)
		if !e.before(h[p]) {
			break
		}
		h[j] = h[p]
		j = p
	}
	h[j] = e
	q.heap = h
}

// The heap is 4-ary and starts at index root, not 0, so that the four
// children of every node (at firstChild(j) .. firstChild(j)+3) sit in one
// 64-byte cache line. The first root entries are unused.
const root = 3

func parent(j int) int     { return j/4 + 2 }
func firstChild(j int) int { return 4*j - 8 }

func (q *queue) peek() (entry, bool) {
	if len(q.heap) <= root {
		return entry{}, false
	}
	return q.heap[root], true
}

// pop removes the earliest entry. It moves the hole at the root down to a
// leaf along the smallest children, then sifts the last entry up from there
// ("bottom-up" deletion): the last entry usually belongs near the bottom, so
// this does about half the comparisons of the textbook sift-down.
func (q *queue) pop() entry {
	h := q.heap
	top := h[root]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	q.heap = h
	if n == root {
		return top
	}
	j := root
	for {
		c := firstChild(j)
		if c+3 < n {
			// A tournament of independent comparisons, picked by index
			// arithmetic: random times make every branch here a coin
			// toss, and a mispredicted branch costs more than the math.
			// The array pointer and the masks let the compiler see
			// every index is in range, so no bounds check branches.
			kids := (*[4]entry)(h[c : c+4])
			x := kids[1].beforeBit(kids[0])
			y := 2 + kids[3].beforeBit(kids[2])
			x += (y - x) * kids[y&3].beforeBit(kids[x&3])
			h[j] = kids[x&3]
			j = c + x
			continue
		}
		if c < n {
			m := c
			for k := c + 1; k < n; k++ {
				if h[k].before(h[m]) {
					m = k
				}
			}
			h[j] = h[m]
			j = m
		}
		break
	}
	for j > root {
		p := parent(j)
		if !last.before(h[p]) {
			break
		}
		h[j] = h[p]
		j = p
	}
	h[j] = last
	return top
}

func (q *queue) len() int { return max(len(q.heap)-root, 0) }

// live reports whether e still stands for its slot's event: an entry goes
// stale when its event is cancelled (the slot is released, and perhaps
// reused under a later sequence number) or rescheduled (pushed again
// under a later one), and never comes back, as sequence numbers only grow.
func (q *queue) live(e entry) bool {
	s := &q.slots[e.slot()]
	return s.seq == e.seq() && s.kind != evFree
}

// cancel releases slot i, whose event has an entry in the heap.
func (q *queue) cancel(i uint32) {
	q.release(i)
	q.staled()
}

// reschedule moves slot i, whose event has an entry in the heap, to time at.
func (q *queue) reschedule(at time.Duration, i uint32) {
	q.push(at, i)
	q.staled()
}

// poppedStale notes that the world popped a stale entry.
func (q *queue) poppedStale() { q.stale = max(q.stale-1, 0) }

// compactAfter is how many stale entries the heap may hold, beyond as
// many as it holds live ones, before compact drops them: request timers
// cancelled when the reply comes sit in the heap until their deadline,
// and on a store's run they were half of it.
const compactAfter = 64

func (q *queue) staled() {
	q.stale++
	if q.stale > compactAfter && 2*q.stale > q.len() {
		q.compact()
	}
}

// compact drops the stale entries from the heap and heapifies what is
// left. It keeps the latest stale entry, so that the world sees the same
// entries at the head, as far as its budget and deadline checks can tell:
// they read only an entry's time, and whatever a dropped entry would
// have triggered (a deadline, a budget) the kept one, no earlier, does at
// the same point of the run, while no live event is left before it.
func (q *queue) compact() {
	h := q.heap
	kept := h[:root]
	var latest entry
	dropped := false
	for _, e := range h[root:] {
		switch {
		case q.live(e):
			kept = append(kept, e)
		case !dropped || latest.before(e):
			latest, dropped = e, true
		}
	}
	q.stale = 0
	if dropped {
		kept = append(kept, latest)
		q.stale = 1
	}
	q.heap = kept
	for j := parent(len(kept) - 1); j >= root; j-- {
		q.siftDown(j)
	}
}

// siftDown moves the entry at j down to where it belongs below j.
func (q *queue) siftDown(j int) {
	h := q.heap
	n := len(h)
	e := h[j]
	for {
		c := firstChild(j)
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < min(c+4, n); k++ {
			if h[k].before(h[m]) {
				m = k
			}
		}
		if !h[m].before(e) {
			break
		}
		h[j] = h[m]
		j = m
	}
	h[j] = e
}
