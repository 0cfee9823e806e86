package chaos

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// Payload is a message with reference-typed fields, so the network must
// deep-copy it.
type Payload struct {
	Hop   int
	Data  []byte
	Tags  map[string]int
	Trail []string
}

type node struct {
	env    sim.Env
	timers []sim.TimerID
	seen   int
}

type poke struct{ n int }

func (n *node) Start(env sim.Env) {
	n.env = env
	if b, err := env.Storage().Get("seen"); err == nil {
		n.seen, _ = strconv.Atoi(string(b))
	}
	n.timers = append(n.timers, env.After(time.Duration(env.Rand().IntN(20))*time.Millisecond, poke{0}))
}

func (n *node) Timer(id sim.TimerID, tag any) {
	r := n.env.Rand()
	p := tag.(poke)
	peers := n.env.Peers()
	msg := Payload{Hop: 0, Data: []byte{byte(p.n % 200), byte(r.IntN(256))}, Tags: map[string]int{"a": p.n, "b": r.IntN(9)}, Trail: []string{n.env.Name()}}
	n.env.Send(peers[r.IntN(len(peers))], msg)
	msg.Data[0] = 0xff // must not reach the receiver
	n.env.Storage().Set("k"+strconv.Itoa(r.IntN(4)), []byte(strconv.Itoa(p.n)))
	if r.IntN(3) == 0 {
		n.env.Storage().Sync()
	}
	if r.IntN(4) == 0 && len(n.timers) > 0 {
		n.env.Cancel(n.timers[r.IntN(len(n.timers))])
	}
	if len(n.timers) > 8 {
		n.timers = n.timers[len(n.timers)-8:]
	}
	n.env.Logf("poke %d at %v", p.n, n.env.Now())
	n.timers = append(n.timers, n.env.After(time.Duration(1+r.IntN(30))*time.Millisecond, poke{p.n + 1}))
	if r.IntN(5) == 0 {
		n.timers = append(n.timers, n.env.After(time.Duration(1+r.IntN(30))*time.Millisecond, poke{p.n + 100}))
	}
}

func (n *node) Receive(from sim.HostID, msg any) {
	p := msg.(Payload)
	if p.Data[0] == 0xff {
		panic(fmt.Sprintf("%s received a message its sender changed after sending", n.env.Name()))
	}
	n.seen++
	n.env.Storage().Set("seen", []byte(strconv.Itoa(n.seen)))
	if p.Hop < 3 && n.env.Rand().IntN(2) == 0 {
		p.Hop++
		p.Trail = append(p.Trail, n.env.Name())
		n.env.Send(from, p)
	}
}

// Result is what a chaos run leaves.
type Result struct {
	Hash     uint64
	Events   uint64
	Outcome  sim.Outcome
	Counters simnet.Counters
}

// Options size a chaos run.
type Options struct {
	Hosts    int
	Duration time.Duration
	Sink     sim.Sink
}

// Run runs the chaos workload for one seed.
func Run(seed uint64, opts Options) (Result, error) {
	if opts.Hosts < 2 {
		return Result{}, fmt.Errorf("chaos: Options.Hosts must be at least 2 (is %d)", opts.Hosts)
	}
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxTime: opts.Duration + time.Second, Sink: opts.Sink})
	if err != nil {
		return Result{}, err
	}
	n, err := simnet.New(w, simnet.Options{Default: simnet.Link{
		Latency:   simnet.Mixture{Parts: []simnet.Weighted{{Weight: 0.95, Latency: simnet.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}}, {Weight: 0.05, Latency: simnet.Pareto{Min: 10 * time.Millisecond, Alpha: 1.5}}}},
		LossRatio: 0.05,
		DupRatio:  0.05,
	}})
	if err != nil {
		return Result{}, err
	}
	ids := make([]sim.HostID, opts.Hosts)
	for i := range ids {
		ids[i] = sim.HostID(i)
	}
	for i := range ids {
		peers := append(append([]sim.HostID{}, ids[:i]...), ids[i+1:]...)
		if _, err := w.AddHost(sim.HostConfig{Peers: peers, Factory: func() sim.Node { return &node{} }, ClockDrift: float64(i) * 1e-4, ClockOffset: time.Duration(i) * time.Second}); err != nil {
			return Result{}, err
		}
		if err := w.Host(sim.HostID(i)).SetStorageFaults(sim.StorageFaults{TornWriteRatio: 0.3, LyingSyncRatio: 0.05, CorruptReadRatio: 0.01}); err != nil {
			return Result{}, err
		}
	}
	nem := w.Stream("nemesis")
	var fault func()
	fault = func() {
		inject(w, n, nem, ids)
		w.After(time.Duration(5+nem.IntN(40))*time.Millisecond, fault)
	}
	w.After(10*time.Millisecond, fault)
	out := w.RunFor(opts.Duration)
	if out.Err != nil {
		return Result{}, out.Err
	}
	return Result{Hash: w.Hash(), Events: w.Events(), Outcome: out, Counters: n.Counters()}, nil
}

// inject applies one fault, chosen at random, of every kind the simulator
// offers.
func inject(w *sim.World, n *simnet.Network, r *rand.Rand, ids []sim.HostID) {
	h := w.Host(ids[r.IntN(len(ids))])
	o := ids[r.IntN(len(ids))]
	switch r.IntN(14) {
	case 0:
		k := 1 + r.IntN(len(ids)-1)
		_ = n.Partition(ids[:k], ids[k:])
	case 1:
		_ = n.Cut(h.ID(), o)
	case 2:
		n.Heal()
	case 3:
		_ = n.Clog(h.ID())
	case 4:
		n.UnclogAll()
	case 5:
		h.Crash()
	case 6:
		for _, id := range ids {
			w.Host(id).Restart()
		}
	case 7:
		h.Pause()
	case 8:
		for _, id := range ids {
			w.Host(id).Resume()
		}
	case 9:
		h.StepClock(time.Duration(r.IntN(200)-100) * time.Millisecond)
	case 10:
		_ = h.SetClockDrift(float64(r.IntN(200)-100) * 1e-3)
	case 11:
		_ = n.SetLink(h.ID(), o, simnet.Link{Latency: simnet.Exponential{Min: time.Millisecond, Mean: 5 * time.Millisecond}, LossRatio: 0.3, FIFO: r.IntN(2) == 0})
	case 12:
		_ = n.ClogLink(h.ID(), o)
	case 13:
		_ = n.SetDefault(simnet.Link{Latency: simnet.LogNormal{Median: 3 * time.Millisecond, Sigma: 0.8}, LossRatio: 0.02, DupRatio: 0.02})
	}
}
