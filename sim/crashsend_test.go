package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// sendThenSync is a node whose timer writes a vote, sends a message that
// reveals it, and syncs: in the order syncFirst says.
func sendThenSync(syncFirst bool, after *bool) sim.Factory {
	return func() sim.Node {
		return &scripted{timer: func(env sim.Env, _ sim.TimerID, _ any) {
			env.Storage().Set("vote", []byte("n2"))
			if syncFirst {
				env.Storage().Sync()
				env.Send(1, "granted")
			} else {
				env.Send(1, "granted")
				env.Storage().Sync()
			}
			*after = true
		}, start: func(env sim.Env) { env.After(time.Millisecond, nil) }}
	}
}

// TestACrashAfterASendStrikesOnlyWhereAMessageLeftBeforeItsSync: a node
// that sends before it syncs crashes at that sync, losing the write the
// message revealed; a node that syncs first is never struck, however
// often the fault is asked for.
func TestACrashAfterASendStrikesOnlyWhereAMessageLeftBeforeItsSync(t *testing.T) {
	for _, syncFirst := range []bool{false, true} {
		sink := &recordSink{}
		w := newWorld(t, sim.Options{Seed: 7, Sink: sink})
		var sent []string
		w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) { sent = append(sent, msg.(string)) }))
		after := false
		h := addHost(t, w, sim.HostConfig{Factory: sendThenSync(syncFirst, &after)})
		addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
		if err := h.SetStorageFaults(sim.StorageFaults{CrashAtSyncAfterSendRatio: 1}); err != nil {
			t.Fatal(err)
		}
		if out := w.RunFor(time.Second); out.Err != nil {
			t.Fatalf("sync first %v: %v", syncFirst, out.Err)
		}
		if len(sent) != 1 {
			t.Fatalf("sync first %v: sent %v", syncFirst, sent)
		}
		crashes := sink.count(sim.KindFault, "storage.crash-after-send")
		if syncFirst {
			if crashes != 0 || !h.Up() || !after {
				t.Fatalf("a node that syncs before it sends was struck: %d crash records, up %v", crashes, h.Up())
			}
			continue
		}
		if crashes != 1 || h.Up() || after {
			t.Fatalf("crash records %d, up %v, handler went on %v", crashes, h.Up(), after)
		}
		if err := h.SetStorageFaults(sim.StorageFaults{}); err != nil {
			t.Fatal(err)
		}
		w.At(w.Now()+time.Millisecond, func() { h.Restart() })
		w.RunFor(time.Millisecond)
		if got, err := peek(t, h); !errors.Is(err, sim.ErrNotFound) {
			t.Fatalf("the write the crash beat survived: %q %v", got, err)
		}
	}
}

// TestACrashAfterASendForgetsSendsOnceSynced: a message sent while writes
// were unsynced marks only those writes; after they are synced, a later
// write and sync with no message between them is no crash point.
func TestACrashAfterASendForgetsSendsOnceSynced(t *testing.T) {
	sink := &recordSink{}
	w := newWorld(t, sim.Options{Seed: 3, Sink: sink})
	w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) {}))
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
		return &scripted{timer: func(env sim.Env, _ sim.TimerID, _ any) {
			env.Storage().Set("a", []byte("1"))
			env.Storage().Sync()
			env.Send(1, "ping") // nothing unsynced: no window opens
			env.Storage().Set("b", []byte("2"))
			env.Storage().Sync()
		}, start: func(env sim.Env) { env.After(time.Millisecond, nil) }}
	}})
	addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	if err := h.SetStorageFaults(sim.StorageFaults{CrashAtSyncAfterSendRatio: 1}); err != nil {
		t.Fatal(err)
	}
	if out := w.RunFor(time.Second); out.Err != nil {
		t.Fatal(out.Err)
	}
	if n := sink.count(sim.KindFault, "storage.crash-after-send"); n != 0 || !h.Up() {
		t.Fatalf("struck %d times with no message sent over unsynced writes", n)
	}
}

func TestACrashAfterASendRatioOutsideZeroToOneIsRefused(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	err := h.SetStorageFaults(sim.StorageFaults{CrashAtSyncAfterSendRatio: 1.5})
	if err == nil || !strings.Contains(err.Error(), "CrashAtSyncAfterSendRatio") {
		t.Fatalf("error %v, want one naming CrashAtSyncAfterSendRatio", err)
	}
}

// TestACrashAfterADeleteStrikesOnlyAtASyncOfADelete: a sync of sets alone
// is no crash point; one whose writes include a delete is, and the crash
// comes before it, so the whole change is lost (or, with a flushed prefix,
// part of it survives).
func TestACrashAfterADeleteStrikesOnlyAtASyncOfADelete(t *testing.T) {
	for _, withDelete := range []bool{false, true} {
		sink := &recordSink{}
		w := newWorld(t, sim.Options{Seed: 11, Sink: sink})
		w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) {}))
		h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
			return &scripted{timer: func(env sim.Env, _ sim.TimerID, _ any) {
				st := env.Storage()
				st.Set("vote", []byte("n2"))
				st.Set("log/1", []byte("a"))
				st.Sync()
				if withDelete {
					st.Delete("log/1")
				}
				st.Set("log/2", []byte("b"))
				st.Sync()
			}, start: func(env sim.Env) { env.After(time.Millisecond, nil) }}
		}})
		if err := h.SetStorageFaults(sim.StorageFaults{CrashAtSyncAfterDeleteRatio: 1}); err != nil {
			t.Fatal(err)
		}
		if out := w.RunFor(time.Second); out.Err != nil {
			t.Fatal(out.Err)
		}
		crashes := sink.count(sim.KindFault, "storage.crash-after-delete")
		if withDelete != (crashes == 1) || withDelete == h.Up() {
			t.Fatalf("with a delete %v: %d crash records, up %v", withDelete, crashes, h.Up())
		}
	}
}
