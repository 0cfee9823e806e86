package client

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	detnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

const ms = time.Millisecond

func servedBy(as []arrival) []sim.HostID {
	var out []sim.HostID
	for _, a := range as {
		out = append(out, a.server)
	}
	return out
}

func onlyOutcome(t *testing.T, d *driver) Outcome {
	t.Helper()
	if len(d.outs) != 1 {
		t.Fatalf("got %d outcomes, want 1: %+v", len(d.outs), d.outs)
	}
	return d.outs[0]
}

func TestBackoffCeilingAndJitter(t *testing.T) {
	base, max := 10*ms, 200*ms
	want := []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 200 * ms, 200 * ms}
	r := rand.New(rand.NewPCG(1, 2))
	for n, ceil := range want {
		if got := backoffCeiling(base, max, n); got != ceil {
			t.Fatalf("ceiling(%d) = %v, want %v", n, got, ceil)
		}
		var hi time.Duration
		seen := map[time.Duration]bool{}
		for range 2000 {
			d := backoffDelay(r, base, max, n)
			if d < 0 || d > ceil {
				t.Fatalf("delay(%d) = %v, outside [0, %v]", n, d, ceil)
			}
			hi = maxDur(hi, d)
			seen[d] = true
		}
		if hi < ceil*9/10 {
			t.Errorf("delay(%d): largest of 2000 draws is %v, far below the ceiling %v", n, hi, ceil)
		}
		if len(seen) < 1000 {
			t.Errorf("delay(%d): only %d distinct values in 2000 draws: not jittered", n, len(seen))
		}
	}
	// Large exponents and huge bases saturate instead of overflowing.
	if got := backoffCeiling(time.Duration(1)<<62, time.Duration(1<<63-1), 200); got != time.Duration(1<<63-1) {
		t.Errorf("saturated ceiling = %v", got)
	}
	if got := backoffDelay(r, 0, 0, 5); got != 0 {
		t.Errorf("zero base: delay %v, want 0", got)
	}
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// On the wire: with every reply lost, attempt k+1 is sent TimeoutAttempt
// plus retry k's delay after attempt k, and the delays are jittered.
func TestBackoffOnTheWire(t *testing.T) {
	distinct := map[time.Duration]bool{}
	for seed := uint64(1); seed <= 6; seed++ {
		tb := newTestbed(t, seed, 1)
		cfg := tb.config(7)
		cfg.AttemptsMax, cfg.Deadline = 8, time.Minute
		_, d := tb.addDriver(cfg)
		if err := tb.net.Cut(0, 1); err != nil { // replies are lost
			t.Fatal(err)
		}
		tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "v"})
		tb.run(10 * time.Second)

		o := onlyOutcome(t, d())
		if o.Verdict != VerdictUnknown || !errors.Is(o.Err, ErrAttemptsExhausted) || o.Attempts != 8 {
			t.Fatalf("seed %d: outcome %+v, want unknown after 8 attempts", seed, o)
		}
		as := tb.kv.arrivals(7, o.Seq)
		if len(as) != 8 {
			t.Fatalf("seed %d: %d arrivals, want 8", seed, len(as))
		}
		for k := 0; k+1 < len(as); k++ {
			gap := as[k+1].at - as[k].at - cfg.TimeoutAttempt
			if ceil := backoffCeiling(cfg.BackoffBase, cfg.BackoffMax, k); gap < 0 || gap > ceil {
				t.Errorf("seed %d: retry %d waited %v, outside [0, %v]", seed, k, gap, ceil)
			}
			if k == 4 {
				distinct[gap] = true
			}
		}
		if n := tb.kv.applied[reqKey{7, o.Seq}]; n != 1 {
			t.Errorf("seed %d: applied %d times, want once", seed, n)
		}
		if ok, failed, open := tb.rec.counts(); ok != 0 || failed != 0 || open != 1 {
			t.Errorf("seed %d: recorded ok=%d failed=%d open=%d, want the op open", seed, ok, failed, open)
		}
	}
	if len(distinct) < 3 {
		t.Errorf("retry 4 waited %v over six seeds: not jittered", distinct)
	}
}

