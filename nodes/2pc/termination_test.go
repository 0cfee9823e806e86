package twopc_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/twopccheck"
	"github.com/detsim/detsim/sim"
)

// oneTxn appends to one key on every shard in one transaction, asks to
// commit, and keeps the outcome, if it hears one.
type oneTxn struct {
	topo    twopc.Topology
	keys    []string
	env     sim.Env
	epochs  []uint64
	answers int
	outcome *bool
}

var txnOne = twopc.TxnID{Client: 9, Seq: 1}

func (o *oneTxn) Start(env sim.Env) {
	o.env, o.epochs = env, make([]uint64, len(o.keys))
	for i, k := range o.keys {
		env.Send(o.topo.Shards[i], twopc.Execute{Txn: txnOne, Priority: twopc.Priority{Client: 9}, Ops: []twopc.Op{{Kind: twopc.OpAppend, Key: k, Value: 7}}})
	}
}

func (o *oneTxn) Receive(_ sim.HostID, msg any) {
	switch m := msg.(type) {
	case twopc.Executed:
		o.epochs[m.Shard] = m.Epoch
		if o.answers++; o.answers == len(o.keys) {
			parts := make([]int, len(o.keys))
			for i := range parts {
				parts[i] = i
			}
			o.env.Send(o.topo.Shards[0], twopc.CommitRequest{Txn: txnOne, Participants: parts, Epochs: o.epochs})
		}
	case twopc.Outcome:
		o.outcome = &m.Commit
	}
}

func (o *oneTxn) Timer(sim.TimerID, any) {}

type fixture struct {
	w    *sim.World
	net  *net.Network
	topo twopc.Topology
	atom *twopccheck.Atomicity
	txn  *oneTxn
}

