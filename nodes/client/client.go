package client

import (
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/detsim/detsim/sim"
)

// Client runs key-value operations against a set of servers, one at a time,
// for the node that embeds it. It is not a Node: the embedding node hands it
// every message and timer, and it says which were its own.
type Client struct {
	env sim.Env
	// logArgs: whether env's Logf formats its arguments (sim.Tracing).
	// Without a sink, the two log lines of every operation are written
	// with their format alone, which gives the same trace hash and spares
	// boxing their arguments: 4% of a Raft run's allocations.
	logArgs bool
	cfg     Config
	rec     Recorder
	epoch   uint64 // this incarnation's number on the host, from storage; >= 1
	count   uint64 // operations started in this incarnation

	breaker breaker
	target  sim.HostID // where the next attempt goes: the last server that answered OK, the last hint, or the round-robin successor
	op      *operation // nil when idle; else &c.slot
	// slot holds the operation in flight: one at a time, so every
	// operation reuses it rather than allocating its own. A finished
	// operation's timers are all cancelled (finish), and Timer matches
	// each by its TimerID as well, so none can act on the next one.
	slot operation
}

// operation is the one operation in flight.
type operation struct {
	seq   uint64
	op    Op
	id    int // the recorder's id
	done  func(Outcome)
	start time.Duration // local clock at Do

	sent     []attempt
	waiting  bool        // the last attempt is unanswered and its timeout is pending
	retries  int         // backoff delays taken; the next one's exponent
	hopped   bool        // the last attempt followed a hint at once, without backoff
	timer    sim.TimerID // the pending attempt-timeout or backoff timer; 0 if none
	deadline sim.TimerID

	// The operation's own storage for what would otherwise be allocated
	// apart on every operation: its first attempts, and its timers' tags
	// (by kind), passed to sim.Env.After as pointers, which an interface
	// holds without boxing.
	sentBuf [4]attempt
	tags    [timerKinds]timerTag
}

// attempt is one copy of the request sent to one server.
type attempt struct {
	to       sim.HostID
	answered bool
	refused  bool // answered StatusNotLeader
}

type timerKind uint8

const (
	timerAttempt timerKind = iota + 1
	timerBackoff
	timerDeadline
	timerKinds = iota
)

// timerTag marks the client's timers; client and seq let a client tell its
// own timers from another's and from a finished operation's.
type timerTag struct {
	client uint64
	seq    uint64
	kind   timerKind
}

// New builds a client for the node that owns env, or returns cfg's
// validation error. rec may be nil (nothing is recorded). New reads and bumps
// the client's epoch at the storage key "client/<ID>/epoch" and syncs it, so
// the sequence numbers of a restarted client never repeat those of an
// earlier incarnation.
func New(env sim.Env, cfg Config, rec Recorder) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rec == nil {
		rec = nopRecorder{}
	}
	c := &Client{
		env:     env,
		logArgs: sim.Tracing(env),
		cfg:     cfg,
		rec:     rec,
		breaker: breaker{failuresMax: cfg.BreakerFailures, reset: cfg.BreakerReset},
		target:  cfg.Servers[cfg.ID%uint64(len(cfg.Servers))],
	}
	c.cfg.Servers = append([]sim.HostID(nil), cfg.Servers...)
	c.epoch = c.bumpEpoch()
	return c, nil
}

// bumpEpoch returns the previous epoch plus one and makes it durable. A value
// that the storage fault injector corrupted is replaced by a random epoch in
// the upper half of the range: likely above any earlier one, though no longer
// certainly.
func (c *Client) bumpEpoch() uint64 {
	st := c.env.Storage()
	key := "client/" + strconv.FormatUint(c.cfg.ID, 10) + "/epoch"
	var epoch uint64
	b, err := st.Get(key)
	switch {
	case err == nil && len(b) == 8:
		epoch = binary.BigEndian.Uint64(b) + 1
	case errors.Is(err, sim.ErrNotFound):
		epoch = 1
	default:
		c.env.Logf("client %d: epoch unreadable (%v); drawing one", c.cfg.ID, err)
		epoch = 1<<31 | uint64(c.env.Rand().Uint32())
	}
	st.Set(key, binary.BigEndian.AppendUint64(nil, epoch))
	st.Sync()
	return epoch
}

// ID is the client's id (Config.ID).
func (c *Client) ID() uint64 { return c.cfg.ID }

// Epoch numbers this incarnation of the client on its host, from 1. Sequence
// numbers are Epoch<<32 | n, with n counting this incarnation's operations.
func (c *Client) Epoch() uint64 { return c.epoch }

