package twopc_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/twopccheck"
	"github.com/detsim/detsim/sim"
)

type opts struct {
	seed    uint64
	shards  int
	clients int
	cfg     twopc.Config
	wl      twopc.Workload
	link    net.Link
	sink    sim.Sink
	// noHook leaves violations to the test instead of halting the run.
	noHook bool
}

type cluster struct {
	t      testing.TB
	w      *sim.World
	net    *net.Network
	topo   twopc.Topology
	atom   *twopccheck.Atomicity
	txns   *checker.TxnHistory
	bank   *checker.History[checker.BankInput, checker.BankOutput]
	cfg    twopc.Config
	hosts  []sim.HostID
	client []sim.HostID
}

func lan() net.Link {
	return net.Link{Latency: net.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}
}

func newCluster(t testing.TB, o opts) *cluster {
	t.Helper()
	if o.shards == 0 {
		o.shards = 3
	}
	if o.cfg.Protocol == "" {
		o.cfg = twopc.DefaultConfig()
	}
	if o.wl.Kind == "" {
		o.wl = twopc.DefaultWorkload()
	}
	if o.link.Latency == nil {
		o.link = lan()
	}
	w, err := sim.NewWorld(sim.Options{Seed: o.seed, MaxEvents: 20_000_000, Sink: o.sink})
	if err != nil {
		t.Fatal(err)
	}
	n, err := net.New(w, net.Options{Default: o.link})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, w: w, net: n, txns: &checker.TxnHistory{}, bank: &checker.History[checker.BankInput, checker.BankOutput]{}}
	c.atom = twopccheck.New(w.Now, func(h sim.HostID) string { return w.Host(h).Name() })
	var servers []sim.HostID
	for i := range o.cfg.Placement.Hosts(o.shards, o.cfg.Acceptors()) {
		servers = append(servers, sim.HostID(i))
	}
	topo, err := twopc.Place(o.cfg, o.shards, servers)
	if err != nil {
		t.Fatal(err)
	}
	c.topo = topo
	cfg := o.cfg
	cfg.Observer = c.atom
	if o.wl.Kind == twopc.Bank {
		cfg.Initial = o.wl.InitialBalances()
	}
	c.cfg = cfg
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := o.wl.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.topo.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	add := func(name string, f sim.Factory) sim.HostID {
		id, err := w.AddHost(sim.HostConfig{Name: name, Factory: f})
		if err != nil {
			t.Fatal(err)
		}
		c.hosts = append(c.hosts, id)
		return id
	}
	for _, id := range servers {
		add(hostName(c.topo, id), twopc.NewHost(cfg, c.topo, id))
	}
	hist := twopc.History{Txns: c.txns, Bank: c.bank, Now: w.Now}
	for i := range o.clients {
		c.client = append(c.client, add("c"+strconv.Itoa(i+1), twopc.NewClient(o.wl, c.topo, i, hist)))
	}
	if !o.noHook {
		w.AddHook(c.atom.Check)
	}
	return c
}

func (c *cluster) shard(i int) *twopc.Participant {
	h := c.w.Host(c.topo.Shards[i])
	if !h.Up() {
		return nil
	}
	return twopc.ParticipantOf(h.Node())
}

// hostName names a host by the parts it plays: "coord", "s1", "s0+coord+a0".
func hostName(topo twopc.Topology, id sim.HostID) string {
	var parts []string
	for i, h := range topo.Shards {
		if h == id {
			parts = append(parts, "s"+strconv.Itoa(i))
		}
	}
	if topo.Coordinator == id {
		parts = append(parts, "coord")
	}
	for i, h := range topo.Acceptors {
		if h == id {
			parts = append(parts, "a"+strconv.Itoa(i))
		}
	}
	return strings.Join(parts, "+")
}

func (c *cluster) run(d time.Duration) sim.Outcome {
	c.t.Helper()
	out := c.w.RunFor(d)
	if out.Err != nil {
		c.t.Fatalf("run stopped at %v: %v", out.Now, out.Err)
	}
	return out
}

// settled asserts that every shard is up, holds nothing in doubt and no
// lock, and that the checker saw every prepared transaction end.
func (c *cluster) settled() {
	c.t.Helper()
	for i := range c.topo.Shards {
		p := c.shard(i)
		if p == nil {
			c.t.Fatalf("shard %d is down", i)
		}
		if d := p.InDoubt(); len(d) > 0 {
			c.t.Errorf("shard %d still holds %v in doubt", i, d)
		}
		if l := p.LockedKeys(); len(l) > 0 {
			c.t.Errorf("shard %d still holds locks on %v", i, l)
		}
	}
	if err := c.atom.Liveness(); err != nil {
		c.t.Error(err)
	}
}

func countStatus(txns []checker.Txn) (ok, failed, info int) {
	for _, t := range txns {
		switch t.Status {
		case checker.TxnOK:
			ok++
		case checker.TxnFailed:
			failed++
		default:
			info++
		}
	}
	return
}
