package twopc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/twopccheck"
	"github.com/detsim/detsim/sim"
)

// The cost of commit in the normal case, as Gray and Lamport count it in
// "Consensus on Transaction Commit" (2006): N participants (resource
// managers), one of which initiates the commit by sending BeginCommit, its
// own vote included, to the coordinator; no failures, every vote yes.
// Messages are those of the commit protocol proper, from BeginCommit to
// the decision reaching every participant; the client's requests and
// replies and two-phase commit's acknowledgements (which only let the
// coordinator forget) are counted apart. Message delays run from the
// initiator's BeginCommit to the last participant learning the outcome.
//
// Two-phase commit: BeginCommit, N-1 Prepare, N-1 votes, N decisions:
// 3N-1 messages in 4 delays.
//
// Paxos Commit with 2F+1 acceptors, none co-located with a participant
// or the leader: BeginCommit, N-1 Prepare, each participant's phase 2a
// to every acceptor, one phase 2b per acceptor bundling all N instances,
// N decisions: N(2F+3) + 2F + 1 messages in 5 delays. With F = 0 and the
// one acceptor placed on the coordinator, it is two-phase commit again.
func wantMessages(proto twopc.Protocol, n, f int) int {
	if proto == twopc.TwoPhase {
		return 3*n - 1
	}
	return n*(2*f+3) + 2*f + 1
}

// A lone participant needs no Prepare round: BeginCommit goes straight to
// the decision, two delays fewer.
func wantDelays(proto twopc.Protocol, n int) int {
	d := 5
	if proto == twopc.TwoPhase {
		d = 4
	}
	if n == 1 {
		d -= 2
	}
	return d
}

// protocolMessages are the message types the formulas count.
var protocolMessages = []string{"BeginCommit", "Prepare", "Vote", "Decision", "Phase1a", "Phase1b", "Phase2a", "Phase2b"}

type sendCounter map[string]int

func (s sendCounter) Write(r *sim.Record) error {
	if r.Kind == sim.KindSend {
		s[r.Label[strings.LastIndexByte(r.Label, '.')+1:]]++
	}
	return nil
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

func TestNormalCaseCostMatchesGrayAndLamport(t *testing.T) {
	const latency = time.Millisecond
	const txns = 20
	for _, tc := range []struct {
		proto twopc.Protocol
		n, f  int
	}{
		{twopc.TwoPhase, 1, 0}, {twopc.TwoPhase, 3, 0}, {twopc.TwoPhase, 5, 0},
		{twopc.PaxosCommit, 1, 1}, {twopc.PaxosCommit, 3, 0}, {twopc.PaxosCommit, 3, 1}, {twopc.PaxosCommit, 4, 2},
	} {
		t.Run(fmt.Sprintf("%s/N=%d/F=%d", tc.proto, tc.n, tc.f), func(t *testing.T) {
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
			cfg.Protocol, cfg.F = tc.proto, tc.f
			topo := twopc.Topology{Coordinator: 0}
			for i := range tc.n {
				topo.Shards = append(topo.Shards, sim.HostID(1+i))
			}
			for i := range cfg.Acceptors() {
				topo.Acceptors = append(topo.Acceptors, sim.HostID(1+tc.n+i))
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
			add := func(f sim.Factory) {
				if _, err := w.AddHost(sim.HostConfig{Factory: f}); err != nil {
					t.Fatal(err)
				}
			}
			add(twopc.NewCoordinator(cfg, topo))
			for i := range tc.n {
				add(twopc.NewParticipant(cfg, topo, i))
			}
			for i := range cfg.Acceptors() {
				add(twopc.NewAcceptor(cfg, topo, i))
			}
			add(func() sim.Node { return d })
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
			if want := wantMessages(tc.proto, tc.n, tc.f) * txns; counted != want {
				t.Errorf("%d protocol messages for %d transactions (%v), want %d each", counted, txns, sends, want/txns)
			}
			for i := range txns {
				id := twopc.TxnID{Client: 1, Seq: uint64(i + 1)}
				// The CommitRequest takes one delay to reach the initiator.
				delays := (obs.end[id]-d.asked[i])/latency - 1
				if int(delays) != wantDelays(tc.proto, tc.n) {
					t.Errorf("%v took %d message delays, want %d", id, delays, wantDelays(tc.proto, tc.n))
				}
			}
			t.Logf("per transaction: %d messages, %d delays; %v", counted/txns, wantDelays(tc.proto, tc.n), sends)
		})
	}
}
