package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// Default budgets, used when Options leaves a budget at zero. They are
// generous; they exist so that a run never hangs.
const (
	DefaultMaxEvents uint64        = 200_000_000
	DefaultMaxTime   time.Duration = 24 * time.Hour
	// DefaultMaxPending bounds the events waiting at once, about half a
	// gigabyte of them: a node that sends faster than the network
	// delivers (an interval of a nanosecond, a send in a loop) fills
	// memory long before the event budget ends its run.
	DefaultMaxPending = 1_000_000
	// maxPendingLimit keeps twice the bound within the queue's slots.
	maxPendingLimit = slotMask / 2
)

// Options configure a world.
type Options struct {
	// Seed decides every random choice in the run.
	Seed uint64
	// MaxEvents and MaxTime are the run's budgets: a run that reaches
	// either ends with StopEventBudget or StopTimeBudget. Zero takes the
	// default.
	MaxEvents uint64
	MaxTime   time.Duration
	// MaxPending bounds the events waiting in the queue at once; a run
	// that exceeds it ends with StopPendingBudget. Zero takes the default.
	MaxPending int
	// Sink receives every trace record. Nil keeps only the trace hash,
	// which is the fastest.
	Sink Sink
}

// StopReason says why Run returned.
type StopReason uint8

const (
	// StopQuiescent: no event is left to run.
	StopQuiescent StopReason = iota + 1
	// StopDeadline: RunFor or RunUntil reached its time. The world can run on.
	StopDeadline
	// StopTimeBudget: the next event lies beyond Options.MaxTime.
	StopTimeBudget
	// StopEventBudget: Options.MaxEvents events have run.
	StopEventBudget
	// StopHalted: a hook returned an error or Halt was called.
	StopHalted
	// StopPanic: a node or callback panicked.
	StopPanic
	// StopPendingBudget: more than Options.MaxPending events waited at
	// once.
	StopPendingBudget
)

func (r StopReason) String() string {
	switch r {
	case StopQuiescent:
		return "quiescent"
	case StopDeadline:
		return "deadline"
	case StopTimeBudget:
		return "time-budget"
	case StopEventBudget:
		return "event-budget"
	case StopHalted:
		return "halted"
	case StopPanic:
		return "panic"
	case StopPendingBudget:
		return "pending-budget"
	}
	return fmt.Sprintf("StopReason(%d)", uint8(r))
}

// Final reports whether a world stopped for this reason can run no further.
func (r StopReason) Final() bool {
	return r == StopTimeBudget || r == StopEventBudget || r == StopHalted || r == StopPanic || r == StopPendingBudget
}

// Outcome is how a call to Run, RunFor or RunUntil ended.
type Outcome struct {
	Reason StopReason
	// Err is the hook's error, the Halt error, or a *PanicError.
	Err    error
	Events uint64
	Now    time.Duration
}

// PanicError is a panic raised inside the simulation, with the host that
// was running (NoHost for a world-level callback).
type PanicError struct {
	Host  HostID
	Name  string
	At    time.Duration
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	who := "world callback"
	if e.Host != NoHost {
		who = "host " + e.Name
	}
	return fmt.Sprintf("panic in %s at %v: %v", who, e.At, e.Value)
}

// StaleEnvError is a node acting through the Env of an incarnation that a
// crash has ended: code of a dead instance ran on, through memory it shares
// with the living one. The effect is discarded and the run halts with this
// error, since a real machine's crashed process can do nothing at all.
type StaleEnvError struct {
	Host HostID
	Name string
	// Incarnation is the Env's; Current is the host's now (even while the
	// host is down, odd while it is up), as the trace's boot, crash and
	// restart records number them.
	Incarnation, Current uint32
	// Op is the Env method that was called: "Send", "Storage.Set", ...
	Op string
	At time.Duration
}

func (e *StaleEnvError) Error() string {
	state := "it is down"
	if e.Current%2 == 1 {
		state = fmt.Sprintf("it runs incarnation %d", e.Current)
	}
	return fmt.Sprintf("sim: host %s, incarnation %d, called %s at %v after that incarnation crashed (%s): a node instance outlived its crash", e.Name, e.Incarnation, e.Op, e.At, state)
}

// Handler runs an event scheduled with AtHandler. It lets hot paths, such as
// message delivery, schedule work without allocating a closure.
type Handler interface {
	HandleEvent(arg any)
}

// Transport carries messages between hosts. Package net provides the
// simulated network; the world only needs somewhere to hand sends to.
type Transport interface {
	Send(from, to HostID, msg any)
}

