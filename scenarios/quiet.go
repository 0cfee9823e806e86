package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/sim"
)

// Quiet checks judge a system while the run goes on, in its quiet windows:
// the stretches of the fault phase (and the whole heal phase) when no
// fault is in effect but a partition that leaves the leader with a
// majority, so the network allows what the system promises.
// Timed checks at the end of a run miss a leader that keeps getting
// deposed while nothing is wrong, or a cluster that stops serving for
// seconds after every fault heals; these find them.
type Quiet struct {
	// Settle is how long a window must have lasted before the checks
	// apply: the time the system may take to recover from what came
	// before it (elect a leader, close its clients' circuit breakers).
	Settle Duration `json:"settle"`
	// Within, if set, is the progress check: every operation invoked in a
	// window after it settled must complete within Within, when the
	// window lasts that long.
	Within Duration `json:"within,omitempty"`
	// Steady is the steadiness check: the counters the system declares
	// steady (system.Spec.Steady; for Raft, leader changes) must not grow
	// in a window after it settled. A system with a leader settles once
	// the window has lasted Settle and a leader leads.
	Steady bool `json:"steady,omitempty"`
	// DownMax is how many servers may be down in a quiet window (none by
	// default); a Raft cluster promises progress with a minority down.
	DownMax int `json:"down_max,omitempty"`
	// Majority widens the windows to every stretch in which a majority
	// of the members are up and can all exchange messages, whatever the
	// faults (partitions, crashes, a script's disconnects), as long as no
	// clock, storage or program fault is on: the Raft promise of progress
	// during faults. Every fault then starts a window afresh, which must
	// settle (elect a leader) first, and the progress check judges only
	// the clients that reach every server of that majority. DownMax does
	// not apply.
	Majority bool `json:"majority,omitempty"`
}

func (q *Quiet) validate(s *Scenario) error {
	switch {
	case q.Settle < 0:
		return fmt.Errorf("settle is negative (%v)", q.Settle)
	case q.Within < 0:
		return fmt.Errorf("within is negative (%v)", q.Within)
	case q.Within == 0 && !q.Steady:
		return fmt.Errorf("checks neither progress (within) nor steadiness (steady)")
	case q.Within > 0 && s.Clients == 0:
		return fmt.Errorf("within: the progress check needs clients")
	case q.DownMax < 0 || q.DownMax >= s.Servers+s.Spares:
		return fmt.Errorf("down_max must be in [0, %d) (is %d)", s.Servers+s.Spares, q.DownMax)
	}
	return nil
}

// window is a quiet stretch of a run: [from, to).
type window struct {
	from, to time.Duration
	// clients, in Majority mode, are the clients (by history number, 1
	// for c1) that reach every server of the majority; nil is every one.
	clients []int
	// settled and ended are the steady counters when the window had
	// settled (if it lasted that long) and when it closed; settledAt is
	// when it settled.
	settled, ended []int
	settledAt      time.Duration
}

// quietTracker follows whether a fault is in effect, from the nemesis's
// side: what it has done and not undone, and the servers' hosts.
type quietTracker struct {
	r         *run
	q         *Quiet
	quiet     bool
	windows   []window
	partition bool // a partition, cut link, clog or link fault stands
	// harmless: a partition stands that left the leader with a majority
	// (partition is false for it). A later fault can take that majority
	// away; struck looks again.
	harmless bool
	clocks   bool // a clock was stepped, strobed or set to drift
	storage  bool // storage faults are on somewhere
	programs int  // programs running
	// settling is the window whose settle sample is due at settleAt, or
	// -1. It is taken by a world hook, after the first event at or past
	// that time: an event of its own would change the run's trace hash,
	// and a check must only watch.
	settling int
	settleAt time.Duration
	// struckOnce: the nemesis has acted, and keeps the windows up to date.
	struckOnce bool
	// scriptCut: a script's step has disconnected a server.
	scriptCut bool
}

func newQuietTracker(r *run, q *Quiet) *quietTracker {
	t := &quietTracker{r: r, q: q, settling: -1}
	r.w.AddHook(t.hook)
	return t
}

// hook runs after every event. Until the first fault it opens the first
// window once every server has booted; then it takes settle samples.
func (t *quietTracker) hook() error {
	if !t.quiet && !t.struckOnce {
		t.update()
	}
	return t.sample()
}

