package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// HostConfig describes a host to add to a world.
type HostConfig struct {
	// Name must be unique in the world; empty means DefaultName(id):
	// "n1" for host 0.
	Name string
	// Peers is what Env.Peers returns.
	Peers []HostID
	// Factory builds the node, at boot and at every restart.
	Factory Factory
	// ClockOffset is where the local clock starts; ClockDrift is its rate
	// error (0.001 runs 0.1% fast). Drift must be greater than -1.
	ClockOffset time.Duration
	ClockDrift  float64
}

// Host is a simulated machine that runs one node. The world owns it; the
// methods here are for the harness (scenarios, the nemesis, tests), never
// for the node, which sees only its Env.
type Host struct {
	w       *World
	id      HostID
	name    string
	peers   []HostID
	factory Factory

	node   Node
	up     bool
	paused bool
	inc    uint32 // incarnation: bumped on every crash and boot
	// crashes counts the crashes, whatever caused them.
	crashes int
	held    []uint32 // event slots waiting for Resume, in arrival order

	rng   *rand.Rand
	clock clock
	disk  *disk

	// What its nodes did, over every incarnation: the timers that fired,
	// the messages delivered to them and the messages they sent.
	timersRun, received, sent uint64
}

// AddHost adds a host, which boots at the current virtual time.
func (w *World) AddHost(cfg HostConfig) (HostID, error) {
	id := HostID(len(w.hosts))
	if cfg.Name == "" {
		cfg.Name = DefaultName(id)
	}
	if _, dup := w.names[cfg.Name]; dup {
		return NoHost, fmt.Errorf("sim: HostConfig.Name %q is already taken", cfg.Name)
	}
	if cfg.Factory == nil {
		return NoHost, fmt.Errorf("sim: HostConfig.Factory of host %q is nil", cfg.Name)
	}
	if err := checkDrift(cfg.ClockDrift); err != nil {
		return NoHost, fmt.Errorf("sim: HostConfig.ClockDrift of host %q: %w", cfg.Name, err)
	}
	for _, p := range cfg.Peers {
		if p < 0 {
			return NoHost, fmt.Errorf("sim: HostConfig.Peers of host %q has invalid id %d", cfg.Name, p)
		}
	}
	h := &Host{
		w:       w,
		id:      id,
		name:    cfg.Name,
		peers:   slices.Clone(cfg.Peers),
		factory: cfg.Factory,
		rng:     w.Stream("host/" + cfg.Name),
		clock:   clock{baseTrue: w.now, baseLocal: cfg.ClockOffset, rate: 1 + cfg.ClockDrift, drift: cfg.ClockDrift},
		disk:    newDisk(w.Stream("disk/" + cfg.Name)),
	}
	w.hosts = append(w.hosts, h)
	w.names[cfg.Name] = id
	w.At(w.now, func() { h.boot(KindBoot) })
	return id, nil
}

func checkDrift(d float64) error {
	if math.IsNaN(d) || math.IsInf(d, 0) || d <= -1 {
		return fmt.Errorf("drift %v must be a finite number greater than -1", d)
	}
	return nil
}

// Host returns the host with id, or nil if there is none.
func (w *World) Host(id HostID) *Host {
	if id < 0 || int(id) >= len(w.hosts) {
		return nil
	}
	return w.hosts[id]
}

// HostByName returns the host with the given name, or nil.
func (w *World) HostByName(name string) *Host {
	id, ok := w.names[name]
	if !ok {
		return nil
	}
	return w.hosts[id]
}

// Hosts is the number of hosts.
func (w *World) Hosts() int { return len(w.hosts) }

// HostName is the name of host id, as the trace and messages speak of
// it; an id that names no host is its bare number ("h7"), and NoHost "-".
func (w *World) HostName(id HostID) string {
	if id >= 0 && int(id) < len(w.hosts) {
		return w.hosts[id].name
	}
	return id.String()
}

func (h *Host) ID() HostID      { return h.id }
func (h *Host) Name() string    { return h.name }
func (h *Host) Up() bool        { return h.up }
func (h *Host) Paused() bool    { return h.paused }
func (h *Host) Peers() []HostID { return slices.Clone(h.peers) }

// Crashes is how many times the host has crashed, whatever crashed it: a
// fault, a kill, or a storage fault point.
func (h *Host) Crashes() int { return h.crashes }

// Node is the running node, or nil while the host is down. Harness code may
// type-assert it to inspect the node's state; it must not change it.
func (h *Host) Node() Node { return h.node }

// LocalTime is what the host's clock reads now.
func (h *Host) LocalTime() time.Duration { return h.clock.local(h.w.now) }

// Drift is the clock's current rate error.
func (h *Host) Drift() float64 { return h.clock.drift }

// flooded ends a node's handler that has queued far more events than the
// pending budget allows (floodAt, twice it), which only a send or a timer
// in a loop does: stepOne's check between events cannot stop a handler
// that never returns. The panic fails the run, naming the host, as any
// panic in a node does.
func (w *World) flooded(op string) {
	panic(fmt.Sprintf("sim: %s: more than %d events pending at once, queued while one handler ran: a send or a timer in a loop?", op, w.floodAt))
}