func TestBreakerStates(t *testing.T) {
	b := breaker{failuresMax: 3, reset: 100 * ms}
	step := func(what string, got, want BreakerState) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: state %v, want %v", what, got, want)
		}
	}
	if !b.allow(0) {
		t.Fatal("closed breaker rejected")
	}
	b.failure(1 * ms)
	b.failure(2 * ms)
	step("two failures", b.current(2*ms), BreakerClosed)
	b.success()
	b.failure(3 * ms)
	b.failure(4 * ms)
	step("success resets the count", b.current(4*ms), BreakerClosed)
	b.failure(5 * ms)
	step("third consecutive failure", b.current(5*ms), BreakerOpen)
	if b.allow(50 * ms) {
		t.Fatal("open breaker allowed an attempt")
	}
	step("just before reset", b.current(104*ms), BreakerOpen)
	step("reset timeout passed", b.current(105*ms), BreakerHalfOpen)
	if !b.allow(105 * ms) {
		t.Fatal("half-open breaker rejected the probe")
	}
	if b.allow(106 * ms) {
		t.Fatal("half-open breaker allowed a second probe")
	}
	b.neutral()
	if !b.allow(107 * ms) {
		t.Fatal("a refused probe did not free the probe slot")
	}
	b.failure(110 * ms)
	step("probe failed", b.current(110*ms), BreakerOpen)
	step("reopened at 110ms", b.current(209*ms), BreakerOpen)
	if !b.allow(210 * ms) {
		t.Fatal("second half-open rejected the probe")
	}
	b.success()
	step("probe succeeded", b.current(210*ms), BreakerClosed)

	off := breaker{}
	for i := range 100 {
		off.failure(time.Duration(i))
	}
	step("disabled breaker", off.current(time.Second), BreakerClosed)

	for s, name := range map[BreakerState]string{BreakerClosed: "closed", BreakerOpen: "open", BreakerHalfOpen: "half-open", 9: "BreakerState(9)"} {
		if s.String() != name {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), name)
		}
	}
}

