package twopc_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/twopccheck"
	"github.com/detsim/detsim/sim"
)

// The cost of commit in the normal case, as Gray and Lamport count it in
// "Consensus on Transaction Commit" (2006), section 4.3: N participants
// (resource managers), one of which initiates the commit by sending
// BeginCommit, its own vote included, to the coordinator; no failures,
// every vote yes. Messages are those of the commit protocol proper, from
// BeginCommit to the decision reaching every participant; the client's
// requests and replies and two-phase commit's acknowledgements (which only
// let the coordinator forget) are counted apart. A message between parts
// on one host is a local call that never reaches the network, and is not
// counted: the count is of the run's network sends. Message delays run
// from the initiator's BeginCommit to the last participant learning the
// outcome.
//
// Two-phase commit, the coordinator apart: BeginCommit, N-1 Prepare, N-1
// votes, N decisions: 3N-1 messages in 4 delays.
//
// Paxos Commit with 2F+1 acceptors: BeginCommit, N-1 Prepare, each
// participant's phase 2a to F+1 acceptors, one phase 2b from each of them
// bundling all N instances, N decisions.
//   - Apart: (N+1)(F+3)-2 messages in 5 delays.
//   - Leader with acceptor 0 on its host, the initiator's BeginCommit
//     bundled with its phase 2a to that acceptor, whose phase 2b is then
//     local: (N+1)(F+3)-4 in 5 delays. With F=0 that is 3N-1, two-phase
//     commit's.
//   - Co-located (every acceptor on a participant's host, the leader on
//     the initiator's): N(F+3)-3 messages. BeginCommit is local, so the
//     run takes 4 network delays, not 5.
//
// Faster Paxos Commit: the F+1 acceptors send their phase 2b to every
// participant, and no decision follows: N(2F+3) messages in 4 delays
// apart, (N-1)(2F+3) co-located (in 3 network delays).
func wantMessages(tc costCase) int {
	n, f := tc.n, tc.f
	switch {
	case tc.proto == twopc.TwoPhase:
		return 3*n - 1
	case tc.faster && tc.place == twopc.CoLocated:
		return (n - 1) * (2*f + 3)
	case tc.faster:
		return n * (2*f + 3)
	case tc.place == twopc.LeaderWithAcceptor:
		return (n+1)*(f+3) - 4
	case tc.place == twopc.CoLocated:
		return n*(f+3) - 3
	}
	return (n+1)*(f+3) - 2
}

// Delays of Paxos Commit placed apart: BeginCommit, Prepare, phase 2a,
// phase 2b, decision. A lone participant needs no Prepare round: two
// delays fewer. With the leader beside acceptor 0 and F = 0, that
// acceptor's phase 2b is local, and it is two-phase commit's 4 again.
// Co-located, BeginCommit is local: 4 delays; with two shards, the
// acceptors on the second shard's host hold both votes as soon as that
// shard votes, so their phase 2b leaves one delay earlier: 3. Faster
// Paxos Commit saves the decision's delay: 4 apart, 3 co-located.
func wantDelays(tc costCase) int {
	d := 5
	switch {
	case tc.proto == twopc.TwoPhase:
		d = 4
	case tc.faster && tc.place == twopc.CoLocated:
		d = 3
	case tc.faster:
		d = 4
	case tc.place == twopc.LeaderWithAcceptor && tc.f == 0:
		d = 4
	case tc.place == twopc.CoLocated && tc.n == 2:
		d = 3
	case tc.place == twopc.CoLocated:
		d = 4
	}
	if tc.n == 1 {
		d -= 2
	}
	return d
}

// Stable-storage writes on the way to the decision, each a sync: every
// participant forces its PREPARED record, then two-phase commit's
// coordinator its decision (N+1), or each of the F+1 acceptors that
// received the votes all of them at once (N+F+1): two write delays. The
// writes that end the transaction at each participant (its outcome with
// the data) come after the decision and are counted apart.
func wantWrites(proto twopc.Protocol, n, f int) int {
	if proto == twopc.TwoPhase {
		return n + 1
	}
	return n + f + 1
}

