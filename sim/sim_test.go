package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// scripted is a node whose behaviour each test fills in.
type scripted struct {
	start   func(env sim.Env)
	timer   func(env sim.Env, id sim.TimerID, tag any)
	receive func(env sim.Env, from sim.HostID, msg any)
	env     sim.Env
}

func (s *scripted) Start(env sim.Env) {
	s.env = env
	if s.start != nil {
		s.start(env)
	}
}
func (s *scripted) Timer(id sim.TimerID, tag any) {
	if s.timer != nil {
		s.timer(s.env, id, tag)
	}
}
func (s *scripted) Receive(from sim.HostID, msg any) {
	if s.receive != nil {
		s.receive(s.env, from, msg)
	}
}

func newWorld(t *testing.T, opts sim.Options) *sim.World {
	t.Helper()
	w, err := sim.NewWorld(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func addHost(t *testing.T, w *sim.World, cfg sim.HostConfig) *sim.Host {
	t.Helper()
	id, err := w.AddHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w.Host(id)
}

func TestSameInstantEventsRunInScheduleOrder(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	var got []int
	for i := 0; i < 50; i++ {
		i := i
		w.At(time.Second, func() { got = append(got, i) })
	}
	w.At(500*time.Millisecond, func() { got = append(got, -1) })
	w.Run()
	if got[0] != -1 {
		t.Fatalf("earlier event ran at position %d", indexOf(got, -1))
	}
	for i := 1; i < len(got); i++ {
		if got[i] != i-1 {
			t.Fatalf("events at the same instant ran out of order: %v", got)
		}
	}
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestTimersFireAndCancel(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var fired []string
	var firedAt []time.Duration
	addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) {
				env.After(30*time.Millisecond, "c")
				env.After(10*time.Millisecond, "a")
				id := env.After(20*time.Millisecond, "cancelled")
				if !env.Cancel(id) {
					t.Error("Cancel of a pending timer returned false")
				}
				if env.Cancel(id) {
					t.Error("second Cancel of the same timer returned true")
				}
				env.After(20*time.Millisecond, "b")
			},
			timer: func(env sim.Env, _ sim.TimerID, tag any) {
				fired = append(fired, tag.(string))
				firedAt = append(firedAt, env.Now())
			},
		}
	}})
	out := w.Run()
	if out.Reason != sim.StopQuiescent {
		t.Fatalf("run ended with %v, want quiescent", out.Reason)
	}
	if strings.Join(fired, ",") != "a,b,c" {
		t.Fatalf("fired %v, want a,b,c", fired)
	}
	for i, want := range []time.Duration{10, 20, 30} {
		if firedAt[i] != want*time.Millisecond {
			t.Errorf("timer %s fired at %v, want %v", fired[i], firedAt[i], want*time.Millisecond)
		}
	}
}

func TestCrashLosesUnsyncedWritesAndKeepsSynced(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	boots := 0
	var recovered map[string]string
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{start: func(env sim.Env) {
			boots++
			st := env.Storage()
			if boots == 1 {
				st.Set("synced", []byte("1"))
				st.Set("overwritten", []byte("old"))
				st.Sync()
				st.Set("unsynced", []byte("2"))
				st.Set("overwritten", []byte("new"))
				st.Delete("synced-then-deleted")
				return
			}
			recovered = map[string]string{}
			for _, k := range st.Keys("") {
				v, err := st.Get(k)
				if err != nil {
					t.Errorf("Get(%q): %v", k, err)
				}
				recovered[k] = string(v)
			}
		}}
	}})
	w.After(time.Second, func() { h.Crash(); h.Restart() })
	w.Run()
	want := map[string]string{"synced": "1", "overwritten": "old"}
	if len(recovered) != len(want) || recovered["synced"] != "1" || recovered["overwritten"] != "old" {
		t.Fatalf("after crash storage holds %v, want %v", recovered, want)
	}
}

