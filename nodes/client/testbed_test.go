package client

import (
	"fmt"
	"testing"
	"time"

	detnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// The test bed: a real sim.World and net.Network, fake key-value servers that
// share one store (a replicated store in miniature: whichever server leads
// applies at once), and a driver node that embeds a Client.

const latency = time.Millisecond

type reqKey struct{ client, seq uint64 }

type arrival struct {
	at     time.Duration
	server sim.HostID
	client uint64
	seq    uint64
}

// kvState is the store and the behaviour shared by a test's fake servers.
type kvState struct {
	w *sim.World

	// leader serves; the others answer NotLeader. NoHost: every server serves.
	leader sim.HostID
	// hint: refusals name the leader; otherwise they name no one.
	hint bool
	// hints, if set, overrides what server s names when it refuses.
	hints map[sim.HostID]sim.HostID
	// unavailable answers the next that many served requests StatusUnavailable
	// (without applying them).
	unavailable int
	// dedup answers a repeated (Client, Seq) with the first reply.
	dedup bool

	data    map[string]string
	replies map[reqKey]Response
	applied map[reqKey]int
	log     []arrival
}

func newKVState(w *sim.World) *kvState {
	return &kvState{
		w:       w,
		leader:  sim.NoHost,
		hint:    true,
		dedup:   true,
		data:    map[string]string{},
		replies: map[reqKey]Response{},
		applied: map[reqKey]int{},
	}
}

// arrivals lists where requests of (client, seq) arrived, in order.
func (s *kvState) arrivals(client, seq uint64) []arrival {
	var out []arrival
	for _, a := range s.log {
		if a.client == client && a.seq == seq {
			out = append(out, a)
		}
	}
	return out
}

func (s *kvState) apply(op Op) Result {
	switch op.Kind {
	case OpGet:
		v, ok := s.data[op.Key]
		return Result{Value: v, Found: ok}
	case OpPut:
		s.data[op.Key] = op.Value
	case OpAppend:
		s.data[op.Key] += op.Value
		return Result{Value: s.data[op.Key]}
	case OpDelete:
		_, ok := s.data[op.Key]
		delete(s.data, op.Key)
		return Result{Found: ok}
	case OpCAS:
		if s.data[op.Key] == op.Want {
			s.data[op.Key] = op.Value
			return Result{OK: true}
		}
	}
	return Result{}
}

// fakeServer is one server of a kvState.
type fakeServer struct {
	s   *kvState
	env sim.Env
}

func (f *fakeServer) Start(env sim.Env)      { f.env = env }
func (f *fakeServer) Timer(sim.TimerID, any) {}
func (f *fakeServer) Receive(from sim.HostID, msg any) {
	req, ok := msg.(Request)
	if !ok {
		panic(fmt.Sprintf("fake server got %T", msg))
	}
	s, me := f.s, f.env.ID()
	s.log = append(s.log, arrival{at: s.w.Now(), server: me, client: req.Client, seq: req.Seq})
	resp := Response{Client: req.Client, Seq: req.Seq, Leader: s.leader}
	k := reqKey{req.Client, req.Seq}
	switch {
	case s.leader != sim.NoHost && s.leader != me:
		resp.Status = StatusNotLeader
		if !s.hint {
			resp.Leader = sim.NoHost
		}
		if h, ok := s.hints[me]; ok {
			resp.Leader = h
		}
	case s.unavailable > 0:
		s.unavailable--
		resp.Status = StatusUnavailable
	default:
		if r, ok := s.replies[k]; ok && s.dedup {
			resp = r
			break
		}
		resp.Status, resp.Result = StatusOK, s.apply(req.Op)
		s.applied[k]++
		s.replies[k] = resp
	}
	f.env.Send(from, resp)
}

// driver is a node that embeds a Client and nothing else.
type driver struct {
	cfg     Config
	rec     Recorder
	env     sim.Env
	c       *Client
	outs    []Outcome
	foreign int // messages and timers the client said were not its own
}

func (d *driver) Start(env sim.Env) {
	d.env = env
	c, err := New(env, d.cfg, d.rec)
	if err != nil {
		panic(err)
	}
	d.c = c
}

func (d *driver) Receive(from sim.HostID, msg any) {
	if !d.c.Receive(from, msg) {
		d.foreign++
	}
}

func (d *driver) Timer(id sim.TimerID, tag any) {
	if !d.c.Timer(id, tag) {
		d.foreign++
	}
}

// histOp is one operation as testRecorder saw it.
type histOp struct {
	client   int
	op       Op
	call     time.Duration
	ret      time.Duration
	res      Result
	complete bool
	failed   bool
}

// testRecorder stamps true time from the world and panics on a recording
// mistake (which ends the run with a PanicError).
type testRecorder struct {
	w   *sim.World
	ops []histOp
}

func (r *testRecorder) Invoke(client int, op Op) int {
	r.ops = append(r.ops, histOp{client: client, op: op, call: r.w.Now()})
	return len(r.ops) - 1
}

func (r *testRecorder) Complete(id int, res Result) {
	o := &r.ops[id]
	if o.complete || o.failed {
		panic(fmt.Sprintf("op %d recorded twice", id))
	}
	o.complete, o.res, o.ret = true, res, r.w.Now()
}

func (r *testRecorder) Fail(id int) {
	o := &r.ops[id]
	if o.complete || o.failed {
		panic(fmt.Sprintf("op %d recorded twice", id))
	}
	o.failed = true
}

func (r *testRecorder) counts() (ok, failed, open int) {
	for _, o := range r.ops {
		switch {
		case o.complete:
			ok++
		case o.failed:
			failed++
		default:
			open++
		}
	}
	return
}

type testbed struct {
	t       testing.TB
	w       *sim.World
	net     *detnet.Network
	kv      *kvState
	rec     *testRecorder
	servers []sim.HostID
	timers  map[sim.HostID]int // timers fired, per host
}

// Write implements sim.Sink: it counts fired timers.
func (tb *testbed) Write(r *sim.Record) error {
	if r.Kind == sim.KindTimer {
		tb.timers[r.Host]++
	}
	return nil
}

// newTestbed builds a world with n fake servers (hosts 0..n-1) on a network
// of constant one-way latency.
func newTestbed(t testing.TB, seed uint64, n int) *testbed {
	t.Helper()
	tb := &testbed{t: t, timers: map[sim.HostID]int{}}
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxTime: time.Hour, Sink: tb})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := detnet.New(w, detnet.Options{Default: detnet.Link{Latency: detnet.Constant{D: latency}}})
	if err != nil {
		t.Fatal(err)
	}
	tb.w, tb.net, tb.kv, tb.rec = w, nw, newKVState(w), &testRecorder{w: w}
	for i := 0; i < n; i++ {
		id, err := w.AddHost(sim.HostConfig{
			Name:    fmt.Sprintf("s%d", i),
			Factory: func() sim.Node { return &fakeServer{s: tb.kv} },
		})
		if err != nil {
			t.Fatal(err)
		}
		tb.servers = append(tb.servers, id)
	}
	return tb
}

