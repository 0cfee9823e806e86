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

// heartbeatMeter judges a system's heartbeat rate (system.HeartbeatRate)
// as the network's observer, which adds no events: a window is the 1 s
// that ends with a beatSlot, and in every window each server must have
// sent each peer no more heartbeats than the rate and the reads
// delivered to it in the window, not counting those it sent in the
// first TermGrace of each of its terms. A slot is judged once it is
// over, so that a read handled in it counts before the round it asked
// for, whichever the observer saw first.
//
// What the faults do to the network does not matter: a heartbeat goes
// out on a timer, and a partition, a crash or a pause licenses none; an
// election restarts the timer from the win. Only a clock fault runs the
// timers fast, so what is sent while one is on is not counted, and the
// windows start afresh once it ends.
type heartbeatMeter struct {
	t     *promiseTracker
	rate  system.HeartbeatRate
	hosts int
	// servers[h] is nil unless host h is a server, whose heartbeats are
	// judged and whose reads excuse them.
	servers []*beatServer
}

// beatServer is what one server sent and was asked for, per slot, in
// rings that hold the slots up to last.
type beatServer struct {
	last int64 // the latest slot counted; -1 before any
	// beats[to*beatWindow+slot%beatWindow] counts heartbeats to peer
	// to, and beatSum[to] those of the ring; reads and readSum, the
	// reads of the last len(reads) slots.
	beats   []uint32
	beatSum []uint32
	reads   []uint32
	readSum uint32
	// term is the server's term at its latest heartbeat, termFrom when
	// its first heartbeat in it went out (TermGrace).
	term     uint64
	termFrom time.Duration
	termSeen bool
}

func newHeartbeatMeter(t *promiseTracker, rate system.HeartbeatRate) *heartbeatMeter {
	n := t.r.w.Hosts()
	m := &heartbeatMeter{t: t, rate: rate, hosts: n, servers: make([]*beatServer, n)}
	for _, id := range t.r.nem.servers {
		m.servers[id] = &beatServer{last: -1, beats: make([]uint32, int64(n)*beatWindow), beatSum: make([]uint32, n), reads: make([]uint32, beatWindow)}
	}
	t.r.net.Observe(m)
	return m
}

func (m *heartbeatMeter) slot() int64 { return int64(m.t.r.w.Now() / beatSlot) }

// Sent counts a server's heartbeat.
func (m *heartbeatMeter) Sent(from, to sim.HostID, msg any) {
	if m.t.clocks || int(from) >= m.hosts || int(to) >= m.hosts || m.servers[from] == nil || !m.rate.Heartbeat(msg) {
		return
	}
	s, slot := m.servers[from], m.slot()
	if m.rate.TermGrace > 0 {
		now := m.t.r.w.Now()
		if term, ok := m.t.term(from); ok && (!s.termSeen || term != s.term) {
			s.term, s.termFrom, s.termSeen = term, now, true
		}
		if s.termSeen && now-s.termFrom < m.rate.TermGrace {
			return
		}
	}
	m.advance(from, slot)
	s.beats[int64(to)*beatWindow+slot%beatWindow]++
	s.beatSum[to]++
}

// Delivered counts a read a server received.
func (m *heartbeatMeter) Delivered(_, to sim.HostID, msg any) {
	if m.t.clocks || m.rate.Read == nil || int(to) >= m.hosts || m.servers[to] == nil || !m.rate.Read(msg) {
		return
	}
	s, slot := m.servers[to], m.slot()
	m.advance(to, slot)
	s.reads[slot%beatWindow]++
	s.readSum++
}

// advance judges the windows of id that end before slot, then moves its
// rings on to slot.
func (m *heartbeatMeter) advance(id sim.HostID, slot int64) {
	s := m.servers[id]
	if s.last < 0 {
		s.last = slot
		return
	}
	for steps := int64(0); s.last < slot; steps, s.last = steps+1, s.last+1 {
		if steps == beatWindow {
			// Every heartbeat and read counted has left the rings.
			m.forget(s)
			s.last = slot
			return
		}
		m.judge(id, s)
		next := s.last + 1
		for to := range m.hosts {
			i := int64(to)*beatWindow + next%beatWindow
			s.beatSum[to] -= s.beats[i]
			s.beats[i] = 0
		}
		s.readSum -= s.reads[next%beatWindow]
		s.reads[next%beatWindow] = 0
	}
}

// judge judges the window of id that ends with slot s.last.
func (m *heartbeatMeter) judge(id sim.HostID, s *beatServer) {
	allowed := uint32(m.rate.PerSecond) + s.readSum
	for to, sum := range s.beatSum {
		if sum <= allowed {
			continue
		}
		w := m.t.r.w
		m.t.fail(CheckHeartbeatRate, "%s sent %s %d heartbeats in the 1s before %v, more than the %d a second it promises and the %d reads it was given then",
			w.Host(id).Name(), w.Host(sim.HostID(to)).Name(), sum, time.Duration(s.last+1)*beatSlot, m.rate.PerSecond, s.readSum)
		// The next failure is a window of heartbeats of its own.
		clear(s.beats[int64(to)*beatWindow : int64(to+1)*beatWindow])
		s.beatSum[to] = 0
	}
}

func (m *heartbeatMeter) forget(s *beatServer) {
	clear(s.beats)
	clear(s.beatSum)
	clear(s.reads)
	s.readSum, s.last = 0, -1
}

// finish judges the windows that end by the end of the current slot.
func (m *heartbeatMeter) finish() {
	for id, s := range m.servers {
		if s != nil && s.last >= 0 {
			m.advance(sim.HostID(id), m.slot()+1)
		}
	}
}

// restart judges what was counted and forgets it: the clocks ran true
// till now and run fast from now on, or the other way round.
func (m *heartbeatMeter) restart() {
	m.finish()
	for _, s := range m.servers {
		if s != nil {
			m.forget(s)
		}
	}
}
