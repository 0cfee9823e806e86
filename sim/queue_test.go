package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// refEvent is a live event in the reference model of the queue.
type refEvent struct {
	slot uint32
	at   time.Duration
	seq  uint64
}

// TestQueueMatchesASortedReference drives the queue through a long random
// schedule of inserts, cancels, reschedules and pops, the way the world
// uses it (stale heap entries skipped at the head or compacted away,
// slots reused), and checks every pop against a reference kept sorted by
// (time, sequence).
func TestQueueMatchesASortedReference(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		rng := rand.New(rand.NewPCG(seed, 99))
		var q queue
		var ref []refEvent // sorted by (at, seq)
		var seq uint64
		var now time.Duration
		insertRef := func(e refEvent) {
			i, _ := slices.BinarySearchFunc(ref, e, func(a, b refEvent) int {
				if c := cmp.Compare(a.at, b.at); c != 0 {
					return c
				}
				return cmp.Compare(a.seq, b.seq)
			})
			ref = slices.Insert(ref, i, e)
		}
		removeRef := func(slot uint32) {
			i := slices.IndexFunc(ref, func(e refEvent) bool { return e.slot == slot })
			ref = slices.Delete(ref, i, i+1)
		}
		// Times bunch on a coarse grid so that ties, which the sequence
		// number must break, are common.
		future := func() time.Duration {
			if rng.IntN(4) == 0 {
				return now
			}
			return now + time.Duration(rng.IntN(64))*time.Millisecond
		}
		// popLive pops until a live entry, as the world's step does.
		popLive := func() (entry, bool) {
			for {
				e, ok := q.peek()
				if !ok {
					return entry{}, false
				}
				q.pop()
				if q.live(e) {
					return e, true
				}
				q.poppedStale()
			}
		}
		// Cancelled and rescheduled entries stay in the heap only until
		// they are as many as the live ones (and more than compactAfter).
		checkCompacted := func(step int) {
			if q.len() > 2*len(ref)+compactAfter+1 {
				t.Fatalf("seed %d step %d: the heap holds %d entries for %d live events", seed, step, q.len(), len(ref))
			}
		}
		const steps = 200_000
		pops, deepest := 0, 0
		for step := 0; step < steps; step++ {
			// Phases that fill the queue to thousands of events and drain
			// it again, so deep heaps and the empty queue are both visited.
			op := rng.IntN(100)
			if step/20_000%2 == 1 {
				op = min(op+25, 99)
			} else {
				op = max(op-25, 0)
			}
			switch {
			case op < 40 || len(ref) == 0: // insert
				i := q.alloc()
				q.slots[i].kind = evFunc
				at := future()
				q.push(at, i)
				seq++
				insertRef(refEvent{i, at, seq})
			case op < 50: // cancel, through its id as World.Cancel does
				victim := ref[rng.IntN(len(ref))]
				i, ok := q.lookup(q.id(victim.slot))
				if !ok || i != victim.slot {
					t.Fatalf("seed %d step %d: a live event's id does not look up", seed, step)
				}
				q.cancel(i)
				removeRef(victim.slot)
				checkCompacted(step)
			case op < 60: // reschedule, as a clock step moves a timer
				victim := ref[rng.IntN(len(ref))]
				at := future()
				q.reschedule(at, victim.slot)
				seq++
				removeRef(victim.slot)
				insertRef(refEvent{victim.slot, at, seq})
				checkCompacted(step)
			default: // pop
				e, ok := popLive()
				if !ok {
					t.Fatalf("seed %d step %d: the queue is empty, the reference holds %d events", seed, step, len(ref))
				}
				want := ref[0]
				if e.slot() != want.slot || e.at != want.at {
					t.Fatalf("seed %d step %d: popped slot %d at %v, want slot %d at %v", seed, step, e.slot(), e.at, want.slot, want.at)
				}
				stale := q.id(e.slot())
				q.release(e.slot())
				if _, ok := q.lookup(stale); ok {
					t.Fatalf("seed %d step %d: a released slot's old id still looks up", seed, step)
				}
				ref = ref[1:]
				now = e.at
				pops++
			}
			deepest = max(deepest, len(ref))
			if live := len(ref); q.len() < live {
				t.Fatalf("seed %d step %d: the heap holds %d entries for %d live events", seed, step, q.len(), live)
			}
		}
		for len(ref) > 0 {
			e, ok := popLive()
			if !ok || e.slot() != ref[0].slot || e.at != ref[0].at {
				t.Fatalf("seed %d draining: popped %v (%v), want slot %d at %v", seed, e, ok, ref[0].slot, ref[0].at)
			}
			q.release(e.slot())
			ref = ref[1:]
			pops++
		}
		if _, ok := popLive(); ok {
			t.Fatalf("seed %d: the queue holds an event the reference does not", seed)
		}
		if pops < steps/4 || deepest < 5000 {
			t.Fatalf("seed %d: %d pops, at most %d events pending; the schedule exercised too little", seed, pops, deepest)
		}
	}
}
