package sim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// TestAFlushedPrefixKeepsTheOldestUnsyncedWritesInOrder: a truncation
// then an append (delete b, delete c, set b), cut short by a crash, leaves
// on disk what the first k of its writes made, for every k from none to
// all over the seeds, and never a later write without the earlier ones.
func TestAFlushedPrefixKeepsTheOldestUnsyncedWritesInOrder(t *testing.T) {
	images := crashImages(t, sim.StorageFaults{FlushedPrefixRatio: 1})
	want := []string{"b=old c=old ", "b=none c=old ", "b=none c=none ", "b=new c=none "}
	for _, img := range want {
		if !images[img] {
			t.Errorf("no seed left %q; images seen: %v", img, images)
		}
	}
	if len(images) != len(want) {
		t.Errorf("images seen %v; only the %d prefixes may survive", images, len(want))
	}
}

// crashImages runs the truncation-then-append of these tests on 60 seeds,
// crashing before its sync under faults, and returns what the disk held.
func crashImages(t *testing.T, faults sim.StorageFaults) map[string]bool {
	t.Helper()
	images := map[string]bool{}
	for seed := uint64(1); seed <= 60; seed++ {
		w := newWorld(t, sim.Options{Seed: seed})
		w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) {}))
		h := addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
			return &scripted{start: func(env sim.Env) {
				st := env.Storage()
				if _, err := st.Get("a"); err == nil {
					return // restarted: leave the disk as the crash left it
				}
				st.Set("a", []byte("1"))
				st.Set("b", []byte("old"))
				st.Set("c", []byte("old"))
				st.Sync()
				st.Delete("b")
				st.Delete("c")
				st.Set("b", []byte("new"))
			}}
		}})
		if err := h.SetStorageFaults(faults); err != nil {
			t.Fatal(err)
		}
		w.At(time.Millisecond, func() { h.Crash(); h.Restart() })
		if out := w.RunFor(time.Second); out.Err != nil {
			t.Fatal(out.Err)
		}
		st := h.Node().(*scripted).env.Storage()
		image := ""
		for _, k := range []string{"b", "c"} {
			v, err := st.Get(k)
			switch {
			case errors.Is(err, sim.ErrNotFound):
				image += k + "=none "
			case err != nil:
				t.Fatalf("seed %d: %s: %v", seed, k, err)
			default:
				image += k + "=" + string(v) + " "
			}
		}
		images[image] = true
	}
	return images
}

// TestAFlushedAnyKeepsUnsyncedWritesOutOfOrder: with FlushedAnyRatio the
// same change can survive as writes no prefix holds: a later delete
// without the earlier one, the new value of b without the delete of c.
func TestAFlushedAnyKeepsUnsyncedWritesOutOfOrder(t *testing.T) {
	images := crashImages(t, sim.StorageFaults{FlushedAnyRatio: 1})
	for _, img := range []string{"b=old c=none ", "b=new c=old ", "b=old c=old ", "b=new c=none "} {
		if !images[img] {
			t.Errorf("no seed left %q; images seen: %v", img, images)
		}
	}
}
