package etcdraft

import (
	"fmt"
	"io"
	"log"
	mathrand "math/rand/v2"
	"strings"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/sim"
)

// A follower whose log a leader replaces makes the message's entries its
// own unstable log, then appends the next message's entries to it in
// place while it has room: into the leader's array, had the message
// shared it with its spare capacity. newMessage clips the entries, so the
// follower copies instead, and what the leader holds stays as it was.
func TestAReceiverNeverWritesIntoTheEntriesItWasSent(t *testing.T) {
	storage := raft.NewMemoryStorage()
	if err := storage.ApplySnapshot(raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{
		Index: 1, Term: 1, ConfState: raftpb.ConfState{Voters: []uint64{1, 2, 3}}}}); err != nil {
		t.Fatal(err)
	}
	// Entries 2 and 3 of term 1, stable: a new leader's will replace them.
	if err := storage.Append([]raftpb.Entry{{Index: 2, Term: 1}, {Index: 3, Term: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := storage.SetHardState(raftpb.HardState{Term: 1, Commit: 1}); err != nil {
		t.Fatal(err)
	}
	entropy := &seededReader{rng: mathrand.New(mathrand.NewPCG(5, 6))}
	var follower *raft.RawNode
	withSeededEntropy(entropy, func() {
		var err error
		follower, err = raft.NewRawNode(&raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: storage,
			MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 16, Applied: 1,
			Logger: &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}})
		if err != nil {
			t.Fatal(err)
		}
	})
	step := func(m raftpb.Message) {
		withSeededEntropy(entropy, func() {
			if err := follower.Step(*newMessage(&m).Raft()); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The leader's log, with room to grow, as a MemoryStorage's is.
	leaderLog := make([]raftpb.Entry, 3, 8)
	for i := range leaderLog {
		leaderLog[i] = raftpb.Entry{Index: uint64(2 + i), Term: 2, Data: []byte{byte(i)}}
	}
	step(raftpb.Message{Type: raftpb.MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: leaderLog})
	step(raftpb.Message{Type: raftpb.MsgApp, From: 2, To: 1, Term: 2, Index: 4, LogTerm: 2,
		Entries: []raftpb.Entry{{Index: 5, Term: 2, Data: []byte{9}}}})

	rd := follower.Ready()
	if n := len(rd.Entries); n != 4 || rd.Entries[3].Index != 5 {
		t.Fatalf("the follower's unstable log holds %v, want entries 2 to 5", rd.Entries)
	}
	for _, e := range leaderLog[len(leaderLog):cap(leaderLog)] {
		if e.Index != 0 {
			t.Fatalf("the follower wrote entry %d into the leader's log, past what it was sent", e.Index)
		}
	}
}

// A zero Message (one built outside the adapter) is logged and ignored,
// not stepped.
func TestAZeroMessageIsIgnored(t *testing.T) {
	env := &loggingEnv{}
	n := &Node{env: env}
	n.receive(0, Message{})
	if len(env.lines) != 1 || !strings.Contains(env.lines[0], "holds none") {
		t.Fatalf("a zero Message logged %q", env.lines)
	}
}

type loggingEnv struct {
	sim.Env
	lines []string
}

func (e *loggingEnv) Logf(format string, args ...any) {
	e.lines = append(e.lines, fmt.Sprintf(format, args...))
}