// Busy reports whether an operation is in flight.
func (c *Client) Busy() bool { return c.op != nil }

// Breaker is the circuit breaker's state now.
func (c *Client) Breaker() BreakerState { return c.breaker.current(c.env.Now()) }

// Target is the server the next attempt would go to.
func (c *Client) Target() sim.HostID { return c.target }

// Do starts op and returns; done (which may be nil) is called once, later
// (from Receive or Timer), or before Do returns if the circuit breaker
// rejects op at once; never, if the host crashes first. The operation is
// recorded: Invoke now, then Complete, Fail or neither, just before done
// runs. done may call Do again.
//
// Do returns ErrBusy, and records nothing, if an operation is in flight.
func (c *Client) Do(op Op, done func(Outcome)) error {
	if c.op != nil {
		return ErrBusy
	}
	c.count++
	if c.count >= 1<<32 {
		panic("client: 2^32 operations in one incarnation; Seq would overflow into the epoch")
	}
	o := &c.slot
	*o = operation{
		seq:   c.epoch<<32 | c.count,
		op:    op,
		done:  done,
		start: c.env.Now(),
	}
	o.sent = o.sentBuf[:0]
	for k := range o.tags {
		o.tags[k] = timerTag{client: c.cfg.ID, seq: o.seq, kind: timerKind(k + 1)}
	}
	o.id = c.rec.Invoke(int(c.cfg.ID), op)
	c.op = o
	o.deadline = c.env.After(c.cfg.Deadline, c.tag(timerDeadline))
	c.send()
	return nil
}

// Receive handles msg if it is a Response to this client, and reports
// whether it was. Responses to finished operations are dropped.
func (c *Client) Receive(from sim.HostID, msg any) bool {
	var r Response
	switch m := msg.(type) {
	case Response:
		r = m
	case *Response:
		if m == nil {
			return false
		}
		r = *m
	default:
		return false
	}
	if r.Client != c.cfg.ID {
		return false
	}
	o := c.op
	if o == nil || r.Seq != o.seq {
		return true
	}
	if !o.answer(from, r.Status == StatusNotLeader) {
		return true // from a host this operation never asked
	}
	if r.Status == StatusOK {
		// Definite whichever attempt (or copy of one) it answers.
		c.breaker.success()
		c.target = from
		c.finish(r.Result, nil)
		return true
	}
	if !o.waiting || from != c.target {
		return true // answers an attempt that already timed out
	}
	c.endAttempt()
	if r.Status == StatusNotLeader {
		c.breaker.neutral()
	} else {
		// Unavailable, or a status this client does not know: the outcome
		// of the attempt is unknown.
		c.breakerFailure()
	}
	c.retry(r.Leader)
	return true
}

// Timer handles tag if it is one of this client's timers, and reports
// whether it was.
func (c *Client) Timer(id sim.TimerID, tag any) bool {
	t, ok := tag.(*timerTag)
	if !ok || t == nil || t.client != c.cfg.ID {
		return false
	}
	o := c.op
	if o == nil || t.seq != o.seq {
		return true
	}
	switch t.kind {
	case timerDeadline:
		if id == o.deadline {
			o.deadline = 0
			c.finish(Result{}, ErrDeadline)
		}
	case timerAttempt:
		if id == o.timer && o.waiting {
			o.timer, o.waiting = 0, false
			c.breakerFailure()
			c.retry(sim.NoHost)
		}
	case timerBackoff:
		if id == o.timer {
			o.timer = 0
			c.send()
		}
	}
	return true
}

// The log lines of every operation; the trace hash covers the format.
const (
	logAttempt  = "client %d: seq %d attempt %d to %v"
	logFinished = "client %d: seq %d %v after %d attempts"
)

// tag is the tag of the current operation's timer of kind k, passed as a
// pointer into the operation, which an interface holds without boxing.
func (c *Client) tag(k timerKind) *timerTag { return &c.op.tags[k-1] }

// send sends the next attempt to c.target, if the breaker lets it out.
func (c *Client) send() {
	o := c.op
	if !c.breakerAllow() {
		c.finish(Result{}, ErrBreakerOpen)
		return
	}
	o.sent = append(o.sent, attempt{to: c.target})
	o.waiting = true
	if c.logArgs {
		c.env.Logf(logAttempt, c.cfg.ID, o.seq, len(o.sent), c.target)
	} else {
		c.env.Logf(logAttempt)
	}
	c.env.Send(c.target, Request{Client: c.cfg.ID, Seq: o.seq, Op: o.op})
	o.timer = c.env.After(c.cfg.TimeoutAttempt, c.tag(timerAttempt))
}

