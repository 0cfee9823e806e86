package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// recordSink keeps a copy of every record.
type recordSink struct{ recs []sim.Record }

func (s *recordSink) Write(r *sim.Record) error {
	s.recs = append(s.recs, *r)
	return nil
}

func (s *recordSink) count(kind sim.RecordKind, label string) int {
	n := 0
	for _, r := range s.recs {
		if r.Kind == kind && (label == "" || r.Label == label) {
			n++
		}
	}
	return n
}

// staleEnvRun boots host "n0", keeps the Env of its first incarnation,
// crashes and restarts it at 1s, and at 2s lets misuse act through the kept
// Env. It returns the outcome and the current incarnation's Env.
func staleEnvRun(t *testing.T, misuse func(stale sim.Env)) (sim.Outcome, sim.Env, *recordSink) {
	t.Helper()
	sink := &recordSink{}
	w := newWorld(t, sim.Options{Seed: 1, Sink: sink})
	w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) {
		t.Errorf("a send from %v reached the transport", from)
	}))
	var first, current sim.Env
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{start: func(env sim.Env) {
			if first == nil {
				first = env
				env.Storage().Set("k", []byte("before"))
				env.Storage().Sync()
			}
			current = env
		}}
	}})
	w.At(time.Second, func() { h.Crash(); h.Restart() })
	w.At(2*time.Second, func() { misuse(first) })
	w.At(3*time.Second, func() {})
	return w.Run(), current, sink
}

type transportFunc func(from, to sim.HostID, msg any)

func (f transportFunc) Send(from, to sim.HostID, msg any) { f(from, to, msg) }

func TestAnEnvOutlivingItsIncarnationIsAViolation(t *testing.T) {
	cases := []struct {
		name   string
		misuse func(sim.Env)
		op     string
	}{
		{"set", func(e sim.Env) { e.Storage().Set("k", []byte("ghost")) }, "Storage.Set"},
		{"delete", func(e sim.Env) { e.Storage().Delete("k") }, "Storage.Delete"},
		{"set then sync", func(e sim.Env) { st := e.Storage(); st.Set("k", []byte("ghost")); st.Sync() }, "Storage.Set"},
		{"storage kept from before the crash", nil, "Storage.Set"},
		{"send", func(e sim.Env) { e.Send(0, "ghost") }, "Send"},
		{"timer", func(e sim.Env) { e.After(time.Millisecond, "ghost") }, "After"},
		{"log", func(e sim.Env) { e.Logf("ghost") }, "Logf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			misuse := c.misuse
			var kept sim.Storage
			if misuse == nil {
				misuse = func(sim.Env) { kept.Set("k", []byte("ghost")) }
			}
			out, current, sink := staleEnvRun(t, func(stale sim.Env) {
				kept = stale.Storage()
				misuse(stale)
			})
			var serr *sim.StaleEnvError
			if out.Reason != sim.StopHalted || !errors.As(out.Err, &serr) {
				t.Fatalf("outcome %+v, want the run halted with a *sim.StaleEnvError", out)
			}
			if serr.Name != "n0" || serr.Incarnation != 1 || serr.Current != 3 || serr.Op != c.op || out.Now != 2*time.Second {
				t.Fatalf("error %+v at %v; want host n0, incarnation 1 of 3, op %s, at 2s", serr, out.Now, c.op)
			}
			for _, want := range []string{"n0", "incarnation 1", c.op} {
				if !strings.Contains(serr.Error(), want) {
					t.Errorf("%q does not name %q", serr.Error(), want)
				}
			}
			v, err := current.Storage().Get("k")
			if err != nil || string(v) != "before" {
				t.Fatalf("the restarted node reads %q, %v; want the synced %q untouched", v, err, "before")
			}
			if n := sink.count(sim.KindLog, "ghost"); n != 0 {
				t.Fatalf("a dead incarnation's log line reached the trace %d times", n)
			}
		})
	}
}

func TestEnvOfADownHostIsAViolation(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var env sim.Env
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{start: func(e sim.Env) { env = e }}
	}})
	w.At(time.Second, h.Crash)
	w.At(2*time.Second, func() { env.Storage().Set("k", nil) })
	out := w.Run()
	var serr *sim.StaleEnvError
	if !errors.As(out.Err, &serr) || serr.Current != 2 {
		t.Fatalf("outcome %+v, want a *sim.StaleEnvError while the host is down", out)
	}
}

