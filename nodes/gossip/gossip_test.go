package gossip_test

import (
	"strings"
	"testing"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/sim"
)

type cluster struct {
	w   *sim.World
	net *simnet.Network
	ids []sim.HostID
}

func newCluster(t *testing.T, seed uint64, hosts int, cfg gossip.Config) *cluster {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	n, err := simnet.New(w, simnet.Options{Default: simnet.Link{Latency: simnet.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}, LossRatio: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	factory, err := gossip.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{w: w, net: n}
	for i := 0; i < hosts; i++ {
		c.ids = append(c.ids, sim.HostID(i))
	}
	for i := range c.ids {
		peers := append(append([]sim.HostID{}, c.ids[:i]...), c.ids[i+1:]...)
		if _, err := w.AddHost(sim.HostConfig{Peers: peers, Factory: factory}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *cluster) totals() []uint64 {
	var out []uint64
	for _, id := range c.ids {
		var total uint64
		if n, ok := c.w.Host(id).Node().(*gossip.Node); ok {
			total = n.Total()
		}
		out = append(out, total)
	}
	return out
}

// TestConvergesAfterPartitionAndCrash: a partition and a crash in the
// middle of counting, healed, and every node agrees on the full total.
func TestConvergesAfterPartitionAndCrash(t *testing.T) {
	cfg := gossip.DefaultConfig()
	c := newCluster(t, 1, 5, cfg)
	c.w.At(time.Second, func() { c.net.Partition(c.ids[:2], c.ids[2:]) })
	c.w.At(2*time.Second, func() { c.w.Host(3).Crash() })
	c.w.At(3*time.Second, func() {
		// Mid-partition, the two sides disagree.
		if tot := c.totals(); tot[0] == tot[4] {
			t.Errorf("sides of a partition agree on %d: the partition did not bite", tot[0])
		}
	})
	c.w.At(4*time.Second, func() { c.net.Heal(); c.w.Host(3).Restart() })
	if out := c.w.RunFor(15 * time.Second); out.Err != nil {
		t.Fatal(out.Err)
	}
	want := uint64(5 * cfg.Increments)
	for i, tot := range c.totals() {
		if tot != want {
			t.Fatalf("node %d total %d, want %d (all %v)", i, tot, want, c.totals())
		}
	}
}

// TestRestartKeepsThePersistedCount: the count is synced before it is
// gossiped, so a crash never loses an increment the node counted.
func TestRestartKeepsThePersistedCount(t *testing.T) {
	cfg := gossip.Config{Interval: 10 * time.Millisecond, Fanout: 1, Increments: 0}
	c := newCluster(t, 2, 2, cfg)
	var before []uint64
	c.w.At(time.Second, func() {
		before = c.w.Host(0).Node().(*gossip.Node).Counts()
		c.w.Host(0).Crash()
		c.w.Host(0).Restart()
		after := c.w.Host(0).Node().(*gossip.Node).Counts()
		if after[0] != before[0] {
			t.Errorf("own count %d after restart, %d before", after[0], before[0])
		}
	})
	c.w.RunFor(2 * time.Second)
	if len(before) == 0 || before[0] < 90 {
		t.Fatalf("counted %v in 1s at 10ms intervals", before)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) uint64 {
		c := newCluster(t, seed, 4, gossip.DefaultConfig())
		c.w.At(time.Second, func() { c.w.Host(1).Crash() })
		c.w.At(2*time.Second, func() { c.w.Host(1).Restart() })
		c.w.RunFor(5 * time.Second)
		return c.w.Hash()
	}
	if run(7) != run(7) {
		t.Fatal("same seed, different hash")
	}
	if run(7) == run(8) {
		t.Fatal("different seeds, same hash")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []struct {
		cfg  gossip.Config
		want string
	}{
		{gossip.Config{Interval: 0, Fanout: 1}, "Interval"},
		{gossip.Config{Interval: time.Millisecond, Fanout: 0}, "Fanout"},
		{gossip.Config{Interval: time.Millisecond, Fanout: 1, Increments: -1}, "Increments"},
	} {
		if _, err := gossip.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v): err = %v, want one naming %s", c.cfg, err, c.want)
		}
	}
}
