package raft_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/nodes/raft/rafttest"
	"github.com/detsim/detsim/sim"
)

// unreliable is the test network: one-way delays of 0-26 ms, 10% of
// messages lost, and 2% of them held up for 200-800 ms.
func unreliable() net.Link {
	return net.Link{
		Latency: net.Mixture{Parts: []net.Weighted{
			{Weight: 98, Latency: net.Uniform{Min: 0, Max: 26 * time.Millisecond}},
			{Weight: 2, Latency: net.Uniform{Min: 200 * time.Millisecond, Max: 800 * time.Millisecond}},
		}},
		LossRatio: 0.1,
	}
}

// lan is a reliable network with small delays.
func lan() net.Link {
	return net.Link{Latency: net.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}
}

type opts struct {
	seed    uint64
	servers int // initial members
	joiners int // servers that start empty and may be added
	clients int
	cfg     raft.Config
	link    net.Link
	// stopAt: clients issue no operation after this (true ~ local) time;
	// 0 means clients run until the world stops.
	stopAt time.Duration
	// keys in the workload; 0 means 5.
	keys int
	// admin adds an Admin host.
	admin bool
	// hookEvery: run Safety.CheckLogs every this many events (0: never).
	hookEvery int
	// noSafetyHook: do not halt the run on a safety violation.
	noSafetyHook bool
	// storage faults for every server.
	storage sim.StorageFaults
	// sink receives the trace.
	sink sim.Sink
	// install, if set, installs a targeted nemesis (package rafttest) on
	// the cluster's Tap before the servers exist; the function it returns,
	// if any, runs once they do.
	install func(rc *rafttest.Cluster, tap *rafttest.Tap) (start func())
}

type cluster struct {
	*rafttest.Cluster
	t       testing.TB
	w       *sim.World
	net     *net.Network
	safety  *raftcheck.Safety
	servers []sim.HostID // initial members, then joiners
	clients []sim.HostID
	hist    *kvhistory.History
	admin   *raft.Admin
	nemesis *rand.Rand
}

func newCluster(t testing.TB, o opts) *cluster {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: o.seed, MaxEvents: 50_000_000, Sink: o.sink})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := net.New(w, net.Options{Default: o.link})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, w: w, net: nw, safety: raftcheck.NewSafety(), hist: &kvhistory.History{}, nemesis: w.Stream("nemesis")}
	var members, all []sim.HostID
	for i := 0; i < o.servers+o.joiners; i++ {
		if i < o.servers {
			members = append(members, sim.HostID(i))
		}
		all = append(all, sim.HostID(i))
	}
	if o.admin {
		c.admin = raft.NewAdmin(all)
	}
	c.Cluster = &rafttest.Cluster{World: w, Net: nw, Servers: all, Admin: c.admin, Rand: c.nemesis}
	tap := &rafttest.Tap{Next: c.safety}
	var start func()
	if o.install != nil {
		start = o.install(c.Cluster, tap)
	}
	cfg := o.cfg
	cfg.Members = members
	cfg.Observer = tap
	factory := raft.New(cfg)
	for i := 0; i < o.servers+o.joiners; i++ {
		id, err := w.AddHost(sim.HostConfig{Name: "s" + itoa(i), Peers: members, Factory: factory})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Host(id).SetStorageFaults(o.storage); err != nil {
			t.Fatal(err)
		}
		c.servers = append(c.servers, id)
	}
	rec := kvhistoryRecorder(c)
	for i := 0; i < o.clients; i++ {
		wc := client.DefaultWorkloadConfig()
		wc.Client.ID = uint64(i + 1)
		wc.Client.Servers = c.servers
		wc.Client.TimeoutAttempt = 150 * time.Millisecond
		wc.Client.Deadline = 2 * time.Second
		wc.Client.BreakerFailures = 0
		wc.OpsMax = 0
		wc.StopAt = o.stopAt
		wc.Keys = 5
		if o.keys > 0 {
			wc.Keys = o.keys
		}
		wl, err := client.NewWorkload(wc, rec)
		if err != nil {
			t.Fatal(err)
		}
		id, err := w.AddHost(sim.HostConfig{Name: "c" + itoa(i+1), Factory: wl.Node})
		if err != nil {
			t.Fatal(err)
		}
		c.clients = append(c.clients, id)
	}
	if o.admin {
		if _, err := w.AddHost(sim.HostConfig{Name: "admin", Factory: c.admin.Node}); err != nil {
			t.Fatal(err)
		}
	}
	if start != nil {
		start()
	}
	if !o.noSafetyHook {
		w.AddHook(c.safety.Hook(o.hookEvery))
	}
	return c
}

