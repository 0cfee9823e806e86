package main

import (
	"fmt"
	"io"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/sim"
)

// cmdDefault runs five gossip nodes for ten virtual seconds of faults, heals
// everything, and checks that the counters converge.
func cmdDefault(stdout, stderr io.Writer) int {
	const seed = 1
	start := time.Now()
	res, err := gossipUnderFaults(seed)
	if err != nil {
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return exitFail
	}
	verdict := "pass"
	if !res.converged {
		verdict = "FAIL: replicas did not converge"
	}
	fmt.Fprintf(stdout, "example gossip cluster under faults\n")
	fmt.Fprintf(stdout, "  seed          %d\n", seed)
	fmt.Fprintf(stdout, "  events        %d\n", res.events)
	fmt.Fprintf(stdout, "  virtual time  %v\n", res.virtual)
	fmt.Fprintf(stdout, "  wall time     %v\n", time.Since(start).Round(time.Microsecond))
	fmt.Fprintf(stdout, "  trace hash    %016x\n", res.hash)
	fmt.Fprintf(stdout, "  messages      %d sent, %d delivered, %d dropped\n", res.net.Sent, res.net.Delivered, res.net.Dropped)
	fmt.Fprintf(stdout, "  verdict       %s (total %d on every node)\n", verdict, res.total)
	if !res.converged {
		return exitFail
	}
	return exitPass
}

type gossipResult struct {
	events    uint64
	virtual   time.Duration
	hash      uint64
	net       simnet.Counters
	converged bool
	total     uint64
}

func gossipUnderFaults(seed uint64) (gossipResult, error) {
	const hosts = 5
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxTime: time.Minute})
	if err != nil {
		return gossipResult{}, err
	}
	n, err := simnet.New(w, simnet.Options{Default: simnet.Link{
		Latency:   simnet.LogNormal{Median: 2 * time.Millisecond, Sigma: 0.6},
		LossRatio: 0.05,
		DupRatio:  0.01,
	}})
	if err != nil {
		return gossipResult{}, err
	}
	factory, err := gossip.New(gossip.DefaultConfig())
	if err != nil {
		return gossipResult{}, err
	}
	ids := make([]sim.HostID, hosts)
	for i := range ids {
		ids[i] = sim.HostID(i)
	}
	for i := range ids {
		peers := append(append([]sim.HostID{}, ids[:i]...), ids[i+1:]...)
		if _, err := w.AddHost(sim.HostConfig{Peers: peers, Factory: factory, ClockDrift: float64(i-2) * 1e-3}); err != nil {
			return gossipResult{}, err
		}
	}
	nem := w.Stream("nemesis")
	const faultPhase = 10 * time.Second
	var strike func()
	strike = func() {
		if w.Now() >= faultPhase {
			return
		}
		h := w.Host(ids[nem.IntN(hosts)])
		switch nem.IntN(4) {
		case 0:
			k := 1 + nem.IntN(hosts-1)
			_ = n.Partition(ids[:k], ids[k:])
		case 1:
			h.Crash()
			w.After(time.Duration(200+nem.IntN(800))*time.Millisecond, h.Restart)
		case 2:
			h.Pause()
			w.After(time.Duration(100+nem.IntN(500))*time.Millisecond, h.Resume)
		case 3:
			n.Heal()
		}
		w.After(time.Duration(300+nem.IntN(700))*time.Millisecond, strike)
	}
	w.After(500*time.Millisecond, strike)
	w.At(faultPhase, func() {
		n.Heal()
		for _, id := range ids {
			w.Host(id).Resume()
			w.Host(id).Restart()
		}
	})
	out := w.RunUntil(faultPhase + 10*time.Second)
	if out.Err != nil {
		return gossipResult{}, out.Err
	}
	res := gossipResult{events: w.Events(), virtual: w.Now(), hash: w.Hash(), net: n.Counters(), converged: true}
	for i, id := range ids {
		node := w.Host(id).Node().(*gossip.Node)
		if i == 0 {
			res.total = node.Total()
		} else if node.Total() != res.total {
			res.converged = false
		}
	}
	return res, nil
}
