package etcdraft

import (
	"crypto/rand" //detsim:rand only to stand a guard in for crypto/rand.Reader that hands etcd raft's draws a host's seeded stream; nothing is drawn from it
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// etcd raft draws every randomized election timeout with
// crypto/rand.Int(crypto/rand.Reader, n), reading the package variable at
// the time of the draw. To replay a run without changing etcd's code, this
// package stands a guard in for crypto/rand.Reader, once, when the process
// starts, and a node makes every call into etcd raft that can draw through
// Node.drawing, which hands the guard the node's reader, fed by its host's
// seeded stream:
//
//  1. Inside a drawing call (its frame is on the reading goroutine's
//     stack), the guard reads the stream of the node that made the call.
//  2. Outside one, a read under a frame of this package is etcd raft
//     drawing in a call the node did not expect to draw. The guard cannot
//     panic there (etcd raft holds a lock of its own around the draw, and
//     a panic would leave it held for every world in the process), so it
//     lets the draw read the original reader and notes the goroutine and
//     the RawNode method; the node panics, naming the method, as soon as
//     the call returns, before the Ready that follows leaves the node, and
//     the world reports it as a failure of the host, with the seed. A
//     wrong list below cannot pass unseen, and no draw ever reads another
//     node's stream.
//  3. Any other read (code that neither this package nor a world called)
//     goes to the original crypto/rand.Reader, unchanged.
//
// The guard looks at the stack only when something reads crypto/rand,
// which etcd raft does once per election, step-down or restart.
//
// Which calls can draw (go.etcd.io/raft/v3 v3.6.0): the draw is in
// raft.resetRandomizedElectionTimeout, called only by raft.reset, called
// only by becomeFollower, becomeCandidate and becomeLeader
// (becomePreCandidate does not reset). The node makes these calls through
// Node.drawing, always or when the state before the call says that they
// can reach one of the three (draws.go holds the predictions and their
// argument):
//
//  1. NewRawNode, always (newRaft becomes a follower);
//  2. Tick, when the election timer may expire: an election timeout
//     campaigns, a leader that lost its quorum steps down;
//  3. Step of a peer's message, when the message has a higher term (a
//     pre-vote aside), the node is a candidate or a pre-candidate (a vote
//     won or lost, a leader heard from), or it is a MsgTimeoutNow;
//  4. Advance, while the node is a candidate or a pre-candidate (it steps
//     its own vote, which can win the election);
//  5. ApplyConfChange, always (a leader removed from the configuration
//     steps down); ProposeConfChange and TransferLeader, always (they are
//     rare).
//
// Propose, ReadIndex and ReportSnapshot step local messages (term 0) that
// no state handles by resetting, so they run outside the lock, as do
// HasReady, Ready, Status and BasicStatus, which read or hand over state,
// and the rest of the node's work (decoding, the disk, sending, applying,
// the observer). What goes through the lock is the few calls around
// elections and expiring timers; two worlds on two goroutines take turns
// only there.
//
// The guard holds one node's reader at a time: entropyMu serializes the
// drawing calls of every world in the process, so that the reader the
// guard hands out is the one of the node whose call is on the stack.
// TestDrawsHappenOnlyInsideDrawingCalls runs scenarios of every kind, and
// the unit tests make etcd raft draw outside a drawing call and see the
// panic that names the call.
//
// This file is the one place in simulated code that imports crypto/rand;
// the determinism analyzer (vet/determinism) accepts exactly this import,
// by its annotation.
var (
	entropyMu sync.Mutex
	// drawingReader is the reader of the node inside a drawing call, set
	// and read only by the goroutine that holds entropyMu.
	drawingReader *seededReader
	// originalReader is crypto/rand.Reader as the process started.
	originalReader io.Reader
	// drawingFunc is the name of withSeededEntropy's frame, and
	// adapterPrefix the prefix of every function of this package.
	drawingFunc, adapterPrefix string

	// missedDraws counts the entries of missedDrawIn, the draws made
	// outside a drawing call whose node has not panicked yet, by
	// goroutine. It is zero but in a bug, so the check after every call
	// predicted not to draw costs one load of a line nobody writes.
	missedDraws  atomic.Int64
	missedMu     sync.Mutex
	missedDrawIn = map[uint64]string{}
)

func init() {
	pc, _, _, _ := runtime.Caller(0)
	self := runtime.FuncForPC(pc).Name() // <package path>.init.0
	adapterPrefix = self[:strings.LastIndex(self, ".init")+1]
	drawingFunc = adapterPrefix + "withSeededEntropy"
	originalReader = rand.Reader
	rand.Reader = entropyGuard{}
}

// entropyGuard stands in for crypto/rand.Reader (see above).
type entropyGuard struct{}

func (entropyGuard) Read(p []byte) (int, error) {
	switch call, inDrawing, inAdapter := readerOfStack(); {
	case inDrawing:
		return drawingReader.Read(p)
	case inAdapter:
		id := goroutineID()
		missedMu.Lock()
		if _, noted := missedDrawIn[id]; !noted {
			missedDrawIn[id] = call
			missedDraws.Add(1)
		}
		missedMu.Unlock()
		return originalReader.Read(p)
	default:
		return originalReader.Read(p)
	}
}

// readerOfStack looks at the reading goroutine's stack: whether it is in
// a drawing call, whether it is in this package at all, and the outermost
// etcd raft method it is in, to name it.
func readerOfStack() (call string, inDrawing, inAdapter bool) {
	pcs := make([]uintptr, 128)
	pcs = pcs[:runtime.Callers(3, pcs)] // from entropyGuard.Read's caller on
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		switch {
		case f.Function == drawingFunc:
			return call, true, true
		case strings.HasPrefix(f.Function, adapterPrefix):
			inAdapter = true
		case !inAdapter && strings.HasPrefix(f.Function, "go.etcd.io/raft/v3."):
			call = f.Function
		}
		if !more {
			return call, false, inAdapter
		}
	}
}