func TestCrashedNodesTimersNeverFire(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	incarnation := 0
	firedBy := map[int]int{}
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		incarnation++
		me := incarnation
		return &scripted{
			start: func(env sim.Env) {
				for i := 1; i <= 5; i++ {
					env.After(time.Duration(i)*100*time.Millisecond, nil)
				}
			},
			timer: func(sim.Env, sim.TimerID, any) { firedBy[me]++ },
		}
	}})
	w.At(250*time.Millisecond, h.Crash)
	w.At(260*time.Millisecond, h.Restart)
	w.Run()
	if firedBy[1] != 2 {
		t.Errorf("first incarnation fired %d timers, want the 2 due before its crash", firedBy[1])
	}
	if firedBy[2] != 5 {
		t.Errorf("second incarnation fired %d timers, want 5", firedBy[2])
	}
}

func TestPauseHoldsAndReleasesInOrder(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var log []string
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) {
				env.After(100*time.Millisecond, "t1")
				env.After(300*time.Millisecond, "t2")
				env.After(900*time.Millisecond, "t3")
			},
			timer: func(env sim.Env, _ sim.TimerID, tag any) {
				log = append(log, tag.(string)+"@"+w.Now().String())
			},
			receive: func(env sim.Env, from sim.HostID, msg any) {
				log = append(log, msg.(string)+"@"+w.Now().String())
			},
		}
	}})
	w.At(50*time.Millisecond, h.Pause)
	w.At(200*time.Millisecond, func() {
		if r := w.Deliver(sim.Message{From: sim.NoHost, To: h.ID(), ID: 1, Body: "m1"}); r != sim.HeldHostPaused {
			t.Errorf("Deliver to a paused host = %v, want HeldHostPaused", r)
		}
	})
	w.At(400*time.Millisecond, func() { w.Deliver(sim.Message{From: sim.NoHost, To: h.ID(), ID: 2, Body: "m2"}) })
	w.At(500*time.Millisecond, h.Resume)
	w.Run()
	want := "t1@500ms m1@500ms t2@500ms m2@500ms t3@900ms" // arrival order: 100, 200, 300, 400ms
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestLocalClockDriftAndSteps(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var trueFire []time.Duration
	var localFire []time.Duration
	h := addHost(t, w, sim.HostConfig{ClockOffset: time.Hour, ClockDrift: 0.25, Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) {
				if env.Now() != time.Hour {
					t.Errorf("local clock starts at %v, want the 1h offset", env.Now())
				}
				env.After(100*time.Millisecond, "a") // 100ms local at rate 1.25 = 80ms true
				env.After(time.Second, "b")
			},
			timer: func(env sim.Env, _ sim.TimerID, tag any) {
				trueFire = append(trueFire, w.Now())
				localFire = append(localFire, env.Now()-time.Hour)
			},
		}
	}})
	// At true 400ms the local clock reads 500ms past the offset; a 300ms
	// forward step makes it 800ms, so "b" (due at local 1s) is 200ms of
	// local time away, which at drift 0.25 is 160ms of true time.
	w.At(400*time.Millisecond, func() {
		if got := h.LocalTime() - time.Hour; got != 500*time.Millisecond {
			t.Errorf("local clock at true 400ms = %v past offset, want 500ms", got)
		}
		h.StepClock(300 * time.Millisecond)
	})
	w.Run()
	if len(trueFire) != 2 {
		t.Fatalf("fired %d timers, want 2", len(trueFire))
	}
	if trueFire[0] != 80*time.Millisecond || localFire[0] != 100*time.Millisecond {
		t.Errorf("timer a fired at true %v local %v; want 80ms, 100ms", trueFire[0], localFire[0])
	}
	if trueFire[1] != 560*time.Millisecond || localFire[1] != time.Second {
		t.Errorf("timer b fired at true %v local %v; want 560ms, 1s", trueFire[1], localFire[1])
	}
}

func TestDriftChangeMovesPendingTimers(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var fired time.Duration
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Second, nil) },
			timer: func(sim.Env, sim.TimerID, any) { fired = w.Now() },
		}
	}})
	// Half the interval at rate 1, then the clock runs at half speed: the
	// remaining 500ms of local time take 1s of true time.
	w.At(500*time.Millisecond, func() {
		if err := h.SetClockDrift(-0.5); err != nil {
			t.Fatal(err)
		}
	})
	w.Run()
	if fired != 1500*time.Millisecond {
		t.Fatalf("timer fired at %v, want 1.5s", fired)
	}
}

