package sim_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// seriesRun runs a world of timer-setting hosts, world events and one
// series of samples, scheduled with AtEach or, when one is false, with At
// one by one, and returns what ran, in order, with the timer ids the
// hosts were given, the trace hash, and Pending after every event.
func seriesRun(t *testing.T, seed uint64, one bool, cancels int) (log []string, hash uint64, pending []int) {
	t.Helper()
	w := newWorld(t, sim.Options{Seed: seed, MaxTime: 3 * time.Second})
	grid := func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(40)) * 10 * time.Millisecond }
	for h := 0; h < 3; h++ {
		addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
			n := &scripted{}
			n.start = func(env sim.Env) { env.After(grid(env.Rand()), "tick") }
			n.timer = func(env sim.Env, id sim.TimerID, tag any) {
				log = append(log, fmt.Sprintf("%v timer %v on %v", w.Now(), id, env.ID()))
				env.After(grid(env.Rand()), "tick")
				if env.Rand().IntN(4) == 0 {
					env.Cancel(env.After(grid(env.Rand()), "cancelled"))
				}
			}
			return n
		}})
	}
	r := rand.New(rand.NewPCG(seed, 7))
	w.At(0, func() {
		// Some samples lie in the past by the time they are scheduled,
		// and they are given out of order.
		var times []time.Duration
		for k := range 60 {
			times = append(times, time.Duration(k)*20*time.Millisecond-100*time.Millisecond)
		}
		r.Shuffle(len(times), func(i, j int) { times[i], times[j] = times[j], times[i] })
		sample := func() { log = append(log, fmt.Sprintf("%v sample", w.Now())) }
		var ids []sim.EventID
		if one {
			ids = w.AtEach(times, sample)
		} else {
			for _, at := range times {
				ids = append(ids, w.At(at, sample))
			}
		}
		for c := range cancels {
			// The first cancel takes the sample that runs first, the one
			// AtEach queues; the rest are drawn, and may repeat.
			k := slices.IndexFunc(times, func(at time.Duration) bool { return at <= 0 })
			if c > 0 {
				k = r.IntN(len(ids))
			}
			log = append(log, fmt.Sprintf("cancel %d: %v", k, w.Cancel(ids[k])))
		}
	})
	for k := range 30 {
		w.At(time.Duration(r.IntN(40))*10*time.Millisecond, func() { log = append(log, fmt.Sprintf("%v world %d", w.Now(), k)) })
	}
	w.AddHook(func() error { pending = append(pending, w.Pending()); return nil })
	w.Run()
	return log, w.Hash(), pending
}

func TestAtEachRunsAsAtOneByOneWould(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		for _, cancels := range []int{0, 1, 5} {
			wantLog, wantHash, wantPending := seriesRun(t, seed, false, cancels)
			gotLog, gotHash, gotPending := seriesRun(t, seed, true, cancels)
			if i := firstDifference(wantLog, gotLog); i >= 0 {
				t.Fatalf("seed %d, %d cancels: event %d differs: At one by one gave %q, AtEach %q", seed, cancels, i, at(wantLog, i), at(gotLog, i))
			}
			if gotHash != wantHash {
				t.Fatalf("seed %d, %d cancels: trace hash %x with AtEach, %x with At", seed, cancels, gotHash, wantHash)
			}
			// A cancelled event stays in the queue until its time, and
			// Pending counts it; AtEach drops it at once.
			if cancels == 0 && !slices.Equal(gotPending, wantPending) {
				t.Fatalf("seed %d: Pending differs: AtEach %v, At %v", seed, gotPending, wantPending)
			}
			if n := countSamples(gotLog); cancels == 0 && n != 60 {
				t.Fatalf("seed %d: %d samples ran, want 60", seed, n)
			}
		}
	}
}

func TestAtEachEventsArePendingUntilTheyRunOrAreCancelled(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	times := make([]time.Duration, 1000)
	for k := range times {
		times[k] = time.Duration(k) * time.Millisecond
	}
	ran := 0
	before := w.Pending() // the host's start
	ids := w.AtEach(times, func() { ran++ })
	if got := w.Pending() - before; got != 1000 {
		t.Fatalf("Pending grew by %d for 1000 samples", got)
	}
	if !w.Cancel(ids[0]) || !w.Cancel(ids[500]) || w.Cancel(ids[500]) {
		t.Fatal("Cancel did not report the samples pending exactly once")
	}
	w.RunUntil(499 * time.Millisecond)
	if ran != 499 || w.Pending() != 499 {
		t.Fatalf("by 499ms: %d samples ran, %d pending; want 499 and 499", ran, w.Pending())
	}
	w.Run()
	if ran != 998 || w.Pending() != 0 {
		t.Fatalf("at the end: %d samples ran, %d pending; want 998 and 0", ran, w.Pending())
	}
	if ids := w.AtEach(nil, func() {}); ids != nil {
		t.Fatalf("AtEach of no times returned %v", ids)
	}
}

func firstDifference(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<end>"
}

func countSamples(log []string) (n int) {
	for _, l := range log {
		if strings.HasSuffix(l, " sample") {
			n++
		}
	}
	return n
}