// Settler is implemented by a Transport that counts what becomes of its
// messages. Deliver answers HeldHostPaused for a message that reaches a
// paused host; the world settles it later, exactly once, with Delivered when
// the node receives it or DroppedHostDown when a crash discards it first.
type Settler interface {
	Settle(m Message, r DeliveryResult)
}

// EventID identifies a world-level event for Cancel. Zero is never issued.
type EventID uint64

// World is one simulated universe: virtual time, an event queue, hosts, and
// the trace. It is not safe for concurrent use; run one world per goroutine.
type World struct {
	seed       uint64
	maxEvents  uint64
	maxTime    time.Duration
	maxPending int
	floodAt    int // 2 * maxPending: see World.flooded
	sink       Sink

	now    time.Duration
	q      queue
	events uint64
	hash   uint64
	hosts  []*Host
	names  map[string]HostID

	transport Transport
	settler   Settler // the transport, if it is one
	hooks     []func() error
	current   HostID // the host whose code is running, for panic reports
	halt      error
	final     *Outcome
	rec       Record
	labels    [labelSlots]*LabelHash // labelhash.go
	// seriesWaiting counts the live events of series (AtEach) held
	// outside the queue until their turn.
	seriesWaiting int
}

// NewWorld makes an empty world.
func NewWorld(opts Options) (*World, error) {
	if opts.MaxTime < 0 {
		return nil, fmt.Errorf("sim: Options.MaxTime is negative (%v)", opts.MaxTime)
	}
	if opts.MaxPending < 0 || opts.MaxPending > maxPendingLimit {
		return nil, fmt.Errorf("sim: Options.MaxPending must be in [0, %d] (is %d)", maxPendingLimit, opts.MaxPending)
	}
	w := &World{
		seed:       opts.Seed,
		maxEvents:  opts.MaxEvents,
		maxTime:    opts.MaxTime,
		maxPending: opts.MaxPending,
		sink:       opts.Sink,
		hash:       hashInit,
		names:      make(map[string]HostID),
		current:    NoHost,
	}
	if w.maxEvents == 0 {
		w.maxEvents = DefaultMaxEvents
	}
	if w.maxPending == 0 {
		w.maxPending = DefaultMaxPending
	}
	w.floodAt = 2 * w.maxPending
	if w.maxTime == 0 {
		w.maxTime = DefaultMaxTime
	}
	return w, nil
}

// Seed is the world's seed.
func (w *World) Seed() uint64 { return w.seed }

// Now is the true virtual time: the time since the world began, which no
// host's clock shows exactly.
func (w *World) Now() time.Duration { return w.now }

// Events is the number of events run so far.
func (w *World) Events() uint64 { return w.events }

// Hash is the trace hash: a digest of every event so far, in order.
func (w *World) Hash() uint64 { return w.hash }

// Pending is the number of events waiting in the queue, cancelled ones
// included until they reach its head or the queue drops them, and the events of series (AtEach)
// not yet due.
func (w *World) Pending() int { return w.q.len() + w.seriesWaiting }

// Stream returns a random stream derived from the seed and name. Each
// component should ask once and keep the stream: asking again for the same
// name starts the same sequence over.
func (w *World) Stream(name string) *rand.Rand {
	a := splitmix(w.seed ^ hashString(hashInit, name))
	b := splitmix(a)
	return rand.New(rand.NewPCG(a, b))
}

// SetTransport installs the network that Env.Send hands messages to.
func (w *World) SetTransport(t Transport) {
	w.transport = t
	w.settler, _ = t.(Settler)
}

// settle tells the transport what became of a message Deliver held.
func (w *World) settle(m Message, r DeliveryResult) {
	if w.settler != nil {
		w.settler.Settle(m, r)
	}
}

// AddHook registers fn to run after every event. A non-nil error ends the
// run with StopHalted and that error. Hooks run in the order added.
func (w *World) AddHook(fn func() error) { w.hooks = append(w.hooks, fn) }

// Halt ends the run after the current event, with err as the outcome's
// error. It is how a callback or check stops a run from inside.
func (w *World) Halt(err error) {
	if err == nil {
		err = errors.New("halted")
	}
	if w.halt == nil {
		w.halt = err
	}
}

// At schedules fn at true time t (or now, if t has passed).
func (w *World) At(t time.Duration, fn func()) EventID {
	i := w.q.alloc()
	s := &w.q.slots[i]
	s.kind, s.arg, s.host = evFunc, fn, int32(NoHost)
	w.q.push(max(t, w.now), i)
	return EventID(w.q.id(i))
}

// After schedules fn after d of true time.
func (w *World) After(d time.Duration, fn func()) EventID { return w.At(w.now+max(d, 0), fn) }

