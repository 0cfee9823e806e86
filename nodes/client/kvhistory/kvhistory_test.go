package kvhistory_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	detnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/sim"
)

const ms = time.Millisecond

func TestConvert(t *testing.T) {
	for k, want := range map[client.OpKind]checker.KVKind{
		client.OpGet: checker.KVGet, client.OpPut: checker.KVPut, client.OpAppend: checker.KVAppend,
		client.OpDelete: checker.KVDelete, client.OpCAS: checker.KVCAS, 0: 0, 99: 0,
	} {
		in := kvhistory.Input(client.Op{Kind: k, Key: "k", Value: "v", Want: "w"})
		if in != (checker.KVInput{Kind: want, Key: "k", Value: "v", Want: "w"}) {
			t.Errorf("%v -> %+v", k, in)
		}
	}
	if out := kvhistory.Output(client.Result{Value: "v", Found: true, OK: true}); out != (checker.KVOutput{Value: "v", Found: true, OK: true}) {
		t.Errorf("output %+v", out)
	}
}

func TestRecorder(t *testing.T) {
	var h kvhistory.History
	now := time.Duration(0)
	rec := kvhistory.New(&h, func() time.Duration { return now })
	a := rec.Invoke(3, client.Op{Kind: client.OpPut, Key: "k", Value: "v"})
	now = 5 * ms
	b := rec.Invoke(4, client.Op{Kind: client.OpGet, Key: "k"})
	c := rec.Invoke(4, client.Op{Kind: client.OpGet, Key: "j"})
	now = 7 * ms
	rec.Complete(b, client.Result{Value: "v", Found: true})
	rec.Fail(c)
	ops := h.Ops()
	if len(ops) != 3 || ops[a].Status != checker.OpPending || ops[a].Client != 3 || ops[a].Call != 0 {
		t.Fatalf("ops %+v", ops)
	}
	if ops[b].Status != checker.OpCompleted || ops[b].Call != 5*ms || ops[b].Return != 7*ms || !ops[b].Out.Found {
		t.Errorf("completed op %+v", ops[b])
	}
	if ops[c].Status != checker.OpFailed {
		t.Errorf("failed op %+v", ops[c])
	}
}

// cluster is a linearizable store in miniature: its servers share one map,
// the leader applies a request the instant it arrives, the others refuse
// it, and replies are deduplicated by (Client, Seq).
type cluster struct {
	leader  sim.HostID
	data    map[string]string
	replies map[[2]uint64]client.Response
}

type server struct {
	c   *cluster
	env sim.Env
}

func (s *server) Start(env sim.Env)      { s.env = env }
func (s *server) Timer(sim.TimerID, any) {}
func (s *server) Receive(from sim.HostID, msg any) {
	req := msg.(client.Request)
	k := [2]uint64{req.Client, req.Seq}
	resp, done := s.c.replies[k]
	switch {
	case done:
	case s.env.ID() != s.c.leader:
		resp = client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusNotLeader, Leader: sim.NoHost}
	default:
		resp = client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: s.c.apply(req.Op), Leader: s.c.leader}
		s.c.replies[k] = resp
	}
	s.env.Send(from, resp)
}

func (c *cluster) apply(op client.Op) client.Result {
	v, found := c.data[op.Key]
	switch op.Kind {
	case client.OpGet:
		return client.Result{Value: v, Found: found}
	case client.OpPut:
		c.data[op.Key] = op.Value
	case client.OpAppend:
		c.data[op.Key] = v + op.Value
		return client.Result{Value: c.data[op.Key]}
	case client.OpDelete:
		delete(c.data, op.Key)
		return client.Result{Found: found}
	case client.OpCAS:
		if v == op.Want {
			c.data[op.Key] = op.Value
			return client.Result{OK: true}
		}
	}
	return client.Result{}
}

func newWorld(t *testing.T, seed uint64, servers int, link detnet.Link) (*sim.World, *detnet.Network, *cluster) {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := detnet.New(w, detnet.Options{Default: link})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{data: map[string]string{}, replies: map[[2]uint64]client.Response{}}
	for i := 0; i < servers; i++ {
		if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("s%d", i), Factory: func() sim.Node { return &server{c: c} }}); err != nil {
			t.Fatal(err)
		}
	}
	return w, nw, c
}

