package scenarios

import (
	"time"

	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// The heartbeat meter counts in slots of beatSlot: a window of one second
// is beatWindow slots.
const (
	beatSlot   = 50 * time.Millisecond
	beatWindow = int64(time.Second / beatSlot)
)

// slotRing counts events in the last len(counts) slots of time.
type slotRing struct {
	counts []uint32
	sum    uint32
	last   int64 // the slot counts[last%len] holds; -1 before any
}

func newSlotRing(slots int64) slotRing {
	return slotRing{counts: make([]uint32, slots), last: -1}
}

// advance forgets the slots that fell out of the ring by slot now.
func (r *slotRing) advance(now int64) {
	n := int64(len(r.counts))
	switch {
	case r.last < 0 || now-r.last >= n:
		clear(r.counts)
		r.sum = 0
	default:
		for s := r.last + 1; s <= now; s++ {
			r.sum -= r.counts[s%n]
			r.counts[s%n] = 0
		}
	}
	r.last = max(r.last, now)
}

func (r *slotRing) add(now int64) {
	r.advance(now)
	r.counts[now%int64(len(r.counts))]++
	r.sum++
}

func (r *slotRing) reset() {
	clear(r.counts)
	r.sum, r.last = 0, -1
}

// heartbeatMeter judges a system's heartbeat rate (system.HeartbeatRate)
// from the network's send observer, which adds no events: every
// heartbeat a server sends a peer is counted in its 1 s window, which
// ends with the heartbeat's beatSlot, and a window that holds more than
// the rate plus the reads the server was sent in it, or in the ReadWait
// before it, fails. What the faults do to the
// network does not matter: a heartbeat is sent on a timer, and a
// partition, a crash or a pause licenses none; an election restarts the
// timer from its win. Only a clock fault runs the timers fast, so the
// heartbeats sent while one is on are not counted, and the windows
// start afresh once they end.
type heartbeatMeter struct {
	t     *promiseTracker
	rate  system.HeartbeatRate
	hosts int
	// server[h]: host h is a server, whose heartbeats are judged and
	// whose reads excuse them.
	server []bool
	// beats[from*hosts+to] counts from's heartbeats to to; reads[h],
	// the reads sent to server h.
	beats []slotRing
	reads []slotRing
}

func newHeartbeatMeter(t *promiseTracker, rate system.HeartbeatRate) *heartbeatMeter {
	n := t.r.w.Hosts()
	m := &heartbeatMeter{t: t, rate: rate, hosts: n, server: make([]bool, n), beats: make([]slotRing, n*n), reads: make([]slotRing, n)}
	readWindow := beatWindow + int64((rate.ReadWait+beatSlot-1)/beatSlot)
	for _, id := range t.r.nem.servers {
		m.server[id] = true
		m.reads[id] = newSlotRing(readWindow)
		for to := range n {
			m.beats[int(id)*n+to] = newSlotRing(beatWindow)
		}
	}
	t.r.net.ObserveSends(m.sent)
	return m
}

// sent is the network's send observer.
func (m *heartbeatMeter) sent(from, to sim.HostID, msg any, duplicate bool) {
	if m.t.clocks || int(from) >= m.hosts || int(to) >= m.hosts {
		return
	}
	slot := int64(m.t.r.w.Now() / beatSlot)
	if m.server[to] && m.rate.Read != nil && m.rate.Read(msg) {
		// A copy the network makes of a read is a read the server gets.
		m.reads[to].add(slot)
		return
	}
	if duplicate || !m.server[from] || !m.rate.Heartbeat(msg) {
		return
	}
	beats, reads := &m.beats[int(from)*m.hosts+int(to)], &m.reads[from]
	beats.add(slot)
	reads.advance(slot)
	if allowed := uint32(m.rate.PerSecond) + reads.sum; beats.sum > allowed {
		end, w := time.Duration(slot+1)*beatSlot, m.t.r.w
		m.t.fail(CheckHeartbeatRate, "%s sent %s %d heartbeats in the 1s before %v, more than the %d a second it promises and the %d reads it was sent in the %v before",
			w.Host(from).Name(), w.Host(to).Name(), beats.sum, end, m.rate.PerSecond, reads.sum, time.Duration(len(reads.counts))*beatSlot)
		beats.reset() // the next failure is a window of heartbeats of its own
	}
}

// restart forgets every window: the clocks ran fast, or run true again.
func (m *heartbeatMeter) restart() {
	for i := range m.beats {
		if m.beats[i].counts != nil {
			m.beats[i].reset()
		}
	}
	for i := range m.reads {
		if m.reads[i].counts != nil {
			m.reads[i].reset()
		}
	}
}
