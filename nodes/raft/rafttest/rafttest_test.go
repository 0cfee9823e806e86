package rafttest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/nodes/raft/rafttest"
	"github.com/detsim/detsim/sim"
)

func TestClusterAndTap(t *testing.T) {
	w, _ := sim.NewWorld(sim.Options{Seed: 1})
	nw, _ := net.New(w, net.Options{Default: net.Link{Latency: net.Constant{D: time.Millisecond}}})
	servers := []sim.HostID{0, 1, 2}
	c := &rafttest.Cluster{World: w, Net: nw, Servers: servers, Rand: w.Stream("nemesis")}
	safety := raftcheck.NewSafety()
	elected, commits := 0, 0
	tap := &rafttest.Tap{Next: safety, Elected: func(*raft.Node) { elected++ }, FirstCommit: func(*raft.Node) { commits++ }}
	cfg := raft.DefaultConfig()
	cfg.Members, cfg.Observer = servers, tap
	for range servers {
		w.AddHost(sim.HostConfig{Factory: raft.New(cfg)})
	}
	other, _ := w.AddHost(sim.HostConfig{Name: "other", Factory: raft.NewAdmin(nil).Node})
	w.RunFor(2 * time.Second)
	l := c.Leader()
	if l == nil || elected != 1 || commits != 1 || safety.Terms() != 1 {
		t.Fatalf("leader %v, %d elected, %d first commits, %d terms", l, elected, commits, safety.Terms())
	}
	c.Isolate(l.ID())
	f := (l.ID() + 1) % 3
	if !nw.Blocked(l.ID(), f) || nw.Blocked(l.ID(), other) || nw.Blocked(f, (f+1)%3) {
		t.Fatal("Isolate cut the wrong links")
	}
	w.RunFor(3 * time.Second)
	if n := c.Leader(); n == nil || n.ID() == l.ID() {
		t.Fatalf("no new leader among the rest: %v", n)
	}
	c.Isolate(f)
	if got := c.Isolated(); !slices.Equal(got, []sim.HostID{l.ID(), f}) {
		t.Fatal(got)
	}
	c.Rejoin(l.ID())
	if nw.Blocked(l.ID(), (f+1)%3) || !nw.Blocked(f, l.ID()) {
		t.Fatal("Rejoin restored the wrong links")
	}
	c.HealAll()
	if nw.Blocked(f, l.ID()) || len(c.Isolated()) != 0 {
		t.Fatal("HealAll left links cut")
	}
	w.RunFor(2 * time.Second)
	if err := safety.CheckLogs(); err != nil || elected < 2 {
		t.Fatalf("%v, %d elections", err, elected)
	}
}