// sample takes the settle sample of the window that is due one. A system
// with a leader settles once one leads, however long after the settle
// time: the election that ends a leaderless stretch (split votes after a
// crash) is the settling, not a change the steady counters should see.
func (t *quietTracker) sample() error {
	if t.settling < 0 || t.r.w.Now() < t.settleAt {
		return nil
	}
	if t.r.sys.Leader != nil && t.r.sys.Leader() == sim.NoHost {
		return nil
	}
	if w := &t.windows[t.settling]; w.to < 0 {
		w.settled, w.settledAt = t.r.steadyCounters(), t.r.w.Now()
	}
	t.settling = -1
	return nil
}

// struck notes a fault as the nemesis applies it, then looks again at
// whether the run is quiet. leader is the leader before the fault, and
// leaderHit says the fault took it down or froze it: the system settles
// afresh around a new one.
func (t *quietTracker) struck(f Fault, leader sim.HostID, leaderHit bool) {
	t.struckOnce = true
	if t.q.Majority {
		switch f.Kind {
		case FaultClockStep, FaultClockDrift, FaultClockStrobe:
			t.clocks = true
		case FaultStorage:
			t.storage = true
		}
		t.restart()
		return
	}
	if leaderHit {
		defer t.restart()
	}
	switch f.Kind {
	case FaultPartition:
		t.partition = t.r.nem.partitionHarms || !t.leaderKeepsMajority(leader)
		t.harmless = !t.partition
	case FaultLink, FaultClog, FaultSlow:
		t.partition = true
	case FaultHeal:
		t.partition, t.harmless = false, false
	case FaultUnclog:
		// A clog's end; a partition may still stand, so leave it.
	case FaultClockStep, FaultClockDrift, FaultClockStrobe:
		t.clocks = true
	case FaultStorage:
		t.storage = true
	default:
		if !slices.Contains(AllFaultKinds, f.Kind) {
			// A system's own fault (a leadership transfer) changes the
			// system on purpose: it settles afresh.
			t.restart()
			return
		}
	}
	if t.harmless && !leaderHit && !t.leaderKeepsMajority(leader) {
		// The partition left the leader a majority through servers this
		// fault took away (a bridge that crashed): it harms now, until
		// the heal.
		t.partition, t.harmless = true, false
	}
	if !leaderHit {
		t.update()
	}
}

// leaderKeepsMajority says the leader is up and exchanges messages with a
// majority of the members, itself included, counting only servers that
// are up and not paused: the nemesis judged a partition harmless by the
// links alone.
func (t *quietTracker) leaderKeepsMajority(leader sim.HostID) bool {
	if leader == sim.NoHost {
		return false
	}
	members := t.r.sys.Members()
	reach := 0
	for _, m := range members {
		if h := t.r.w.Host(m); h.Up() && !h.Paused() && t.r.talk(leader, m) {
			reach++
		}
	}
	return 2*reach > len(members)
}

// restart ends the window at once, as every fault does (a system's own
// included, such as a leadership transfer), and opens the next if the run
// is still calm: the system settles afresh.
func (t *quietTracker) restart() {
	if t.quiet {
		t.quiet = false
		t.close(t.r.w.Now())
	}
	t.update()
}

// healed notes the heal at the end of the fault phase.
func (t *quietTracker) healed() {
	t.struckOnce = true
	t.partition, t.harmless, t.clocks, t.storage, t.programs, t.scriptCut = false, false, false, false, 0, false
	t.restart()
}

// scripted notes a script's action; cut says a server stays disconnected.
// The system settles afresh after it.
func (t *quietTracker) scripted(cut bool) {
	t.struckOnce = true
	t.scriptCut = cut
	t.restart()
}

func (t *quietTracker) program(delta int) {
	t.struckOnce = true
	t.programs += delta
	t.restart()
}

func (t *quietTracker) calm() bool {
	if t.q.Majority {
		return !t.clocks && !t.storage && t.programs == 0 && len(t.r.talkingMajority()) > 0
	}
	if t.partition || t.scriptCut || t.clocks || t.storage || t.programs > 0 {
		return false
	}
	down := 0
	for _, id := range t.r.nem.servers {
		h := t.r.w.Host(id)
		if h.Paused() {
			return false
		}
		if !h.Up() {
			down++
		}
	}
	return down <= t.q.DownMax
}

// update opens or closes a window; a new one is sampled once it settles.
func (t *quietTracker) update() {
	now := t.r.w.Now()
	calm := t.calm()
	switch {
	case calm && !t.quiet:
		t.quiet = true
		t.windows = append(t.windows, window{from: now, to: -1, clients: t.reaching()})
		if t.q.Steady {
			t.settling, t.settleAt = len(t.windows)-1, now+t.q.Settle.D()
		}
	case !calm && t.quiet:
		t.quiet = false
		t.close(now)
	}
}

