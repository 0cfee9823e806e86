package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// A node whose every timer sets two more doubles what waits in the queue
// each millisecond: the pending budget ends the run long before the event
// budget would, and the host's activity says who did it.
func TestThePendingBudgetEndsARunThatQueuesFasterThanItRuns(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1, MaxPending: 1000})
	var fired uint64
	breeder := func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Millisecond, nil) },
			timer: func(env sim.Env, _ sim.TimerID, _ any) {
				fired++
				env.After(time.Millisecond, nil)
				env.After(time.Millisecond, nil)
			},
		}
	}
	quiet := addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	h := addHost(t, w, sim.HostConfig{Factory: breeder})
	out := w.Run()
	if out.Reason != sim.StopPendingBudget || !out.Reason.Final() || out.Reason.String() != "pending-budget" {
		t.Fatalf("the run ended %v (%q), want the pending budget", out.Reason, out.Reason)
	}
	if w.Pending() <= 1000 || w.Pending() > 1002 {
		t.Errorf("%d events pending at the stop, want just past the budget of 1000", w.Pending())
	}
	if got := h.Activity(); got.Timers != fired || got.Events() != fired || got.Sent != 0 {
		t.Errorf("the breeder's activity is %+v, want %d timers and nothing else", got, fired)
	}
	if got := quiet.Activity(); got != (sim.Activity{}) {
		t.Errorf("the quiet host's activity is %+v, want none", got)
	}
	if again := w.Run(); again.Reason != sim.StopPendingBudget || again.Events != out.Events {
		t.Errorf("a finished world ran on: %+v", again)
	}
}

// A handler that never stops queueing cannot be ended between events: the
// environment ends it, as a panic of the node that names its host.
func TestAHandlerQueueingInALoopFailsAsItsNodesPanic(t *testing.T) {
	for _, op := range []string{"Send", "After"} {
		w := newWorld(t, sim.Options{Seed: 1, MaxPending: 100})
		w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) {
			w.At(w.Now()+time.Millisecond, func() {})
		}))
		addHost(t, w, sim.HostConfig{Name: "looper", Factory: func() sim.Node {
			return &scripted{start: func(env sim.Env) {
				for i := 0; i < 1_000_000; i++ {
					if op == "Send" {
						env.Send(env.ID(), i)
					} else {
						env.After(time.Second, i)
					}
				}
			}}
		}})
		out := w.Run()
		var perr *sim.PanicError
		if out.Reason != sim.StopPanic || !errors.As(out.Err, &perr) {
			t.Fatalf("%s in a loop: the run ended %v (%v), want a panic", op, out.Reason, out.Err)
		}
		if msg := perr.Error(); perr.Name != "looper" || !strings.Contains(msg, "sim: "+op+": more than 200 events pending at once") {
			t.Errorf("%s in a loop: panic of %q: %s", op, perr.Name, msg)
		}
	}
}

// Sends and deliveries are counted where the node makes and gets them.
func TestActivityCountsWhatEachNodeDid(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var to sim.HostID
	w.SetTransport(transportFunc(func(from, dst sim.HostID, msg any) {
		w.At(w.Now()+time.Millisecond, func() { w.Deliver(sim.Message{From: from, To: dst, Body: msg}) })
	}))
	sender := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Millisecond, nil) },
			timer: func(env sim.Env, _ sim.TimerID, _ any) {
				env.Send(to, "a")
				env.Send(to, "b")
			},
		}
	}})
	receiver := addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	to = receiver.ID()
	w.Run()
	if got, want := sender.Activity(), (sim.Activity{Timers: 1, Sent: 2}); got != want {
		t.Errorf("sender: %+v, want %+v", got, want)
	}
	if got, want := receiver.Activity(), (sim.Activity{Received: 2}); got != want {
		t.Errorf("receiver: %+v, want %+v", got, want)
	}
}

func TestAPendingBudgetOutOfRangeIsNamed(t *testing.T) {
	for _, n := range []int{-1, 1 << 40} {
		if _, err := sim.NewWorld(sim.Options{MaxPending: n}); err == nil || !strings.Contains(err.Error(), "Options.MaxPending must be in [0, ") {
			t.Errorf("MaxPending %d: %v, want an error naming the field and its range", n, err)
		}
	}
}
