package raft_test

import (
	"fmt"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/sim"
)

// A three-server cluster, one client, the safety checker as a hook, and a
// linearizability check of the client's history.
func Example() {
	w, _ := sim.NewWorld(sim.Options{Seed: 1})
	net.New(w, net.Options{Default: net.Link{Latency: net.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}}})

	safety := raftcheck.NewSafety()
	cfg := raft.DefaultConfig()
	cfg.Members = []sim.HostID{0, 1, 2}
	cfg.Observer = safety
	for i := 0; i < 3; i++ {
		w.AddHost(sim.HostConfig{Name: fmt.Sprintf("s%d", i), Factory: raft.New(cfg)})
	}
	w.AddHook(safety.Check)

	var hist kvhistory.History
	wc := client.DefaultWorkloadConfig()
	wc.Client.ID = 1
	wc.Client.Servers = []sim.HostID{0, 1, 2}
	wc.OpsMax = 50
	wl, _ := client.NewWorkload(wc, kvhistory.New(&hist, w.Now))
	w.AddHost(sim.HostConfig{Name: "client", Factory: wl.Node})

	out := w.RunFor(10 * time.Second)
	res := checker.Check(checker.KVModel(), &hist, checker.CheckOptions{})
	fmt.Println(out.Reason, safety.Check(), res.Verdict, wl.Stats().OK)
	// Output: deadline <nil> Ok 50
}
