package sim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// TestACrashAtASyncStopsTheHandlerThere: with every sync a crash point,
// the handler's work before the sync happens (a reply sent), nothing after
// it does, the host is down, and the writes survive only a crash after the
// sync. Over many seeds both kinds strike.
func TestACrashAtASyncStopsTheHandlerThere(t *testing.T) {
	kinds := map[string]int{}
	for seed := uint64(1); seed <= 40; seed++ {
		sink := &recordSink{}
		w := newWorld(t, sim.Options{Seed: seed, Sink: sink})
		var sent []string
		w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) { sent = append(sent, msg.(string)) }))
		after := false
		h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
			return &scripted{timer: func(env sim.Env, _ sim.TimerID, _ any) {
				env.Storage().Set("vote", []byte("n2"))
				env.Send(1, "granted")
				env.Storage().Sync()
				after = true
				env.Send(1, "after")
			}, start: func(env sim.Env) { env.After(time.Millisecond, nil) }}
		}})
		addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
		if err := h.SetStorageFaults(sim.StorageFaults{CrashAtSyncRatio: 1}); err != nil {
			t.Fatal(err)
		}
		out := w.RunFor(time.Second)
		if out.Err != nil {
			t.Fatalf("seed %d: %v", seed, out.Err)
		}
		if after || len(sent) != 1 || sent[0] != "granted" || h.Up() {
			t.Fatalf("seed %d: after %v, sent %v, up %v", seed, after, sent, h.Up())
		}
		before := sink.count(sim.KindFault, "storage.crash-before-sync") == 1
		if !before && sink.count(sim.KindFault, "storage.crash-after-sync") != 1 {
			t.Fatalf("seed %d: no crash-point record", seed)
		}
		kinds[map[bool]string{true: "before", false: "after"}[before]]++
		if err := h.SetStorageFaults(sim.StorageFaults{}); err != nil {
			t.Fatal(err)
		}
		// The restarted node reads before its own timer writes again.
		w.At(w.Now()+time.Millisecond, func() { h.Restart() })
		w.RunFor(time.Millisecond)
		got, gerr := peek(t, h)
		switch {
		case before && !errors.Is(gerr, sim.ErrNotFound):
			t.Fatalf("seed %d: a write before a crash that beat its sync survived: %q %v", seed, got, gerr)
		case !before && string(got) != "n2":
			t.Fatalf("seed %d: a synced write was lost: %q %v", seed, got, gerr)
		}
	}
	if kinds["before"] == 0 || kinds["after"] == 0 {
		t.Fatalf("crash points over 40 seeds: %v", kinds)
	}
}

// peek reads the vote through the restarted node's own Env.
func peek(t *testing.T, h *sim.Host) ([]byte, error) {
	t.Helper()
	n, ok := h.Node().(*scripted)
	if !ok || n.env == nil {
		t.Fatal("the host did not restart")
	}
	return n.env.Storage().Get("vote")
}