// protocolMessages are the message types the formulas count.
var protocolMessages = []string{"BeginCommit", "Prepare", "Vote", "Decision", "Phase1a", "Phase1b", "Phase2a", "Phase2b", "Bundle"}

type sendCounter map[string]int

func (s sendCounter) Write(r *sim.Record) error {
	if r.Kind == sim.KindSend {
		s[r.Label[strings.LastIndexByte(r.Label, '.')+1:]]++
	}
	return nil
}

// writeClass is what a sync made durable, by the records it carried.
type writeClass string

const (
	writePrepared writeClass = "prepared" // a participant's PREPARED record
	writeDecision writeClass = "decision" // a coordinator's decision, or an acceptor's votes
	writeEnd      writeClass = "end"      // a participant's outcome and data
	writeOther    writeClass = "other"    // boot counts, end-of-commit marks
)

type write struct {
	at    time.Duration
	class writeClass
	txn   twopc.TxnID
}

// syncTap records every sync that made something durable, on every host
// it wraps.
type syncTap struct {
	now    func() time.Duration
	writes []write
}

func (s *syncTap) wrap(f sim.Factory) sim.Factory {
	return func() sim.Node { return &tappedNode{Node: f(), tap: s} }
}

type tappedNode struct {
	sim.Node
	tap *syncTap
}

func (n *tappedNode) Start(env sim.Env) {
	n.Node.Start(tappedEnv{Env: env, st: &tappedStorage{Storage: env.Storage(), tap: n.tap}})
}

type tappedEnv struct {
	sim.Env
	st *tappedStorage
}

func (e tappedEnv) Storage() sim.Storage { return e.st }

type tappedStorage struct {
	sim.Storage
	tap     *syncTap
	pending []string
}

func (s *tappedStorage) Set(key string, v []byte) {
	s.pending = append(s.pending, key)
	s.Storage.Set(key, v)
}
func (s *tappedStorage) Delete(key string) {
	s.pending = append(s.pending, "-"+key)
	s.Storage.Delete(key)
}

func (s *tappedStorage) Sync() {
	s.Storage.Sync()
	if len(s.pending) == 0 {
		return
	}
	w := write{at: s.tap.now(), class: writeOther}
	for _, k := range s.pending {
		class := writeOther
		switch {
		case strings.HasPrefix(k, "-2pc/prep/"):
			// Removing the PREPARED record is part of ending the
			// transaction.
			class = writeEnd
		case strings.HasPrefix(k, "2pc/prep/"):
			class = writePrepared
		case strings.HasPrefix(k, "2pc/coord/"), strings.HasPrefix(k, "2pc/acc/"):
			class = writeDecision
		case strings.HasPrefix(k, "2pc/done/"):
			class = writeEnd
		}
		if class == writeOther {
			continue
		}
		if w.class != writeOther && w.class != class {
			panic(fmt.Sprintf("one sync carries %s and %s records: %v", w.class, class, s.pending))
		}
		w.class = class
		c, q, _ := strings.Cut(k[strings.LastIndexByte(k, '/')+1:], ".")
		client, _ := strconv.ParseUint(c, 10, 64)
		seq, _ := strconv.ParseUint(q, 10, 64)
		w.txn = twopc.TxnID{Client: client, Seq: seq}
	}
	s.pending = s.pending[:0]
	s.tap.writes = append(s.tap.writes, w)
}

// driver runs one transaction at a time, each appending to one key on
// every shard, and notes when it asks each to commit.
type driver struct {
	topo     twopc.Topology
	keys     []string // keys[i] lives on shard i
	want     int
	env      sim.Env
	seq      uint64
	answered int
	epochs   []uint64
	asked    []time.Duration
	commits  int
}

func (d *driver) parts() []int {
	out := make([]int, len(d.topo.Shards))
	for i := range out {
		out[i] = i
	}
	return out
}

func (d *driver) Start(env sim.Env) { d.env = env; d.begin() }

