package etcdsys_test

import (
	"crypto/rand"
	"io"
	"log"
	"sync/atomic"
	"testing"

	"go.etcd.io/raft/v3"

	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
)

// tripwire stands in for crypto/rand.Reader and counts what is read from
// it. The node swaps its seeded reader in around every call into etcd
// raft that can draw, so a read that reaches the tripwire is a draw made
// outside those calls: one no lock orders against other worlds' draws.
type tripwire struct{ reads *atomic.Int64 }

func (w tripwire) Read(p []byte) (int, error) {
	w.reads.Add(1)
	clear(p)
	return len(p), nil
}

// TestDrawsHappenOnlyInsideDrawingCalls runs scenarios of elections,
// step-downs, leader transfers, conf changes, snapshots and restarts with
// crypto/rand.Reader set to a tripwire: every election timeout etcd raft
// drew came from a host's seeded stream, none from the tripwire. The list
// of drawing calls in nodes/etcdraft/entropy.go is what lets two worlds run
// etcd raft at once; an etcd raft that drew from elsewhere would trip it.
func TestDrawsHappenOnlyInsideDrawingCalls(t *testing.T) {
	var reads atomic.Int64
	saved := rand.Reader
	rand.Reader = tripwire{&reads}
	defer func() { rand.Reader = saved }()

	// The tripwire works: a RawNode built outside the adapter draws its
	// first election timeout from it.
	if _, err := raft.NewRawNode(&raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: raft.NewMemoryStorage(), MaxInflightMsgs: 1,
		Logger: &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}}); err != nil {
		t.Fatal(err)
	}
	if reads.Load() == 0 {
		t.Fatal("a RawNode built outside the adapter did not read crypto/rand.Reader: the tripwire sees nothing")
	}
	reads.Store(0)

	elections := 0
	for _, name := range []string{
		"etcd-raft-swarm",
		"etcd-raft-membership",
		"etcd-raft-partial-partition-churn",
		"etcd-raft-snapshot-catchup",
		"lab-etcd-3a-many-elections",
		"lab-etcd-3c-figure8",
	} {
		s := lookup(t, name)
		for seed := uint64(1); seed <= 2; seed++ {
			r := run(t, s, seed)
			if !r.Expected {
				t.Fatalf("%s seed %d: %s", name, seed, r.Summary())
			}
			elections += r.Counters[etcdsys.CounterLeaderChange]
			if n := reads.Load(); n > 0 {
				t.Fatalf("%s seed %d: etcd raft read crypto/rand.Reader %d times outside the adapter's drawing calls", name, seed, n)
			}
		}
	}
	if elections < 20 {
		t.Fatalf("the scenarios elected only %d leaders after the first: too few draws to prove anything", elections)
	}
}