func (t *quietTracker) close(now time.Duration) {
	if n := len(t.windows); n > 0 && t.windows[n-1].to < 0 {
		w := &t.windows[n-1]
		w.to = now
		if w.settled != nil {
			w.ended = t.r.steadyCounters()
		}
	}
}

// steadyCounters reads the counters the system declares steady.
func (r *run) steadyCounters() []int {
	var out []int
	for _, name := range r.kind.Steady() {
		out = append(out, r.sys.Counter(name))
	}
	return out
}

// judge checks the windows at the end of a run.
func (t *quietTracker) judge(res *Result, ops []checker.OpSummary, fail func(check, format string, args ...any)) {
	end := t.r.w.Now()
	t.close(end)
	res.QuietWindows = len(t.windows)
	if t.q.Steady {
		for _, w := range t.windows {
			if w.settled == nil {
				continue
			}
			for j, name := range t.r.kind.Steady() {
				if grew := w.ended[j] - w.settled[j]; grew > 0 {
					fail(CheckSteady, "%s grew by %d in the quiet window from %v to %v, after it settled at %v", name, grew, w.from, w.to, w.settledAt)
					break
				}
			}
		}
	}
	if t.q.Within > 0 {
		within := t.q.Within.D()
		var late []string
		lateN := 0
		var described []checker.OpSummary // ops with their texts, listed for the first late one
		for i, op := range ops {
			w, ok := t.windowAt(op.Call)
			if !ok || op.Call < w.from+t.q.Settle.D() || op.Call+within > w.to {
				continue
			}
			if w.clients != nil && !slices.Contains(w.clients, op.Client) {
				continue
			}
			if op.Status == checker.OpCompleted && op.Return-op.Call <= within {
				continue
			}
			lateN++
			if len(late) < 3 {
				outcome := "never completed"
				if op.Status == checker.OpCompleted {
					outcome = fmt.Sprintf("took %v", op.Return-op.Call)
				} else if op.Status == checker.OpFailed {
					outcome = "failed"
				}
				if described == nil {
					described = t.r.sys.History.Summaries()
				}
				late = append(late, fmt.Sprintf("op %d of c%d (%s) at %v %s", op.ID, op.Client, described[i].Text, op.Call, outcome))
			}
		}
		if lateN > 0 {
			fail(CheckProgress, "%d operations invoked in quiet windows did not complete within %v: %s", lateN, within, strings.Join(late, "; "))
		}
	}
}

func (t *quietTracker) windowAt(at time.Duration) (window, bool) {
	i, found := slices.BinarySearchFunc(t.windows, at, func(w window, at time.Duration) int {
		switch {
		case w.to >= 0 && w.to <= at:
			return -1
		case w.from > at:
			return 1
		}
		return 0
	})
	if !found {
		return window{}, false
	}
	return t.windows[i], true
}

// reaching lists, in Majority mode, the clients that reach every server
// of the talking majority (by history number); nil otherwise.
func (t *quietTracker) reaching() []int {
	if !t.q.Majority {
		return nil
	}
	majority := t.r.talkingMajority()
	out := []int{}
	for i, c := range t.r.clients {
		if !slices.ContainsFunc(majority, func(m sim.HostID) bool { return !t.r.talk(c, m) }) {
			out = append(out, i+1)
		}
	}
	return out
}

// talk reports whether a and b can exchange messages both ways.
func (r *run) talk(a, b sim.HostID) bool {
	return a == b || !r.net.Blocked(a, b) && !r.net.Blocked(b, a)
}

// talkingMajority finds a majority of the members that are up, not
// paused, and can all exchange messages with each other; nil if there is
// none. It grows a group around each server and drops, while the group is
// not fully connected, the member with the fewest links inside it: exact
// for partitions into groups, and for servers cut off one by one.
func (r *run) talkingMajority() []sim.HostID {
	members := r.sys.Members()
	var live []sim.HostID
	for _, m := range members {
		if h := r.w.Host(m); h.Up() && !h.Paused() {
			live = append(live, m)
		}
	}
	var best []sim.HostID
	for _, h := range live {
		group := slices.DeleteFunc(slices.Clone(live), func(m sim.HostID) bool { return !r.talk(h, m) })
		for {
			worst, fewest := -1, len(group)
			for i, a := range group {
				links := 0
				for _, b := range group {
					if r.talk(a, b) {
						links++
					}
				}
				if links < fewest {
					worst, fewest = i, links
				}
			}
			if worst < 0 {
				break
			}
			group = slices.Delete(group, worst, worst+1)
		}
		if len(group) > len(best) {
			best = group
		}
	}
	if 2*len(best) > len(members) {
		return best
	}
	return nil
}