func (d *driver) begin() {
	d.seq++
	d.answered = 0
	d.epochs = make([]uint64, len(d.keys))
	txn := twopc.TxnID{Client: 1, Seq: d.seq}
	for i, k := range d.keys {
		d.env.Send(d.topo.Shards[i], twopc.Execute{Txn: txn, Priority: twopc.Priority{Start: d.env.Now(), Client: 1}, Ops: []twopc.Op{{Kind: twopc.OpAppend, Key: k, Value: int(d.seq)}}})
	}
}

func (d *driver) Receive(_ sim.HostID, msg any) {
	switch m := msg.(type) {
	case twopc.Executed:
		if !m.OK {
			panic(fmt.Sprintf("transaction %v aborted on a quiet cluster", m.Txn))
		}
		d.epochs[m.Shard] = m.Epoch
		if d.answered++; d.answered == len(d.keys) {
			d.asked = append(d.asked, d.env.Now())
			d.env.Send(d.topo.Shards[0], twopc.CommitRequest{Txn: m.Txn, Participants: d.parts(), Epochs: d.epochs})
		}
	case twopc.Outcome:
		if !m.Commit {
			panic(fmt.Sprintf("transaction %v aborted on a quiet cluster", m.Txn))
		}
		if d.commits++; d.commits < d.want {
			d.env.After(50*time.Millisecond, nil)
		}
	}
}

func (d *driver) Timer(sim.TimerID, any) { d.begin() }

// lastEnd records when the last shard ended each transaction.
type lastEnd struct {
	*twopccheck.Atomicity
	now func() time.Duration
	end map[twopc.TxnID]time.Duration
}

func (l *lastEnd) Finished(shard int, txn twopc.TxnID, commit, durable bool) {
	l.Atomicity.Finished(shard, txn, commit, durable)
	l.end[txn] = l.now()
}

type costCase struct {
	proto  twopc.Protocol
	place  twopc.Placement
	n, f   int
	faster bool
}

func (tc costCase) String() string {
	name := string(tc.proto)
	if tc.faster {
		name = "faster-" + name
	}
	return fmt.Sprintf("%s/%s/N=%d/F=%d", name, tc.place, tc.n, tc.f)
}

func costCases() []costCase {
	cases := []costCase{{twopc.TwoPhase, twopc.Apart, 1, 0, false}}
	for _, n := range []int{2, 3, 5} {
		cases = append(cases, costCase{twopc.TwoPhase, twopc.Apart, n, 0, false})
	}
	cases = append(cases,
		costCase{twopc.PaxosCommit, twopc.Apart, 1, 1, false},
		costCase{twopc.PaxosCommit, twopc.LeaderWithAcceptor, 3, 0, false},
		costCase{twopc.PaxosCommit, twopc.Apart, 1, 1, true})
	for _, place := range []twopc.Placement{twopc.Apart, twopc.LeaderWithAcceptor, twopc.CoLocated} {
		for _, n := range []int{2, 3, 5} {
			for _, f := range []int{1, 2} {
				cases = append(cases, costCase{twopc.PaxosCommit, place, n, f, false})
				if place != twopc.LeaderWithAcceptor {
					cases = append(cases, costCase{twopc.PaxosCommit, place, n, f, true})
				}
			}
		}
	}
	return cases
}