// The breaker in a client: closed -> open after the threshold, rejections
// while open recorded as Fail, half-open after the reset timeout, closed by
// a successful probe; a failed probe opens it again.
func TestBreakerInClient(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	cfg := tb.config(5)
	cfg.BackoffBase, cfg.BackoffMax = 0, 0
	cfg.BreakerFailures, cfg.BreakerReset = 3, 100*ms
	cfg.Deadline = time.Second
	client, d := tb.addDriver(cfg)
	put := Op{Kind: OpPut, Key: "k", Value: "v"}

	states := map[time.Duration]BreakerState{}
	look := func(at time.Duration) {
		tb.w.At(at, func() { states[at] = d().c.Breaker() })
	}
	must(t, tb.net.Cut(0, client))
	tb.do(0, d, put) // times out at 10, 20, 30ms: opens
	look(40 * ms)
	tb.do(50*ms, d, put) // rejected
	tb.w.At(60*ms, func() { must(t, tb.net.Connect(0, client)) })
	look(129 * ms)
	look(135 * ms) // 30ms + 100ms: half-open
	tb.do(140*ms, d, put)
	look(145 * ms)
	tb.w.At(150*ms, func() { must(t, tb.net.Cut(0, client)) })
	tb.do(160*ms, d, put) // times out at 170, 180, 190ms: opens
	tb.do(300*ms, d, put) // probe at 300ms times out at 310ms: opens again
	look(315 * ms)
	tb.run(time.Second)

	outs := d().outs
	if len(outs) != 5 {
		t.Fatalf("got %d outcomes, want 5: %+v", len(outs), outs)
	}
	type want struct {
		v        Verdict
		err      error
		attempts int
	}
	for i, w := range []want{
		{VerdictUnknown, ErrBreakerOpen, 3},
		{VerdictFailed, ErrBreakerOpen, 0},
		{VerdictOK, nil, 1},
		{VerdictUnknown, ErrBreakerOpen, 3},
		{VerdictUnknown, ErrBreakerOpen, 1},
	} {
		o := outs[i]
		if o.Verdict != w.v || !errors.Is(o.Err, w.err) || o.Attempts != w.attempts {
			t.Errorf("op %d: %v/%v after %d attempts, want %v/%v after %d", i+1, o.Verdict, o.Err, o.Attempts, w.v, w.err, w.attempts)
		}
	}
	if n := len(tb.kv.arrivals(5, outs[1].Seq)); n != 0 {
		t.Errorf("the rejected op reached a server %d times", n)
	}
	for at, w := range map[time.Duration]BreakerState{40 * ms: BreakerOpen, 129 * ms: BreakerOpen, 135 * ms: BreakerHalfOpen, 145 * ms: BreakerClosed, 315 * ms: BreakerOpen} {
		if states[at] != w {
			t.Errorf("at %v: breaker %v, want %v", at, states[at], w)
		}
	}
	rec := tb.rec.ops
	if !rec[1].failed || !rec[2].complete || rec[0].complete || rec[0].failed || rec[3].failed || rec[4].failed {
		t.Errorf("recorded %+v: want op 2 failed, op 3 complete, the rest open", rec)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLeaderHintFollowed(t *testing.T) {
	tb := newTestbed(t, 1, 3)
	tb.kv.leader = 2
	_, d := tb.addDriver(tb.config(3)) // 3 % 3: starts at s0
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "a"})
	tb.do(10*ms, d, Op{Kind: OpGet, Key: "k"})
	tb.w.At(20*ms, func() { tb.kv.leader = 1 })
	tb.do(30*ms, d, Op{Kind: OpGet, Key: "k"})
	tb.run(time.Second)

	outs := d().outs
	if len(outs) != 3 {
		t.Fatalf("outcomes %+v", outs)
	}
	want := [][]sim.HostID{{0, 2}, {2}, {2, 1}}
	for i, o := range outs {
		if got := servedBy(tb.kv.arrivals(3, o.Seq)); !slices.Equal(got, want[i]) {
			t.Errorf("op %d went to %v, want %v", i+1, got, want[i])
		}
		if o.Verdict != VerdictOK {
			t.Errorf("op %d: %+v", i+1, o)
		}
	}
	// A hint is followed at once: one round trip to the refuser, one to the leader.
	if outs[0].Latency != 4*latency {
		t.Errorf("hinted op took %v, want %v", outs[0].Latency, 4*latency)
	}
	if outs[1].Result.Value != "a" || d().c.Target() != 1 {
		t.Errorf("get %+v, target %v", outs[1].Result, d().c.Target())
	}
}

func TestRoundRobinWithoutHint(t *testing.T) {
	tb := newTestbed(t, 1, 3)
	tb.kv.leader, tb.kv.hint = 2, false
	cfg := tb.config(3)
	cfg.BreakerFailures, cfg.BreakerReset = 2, time.Second // refusals are no failures
	_, d := tb.addDriver(cfg)
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "a"})
	tb.run(time.Second)
	o := onlyOutcome(t, d())
	if got := servedBy(tb.kv.arrivals(3, o.Seq)); !slices.Equal(got, []sim.HostID{0, 1, 2}) || o.Verdict != VerdictOK {
		t.Errorf("went to %v with %+v, want s0, s1, s2 and ok", got, o)
	}
}

// Servers whose hints point at each other: the second hop in a row waits a
// backoff instead of bouncing at once.
func TestHintLoopBacksOff(t *testing.T) {
	tb := newTestbed(t, 1, 2)
	tb.kv.leader = 99
	tb.kv.hints = map[sim.HostID]sim.HostID{0: 1, 1: 0}
	cfg := tb.config(2) // starts at s0
	cfg.AttemptsMax, cfg.RefusalDefinite = 4, true
	c, d := tb.addDriver(cfg)
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "a"})
	tb.run(time.Second)
	o := onlyOutcome(t, d())
	if got := servedBy(tb.kv.arrivals(2, o.Seq)); !slices.Equal(got, []sim.HostID{0, 1, 0, 1}) {
		t.Errorf("went to %v", got)
	}
	if tb.timers[c] != 1 {
		t.Errorf("%d timers fired on the client, want exactly one backoff (hop, backoff, hop)", tb.timers[c])
	}
	if o.Verdict != VerdictFailed || !errors.Is(o.Err, ErrAttemptsExhausted) {
		t.Errorf("outcome %+v, want failed: every attempt was refused", o)
	}
}