func itoa(i int) string { return string(rune('0'+i/10%10)) + string(rune('0'+i%10)) }

// leaders returns the running servers that are leaders.
func (c *cluster) leaders() []*raft.Node {
	var ls []*raft.Node
	for _, h := range c.servers {
		if n := c.Node(h); n != nil && n.Role() == raft.Leader {
			ls = append(ls, n)
		}
	}
	return ls
}

// run runs the world for d, failing the test on a halt or panic.
func (c *cluster) run(d time.Duration) {
	c.t.Helper()
	out := c.w.RunFor(d)
	if out.Reason != sim.StopDeadline && out.Reason != sim.StopQuiescent {
		c.t.Fatalf("seed %d: run ended at %v: %v: %v", c.w.Seed(), out.Now, out.Reason, out.Err)
	}
}

// runUntil runs until cond holds (checked every 10 ms of virtual time) or
// d has passed; it reports whether cond held.
func (c *cluster) runUntil(d time.Duration, cond func() bool) bool {
	c.t.Helper()
	end := c.w.Now() + d
	for c.w.Now() < end {
		if cond() {
			return true
		}
		c.run(10 * time.Millisecond)
	}
	return cond()
}

// outcome runs for d and returns the outcome without failing.
func (c *cluster) outcome(d time.Duration) sim.Outcome { return c.w.RunFor(d) }

func (c *cluster) crash(h sim.HostID)   { c.w.Host(h).Crash() }
func (c *cluster) restart(h sim.HostID) { c.w.Host(h).Restart() }

// checkLinearizable checks the client history.
func (c *cluster) checkLinearizable() checker.Result {
	c.t.Helper()
	res := checker.Check(checker.KVModel(), c.hist, checker.CheckOptions{Timeout: 10 * time.Second, Workers: 1})
	return res
}

// requireLinearizable fails the test unless the history is linearizable.
func (c *cluster) requireLinearizable() checker.Result {
	c.t.Helper()
	res := c.checkLinearizable()
	if res.Verdict != checker.Ok {
		msg := ""
		if res.Failure != nil {
			msg = res.Failure.Explanation
		}
		c.t.Fatalf("seed %d: history is %v (%d ops): %s", c.w.Seed(), res.Verdict, res.Ops, msg)
	}
	return res
}

// requireSafe fails the test on a safety violation, after a full log scan.
func (c *cluster) requireSafe() {
	c.t.Helper()
	if err := c.safety.CheckLogs(); err != nil {
		c.t.Fatalf("seed %d: %v", c.w.Seed(), err)
	}
}

// converged reports whether every running member has applied the same
// index with the same state.
func (c *cluster) converged(hosts []sim.HostID) bool {
	var ref *raft.Node
	for _, h := range hosts {
		n := c.Node(h)
		if n == nil {
			return false
		}
		if ref == nil {
			ref = n
			continue
		}
		if n.LastApplied() != ref.LastApplied() || n.StateHash() != ref.StateHash() {
			return false
		}
	}
	return ref != nil && ref.LastApplied() > 0
}

// completed counts completed operations in the history.
func (c *cluster) completed() int {
	k := 0
	for _, op := range c.hist.Ops() {
		if op.Status == checker.OpCompleted {
			k++
		}
	}
	return k
}

func members(n *raft.Node) []sim.HostID {
	if n == nil {
		return nil
	}
	return n.Members()
}

func hosts(ids ...int) []sim.HostID {
	out := make([]sim.HostID, len(ids))
	for i, id := range ids {
		out[i] = sim.HostID(id)
	}
	return out
}

func without(hs []sim.HostID, drop ...sim.HostID) []sim.HostID {
	return slices.DeleteFunc(slices.Clone(hs), func(h sim.HostID) bool { return slices.Contains(drop, h) })
}

func kvhistoryRecorder(c *cluster) *kvhistory.Recorder { return kvhistory.New(c.hist, c.w.Now) }

// firstLines returns the first n lines of s.
func firstLines(s string, n int) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			n--
			if n == 0 {
				return s[:i]
			}
		}
	}
	return s
}