// The scenario's wiring, end to end: workloads record through kvhistory
// into a checker.History, over a network that loses, duplicates and
// reorders, while leadership moves; the history must check as linearizable
// and show every kind of outcome.
func TestWorkloadHistoryLinearizable(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		w, _, c := newWorld(t, seed, 3, detnet.Link{
			Latency:   detnet.Uniform{Min: ms / 2, Max: 10 * ms},
			LossRatio: 0.15,
			DupRatio:  0.05,
		})
		for i := 1; i < 40; i++ {
			w.At(time.Duration(i)*37*ms, func() { c.leader = sim.HostID(i % 3) })
		}
		var h kvhistory.History
		rec := kvhistory.New(&h, w.Now)
		for id := uint64(1); id <= 3; id++ {
			cfg := client.DefaultWorkloadConfig()
			cfg.Client.ID, cfg.Client.Servers = id, []sim.HostID{0, 1, 2}
			cfg.Client.TimeoutAttempt, cfg.Client.Deadline = 15*ms, 120*ms
			cfg.Client.BreakerFailures, cfg.Client.BreakerReset = 3, 30*ms
			cfg.Keys, cfg.OpsMax = 2, 120
			work, err := client.NewWorkload(cfg, rec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("c%d", id), Factory: work.Node}); err != nil {
				t.Fatal(err)
			}
		}
		if out := w.Run(); out.Reason != sim.StopQuiescent {
			t.Fatalf("seed %d: run ended %v: %v", seed, out.Reason, out.Err)
		}
		res := checker.Check(checker.KVModel(), &h, checker.CheckOptions{Timeout: 10 * time.Second, Workers: 1})
		if res.Verdict != checker.Ok {
			t.Fatalf("seed %d: %v", seed, res)
		}
		if h.Len() != 360 || h.Pending() == 0 || h.Failed() == 0 || h.Len()-h.Pending()-h.Failed() == 0 {
			t.Errorf("seed %d: %d ops, %d pending, %d failed: the faults never showed", seed, h.Len(), h.Pending(), h.Failed())
		}
	}
}

// seqLatency delays the n-th message on its link by ds[n].
type seqLatency struct {
	ds []time.Duration
	n  *int
}

func (l seqLatency) Sample(*rand.Rand) time.Duration {
	d := l.ds[min(*l.n, len(l.ds)-1)]
	*l.n++
	return d
}
func (l seqLatency) Validate() error { return nil }
func (l seqLatency) String() string  { return "seq" }

// Why Config.RefusalDefinite must stay off when the network may duplicate:
// a put is refused by s0, but a duplicate of the request reaches s0 after it
// has become the leader and is applied. Recording the put as failed makes a
// correct store look non-linearizable.
func TestRefusalUnsoundUnderDuplication(t *testing.T) {
	for _, definite := range []bool{false, true} {
		w, nw, c := newWorld(t, 1, 2, detnet.Link{Latency: detnet.Constant{D: ms}})
		c.leader = 1
		var h kvhistory.History
		rec := kvhistory.New(&h, w.Now)
		var writer, reader *client.Client
		for id := uint64(1); id <= 2; id++ {
			cfg := client.DefaultConfig()
			cfg.ID, cfg.Servers, cfg.AttemptsMax, cfg.RefusalDefinite = id, []sim.HostID{0}, 1, definite
			p := &writer
			if id == 2 {
				p = &reader
			}
			if _, err := w.AddHost(sim.HostConfig{Factory: func() sim.Node { return &clientNode{cfg: cfg, rec: rec, c: p} }}); err != nil {
				t.Fatal(err)
			}
		}
		// The writer's request to s0 arrives at 1ms and, duplicated, at 30ms.
		n := 0
		if err := nw.SetLink(2, 0, detnet.Link{Latency: seqLatency{ds: []time.Duration{ms, 30 * ms}, n: &n}, DupRatio: 1}); err != nil {
			t.Fatal(err)
		}
		w.At(0, func() { _ = writer.Do(client.Op{Kind: client.OpPut, Key: "k", Value: "v"}, nil) })
		w.At(10*ms, func() { c.leader = 0 })
		w.At(40*ms, func() { _ = reader.Do(client.Op{Kind: client.OpGet, Key: "k"}, nil) })
		w.Run()

		res := checker.Check(checker.KVModel(), &h, checker.CheckOptions{Workers: 1})
		if c.data["k"] != "v" || h.Len() != 2 {
			t.Fatalf("the duplicate was not applied (%q) or ops missing (%d)", c.data["k"], h.Len())
		}
		want := checker.Ok
		if definite {
			want = checker.Illegal
		}
		if res.Verdict != want {
			t.Errorf("RefusalDefinite=%t: %v, want %v", definite, res.Verdict, want)
		}
	}
}

// clientNode embeds a Client and publishes it through c.
type clientNode struct {
	cfg client.Config
	rec client.Recorder
	c   **client.Client
}

func (n *clientNode) Start(env sim.Env) {
	c, err := client.New(env, n.cfg, n.rec)
	if err != nil {
		panic(err)
	}
	*n.c = c
}
func (n *clientNode) Receive(from sim.HostID, msg any) { (*n.c).Receive(from, msg) }
func (n *clientNode) Timer(id sim.TimerID, tag any)    { (*n.c).Timer(id, tag) }
