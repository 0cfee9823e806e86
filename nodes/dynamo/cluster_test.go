package dynamo

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/detsim/detsim/checker"
	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// testCluster is a store of servers and workload clients on one world.
type testCluster struct {
	t       *testing.T
	w       *sim.World
	net     *simnet.Network
	servers []sim.HostID
	clients []sim.HostID
	h       *History
	obs     *countingObserver
}

type countingObserver struct {
	counts    map[Count]int
	regressed []string
	stores    int
}

func (o *countingObserver) Stored(node sim.HostID, key string, before, after Object) {
	o.stores++
	if !after.Context().Descends(before.Context()) {
		o.regressed = append(o.regressed, key)
	}
}
func (o *countingObserver) Reaped(sim.HostID, string, Object)  {}
func (o *countingObserver) Count(_ sim.HostID, c Count, n int) { o.counts[c] += n }

func newTestCluster(t *testing.T, seed uint64, servers, clients int, cfg Config, wl Workload) *testCluster {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	net, err := simnet.New(w, simnet.Options{Default: simnet.Link{Latency: simnet.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	c := &testCluster{t: t, w: w, net: net, h: NewHistory(w.Now), obs: &countingObserver{counts: map[Count]int{}}}
	cfg.Observer = c.obs
	factory, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < servers; i++ {
		c.servers = append(c.servers, sim.HostID(i))
	}
	for _, id := range c.servers {
		peers := slices.DeleteFunc(slices.Clone(c.servers), func(p sim.HostID) bool { return p == id })
		if _, err := w.AddHost(sim.HostConfig{Peers: peers, Factory: factory}); err != nil {
			t.Fatal(err)
		}
	}
	c.h.SiblingsMax = wl.SiblingsMax
	for i := 0; i < clients; i++ {
		cw := wl
		cw.Client.ID = uint64(i + 1)
		cw.Client.Servers = slices.Clone(c.servers)
		f, err := NewClient(cw, c.h)
		if err != nil {
			t.Fatal(err)
		}
		id, err := w.AddHost(sim.HostConfig{Name: "c" + string(rune('1'+i)), Factory: f})
		if err != nil {
			t.Fatal(err)
		}
		c.clients = append(c.clients, id)
	}
	return c
}

func (c *testCluster) node(id sim.HostID) *Node {
	h := c.w.Host(id)
	if !h.Up() {
		return nil
	}
	return h.Node().(*Node)
}

func (c *testCluster) ring(cfg Config) *Ring {
	r, err := NewRing(c.servers, cfg.Vnodes)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

func (c *testCluster) run(d time.Duration) {
	c.t.Helper()
	if out := c.w.RunFor(d); out.Reason != sim.StopDeadline {
		c.t.Fatalf("run ended with %v: %v", out.Reason, out.Err)
	}
}

// converged reports a difference between the replicas of any key.
func (c *testCluster) diverged(keys []string, cfg Config) string {
	ring := c.node(c.servers[0]).Ring()
	for _, k := range keys {
		var first Object
		for i, p := range ring.Preference(k, cfg.N) {
			n := c.node(p)
			if n == nil {
				continue
			}
			if i == 0 {
				first = n.Object(k)
			} else if d := cmp.Diff(first, n.Object(k)); d != "" {
				return k + ": " + d
			}
		}
	}
	return ""
}

func testWorkload(stop time.Duration) Workload {
	wl := DefaultWorkload()
	wl.StopAt = stop
	return wl
}

func allKeys(wl Workload) []string {
	var keys []string
	for i := 0; i < wl.SetKeys; i++ {
		keys = append(keys, SetKey(i))
	}
	for i := 0; i < wl.RegisterKeys; i++ {
		keys = append(keys, RegisterKey(i))
	}
	return keys
}

func TestHappyPathLosesNoAcknowledgedAddAndConverges(t *testing.T) {
	cfg := DefaultConfig()
	wl := testWorkload(4 * time.Second)
	c := newTestCluster(t, 1, 5, 3, cfg, wl)
	c.run(6 * time.Second)
	rep := c.h.Analyze()
	if rep.Acked < 50 || rep.FinalReads != 3*len(allKeys(wl)) {
		t.Fatalf("too little happened: %v, %d final reads", rep, rep.FinalReads)
	}
	if res := c.h.Check(checker.CheckOptions{}); res.Verdict != checker.Ok {
		t.Fatalf("set-full: %v %s", res.Verdict, res.Failure.Explanation)
	}
	if d := c.diverged(allKeys(wl), cfg); d != "" {
		t.Fatalf("replicas differ after quiescence: %s", d)
	}
	if len(c.obs.regressed) > 0 {
		t.Fatalf("a replica's version went backwards on %v", c.obs.regressed)
	}
	t.Logf("%v", rep)
}

func TestHintsSurviveAFallbackCrashAndReachTheirTarget(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Sloppy = true
	wl := testWorkload(5 * time.Second)
	c := newTestCluster(t, 2, 5, 3, cfg, wl)
	primary := c.ring(cfg).Preference(SetKey(0), cfg.N)[0]
	c.run(time.Second)
	c.w.Host(primary).Crash()
	c.run(1500 * time.Millisecond)
	var fallback sim.HostID = sim.NoHost
	for _, id := range c.servers {
		if n := c.node(id); n != nil && n.Hints() > 0 {
			fallback = id
		}
	}
	if fallback == sim.NoHost {
		t.Fatal("no fallback holds a hint while a primary is down")
	}
	held := c.node(fallback).Hints()
	c.w.Host(fallback).Crash()
	c.w.Host(fallback).Restart()
	if got := c.node(fallback).Hints(); got != held {
		t.Fatalf("the fallback held %d hints before its crash and %d after", held, got)
	}
	c.w.Host(primary).Restart()
	c.run(5 * time.Second)
	for _, id := range c.servers {
		if n := c.node(id).Hints(); n > 0 {
			t.Errorf("%v still holds %d hints", id, n)
		}
	}
	if c.obs.counts[CountHintDelivered] == 0 {
		t.Error("no hint was delivered")
	}
	if res := c.h.Check(checker.CheckOptions{}); res.Verdict != checker.Ok {
		t.Fatalf("set-full: %s", res.Failure.Explanation)
	}
	if d := c.diverged(allKeys(wl), cfg); d != "" {
		t.Fatalf("replicas differ: %s", d)
	}
}

func TestStrictQuorumsRefuseWritesTheyCannotReplicate(t *testing.T) {
	cfg := DefaultConfig()
	wl := testWorkload(3 * time.Second)
	c := newTestCluster(t, 3, 5, 2, cfg, wl)
	pref := c.ring(cfg).Preference(SetKey(0), cfg.N)
	c.run(time.Millisecond) // the hosts boot
	c.w.Host(pref[0]).Crash()
	c.w.Host(pref[1]).Crash()
	c.run(5 * time.Second)
	for _, op := range c.h.Ops() {
		if op.Kind == OpAdd && op.Key == SetKey(0) && op.Status == checker.OpCompleted && op.Call > 100*time.Millisecond {
			t.Fatalf("add %d to %s was acknowledged with two of its three primaries down", op.Element, op.Key)
		}
	}
	if c.h.Analyze().Acked == 0 {
		t.Fatal("no add to any key was acknowledged")
	}
}

func TestAServerFindsEveryKeysStatePastTheScannedFew(t *testing.T) {
	ring, err := NewRing([]sim.HostID{0, 1, 2}, 8)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{ring: ring, byKey: map[string]*keyState{}}
	for i := range 3 * scannedKeys {
		key := RegisterKey(i)
		if n.find(key) != nil {
			t.Fatalf("%s found before it was met", key)
		}
		n.state(key).obj = Object{Siblings: []Sibling{{Value: key}}}
		for j := range i + 1 {
			if got := n.Object(RegisterKey(j)).Live(); len(got) != 1 || got[0] != RegisterKey(j) {
				t.Fatalf("with %d keys met, %s holds %v", i+1, RegisterKey(j), got)
			}
		}
	}
}

// A server's kept Merkle trees are the trees it would build from its
// objects now, after every event of a run with writes, deletes, reaps,
// read repair, anti-entropy and a crash and restart.
func TestKeptMerkleTreesAreTheTreesOfTheObjectsNow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TombstoneGrace = 300 * time.Millisecond
	wl := testWorkload(3 * time.Second)
	wl.Mix.Delete = wl.Mix.Add
	c := newTestCluster(t, 2, 5, 3, cfg, wl)
	kept, rebuilt := 0, 0
	c.w.AddHook(func() error {
		for _, id := range c.servers {
			n := c.node(id)
			if n == nil {
				continue
			}
			for rg := range n.trees {
				tree := n.trees[rg]
				if !tree.ok {
					rebuilt++
					continue
				}
				kept++
				if root, leaves := n.buildMerkle(rg); root != tree.root || leaves != tree.leaves {
					t.Fatalf("at %v server %d keeps a tree of range %d that its objects no longer have", c.w.Now(), id, rg)
				}
			}
		}
		return nil
	})
	c.w.At(time.Second, func() { c.w.Host(c.servers[1]).Crash() })
	c.w.At(1500*time.Millisecond, func() { c.w.Host(c.servers[1]).Restart() })
	c.run(5 * time.Second)
	if kept == 0 || rebuilt == 0 || c.obs.counts[CountTombstoneReaped] == 0 {
		t.Fatalf("the run kept %d trees and had %d to rebuild, with %d reaps: too little to tell", kept, rebuilt, c.obs.counts[CountTombstoneReaped])
	}
}
