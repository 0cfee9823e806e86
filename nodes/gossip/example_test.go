package gossip_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/sim"
)

// Three gossip nodes on a lossy network: one is partitioned away, another
// crashes and restarts, and once healed all agree on the total.
func Example() {
	w, _ := sim.NewWorld(sim.Options{Seed: 1})
	n, _ := net.New(w, net.Options{Default: net.Link{
		Latency: net.LogNormal{Median: 2 * time.Millisecond, Sigma: 0.6}, LossRatio: 0.05}})
	factory, _ := gossip.New(gossip.DefaultConfig())
	ids := []sim.HostID{0, 1, 2} // hosts are numbered in the order they are added
	for _, id := range ids {
		peers := slices.DeleteFunc(slices.Clone(ids), func(p sim.HostID) bool { return p == id })
		w.AddHost(sim.HostConfig{Peers: peers, Factory: factory})
	}
	w.At(2*time.Second, func() { n.Partition([]sim.HostID{0}, []sim.HostID{1, 2}) })
	w.At(3*time.Second, func() { w.Host(1).Crash() })
	w.At(4*time.Second, func() { n.Heal(); w.Host(1).Restart() })
	out := w.RunFor(10 * time.Second)
	fmt.Println(out.Reason, w.Host(0).Node().(*gossip.Node).Total())
	// Output: deadline 300
}
