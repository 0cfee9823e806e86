package etcdraft

import (
	"crypto/rand" //detsim:rand only to stand a seeded reader in for crypto/rand.Reader while etcd raft runs; nothing is drawn from it
	"io"
	mathrand "math/rand/v2"
	"sync"
)

// etcd raft draws every randomized election timeout with
// crypto/rand.Int(crypto/rand.Reader, n), reading the package variable at
// the time of the draw. To replay a run without changing etcd's code, the
// node stands a reader fed by its host's seeded stream in for
// crypto/rand.Reader around every call into etcd raft that can draw, and
// puts the original back before the call returns.
//
// crypto/rand.Reader is one variable for the whole process, and sweeps run
// worlds on several goroutines at once. entropyMu serializes the calls
// that have swapped it: at most one node, in one world, is inside such a
// call at a time, so a draw reads the stream of the node that makes it.
//
// Which calls can draw (go.etcd.io/raft/v3 v3.6.0): the draw is in
// raft.resetRandomizedElectionTimeout, called only by raft.reset, called
// only by becomeFollower, becomeCandidate and becomeLeader. Those are
// reached from raft.Step, raft.tick, raft.applyConfChange and newRaft,
// that is from these RawNode methods, which the node calls only through
// Node.drawing:
//
//  1. NewRawNode (newRaft becomes a follower);
//  2. Tick (an election timeout campaigns; a leader that lost its quorum
//     steps down);
//  3. Step, Propose, ProposeConfChange, ReadIndex, TransferLeader and
//     ReportSnapshot (each is a raft.Step: a higher term, a vote won or
//     lost, a MsgTimeoutNow);
//  4. Advance (it steps the node's own messages, its vote for itself
//     among them, which can make it leader);
//  5. ApplyConfChange (a leader removed from the configuration steps
//     down).
//
// HasReady, Ready, Status and BasicStatus read or hand over state and
// never reach raft.reset, so they run outside the lock, with the rest of
// the node's work (decoding, the disk, sending, applying, the observer).
// Two worlds on two goroutines thus run all of that at once and take
// turns only inside those calls.
// TestDrawsHappenOnlyInsideDrawingCalls holds the list to what etcd raft
// does: it runs scenarios with crypto/rand.Reader set to a reader that
// fails the test when read outside these calls.
//
// This file is the one place in simulated code that imports crypto/rand;
// the determinism analyzer (vet/determinism) accepts exactly this import,
// by its annotation.
var entropyMu sync.Mutex

// seededReader reads bytes from a seeded stream.
type seededReader struct {
	rng *mathrand.Rand
}

var _ io.Reader = (*seededReader)(nil)

func (r *seededReader) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		v := r.rng.Uint64()
		for j := i; j < len(p) && j < i+8; j++ {
			p[j] = byte(v)
			v >>= 8
		}
	}
	return len(p), nil
}

// withSeededEntropy runs fn with crypto/rand.Reader reading from r. It
// restores the original reader and releases the lock even if fn panics,
// so that a node's panic (a finding) does not poison other worlds.
func withSeededEntropy(r *seededReader, fn func()) {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	saved := rand.Reader
	rand.Reader = r
	defer func() { rand.Reader = saved }()
	fn()
}
