package sim

import (
	"cmp"
	"slices"
	"time"
)

// series is the state of one AtEach: its events in the order they run,
// each with the slot, id and sequence number it was given when scheduled.
// Only the event at next is in the queue; the rest wait here.
type series struct {
	fn     func()
	events []seriesEvent
	next   int
}

type seriesEvent struct {
	at   time.Duration
	seq  uint64
	slot uint32
	id   uint64
}

// AtEach schedules fn at each of the true times (or now, for times that
// have passed), exactly as that many calls of At in the order given
// would: each event takes its slot, id and sequence number now, so it
// runs in the same place among all other events, and the events and ids
// of the rest of the run are the ones those calls would give. Only the
// series' next event is held in the queue, so that a long series (a
// sample every few milliseconds of a run, say) does not deepen the heap
// that every other event passes through. It returns the events' ids, in
// the order of times; Cancel stops any of them.
func (w *World) AtEach(times []time.Duration, fn func()) []EventID {
	if len(times) == 0 {
		return nil
	}
	ser := &series{fn: fn, events: make([]seriesEvent, len(times))}
	ids := make([]EventID, len(times))
	for k, t := range times {
		i := w.q.alloc()
		s := &w.q.slots[i]
		s.kind, s.arg, s.host = evSeries, ser, int32(NoHost)
		seq := w.q.nextSeq()
		s.seq = seq
		id := w.q.id(i)
		ser.events[k] = seriesEvent{at: max(t, w.now), seq: seq, slot: i, id: id}
		ids[k] = EventID(id)
	}
	// The queue's order, (time, sequence number), is the order they run in.
	slices.SortFunc(ser.events, func(a, b seriesEvent) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
	})
	w.seriesWaiting += len(times)
	ser.next = -1
	w.advanceSeries(ser)
	return ids
}

// advanceSeries moves the series on to its next live event and queues it.
// Every later event orders after it, so the queue's head is the one it
// would be with all of them queued.
func (w *World) advanceSeries(ser *series) {
	for ser.next++; ser.next < len(ser.events); ser.next++ {
		e := ser.events[ser.next]
		if _, ok := w.q.lookup(e.id); ok {
			w.seriesWaiting--
			w.q.pushAs(e.at, e.slot, e.seq)
			return
		}
	}
}

// cancelSeries releases slot i, an event of a series, and queues the
// series' next event if i was the one in the queue.
func (w *World) cancelSeries(i uint32) {
	ser := w.q.slots[i].arg.(*series)
	if ser.next < len(ser.events) && ser.events[ser.next].slot == i {
		w.q.cancel(i)
		w.advanceSeries(ser)
	} else {
		w.q.release(i)
		w.seriesWaiting--
	}
}
