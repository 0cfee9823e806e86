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
// crypto/rand.Reader while it is inside etcd raft, and puts the original
// back before it returns.
//
// crypto/rand.Reader is one variable for the whole process, and sweeps run
// worlds on several goroutines at once. entropyMu serializes every stretch
// of code that has swapped it: at most one node, in one world, runs inside
// etcd raft at a time. Its cost is that parallel worlds of this system do
// not run their raft code in parallel (see docs/DESIGN-NOTES.md).
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