func TestEveryAttemptRefused(t *testing.T) {
	for _, definite := range []bool{true, false} {
		tb := newTestbed(t, 1, 2)
		tb.kv.leader, tb.kv.hint = 99, false
		cfg := tb.config(1)
		cfg.AttemptsMax, cfg.RefusalDefinite = 3, definite
		_, d := tb.addDriver(cfg)
		tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "a"})
		tb.run(time.Second)
		o := onlyOutcome(t, d())
		ok, failed, open := tb.rec.counts()
		if definite && (o.Verdict != VerdictFailed || failed != 1) {
			t.Errorf("definite refusals: %+v, recorded ok=%d failed=%d open=%d; want failed", o, ok, failed, open)
		}
		if !definite && (o.Verdict != VerdictUnknown || open != 1) {
			t.Errorf("indefinite refusals: %+v, recorded ok=%d failed=%d open=%d; want open", o, ok, failed, open)
		}
	}
}

// One attempt refused, one unanswered: the unanswered one may have applied.
func TestRefusedAndTimedOutIsUnknown(t *testing.T) {
	tb := newTestbed(t, 1, 2)
	tb.kv.leader, tb.kv.hint = 99, false
	cfg := tb.config(1) // starts at s1
	cfg.AttemptsMax, cfg.RefusalDefinite = 2, true
	client, d := tb.addDriver(cfg)
	must(t, tb.net.Cut(0, client)) // s0's refusal is lost
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "a"})
	tb.run(time.Second)
	if o := onlyOutcome(t, d()); o.Verdict != VerdictUnknown || o.Attempts != 2 {
		t.Errorf("outcome %+v, want unknown after 2 attempts", o)
	}
}

// A retry that reaches the server twice is applied once, answered from the
// dedup table, and recorded once.
func TestRetryDeduplicated(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		tb := newTestbed(t, 1, 1)
		tb.kv.dedup = dedup
		client, d := tb.addDriver(tb.config(4))
		must(t, tb.net.Cut(0, client)) // the first reply (at 1ms) is lost
		tb.w.At(ms+ms/2, func() { must(t, tb.net.Connect(0, client)) })
		tb.do(0, d, Op{Kind: OpAppend, Key: "k", Value: "x"})
		tb.run(time.Second)

		o := onlyOutcome(t, d())
		k := reqKey{4, o.Seq}
		arrived, applied := len(tb.kv.arrivals(4, o.Seq)), tb.kv.applied[k]
		if o.Verdict != VerdictOK || o.Attempts != 2 || arrived != 2 {
			t.Fatalf("dedup=%t: outcome %+v with %d arrivals; want ok after 2", dedup, o, arrived)
		}
		if ok, _, _ := tb.rec.counts(); ok != 1 || len(tb.rec.ops) != 1 {
			t.Errorf("dedup=%t: recorded %+v, want one completed op", dedup, tb.rec.ops)
		}
		if dedup && (applied != 1 || tb.kv.data["k"] != "x" || o.Result.Value != "x") {
			t.Errorf("dedup: applied %d times, value %q, result %+v", applied, tb.kv.data["k"], o.Result)
		}
		if !dedup && applied != 2 { // the control: retries really did arrive twice
			t.Errorf("no dedup: applied %d times, want 2", applied)
		}
	}
}