func TestStepRecoversAPanicNamingTheHost(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	addHost(t, w, sim.HostConfig{Name: "bad", Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Millisecond, nil) },
			timer: func(sim.Env, sim.TimerID, any) { panic("boom") },
		}
	}})
	if _, ended := w.Ended(); ended {
		t.Fatal("a new world has already ended")
	}
	steps := 0
	for w.Step() {
		steps++
		if steps > 10 {
			t.Fatal("Step ran on after the panic")
		}
	}
	out, ended := w.Ended()
	var perr *sim.PanicError
	if !ended || out.Reason != sim.StopPanic || !errors.As(out.Err, &perr) {
		t.Fatalf("after stepping: %+v (ended %v), want a *sim.PanicError", out, ended)
	}
	if perr.Name != "bad" || perr.Value != "boom" || perr.At != time.Millisecond {
		t.Fatalf("panic error %+v, want host bad, value boom, at 1ms", perr)
	}
	if again := w.Run(); again.Reason != sim.StopPanic {
		t.Fatalf("Run after the panic: %+v", again)
	}
}

// settler records what the world says became of held messages.
type settler struct {
	transportFunc
	settled []string
}

func (s *settler) Settle(m sim.Message, r sim.DeliveryResult) {
	s.settled = append(s.settled, m.Body.(string)+":"+r.String())
}

func TestHeldMessagesAreSettledWhenDeliveredOrDropped(t *testing.T) {
	sink := &recordSink{}
	w := newWorld(t, sim.Options{Seed: 1, Sink: sink})
	st := &settler{}
	w.SetTransport(st)
	var got []string
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{receive: func(_ sim.Env, _ sim.HostID, msg any) { got = append(got, msg.(string)) }}
	}})
	deliver := func(id uint64, body string) func() {
		return func() {
			if r := w.Deliver(sim.Message{From: sim.NoHost, To: h.ID(), ID: id, Body: body}); r != sim.HeldHostPaused {
				t.Errorf("Deliver(%s) = %v, want held", body, r)
			}
		}
	}
	w.At(10*time.Millisecond, h.Pause)
	w.At(20*time.Millisecond, deliver(1, "a"))
	w.At(30*time.Millisecond, h.Resume)
	w.At(40*time.Millisecond, h.Pause)
	w.At(50*time.Millisecond, deliver(2, "b"))
	w.At(50*time.Millisecond, deliver(3, "c"))
	w.At(60*time.Millisecond, h.Crash)
	// Resumed, then crashed and restarted at the same instant: what was
	// held belonged to the crashed incarnation and never reaches the next.
	w.At(70*time.Millisecond, h.Restart)
	w.At(80*time.Millisecond, h.Pause)
	w.At(90*time.Millisecond, deliver(4, "d"))
	w.At(100*time.Millisecond, func() { h.Resume(); h.Crash(); h.Restart() })
	// Resumed and paused again before the released message ran: it waits.
	w.At(110*time.Millisecond, h.Pause)
	w.At(120*time.Millisecond, deliver(5, "e"))
	w.At(130*time.Millisecond, func() { h.Resume(); h.Pause() })
	w.At(140*time.Millisecond, func() {
		if len(got) != 1 {
			t.Errorf("a host paused again received %v", got)
		}
		h.Resume()
	})
	w.Run()
	if strings.Join(got, ",") != "a,e" {
		t.Errorf("the node received %v, want a,e", got)
	}
	want := "a:delivered b:dropped-host-down c:dropped-host-down d:dropped-host-down e:delivered"
	if s := strings.Join(st.settled, " "); s != want {
		t.Errorf("settled %q\nwant    %q", s, want)
	}
	if n := sink.count(sim.KindDrop, ""); n != 3 {
		t.Errorf("%d drop records, want one for each of b, c and d", n)
	}
	if n := sink.count(sim.KindDeliver, ""); n != 2 {
		t.Errorf("%d deliver records, want 2", n)
	}
}