func TestBudgetsEndASelfReschedulingNode(t *testing.T) {
	forever := func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Millisecond, nil) },
			timer: func(env sim.Env, _ sim.TimerID, _ any) { env.After(time.Millisecond, nil) },
		}
	}
	w := newWorld(t, sim.Options{Seed: 1, MaxEvents: 1000})
	addHost(t, w, sim.HostConfig{Factory: forever})
	out := w.Run()
	if out.Reason != sim.StopEventBudget || out.Events != 1000 {
		t.Fatalf("event budget: got %v after %d events", out.Reason, out.Events)
	}
	if again := w.Run(); again.Reason != sim.StopEventBudget || again.Events != 1000 {
		t.Fatalf("a finished world ran on: %+v", again)
	}

	w = newWorld(t, sim.Options{Seed: 1, MaxTime: 2 * time.Second})
	addHost(t, w, sim.HostConfig{Factory: forever})
	out = w.Run()
	if out.Reason != sim.StopTimeBudget || out.Now != 2*time.Second {
		t.Fatalf("time budget: got %v at %v", out.Reason, out.Now)
	}
}

func TestHooksHaltAtFirstError(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Millisecond, nil) },
			timer: func(env sim.Env, _ sim.TimerID, _ any) { env.After(time.Millisecond, nil) },
		}
	}})
	bad := errors.New("invariant broken")
	w.AddHook(func() error {
		if w.Now() >= 10*time.Millisecond {
			return bad
		}
		return nil
	})
	out := w.Run()
	if out.Reason != sim.StopHalted || !errors.Is(out.Err, bad) || out.Now != 10*time.Millisecond {
		t.Fatalf("got %+v, want halted with the hook's error at 10ms", out)
	}
}

func TestPanicEndsTheRunNamingTheHost(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	addHost(t, w, sim.HostConfig{Name: "good", Factory: func() sim.Node { return &scripted{} }})
	addHost(t, w, sim.HostConfig{Name: "bad", Factory: func() sim.Node {
		return &scripted{
			start: func(env sim.Env) { env.After(time.Millisecond, nil) },
			timer: func(sim.Env, sim.TimerID, any) { panic("boom") },
		}
	}})
	out := w.Run()
	var perr *sim.PanicError
	if out.Reason != sim.StopPanic || !errors.As(out.Err, &perr) {
		t.Fatalf("got %+v, want a PanicError", out)
	}
	if perr.Name != "bad" || perr.Value != "boom" || !strings.Contains(perr.Stack, "sim_test") {
		t.Fatalf("panic error = %v (host %q, value %v)", perr, perr.Name, perr.Value)
	}
}

// crashAndRead boots a host with faults, lets write run on its first boot,
// crashes and restarts it at 1s, and returns what Get("k") says afterwards.
func crashAndRead(t *testing.T, faults sim.StorageFaults, write func(sim.Storage)) error {
	t.Helper()
	w := newWorld(t, sim.Options{Seed: 1})
	var afterCrash error
	boots := 0
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{start: func(env sim.Env) {
			boots++
			if boots == 1 {
				write(env.Storage())
				return
			}
			_, afterCrash = env.Storage().Get("k")
		}}
	}})
	if err := h.SetStorageFaults(faults); err != nil {
		t.Fatal(err)
	}
	w.At(time.Second, func() { h.Crash(); h.Restart() })
	w.Run()
	if boots != 2 {
		t.Fatalf("host booted %d times, want 2", boots)
	}
	return afterCrash
}

func TestStorageFaults(t *testing.T) {
	t.Run("torn write", func(t *testing.T) {
		err := crashAndRead(t, sim.StorageFaults{TornWriteRatio: 1}, func(st sim.Storage) {
			st.Set("k", []byte("0123456789")) // never synced: torn at the crash
		})
		if !errors.Is(err, sim.ErrCorrupt) {
			t.Fatalf("torn write read back as %v, want ErrCorrupt", err)
		}
	})
	t.Run("lying sync", func(t *testing.T) {
		err := crashAndRead(t, sim.StorageFaults{LyingSyncRatio: 1}, func(st sim.Storage) {
			st.Set("k", []byte("v"))
			st.Sync()
		})
		if !errors.Is(err, sim.ErrNotFound) {
			t.Fatalf("write after a lying sync read back as %v, want ErrNotFound", err)
		}
	})
	t.Run("no faults", func(t *testing.T) {
		err := crashAndRead(t, sim.StorageFaults{}, func(st sim.Storage) {
			st.Set("k", []byte("v"))
			st.Sync()
		})
		if err != nil {
			t.Fatalf("a synced write read back as %v", err)
		}
	})
	t.Run("corrupt read", func(t *testing.T) {
		w := newWorld(t, sim.Options{Seed: 1})
		var errs []error
		h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
			return &scripted{start: func(env sim.Env) {
				env.Storage().Set("k", []byte("v"))
				env.Storage().Sync()
				_, err := env.Storage().Get("k")
				errs = append(errs, err)
			}}
		}})
		if err := h.SetStorageFaults(sim.StorageFaults{CorruptReadRatio: 1}); err != nil {
			t.Fatal(err)
		}
		w.Run()
		if len(errs) != 1 || !errors.Is(errs[0], sim.ErrCorrupt) {
			t.Fatalf("corrupt read returned %v, want ErrCorrupt", errs)
		}
	})
}