// AtHandler schedules h.HandleEvent(arg) at true time t (or now).
func (w *World) AtHandler(t time.Duration, h Handler, arg any) EventID {
	i := w.q.alloc()
	s := &w.q.slots[i]
	s.kind, s.handler, s.arg, s.host = evHandler, h, arg, int32(NoHost)
	w.q.push(max(t, w.now), i)
	return EventID(w.q.id(i))
}

// Cancel stops a pending world-level event and reports whether it was
// pending.
func (w *World) Cancel(id EventID) bool {
	i, ok := w.q.lookup(uint64(id))
	if !ok {
		return false
	}
	switch w.q.slots[i].kind {
	case evFunc, evHandler:
		w.q.cancel(i)
	case evSeries:
		w.cancelSeries(i)
	default:
		return false
	}
	return true
}

// Run runs until no event is left or a budget or halt ends the run.
func (w *World) Run() Outcome { return w.run(math.MaxInt64, false) }

// RunFor runs for d of true time from now.
func (w *World) RunFor(d time.Duration) Outcome { return w.run(w.now+max(d, 0), true) }

// RunUntil runs until true time t.
func (w *World) RunUntil(t time.Duration) Outcome { return w.run(t, true) }

// Ended returns the outcome that ended the world, once a budget, a halt or
// a panic has; ok is false while the world can still run.
func (w *World) Ended() (out Outcome, ok bool) {
	if w.final == nil {
		return Outcome{}, false
	}
	return *w.final, true
}

// Step runs the next event, if any, and reports whether one ran. Budgets,
// halts and panics end the world as in Run; Ended says how.
func (w *World) Step() (ran bool) {
	if w.final != nil {
		return false
	}
	if len(w.hosts) == 0 {
		w.end(StopHalted, ErrNoHosts)
		return false
	}
	defer func() {
		if v := recover(); v != nil {
			w.panicked(v)
			ran = true
		}
	}()
	before := w.events
	for w.events == before {
		if w.final != nil || !w.stepOne(math.MaxInt64, false) {
			return false
		}
	}
	return true
}

// ErrNoHosts ends a run of a world that has no hosts: there is nothing to
// simulate, and an empty run that "passes" would hide a mistake.
var ErrNoHosts = errors.New("sim: the world has no hosts; add some with AddHost before running it")

func (w *World) run(limit time.Duration, bounded bool) (out Outcome) {
	if w.final != nil {
		return *w.final
	}
	if len(w.hosts) == 0 {
		return w.end(StopHalted, ErrNoHosts)
	}
	defer func() {
		if v := recover(); v != nil {
			out = w.panicked(v)
		}
	}()
	for w.final == nil {
		if !w.stepOne(limit, bounded) {
			break
		}
	}
	if w.final != nil {
		return *w.final
	}
	if bounded {
		w.now = max(w.now, min(limit, w.maxTime))
		return Outcome{Reason: StopDeadline, Events: w.events, Now: w.now}
	}
	return Outcome{Reason: StopQuiescent, Events: w.events, Now: w.now}
}

// panicked ends the run with the panic v, raised while w.current ran.
func (w *World) panicked(v any) Outcome {
	perr := &PanicError{Host: w.current, At: w.now, Value: v, Stack: string(debug.Stack())}
	if w.current != NoHost {
		perr.Name = w.hosts[w.current].name
	}
	w.current = NoHost
	return w.end(StopPanic, perr)
}

// stepOne pops one queue entry and runs it if it is still live. It returns
// false when the run must stop before that entry: the queue is empty, or the
// entry lies past the limit (bounded runs) or a budget.
func (w *World) stepOne(limit time.Duration, bounded bool) bool {
	e, ok := w.q.peek()
	if !ok {
		return false
	}
	if bounded && e.at > limit {
		return false
	}
	if e.at > w.maxTime {
		w.now = w.maxTime
		w.end(StopTimeBudget, nil)
		return false
	}
	if w.events >= w.maxEvents {
		w.end(StopEventBudget, nil)
		return false
	}
	if w.q.len() > w.maxPending {
		w.end(StopPendingBudget, nil)
		return false
	}
	w.q.pop()
	i := e.slot()
	if !w.q.live(e) {
		w.q.poppedStale() // cancelled or rescheduled
		return true
	}
	w.now = e.at
	if !w.dispatch(i) {
		return true
	}
	for _, hook := range w.hooks {
		if err := hook(); err != nil {
			w.Halt(err)
			break
		}
	}
	if w.halt != nil {
		w.end(StopHalted, w.halt)
	}
	return true
}

func (w *World) end(r StopReason, err error) Outcome {
	if w.final == nil {
		w.final = &Outcome{Reason: r, Err: err, Events: w.events, Now: w.now}
	}
	return *w.final
}