// newFixture runs one transaction over three shards on a network with a
// constant 1ms delay, so that the test can time its faults to the message.
func newFixture(t *testing.T, cfg twopc.Config) *fixture {
	w, err := sim.NewWorld(sim.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n, err := net.New(w, net.Options{Default: net.Link{Latency: net.Constant{D: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{w: w, net: n, topo: twopc.Topology{Coordinator: 0, Shards: []sim.HostID{1, 2, 3}}}
	for i := range cfg.Acceptors() {
		f.topo.Acceptors = append(f.topo.Acceptors, sim.HostID(4+i))
	}
	f.atom = twopccheck.New(w.Now, nil)
	cfg.Observer = f.atom
	f.txn = &oneTxn{topo: f.topo}
	for i := range f.topo.Shards {
		for k := 0; len(f.txn.keys) == i; k++ {
			if key := fmt.Sprintf("k%d", k); f.topo.ShardOf(key) == i {
				f.txn.keys = append(f.txn.keys, key)
			}
		}
	}
	hosts := []sim.Factory{twopc.NewCoordinator(cfg, f.topo), twopc.NewParticipant(cfg, f.topo, 0), twopc.NewParticipant(cfg, f.topo, 1), twopc.NewParticipant(cfg, f.topo, 2)}
	for i := range cfg.Acceptors() {
		hosts = append(hosts, twopc.NewAcceptor(cfg, f.topo, i))
	}
	for _, fac := range append(hosts, func() sim.Node { return f.txn }) {
		if _, err := w.AddHost(sim.HostConfig{Factory: fac}); err != nil {
			t.Fatal(err)
		}
	}
	w.AddHook(f.atom.Check)
	return f
}

func (f *fixture) shard(i int) *twopc.Participant {
	return f.w.Host(f.topo.Shards[i]).Node().(*twopc.Participant)
}

func (f *fixture) runUntil(t *testing.T, at time.Duration) {
	t.Helper()
	if out := f.w.RunUntil(at); out.Err != nil {
		t.Fatal(out.Err)
	}
}

// Timeline at 1ms a hop: Execute arrives at 1ms, Executed at 2ms, the
// CommitRequest at 3ms (shard 0 prepares), BeginCommit at 4ms, Prepare at
// 5ms, the votes at 6ms, the decision at 7ms.

func TestCooperativeTerminationAbortsWithoutTheCoordinator(t *testing.T) {
	f := newFixture(t, twopc.DefaultConfig())
	f.net.Cut(f.topo.Coordinator, f.topo.Shards[2])                                // shard 2 never hears Prepare
	f.w.At(5500*time.Microsecond, func() { f.w.Host(f.topo.Coordinator).Crash() }) // before the votes arrive
	f.runUntil(t, 200*time.Millisecond)
	if !slices.Contains(f.shard(0).InDoubt(), txnOne) || !slices.Contains(f.shard(1).InDoubt(), txnOne) {
		t.Fatalf("shards 0 and 1 should hold %v prepared: %v, %v", txnOne, f.shard(0).InDoubt(), f.shard(1).InDoubt())
	}
	// Their decision timeout fires at about 305ms; shard 2, which has not
	// voted, aborts and tells them.
	f.runUntil(t, 400*time.Millisecond)
	for i := range f.topo.Shards {
		if d, l := f.shard(i).InDoubt(), f.shard(i).LockedKeys(); len(d) > 0 || len(l) > 0 {
			t.Errorf("shard %d: in doubt %v, locks %v, with the coordinator still down", i, d, l)
		}
		if v := f.shard(i).Data()[f.txn.keys[i]]; len(v) > 0 {
			t.Errorf("shard %d applied %v of an aborted transaction", i, v)
		}
	}
	if f.atom.Queries() == 0 || f.atom.Aborted() != 1 {
		t.Errorf("queries %d, aborted %d", f.atom.Queries(), f.atom.Aborted())
	}
}

func TestARestartedShardKeepsItsLocksUntilTheDecision(t *testing.T) {
	f := newFixture(t, twopc.DefaultConfig())
	// The coordinator decides commit at 6ms, but nobody hears it.
	f.w.At(5500*time.Microsecond, func() {
		for _, s := range f.topo.Shards {
			f.net.Cut(f.topo.Coordinator, s)
		}
	})
	f.w.At(20*time.Millisecond, func() { f.w.Host(f.topo.Shards[1]).Crash() })
	f.w.At(30*time.Millisecond, func() { f.w.Host(f.topo.Shards[1]).Restart() })
	f.runUntil(t, 100*time.Millisecond)
	s1 := f.shard(1)
	if !slices.Contains(s1.InDoubt(), txnOne) || !slices.Contains(s1.LockedKeys(), f.txn.keys[1]) {
		t.Fatalf("restarted shard 1: in doubt %v, locks %v; want %v holding %s", s1.InDoubt(), s1.LockedKeys(), txnOne, f.txn.keys[1])
	}
	if f.atom.Recoveries() != 1 {
		t.Errorf("recoveries = %d", f.atom.Recoveries())
	}
	f.w.At(150*time.Millisecond, f.net.Heal)
	f.runUntil(t, 3*time.Second)
	for i := range f.topo.Shards {
		p := f.shard(i)
		if len(p.InDoubt()) > 0 || len(p.LockedKeys()) > 0 {
			t.Errorf("shard %d after the heal: in doubt %v, locks %v", i, p.InDoubt(), p.LockedKeys())
		}
		if v := p.Data()[f.txn.keys[i]]; !slices.Equal(v, []int{7}) {
			t.Errorf("shard %d holds %v at %s, want [7]", i, v, f.txn.keys[i])
		}
	}
	if f.txn.outcome == nil || !*f.txn.outcome {
		t.Errorf("the client heard %v, want commit", f.txn.outcome)
	}
}

// A shard restarted since runs recovery ballots from a higher round than
// the others (rounds start from the boot count). Those below must climb
// above its promise when an acceptor rejects them, or they would never
// finish.
func TestRecoveryBallotsClimbAboveAHigherPromise(t *testing.T) {
	cfg := twopc.DefaultConfig()
	cfg.Protocol = twopc.PaxosCommit
	f := newFixture(t, cfg)
	// Paxos Commit's timeline: phase 2a of shards 1 and 2 at 5ms, their
	// 2b at 7ms, the leader's decision at 8ms. The leader crashes first.
	f.w.At(6500*time.Microsecond, func() { f.w.Host(f.topo.Coordinator).Crash() })
	// Shard 0 restarts and recovers at once, with a ballot of its second
	// incarnation; the others do not hear what it learns.
	f.w.At(20*time.Millisecond, func() {
		f.net.Cut(f.topo.Shards[0], f.topo.Shards[1])
		f.net.Cut(f.topo.Shards[0], f.topo.Shards[2])
		f.w.Host(f.topo.Shards[0]).Crash()
	})
	f.w.At(21*time.Millisecond, func() { f.w.Host(f.topo.Shards[0]).Restart() })
	f.runUntil(t, 100*time.Millisecond)
	if d := f.shard(0).InDoubt(); len(d) > 0 {
		t.Fatalf("shard 0 did not recover %v on its own", d)
	}
	f.runUntil(t, 3*time.Second)
	for i := range f.topo.Shards {
		p := f.shard(i)
		if len(p.InDoubt()) > 0 || len(p.LockedKeys()) > 0 {
			t.Errorf("shard %d with the leader down: in doubt %v, locks %v", i, p.InDoubt(), p.LockedKeys())
		}
		if v := p.Data()[f.txn.keys[i]]; !slices.Equal(v, []int{7}) {
			t.Errorf("shard %d holds %v at %s, want the commit's [7]", i, v, f.txn.keys[i])
		}
	}
}