// Activity is what a host's nodes did, over all its incarnations.
type Activity struct {
	// Timers fired, messages delivered to the node and messages it sent.
	Timers, Received, Sent uint64
}

// Events is the events of a node's own: its timers and its deliveries.
func (a Activity) Events() uint64 { return a.Timers + a.Received }

// Activity returns what the host's nodes have done so far. A run stopped
// by a budget names its busiest host by it.
func (h *Host) Activity() Activity {
	return Activity{Timers: h.timersRun, Received: h.received, Sent: h.sent}
}

func (h *Host) boot(kind RecordKind) {
	h.up = true
	h.paused = false
	h.inc++
	h.node = h.factory()
	if h.node == nil {
		panic(fmt.Sprintf("sim: the factory of host %s returned a nil node", h.name))
	}
	h.w.emit(kind, h.id, NoHost, uint64(h.inc), 0, "", "", nil)
	prev := h.w.current
	h.w.current = h.id
	if h.disk.faults.crashPoints() {
		node, e := h.node, newEnv(h)
		callNode(func() { node.Start(e) })
	} else {
		h.node.Start(newEnv(h))
	}
	h.w.current = prev
}

// Crash stops the host: the node's memory, its timers, messages held while
// paused and unsynced storage writes are lost. Each held message is traced
// as a drop and settled with the transport. Crashing a down host does
// nothing.
func (h *Host) Crash() {
	if !h.up {
		return
	}
	h.up = false
	h.paused = false
	h.inc++
	h.crashes++
	h.node = nil
	h.w.emit(KindCrash, h.id, NoHost, uint64(h.inc), 0, "", "", nil)
	for _, i := range h.held {
		if s := &h.w.q.slots[i]; s.kind == evDeliver {
			m := s.arg.(Message)
			h.w.TraceMessage(KindDrop, m)
			h.w.settle(m, DroppedHostDown)
		}
		h.w.q.release(i)
	}
	h.held = h.held[:0]
	h.disk.crash(h.w, h.id)
}

// Restart boots a fresh node over the host's storage. Restarting a host
// that is up does nothing; use Crash then Restart for a reboot.
func (h *Host) Restart() {
	if h.up {
		return
	}
	h.boot(KindRestart)
}

// Pause freezes the host: its timers and incoming messages wait, in order,
// until Resume. Memory is kept. Pausing a down or paused host does nothing.
func (h *Host) Pause() {
	if !h.up || h.paused {
		return
	}
	h.paused = true
	h.w.emit(KindPause, h.id, NoHost, 0, 0, "", "", nil)
}

// Resume releases a paused host: what waited runs now, in the order it
// arrived.
func (h *Host) Resume() {
	if !h.paused {
		return
	}
	h.paused = false
	h.w.emit(KindResume, h.id, NoHost, 0, 0, "", "", nil)
	for _, i := range h.held {
		h.w.q.push(h.w.now, i)
	}
	h.held = h.held[:0]
}

// StepClock jumps the local clock by d (backwards if d is negative). Timers
// follow the clock: a forward step makes them fire sooner.
func (h *Host) StepClock(d time.Duration) {
	h.clock.rebase(h.w.now)
	h.clock.baseLocal += d
	h.w.emit(KindClock, h.id, NoHost, uint64(d), 0, "step", "", nil)
	h.rescheduleTimers()
}

// SetClockDrift changes the local clock's rate error from now on.
func (h *Host) SetClockDrift(drift float64) error {
	if err := checkDrift(drift); err != nil {
		return fmt.Errorf("sim: host %s: %w", h.name, err)
	}
	h.clock.rebase(h.w.now)
	h.clock.rate = 1 + drift
	h.clock.drift = drift
	h.w.emit(KindClock, h.id, NoHost, math.Float64bits(drift), 0, "drift", "", nil)
	h.rescheduleTimers()
	return nil
}

// SetStorageFaults turns storage faults on or off for this host.
func (h *Host) SetStorageFaults(f StorageFaults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("sim: host %s: %w", h.name, err)
	}
	h.disk.faults = f
	return nil
}

// rescheduleTimers moves the host's pending timers to the true times at
// which the changed clock reaches their deadlines. Clock changes are rare,
// so a scan of the slab is fine; the original order breaks ties.
func (h *Host) rescheduleTimers() {
	if !h.up {
		return
	}
	type pending struct {
		slot  uint32
		local time.Duration
	}
	var timers []pending
	for i := range h.w.q.slots {
		s := &h.w.q.slots[i]
		if s.kind == evTimer && HostID(s.host) == h.id && s.inc == h.inc && !slices.Contains(h.held, uint32(i)) {
			timers = append(timers, pending{uint32(i), s.local})
		}
	}
	slices.SortStableFunc(timers, func(a, b pending) int {
		if a.local != b.local {
			return cmp.Compare(a.local, b.local)
		}
		return int(a.slot) - int(b.slot)
	})
	for _, t := range timers {
		h.w.q.reschedule(h.clock.trueAt(t.local, h.w.now), t.slot)
	}
}

