package etcdraft_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/sim"
)

// TestRestartRebuildsFromCompactedStorage: a server that snapshots and
// compacts keeps only the snapshot and the trailing entries on disk, and
// after a crash it rebuilds its state machine from them.
func TestRestartRebuildsFromCompactedStorage(t *testing.T) {
	w, err := sim.NewWorld(sim.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := net.New(w, net.Options{Default: net.Link{Latency: net.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := etcdraft.DefaultConfig()
	cfg.SnapshotEntries, cfg.SnapshotTrailing = 50, 10
	peers := []sim.HostID{0, 1, 2}
	for i := range peers {
		if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("n%d", i+1), Peers: peers, Factory: etcdraft.New(cfg)}); err != nil {
			t.Fatal(err)
		}
	}
	op, err := w.AddHost(sim.HostConfig{Name: "op", Factory: func() sim.Node { return idle{} }})
	if err != nil {
		t.Fatal(err)
	}
	node := func(h sim.HostID) *etcdraft.Node { return w.Host(h).Node().(*etcdraft.Node) }
	w.RunFor(2 * time.Second)
	leader := etcdraft.HostOf(node(0).BasicStatus().Lead)
	if leader == sim.NoHost {
		t.Fatal("no leader after 2s")
	}
	for i := range 200 {
		nw.Send(op, leader, client.Request{Client: 1, Seq: uint64(i + 1), Op: client.Op{Kind: client.OpAppend, Key: "k", Value: "x"}})
		w.RunFor(5 * time.Millisecond)
	}
	w.RunFor(time.Second)
	want, _ := node(leader).Value("k")
	if len(want) != 200 {
		t.Fatalf("the leader holds %d appends, want 200", len(want))
	}
	follower := (leader + 1) % 3
	h := w.Host(follower)
	h.Crash()
	h.Restart()
	w.RunFor(time.Second)
	n := node(follower)
	if got, _ := n.Value("k"); got != want {
		t.Fatalf("after restart the follower holds %d appends, want %d", len(got), len(want))
	}
	first, _ := n.Storage().FirstIndex()
	if first < 150 {
		t.Fatalf("the restarted follower's log starts at %d: it was not compacted", first)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for field, mutate := range map[string]func(*etcdraft.Config){
		"tick_interval":  func(c *etcdraft.Config) { c.TickInterval = 0 },
		"election_ticks": func(c *etcdraft.Config) { c.ElectionTicks = c.HeartbeatTicks },
		"read_only":      func(c *etcdraft.Config) { c.ReadOnly = "fast" },
		"check_quorum":   func(c *etcdraft.Config) { c.ReadOnly, c.CheckQuorum = etcdraft.ReadOnlyLeaseBased, false },
		"members[1]":     func(c *etcdraft.Config) { c.Members = []sim.HostID{0, -2} },
	} {
		c := etcdraft.DefaultConfig()
		mutate(&c)
		err := c.Validate()
		if !errors.Is(err, etcdraft.ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate() = %v, want an error naming it", field, err)
		}
	}
	if err := etcdraft.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}