// panicOnMissedDraw panics if etcd raft drew, on this goroutine, outside
// a drawing call (see above): the node calls it after every call into
// etcd raft that it predicted not to draw.
func panicOnMissedDraw() {
	if missedDraws.Load() == 0 {
		return
	}
	id := goroutineID()
	missedMu.Lock()
	call, missed := missedDrawIn[id]
	delete(missedDrawIn, id)
	missedMu.Unlock()
	if missed {
		missedDraws.Add(-1)
		panic(fmt.Sprintf("etcdraft: etcd raft drew an election timeout in %s, which the node called "+
			"outside a drawing call (nodes/etcdraft/draws.go): the draw is not the seed's, and the run "+
			"would not replay", call))
	}
}

// goroutineID is the number of the running goroutine, read from the
// header of its stack trace ("goroutine 18 [running]:"). Only a missed
// draw asks for it.
func goroutineID() uint64 {
	var buf [64]byte
	header, _ := strings.CutPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	var id uint64
	for _, c := range []byte(header) {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// seededReader reads bytes from a seeded stream, and counts its reads:
// etcd raft reads only to draw, and draws only in raft.reset.
type seededReader struct {
	rng   *mathrand.Rand
	reads uint64
}

var _ io.Reader = (*seededReader)(nil)

func (r *seededReader) Read(p []byte) (int, error) {
	r.reads++
	for i := 0; i < len(p); i += 8 {
		v := r.rng.Uint64()
		for j := i; j < len(p) && j < i+8; j++ {
			p[j] = byte(v)
			v >>= 8
		}
	}
	return len(p), nil
}

// withSeededEntropy runs fn with the guard handing etcd raft's draws to
// r. It releases the lock even if fn panics, so that a node's panic (a
// finding) does not stop other worlds.
func withSeededEntropy(r *seededReader, fn func()) {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	drawingReader = r
	defer func() { drawingReader = nil }()
	fn()
}
