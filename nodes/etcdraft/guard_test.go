package etcdraft_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"log"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	_ "github.com/detsim/detsim/nodes/etcdraft"
)

// Code that is not the adapter's keeps crypto/rand as it was: etcd raft
// run by anyone else draws from the system's reader, as do others.
func TestCryptoRandOutsideTheAdapterIsTheSystemsReader(t *testing.T) {
	storage := raft.NewMemoryStorage()
	if err := storage.ApplySnapshot(raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 1, Term: 1, ConfState: raftpb.ConfState{Voters: []uint64{1}}}}); err != nil {
		t.Fatal(err)
	}
	rn, err := raft.NewRawNode(&raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: storage, MaxInflightMsgs: 1,
		Logger: &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * 10 {
		rn.Tick()
	}
	if st := rn.BasicStatus(); st.RaftState != raft.StateCandidate {
		t.Fatalf("a single voter ticked through two election timeouts is %v, want a candidate (it drew again)", st.RaftState)
	}
	a, b := make([]byte, 32), make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, a); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
		t.Fatalf("crypto/rand.Reader read %x, then %x: not the system's random bytes", a, b)
	}
}