func TestNormalCaseCostMatchesGrayAndLamport(t *testing.T) {
	const latency = time.Millisecond
	const txns = 20
	for _, tc := range costCases() {
		t.Run(tc.String(), func(t *testing.T) {
			sends := sendCounter{}
			w, err := sim.NewWorld(sim.Options{Seed: 1, Sink: sends})
			if err != nil {
				t.Fatal(err)
			}
			_, err = net.New(w, net.Options{Default: net.Link{Latency: net.Constant{D: latency}}})
			if err != nil {
				t.Fatal(err)
			}
			cfg := twopc.DefaultConfig()
			cfg.Protocol, cfg.F, cfg.Placement, cfg.Faster = tc.proto, tc.f, tc.place, tc.faster
			var servers []sim.HostID
			for i := range tc.place.Hosts(tc.n, cfg.Acceptors()) {
				servers = append(servers, sim.HostID(i))
			}
			topo, err := twopc.Place(cfg, tc.n, servers)
			if err != nil {
				t.Fatal(err)
			}
			obs := &lastEnd{Atomicity: twopccheck.New(w.Now, nil), now: w.Now, end: map[twopc.TxnID]time.Duration{}}
			cfg.Observer = obs
			d := &driver{topo: topo, want: txns}
			for i := range tc.n {
				for k := 0; len(d.keys) == i; k++ {
					if key := fmt.Sprintf("k%d", k); topo.ShardOf(key) == i {
						d.keys = append(d.keys, key)
					}
				}
			}
			syncs := &syncTap{now: w.Now}
			for _, id := range servers {
				if _, err := w.AddHost(sim.HostConfig{Factory: syncs.wrap(twopc.NewHost(cfg, topo, id))}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.AddHost(sim.HostConfig{Factory: func() sim.Node { return d }}); err != nil {
				t.Fatal(err)
			}
			w.AddHook(obs.Check)
			if out := w.RunFor(time.Duration(txns) * 100 * time.Millisecond); out.Err != nil {
				t.Fatal(out.Err)
			}
			if d.commits != txns {
				t.Fatalf("%d of %d transactions committed", d.commits, txns)
			}
			counted := 0
			for _, kind := range protocolMessages {
				counted += sends[kind]
			}
			if want := wantMessages(tc) * txns; counted != want {
				t.Errorf("%d protocol messages for %d transactions (%v), want %d each", counted, txns, sends, want/txns)
			}
			for i := range txns {
				id := twopc.TxnID{Client: 1, Seq: uint64(i + 1)}
				// The CommitRequest takes one delay to reach the initiator.
				delays := (obs.end[id]-d.asked[i])/latency - 1
				if int(delays) != wantDelays(tc) {
					t.Errorf("%v took %d message delays, want %d", id, delays, wantDelays(tc))
				}
			}
			writes := checkWrites(t, syncs.writes, tc, txns)
			t.Logf("per transaction: %d messages, %d delays, %d writes to decide and %d to end; %v",
				counted/txns, wantDelays(tc), writes[writePrepared]+writes[writeDecision], writes[writeEnd], sends)
		})
	}
}

// checkWrites asserts the stable-storage writes of each transaction: N+1
// or N+F+1 to decide, in two write delays (every PREPARED record is
// durable before the first decision write), and one per participant to end
// it. It returns the writes per transaction, by class.
func checkWrites(t *testing.T, writes []write, tc costCase, txns int) map[writeClass]int {
	t.Helper()
	byTxn := map[twopc.TxnID][]write{}
	for _, w := range writes {
		if w.class != writeOther {
			byTxn[w.txn] = append(byTxn[w.txn], w)
		}
	}
	var first map[writeClass]int
	for i := range txns {
		id := twopc.TxnID{Client: 1, Seq: uint64(i + 1)}
		count := map[writeClass]int{}
		var lastPrepared, firstDecision time.Duration = -1, -1
		for _, w := range byTxn[id] {
			count[w.class]++
			switch {
			case w.class == writePrepared:
				lastPrepared = max(lastPrepared, w.at)
			case w.class == writeDecision && firstDecision < 0:
				firstDecision = w.at
			}
		}
		if got, want := count[writePrepared]+count[writeDecision], wantWrites(tc.proto, tc.n, tc.f); got != want {
			t.Errorf("%v: %d writes to decide (%v), want %d", id, got, count, want)
		}
		if count[writePrepared] != tc.n || count[writeEnd] != tc.n {
			t.Errorf("%v: %d PREPARED writes and %d ending writes, want %d of each", id, count[writePrepared], count[writeEnd], tc.n)
		}
		if firstDecision >= 0 && firstDecision < lastPrepared {
			t.Errorf("%v: a decision write at %v before the last PREPARED write at %v: not two write delays", id, firstDecision, lastPrepared)
		}
		if first == nil {
			first = count
		}
	}
	return first
}