// endAttempt stops waiting for the last attempt, which has been answered.
func (c *Client) endAttempt() {
	o := c.op
	c.env.Cancel(o.timer)
	o.timer, o.waiting = 0, false
}

// retry picks the next server after a failed attempt and sends to it: at
// once when following a fresh hint, else after a backoff delay. Two hint
// hops in a row are not both immediate, so servers whose hints point at each
// other cannot spin the client without delay.
func (c *Client) retry(hint sim.HostID) {
	o := c.op
	if c.cfg.AttemptsMax > 0 && len(o.sent) >= c.cfg.AttemptsMax {
		c.finish(Result{}, ErrAttemptsExhausted)
		return
	}
	prev := c.target
	if c.isServer(hint) {
		c.target = hint
	} else {
		c.target = c.successor(prev)
	}
	if c.target == hint && hint != prev && !o.hopped {
		o.hopped = true
		c.send()
		return
	}
	o.hopped = false
	d := backoffDelay(c.env.Rand(), c.cfg.BackoffBase, c.cfg.BackoffMax, o.retries)
	o.retries++
	o.timer = c.env.After(d, c.tag(timerBackoff))
}

func (c *Client) isServer(h sim.HostID) bool {
	for _, s := range c.cfg.Servers {
		if s == h {
			return true
		}
	}
	return false
}

// successor is the server after h in Config.Servers, cyclically.
func (c *Client) successor(h sim.HostID) sim.HostID {
	for i, s := range c.cfg.Servers {
		if s == h {
			return c.cfg.Servers[(i+1)%len(c.cfg.Servers)]
		}
	}
	return c.cfg.Servers[0]
}

// finish ends the operation in flight with err (nil: it succeeded with res),
// records it and reports it to the caller.
func (c *Client) finish(res Result, err error) {
	o := c.op
	if o.timer != 0 {
		c.env.Cancel(o.timer)
	}
	if o.deadline != 0 {
		c.env.Cancel(o.deadline)
	}
	if err != nil && o.waiting {
		// The deadline cut an attempt short: it got no answer in time,
		// which the breaker must hear, or a half-open breaker would wait
		// for this probe's answer forever and refuse every later attempt.
		o.waiting = false
		c.breakerFailure()
	}
	out := Outcome{
		Op:       o.op,
		Seq:      o.seq,
		Err:      err,
		Attempts: len(o.sent),
		Latency:  c.env.Now() - o.start,
	}
	switch {
	case err == nil:
		out.Verdict, out.Result = VerdictOK, res
		c.rec.Complete(o.id, res)
	case c.neverApplied(o):
		out.Verdict = VerdictFailed
		c.rec.Fail(o.id)
	default:
		out.Verdict = VerdictUnknown
	}
	if c.logArgs {
		c.env.Logf(logFinished, c.cfg.ID, o.seq, out.Verdict, len(o.sent))
	} else {
		c.env.Logf(logFinished)
	}
	c.op = nil
	if o.done != nil {
		o.done(out)
	}
}

// neverApplied reports whether o certainly never took effect: nothing was
// sent, or (when refusals are definite) every attempt was refused.
func (c *Client) neverApplied(o *operation) bool {
	if len(o.sent) == 0 {
		return true
	}
	if !c.cfg.RefusalDefinite {
		return false
	}
	for _, a := range o.sent {
		if !a.refused {
			return false
		}
	}
	return true
}

// answer marks the earliest unanswered attempt to from as answered (refused
// if so), and reports whether any attempt went to from. Answers are matched
// to attempts by count: which copy a reply answers does not matter, how many
// were refused does. A surplus answer (a duplicate) marks nothing.
func (o *operation) answer(from sim.HostID, refused bool) bool {
	asked := false
	for i := range o.sent {
		a := &o.sent[i]
		if a.to != from {
			continue
		}
		asked = true
		if !a.answered {
			a.answered, a.refused = true, refused
			return true
		}
	}
	return asked
}

func (c *Client) breakerAllow() bool {
	now := c.env.Now()
	before := c.breaker.current(now)
	ok := c.breaker.allow(now)
	if !ok || before != BreakerClosed {
		c.env.Logf("client %d: breaker %v, attempt allowed=%t", c.cfg.ID, before, ok)
	}
	return ok
}

func (c *Client) breakerFailure() {
	now := c.env.Now()
	before := c.breaker.current(now)
	c.breaker.failure(now)
	if after := c.breaker.current(now); after != before {
		c.env.Logf("client %d: breaker %v -> %v", c.cfg.ID, before, after)
	}
}
