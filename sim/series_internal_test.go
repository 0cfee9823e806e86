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

func TestCancelledEventsPastTheTimeBudgetStillEndTheRunByIt(t *testing.T) {
	for _, compact := range []bool{false, true} {
		w, err := NewWorld(Options{Seed: 1, MaxTime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddHost(HostConfig{Factory: func() Node { return nopNode{} }}); err != nil {
			t.Fatal(err)
		}
		for k := range 10 {
			w.Cancel(w.At(2*time.Second+time.Duration(k), func() {}))
		}
		if compact {
			before := w.q.len()
			w.q.compact()
			if got := w.q.len(); got != before-9 {
				t.Fatalf("compact left %d of %d entries, want all but the 9 earliest cancelled", got, before)
			}
		}
		if out := w.Run(); out.Reason != StopTimeBudget || out.Now != time.Second {
			t.Fatalf("compact %v: the run ended %v at %v, want %v at 1s", compact, out.Reason, out.Now, StopTimeBudget)
		}
	}
}

type nopNode struct{}

func (nopNode) Start(Env)           {}
func (nopNode) Receive(HostID, any) {}
func (nopNode) Timer(TimerID, any)  {}