func TestBadInputIsAnError(t *testing.T) {
	if _, err := sim.NewWorld(sim.Options{MaxTime: -1}); err == nil || !strings.Contains(err.Error(), "MaxTime") {
		t.Errorf("negative MaxTime: err = %v", err)
	}
	w := newWorld(t, sim.Options{})
	if out := w.Run(); !errors.Is(out.Err, sim.ErrNoHosts) {
		t.Errorf("running an empty world: %+v, want ErrNoHosts", out)
	}
	w = newWorld(t, sim.Options{})
	f := func() sim.Node { return &scripted{} }
	cases := []struct {
		cfg  sim.HostConfig
		want string
	}{
		{sim.HostConfig{Name: "a"}, "Factory"},
		{sim.HostConfig{Name: "a", Factory: f, ClockDrift: -1}, "ClockDrift"},
		{sim.HostConfig{Name: "a", Factory: f, Peers: []sim.HostID{-3}}, "Peers"},
	}
	for _, c := range cases {
		if _, err := w.AddHost(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddHost(%+v): err = %v, want one naming %s", c.cfg, err, c.want)
		}
	}
	h := addHost(t, w, sim.HostConfig{Name: "a", Factory: f})
	if _, err := w.AddHost(sim.HostConfig{Name: "a", Factory: f}); err == nil || !strings.Contains(err.Error(), "Name") {
		t.Errorf("duplicate name: err = %v", err)
	}
	if err := h.SetStorageFaults(sim.StorageFaults{LyingSyncRatio: 1.5}); err == nil || !strings.Contains(err.Error(), "LyingSyncRatio") {
		t.Errorf("ratio 1.5: err = %v", err)
	}
	if err := h.SetClockDrift(-2); err == nil {
		t.Error("drift -2 accepted")
	}
}

func TestStreamsAreIndependentAndSeeded(t *testing.T) {
	a := newWorld(t, sim.Options{Seed: 7})
	b := newWorld(t, sim.Options{Seed: 7})
	c := newWorld(t, sim.Options{Seed: 8})
	x, y, z := a.Stream("net").Uint64(), b.Stream("net").Uint64(), c.Stream("net").Uint64()
	if x != y {
		t.Error("same seed and name gave different streams")
	}
	if x == z {
		t.Error("different seeds gave the same stream")
	}
	if a.Stream("nemesis").Uint64() == x {
		t.Error("different names gave the same stream")
	}
}

// DiskBytes counts what would survive a crash: synced writes, and for a
// key written since, what that write replaced.
func TestDiskBytesCountsWhatACrashWouldKeep(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	var st sim.Storage
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{start: func(env sim.Env) { st = env.Storage() }}
	}})
	w.Run()
	st.Set("synced", []byte("1"))        // 6 + 1
	st.Set("overwritten", []byte("old")) // 11 + 3
	st.Sync()
	st.Set("unsynced", []byte("2"))
	st.Set("overwritten", []byte("newer"))
	st.Set("overwritten", []byte("newest"))
	st.Delete("synced")
	if got, want := h.DiskBytes(), 7+14; got != want {
		t.Fatalf("before the sync: DiskBytes = %d, want %d", got, want)
	}
	st.Sync()
	if got, want := h.DiskBytes(), 9+17; got != want {
		t.Fatalf("after the sync: DiskBytes = %d, want %d", got, want)
	}
}
