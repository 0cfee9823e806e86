package sim

import (
	"testing"
	"time"
)

func TestAtEachHoldsOnlyTheSeriesNextEventInTheQueue(t *testing.T) {
	w, err := NewWorld(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	times := make([]time.Duration, 1000)
	for k := range times {
		times[k] = time.Duration(k) * time.Millisecond
	}
	ids := w.AtEach(times, func() {})
	if got := w.q.len(); got != 1 {
		t.Fatalf("the queue holds %d entries for a series of 1000, want 1", got)
	}
	w.Cancel(ids[0])
	w.q.pop() // the cancelled entry
	if got := w.q.len(); got != 1 {
		t.Fatalf("after cancelling the queued event the queue holds %d entries, want 1 (the next)", got)
	}
	if e, _ := w.q.peek(); e.at != time.Millisecond {
		t.Fatalf("the queued event is at %v, want 1ms", e.at)
	}
}