// Every request and every reply duplicated by the network: the server
// dedups, the client records each operation once.
func TestDuplicatesRecordedOnce(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	client, d := tb.addDriver(tb.config(4))
	dup := detnet.Link{Latency: detnet.Constant{D: latency}, DupRatio: 1}
	must(t, tb.net.SetLink(0, client, dup))
	must(t, tb.net.SetLink(client, 0, dup))
	for i := range 3 {
		tb.do(time.Duration(i)*10*ms, d, Op{Kind: OpAppend, Key: "k", Value: "x"})
	}
	tb.run(time.Second) // a double Complete panics in testRecorder and fails run
	if ok, failed, open := tb.rec.counts(); ok != 3 || failed+open != 0 {
		t.Errorf("recorded ok=%d failed=%d open=%d", ok, failed, open)
	}
	if tb.kv.data["k"] != "xxx" {
		t.Errorf("value %q, want xxx", tb.kv.data["k"])
	}
	for _, o := range d().outs {
		if n := len(tb.kv.arrivals(4, o.Seq)); n != 2 {
			t.Errorf("seq %d arrived %d times, want 2", o.Seq, n)
		}
	}
}

// An answer to an attempt that already timed out still completes the op,
// though the client is waiting on another server by then.
func TestLateAnswerCompletes(t *testing.T) {
	tb := newTestbed(t, 1, 2)
	cfg := tb.config(2) // starts at s0
	client, d := tb.addDriver(cfg)
	must(t, tb.net.SetLink(0, client, detnet.Link{Latency: detnet.Constant{D: 15 * ms}}))
	must(t, tb.net.Cut(1, client))
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "v"})
	tb.run(time.Second)
	o := onlyOutcome(t, d())
	if got := servedBy(tb.kv.arrivals(2, o.Seq)); !slices.Equal(got, []sim.HostID{0, 1}) {
		t.Errorf("went to %v, want s0 then s1", got)
	}
	if o.Verdict != VerdictOK || o.Attempts != 2 || o.Latency != 16*ms {
		t.Errorf("outcome %+v, want ok after 16ms with a second attempt out", o)
	}
	if ok, _, _ := tb.rec.counts(); ok != 1 {
		t.Errorf("recorded %+v", tb.rec.ops)
	}
}

// A server that applies but whose replies are lost: the op was applied, so
// it must stay open, never failed.
func TestTimeoutLeavesUnknown(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	cfg := tb.config(4)
	cfg.Deadline = 50 * ms
	client, d := tb.addDriver(cfg)
	must(t, tb.net.Cut(0, client))
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "v"})
	tb.do(60*ms, d, Op{Kind: OpGet, Key: "k"})
	tb.run(time.Second)
	outs := d().outs
	if len(outs) != 2 {
		t.Fatalf("outcomes %+v", outs)
	}
	for _, o := range outs {
		if o.Verdict != VerdictUnknown || !errors.Is(o.Err, ErrDeadline) || o.Latency != cfg.Deadline {
			t.Errorf("outcome %+v, want unknown at the deadline", o)
		}
	}
	if outs[1].Seq <= outs[0].Seq {
		t.Errorf("seqs %d then %d: not increasing", outs[0].Seq, outs[1].Seq)
	}
	if tb.kv.data["k"] != "v" {
		t.Errorf("the put was not applied (%q), so this test proves nothing", tb.kv.data["k"])
	}
	if ok, failed, open := tb.rec.counts(); open != 2 {
		t.Errorf("recorded ok=%d failed=%d open=%d, want both open", ok, failed, open)
	}
}

// Unavailable answers are retried, and count as failures for the breaker.
func TestUnavailableRetried(t *testing.T) {
	for _, n := range []int{2, 3} {
		tb := newTestbed(t, 1, 1)
		tb.kv.unavailable = n
		cfg := tb.config(4)
		cfg.BreakerFailures, cfg.BreakerReset = 3, time.Second
		_, d := tb.addDriver(cfg)
		tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "v"})
		tb.run(time.Second)
		o, br := onlyOutcome(t, d()), d().c.Breaker()
		if n == 2 && (o.Verdict != VerdictOK || o.Attempts != 3 || br != BreakerClosed) {
			t.Errorf("2 unavailable: outcome %+v, breaker %v; want ok after 3 attempts, closed", o, br)
		}
		if n == 3 && (o.Verdict != VerdictUnknown || !errors.Is(o.Err, ErrBreakerOpen) || o.Attempts != 3 || br != BreakerOpen) {
			t.Errorf("3 unavailable: outcome %+v, breaker %v; want unknown, breaker open", o, br)
		}
	}
}

