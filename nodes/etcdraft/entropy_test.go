package etcdraft

import (
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"math/big"
	mathrand "math/rand/v2"
	"strings"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// quietRaftConfig configures a single voter that logs nothing.
func quietRaftConfig() *raft.Config {
	storage := raft.NewMemoryStorage()
	if err := storage.ApplySnapshot(raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 1, Term: 1, ConfState: raftpb.ConfState{Voters: []uint64{1}}}}); err != nil {
		panic(err)
	}
	return &raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: storage, MaxInflightMsgs: 1,
		Logger: &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}}
}

// panicOf runs fn and returns what it panicked with, or "".
func panicOf(fn func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	fn()
	return ""
}

func TestAnEtcdDrawOutsideADrawingCallPanicsNamingTheCall(t *testing.T) {
	msg := panicOf(func() {
		_, _ = raft.NewRawNode(quietRaftConfig())
		panicOnMissedDraw()
	})
	if !strings.Contains(msg, "outside a drawing call") || !strings.Contains(msg, "go.etcd.io/raft/v3.NewRawNode") {
		t.Fatalf("NewRawNode called by the adapter outside a drawing call: got panic %q, want one naming NewRawNode", msg)
	}

	// A node built inside a drawing call, then ticked outside one past
	// its largest election timeout, campaigns and draws: the guard names
	// Tick, and the node's stream was never read.
	r := &seededReader{rng: mathrand.New(mathrand.NewPCG(1, 2))}
	var rn *raft.RawNode
	withSeededEntropy(r, func() {
		var err error
		if rn, err = raft.NewRawNode(quietRaftConfig()); err != nil {
			t.Fatal(err)
		}
	})
	if r.reads == 0 {
		t.Fatal("NewRawNode inside a drawing call did not read the node's stream")
	}
	reads := r.reads
	msg = panicOf(func() {
		for range 2 * quietRaftConfig().ElectionTick {
			rn.Tick()
			panicOnMissedDraw()
		}
	})
	if !strings.Contains(msg, "go.etcd.io/raft/v3.(*RawNode).Tick") {
		t.Fatalf("Tick that campaigned outside a drawing call: got panic %q, want one naming (*RawNode).Tick", msg)
	}
	if r.reads != reads {
		t.Fatal("a draw outside a drawing call read the node's stream")
	}
	if msg := panicOf(panicOnMissedDraw); msg != "" || missedDraws.Load() != 0 {
		t.Fatalf("a missed draw was reported twice: %q", msg)
	}

	// etcd raft's own lock around its draws is free again: a node built
	// inside a drawing call draws at once.
	withSeededEntropy(r, func() { _, _ = raft.NewRawNode(quietRaftConfig()) })
	if r.reads == reads {
		t.Fatal("NewRawNode inside a drawing call did not read the node's stream")
	}
}

func TestADrawingCallHandsCryptoRandTheNodesStream(t *testing.T) {
	draw := func(seed uint64) *big.Int {
		var v *big.Int
		withSeededEntropy(&seededReader{rng: mathrand.New(mathrand.NewPCG(seed, 0))}, func() {
			var err error
			if v, err = rand.Int(rand.Reader, big.NewInt(1<<62)); err != nil {
				t.Fatal(err)
			}
		})
		return v
	}
	if a, b := draw(7), draw(7); a.Cmp(b) != 0 {
		t.Fatalf("the same stream drew %v, then %v", a, b)
	}
	if a, b := draw(7), draw(8); a.Cmp(b) == 0 {
		t.Fatalf("two streams drew the same %v", a)
	}
}

func TestDrawingReportsWhetherEtcdRaftDrew(t *testing.T) {
	n := &Node{entropy: seededReader{rng: mathrand.New(mathrand.NewPCG(3, 4))}}
	n.clock = electionClock{elapsed: 12}
	if n.drawing(func() {}) {
		t.Fatal("a call that read nothing reported a draw")
	}
	if n.clock.elapsed != 12 {
		t.Fatalf("a call that did not draw moved the election clock to %+v", n.clock)
	}
	if !n.drawing(func() { _, _ = raft.NewRawNode(quietRaftConfig()) }) {
		t.Fatal("NewRawNode did not report a draw")
	}
	if n.clock != (electionClock{exact: true}) {
		t.Fatalf("a draw (raft.reset) left the election clock at %+v, want exactly zero", n.clock)
	}
}