// config is a Config for these servers with quick timing and no breaker.
func (tb *testbed) config(id uint64) Config {
	return Config{
		ID:             id,
		Servers:        tb.servers,
		TimeoutAttempt: 10 * time.Millisecond,
		Deadline:       500 * time.Millisecond,
		BackoffBase:    2 * time.Millisecond,
		BackoffMax:     16 * time.Millisecond,
	}
}

// addDriver adds a host running a driver with cfg; the returned function
// gives the current incarnation's driver.
func (tb *testbed) addDriver(cfg Config) (sim.HostID, func() *driver) {
	tb.t.Helper()
	var cur *driver
	id, err := tb.w.AddHost(sim.HostConfig{
		Name: fmt.Sprintf("c%d", cfg.ID),
		Factory: func() sim.Node {
			cur = &driver{cfg: cfg, rec: tb.rec}
			return cur
		},
	})
	if err != nil {
		tb.t.Fatal(err)
	}
	return id, func() *driver { return cur }
}

// do starts op on the driver at true time at.
func (tb *testbed) do(at time.Duration, d func() *driver, op Op) {
	tb.w.At(at, func() {
		dr := d()
		if err := dr.c.Do(op, func(o Outcome) { dr.outs = append(dr.outs, o) }); err != nil {
			panic(err)
		}
	})
}

// run runs until t and fails the test if the run broke.
func (tb *testbed) run(t time.Duration) {
	tb.t.Helper()
	out := tb.w.RunUntil(t)
	if out.Err != nil || out.Reason != sim.StopDeadline {
		tb.t.Fatalf("run ended %v: %v", out.Reason, out.Err)
	}
}