// A restarted client host continues with higher sequence numbers, so that
// servers never answer its new operations from their dedup tables.
func TestSeqSurvivesRestart(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	client, d := tb.addDriver(tb.config(4))
	tb.do(0, d, Op{Kind: OpPut, Key: "k", Value: "a"})
	tb.w.At(10*ms, func() { tb.w.Host(client).Crash() })
	tb.w.At(20*ms, func() { tb.w.Host(client).Restart() })
	tb.do(30*ms, d, Op{Kind: OpGet, Key: "k"})
	tb.run(time.Second)
	if len(tb.kv.log) != 2 {
		t.Fatalf("arrivals %+v", tb.kv.log)
	}
	s1, s2 := tb.kv.log[0].seq, tb.kv.log[1].seq
	if s1 != 1<<32|1 || s2 != 2<<32|1 || d().c.Epoch() != 2 {
		t.Errorf("seqs %#x then %#x (epoch %d), want 0x100000001 then 0x200000001", s1, s2, d().c.Epoch())
	}
	if o := onlyOutcome(t, d()); o.Result.Value != "a" {
		t.Errorf("get after restart: %+v", o)
	}

	// A corrupted epoch is replaced by a random one in the upper half.
	must(t, tb.w.Host(client).SetStorageFaults(sim.StorageFaults{CorruptReadRatio: 1}))
	tb.w.Host(client).Crash()
	tb.w.Host(client).Restart()
	tb.run(2 * time.Second)
	if e := d().c.Epoch(); e < 1<<31 || e >= 1<<32 {
		t.Errorf("epoch after corruption %#x, want in [2^31, 2^32)", e)
	}
}

func TestBusyAndOwnership(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	_, d := tb.addDriver(tb.config(4))
	var errBusy error
	var owned []bool
	tb.w.At(0, func() {
		c := d().c
		_ = c.Do(Op{Kind: OpGet, Key: "k"}, nil)
		errBusy = c.Do(Op{Kind: OpGet, Key: "j"}, nil)
		owned = []bool{
			c.Receive(0, "hello"),
			c.Receive(0, Response{Client: 5}),
			c.Receive(0, (*Response)(nil)),
			c.Timer(1, "tag"),
			c.Timer(1, &timerTag{client: 5}),
			c.Timer(1, (*timerTag)(nil)),
			c.Receive(0, &Response{Client: 4, Seq: 12345}), // ours, for no operation in flight
			c.Timer(1, &timerTag{client: 4, seq: 12345}),   // ours, stale
		}
	})
	tb.run(time.Second)
	if !errors.Is(errBusy, ErrBusy) || len(tb.rec.ops) != 1 {
		t.Errorf("second Do: %v, %d recorded; want ErrBusy and one", errBusy, len(tb.rec.ops))
	}
	if !slices.Equal(owned, []bool{false, false, false, false, false, false, true, true}) {
		t.Errorf("ownership %v", owned)
	}
	if d().foreign != 0 {
		t.Errorf("the client disowned %d of its own messages or timers", d().foreign)
	}
}

func TestIsGetKnowsAGetRequestByValueAndByPointer(t *testing.T) {
	get := Request{Op: Op{Kind: OpGet, Key: "k"}}
	put := Request{Op: Op{Kind: OpPut, Key: "k"}}
	for _, c := range []struct {
		msg  any
		want bool
	}{{get, true}, {&get, true}, {put, false}, {&put, false}, {Response{}, false}, {nil, false}} {
		if got := IsGet(c.msg); got != c.want {
			t.Errorf("IsGet(%#v) = %v, want %v", c.msg, got, c.want)
		}
	}
}