// clock maps true time to a host's local time, piecewise linearly: each
// step or drift change starts a new piece at the current instant.
type clock struct {
	baseTrue, baseLocal time.Duration
	rate, drift         float64
}

func (c *clock) local(t time.Duration) time.Duration {
	if c.rate == 1 {
		return c.baseLocal + (t - c.baseTrue)
	}
	// The explicit conversion stops the compiler fusing multiply and add,
	// which would change the result on some machines.
	return c.baseLocal + time.Duration(float64(float64(t-c.baseTrue)*c.rate))
}

func (c *clock) rebase(now time.Duration) {
	c.baseLocal = c.local(now)
	c.baseTrue = now
}

// trueAt is the earliest true time, not before now, at which the local
// clock reads at least l.
func (c *clock) trueAt(l, now time.Duration) time.Duration {
	if c.local(now) >= l {
		return now
	}
	if c.rate == 1 {
		return c.baseTrue + (l - c.baseLocal)
	}
	t := c.baseTrue + time.Duration(math.Ceil(float64(float64(l-c.baseLocal)/c.rate)))
	for c.local(t) < l {
		t++
	}
	for t > now && c.local(t-1) >= l {
		t--
	}
	return max(t, now)
}

// env is the Env of one incarnation of a host's node. It stays valid only
// while that incarnation runs: a call that acts on the world after the
// crash (a node instance kept alive by memory shared with its successor)
// does nothing and halts the run with a *StaleEnvError.
type env struct {
	h   *Host
	inc uint32
	// view is the incarnation's Storage, made once: a node that asks for
	// its storage on every write would otherwise box a new view each time.
	view diskView
}

func newEnv(h *Host) *env {
	return &env{h: h, inc: h.inc, view: diskView{h, h.inc}}
}

func (e *env) ID() HostID         { return e.h.id }
func (e *env) Name() string       { return e.h.name }
func (e *env) Peers() []HostID    { return slices.Clone(e.h.peers) }
func (e *env) Now() time.Duration { return e.h.clock.local(e.h.w.now) }
func (e *env) Rand() *rand.Rand   { return e.h.rng }
func (e *env) Storage() Storage   { return &e.view }

func (e *env) live(op string) bool { return e.h.stale(e.inc, op) == nil }

// stale returns nil while incarnation inc runs. Otherwise the call to op is
// a violation: it halts the run, and the error is returned too.
func (h *Host) stale(inc uint32, op string) error {
	if h.up && h.inc == inc {
		return nil
	}
	err := &StaleEnvError{Host: h.id, Name: h.name, Incarnation: inc, Current: h.inc, Op: op, At: h.w.now}
	h.w.Halt(err)
	return err
}

func (e *env) Send(to HostID, msg any) {
	if !e.live("Send") {
		return
	}
	w := e.h.w
	if w.transport == nil {
		panic("sim: the world has no transport; attach a network (net.New) before nodes send")
	}
	if len(e.h.disk.undo) > 0 {
		e.h.disk.sentUnsynced = true
	}
	e.h.sent++
	if w.q.len() > w.floodAt {
		w.flooded("Send")
	}
	w.transport.Send(e.h.id, to, msg)
}

func (e *env) After(d time.Duration, tag any) TimerID {
	if !e.live("After") {
		return 0
	}
	w := e.h.w
	if w.q.len() > w.floodAt {
		w.flooded("After")
	}
	local := e.h.clock.local(w.now) + max(d, 0)
	i := w.q.alloc()
	s := &w.q.slots[i]
	s.kind, s.host, s.inc, s.local, s.arg = evTimer, int32(e.h.id), e.inc, local, tag
	w.q.push(e.h.clock.trueAt(local, w.now), i)
	return TimerID(w.q.id(i))
}

func (e *env) Cancel(id TimerID) bool {
	if !e.live("Cancel") {
		return false
	}
	q := &e.h.w.q
	i, ok := q.lookup(uint64(id))
	if !ok {
		return false
	}
	s := &q.slots[i]
	if s.kind != evTimer || HostID(s.host) != e.h.id || s.inc != e.inc {
		return false
	}
	if j := slices.Index(e.h.held, i); j >= 0 {
		e.h.held = slices.Delete(e.h.held, j, j+1)
		q.release(i) // popped already: it waits in held, not in the heap
		return true
	}
	q.cancel(i)
	return true
}

func (e *env) Logf(format string, args ...any) {
	if !e.live("Logf") {
		return
	}
	w := e.h.w
	text := ""
	if w.sink != nil {
		text = fmt.Sprintf(format, w.namedArgs(args)...)
	}
	w.emit(KindLog, e.h.id, NoHost, 0, 0, format, text, nil)
}