// dispatch runs the event in slot i and reports whether an event ran (a
// timer of a crashed incarnation, say, does not).
func (w *World) dispatch(i uint32) bool {
	s := &w.q.slots[i]
	switch s.kind {
	case evFunc:
		fn := s.arg.(func())
		w.q.release(i)
		w.countEvent(evFunc)
		fn()
	case evSeries:
		ser := s.arg.(*series)
		w.q.release(i)
		w.countEvent(evFunc) // as At's events count, which these stand for
		w.advanceSeries(ser)
		ser.fn()
	case evHandler:
		h, arg := s.handler, s.arg
		w.q.release(i)
		w.countEvent(evHandler)
		h.HandleEvent(arg)
	case evTimer:
		h := w.hosts[s.host]
		if !h.up || s.inc != h.inc {
			w.q.release(i)
			return false
		}
		if h.paused {
			h.held = append(h.held, i)
			return false
		}
		id, tag := TimerID(w.q.id(i)), s.arg
		w.q.release(i)
		w.countEvent(evTimer)
		h.timersRun++
		w.emit(KindTimer, h.id, NoHost, uint64(id), 0, "", "", nil)
		w.current = h.id
		if h.disk.faults.crashPoints() {
			callNode(func() { h.node.Timer(id, tag) })
		} else {
			h.node.Timer(id, tag)
		}
		w.current = NoHost
	case evDeliver:
		// A message that waited at a paused host, released by Resume.
		h := w.hosts[s.host]
		if h.up && s.inc == h.inc && h.paused {
			h.held = append(h.held, i) // paused again before it ran
			return false
		}
		m := s.arg.(Message)
		lost := !h.up || s.inc != h.inc
		w.q.release(i)
		w.countEvent(evDeliver)
		if lost {
			// The incarnation it waited for crashed after Resume released it.
			w.TraceMessage(KindDrop, m)
			w.settle(m, DroppedHostDown)
			return true
		}
		w.deliver(h, m)
		w.settle(m, Delivered)
	}
	return true
}

func (w *World) countEvent(k eventKind) {
	w.events++
	w.hash = mix(mix(w.hash, uint64(w.now)), uint64(k))
}

// Message is a message as the network hands it to a host.
type Message struct {
	From, To HostID
	ID       uint64
	Size     int
	Label    string // the message's type, for the trace
	Body     any
	// LabelHash, if not nil, is NewLabelHash(Label), kept by whoever
	// makes the messages so that the trace hashes their label without
	// its byte loop. The hash is the same either way.
	LabelHash *LabelHash
}

// DeliveryResult says what became of a message handed to Deliver.
type DeliveryResult uint8

const (
	// Delivered: the node received it.
	Delivered DeliveryResult = iota + 1
	// DroppedHostDown: the host was crashed; the message is lost.
	DroppedHostDown
	// HeldHostPaused: the host is paused; the message waits for Resume, and
	// the world settles it later (see Settler).
	HeldHostPaused
)

func (r DeliveryResult) String() string {
	switch r {
	case Delivered:
		return "delivered"
	case DroppedHostDown:
		return "dropped-host-down"
	case HeldHostPaused:
		return "held-host-paused"
	}
	return fmt.Sprintf("DeliveryResult(%d)", uint8(r))
}

// Deliver hands m to its destination host's node. The network calls it when
// a message arrives.
func (w *World) Deliver(m Message) DeliveryResult {
	if m.To < 0 || int(m.To) >= len(w.hosts) {
		panic(fmt.Sprintf("sim: Deliver to unknown host %d", m.To))
	}
	h := w.hosts[m.To]
	switch {
	case !h.up:
		w.TraceMessage(KindDrop, m)
		return DroppedHostDown
	case h.paused:
		i := w.q.alloc()
		s := &w.q.slots[i]
		s.kind, s.host, s.inc, s.arg = evDeliver, int32(m.To), h.inc, m
		h.held = append(h.held, i)
		return HeldHostPaused
	}
	w.deliver(h, m)
	return Delivered
}

func (w *World) deliver(h *Host, m Message) {
	h.received++
	w.emitMessage(KindDeliver, m.To, m.From, &m)
	w.current = h.id
	if h.disk.faults.crashPoints() {
		callNode(func() { h.node.Receive(m.From, m.Body) })
	} else {
		h.node.Receive(m.From, m.Body)
	}
	w.current = NoHost
}

// callNode calls into a node whose host may crash at a storage fault
// point, and ends the call there if it does. Only hosts with such faults
// pay for the deferred recover.
func callNode(call func()) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(crashPoint); !ok {
				panic(v)
			}
		}
	}()
	call()
}
