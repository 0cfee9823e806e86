package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Check names of the liveness promises a system declares
// (system.Liveness), as Reason.Check and Expect.Check name them.
const (
	CheckElect         = "elect"
	CheckStepDown      = "step-down"
	CheckStable        = "stable"
	CheckHeartbeatRate = "heartbeat-rate"
)

// promiseNames are the promises a scenario's checks.liveness_promises
// may skip.
var promiseNames = []string{CheckElect, CheckStepDown, CheckStable, CheckHeartbeatRate}

// PromiseChecks is how one scenario judges the liveness promises its
// system declares (system.Spec.Liveness). Without it a scenario expected
// to pass judges every promise as declared, and a scenario expected to
// fail (a planted bug aimed at one check) judges none. In JSON it is
// false (judge none), true (judge as declared), or an object that
// tightens a bound or skips a promise:
//
//	"liveness_promises": {"elect_within": "2s", "heartbeats_per_second": 10, "skip": ["stable"]}
type PromiseChecks struct {
	// Off: no promise is judged.
	Off bool `json:"-"`
	// ElectWithin and StepDownWithin, if set, replace the system's
	// bounds with tighter ones; a looser one is an error.
	ElectWithin    Duration `json:"elect_within,omitempty"`
	StepDownWithin Duration `json:"step_down_within,omitempty"`
	// HeartbeatsPerSecond, if set, replaces the system's heartbeat
	// rate with a lower one; a higher one is an error.
	HeartbeatsPerSecond int `json:"heartbeats_per_second,omitempty"`
	// Skip names promises not judged: elect, step-down, stable,
	// heartbeat-rate.
	Skip []string `json:"skip,omitempty"`
}

// UnmarshalJSON accepts a bool or an object.
func (p *PromiseChecks) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true":
		*p = PromiseChecks{}
		return nil
	case "false":
		*p = PromiseChecks{Off: true}
		return nil
	}
	type plain PromiseChecks
	var v plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("liveness_promises: want true, false or {\"elect_within\", \"step_down_within\", \"heartbeats_per_second\", \"skip\"}: %w", err)
	}
	*p = PromiseChecks(v)
	return nil
}

// MarshalJSON writes false for Off, and the object otherwise.
func (p PromiseChecks) MarshalJSON() ([]byte, error) {
	if p.Off {
		return []byte("false"), nil
	}
	type plain PromiseChecks
	return json.Marshal(plain(p))
}

// validate checks the scenario's adjustments against what the system
// promises with the scenario's configuration.
func (p *PromiseChecks) validate(declared system.Liveness) error {
	for i, name := range p.Skip {
		if !slices.Contains(promiseNames, name) {
			return fmt.Errorf("skip[%d]: %q is not a promise (%s)", i, name, strings.Join(promiseNames, ", "))
		}
	}
	for _, b := range []struct {
		field          string
		tight, promise time.Duration
	}{{"elect_within", p.ElectWithin.D(), declared.ElectWithin}, {"step_down_within", p.StepDownWithin.D(), declared.StepDownWithin}} {
		switch {
		case b.tight < 0:
			return fmt.Errorf("%s is negative (%v)", b.field, b.tight)
		case b.tight > 0 && b.promise == 0:
			return fmt.Errorf("%s: the system promises no such bound with this configuration, so a scenario cannot tighten it", b.field)
		case b.tight > b.promise:
			return fmt.Errorf("%s is %v, looser than the system's promise (%v): a scenario may only tighten it", b.field, b.tight, b.promise)
		}
	}
	switch tight, promise := p.HeartbeatsPerSecond, declared.Heartbeats.PerSecond; {
	case tight < 0:
		return fmt.Errorf("heartbeats_per_second is negative (%d)", tight)
	case tight > 0 && promise == 0:
		return errors.New("heartbeats_per_second: the system promises no heartbeat rate with this configuration, so a scenario cannot tighten it")
	case tight > promise:
		return fmt.Errorf("heartbeats_per_second is %d, above the system's promise (%d): a scenario may only tighten it", tight, promise)
	}
	return nil
}

// promisesFor is what a run of s judges: the system's declared promises,
// tightened and thinned by the scenario, and widened by its clock drift
// (a server's timer of d fires within d/(1-drift) of true time); the
// zero Liveness when nothing is judged. The election bound and
// stability are not judged on a lossy network.
func (s *Scenario) promisesFor(declared system.Liveness) system.Liveness {
	p := s.Checks.LivenessPromises
	elect := true
	switch {
	case p == nil && s.Expect.Verdict != Pass, p != nil && p.Off:
		return system.Liveness{}
	case p != nil:
		if p.ElectWithin > 0 {
			declared.ElectWithin = p.ElectWithin.D()
		}
		if p.StepDownWithin > 0 {
			declared.StepDownWithin = p.StepDownWithin.D()
		}
		if p.HeartbeatsPerSecond > 0 {
			declared.Heartbeats.PerSecond = p.HeartbeatsPerSecond
		}
		if slices.Contains(p.Skip, CheckHeartbeatRate) {
			declared.Heartbeats = system.HeartbeatRate{}
		}
		if slices.Contains(p.Skip, CheckStable) {
			declared.StableAfter = 0
		}
		elect = !slices.Contains(p.Skip, CheckElect)
		if slices.Contains(p.Skip, CheckStepDown) {
			declared.StepDownWithin = 0
		}
	}
	if d := s.Clocks.DriftMax; d > 0 {
		widen := func(b time.Duration) time.Duration { return time.Duration(float64(b) / float64(1-d)) }
		declared.ElectWithin, declared.StepDownWithin, declared.StableAfter = widen(declared.ElectWithin), widen(declared.StepDownWithin), widen(declared.StableAfter)
		// A timer that runs fast by d fires 1/(1-d) times as often.
		if r := declared.Heartbeats.PerSecond; r > 0 {
			declared.Heartbeats.PerSecond = int(math.Ceil(float64(r) / float64(1-d)))
		}
	}
	// On a network that loses messages an election takes as many rounds
	// as the losses make it, without bound: a bare majority of five on a
	// network that loses one message in ten stays leaderless for 8 s of
	// election rounds in about one seed in 200 of lab-3c-figure8-unreliable.
	// And a leader whose acknowledgements are lost for long enough steps
	// down (CheckQuorum) though connected: one in five lost deposed one
	// in a drawn scenario of TestPropertyRaftIsSafe. The election bound
	// and stability are promises of a network that delivers.
	if s.Network.LossRatio > 0 {
		elect, declared.StableAfter = false, 0
	}
	if !elect {
		declared.ElectWithin = 0
	}
	return declared
}

// promiseSample is how often the promise tracker looks at the servers:
// the bounds it judges are hundreds of milliseconds to seconds, and a
// look costs a few calls per server.
const promiseSample = 20 * time.Millisecond

// promiseFailuresMax bounds the failures of one promise a run reports
// word for word; the rest are counted.
const promiseFailuresMax = 3

// promiseTracker judges a system's liveness promises while the run goes
// on, in its promise windows: the stretches in which a majority of the
// members are up and can all exchange messages, and no clock, storage,
// link or program fault is on. It samples the servers every
// promiseSample from a world hook, which adds no event, so a run's trace
// is the same with it as without.
//
// A window opens with its election clock: a leader that reaches a
// majority must appear within ElectWithin. A fault that leaves the
// window's leader up, leading and reaching a majority keeps the window
// and its clock going; any other change restarts it. A leader that has
// led the window for StableAfter must keep leading while it lasts.
// Step-down is judged whenever no clock, storage or program fault is
// on, majority or not; that of a leader in touch with a member of a
// higher term, also only without link faults.
type promiseTracker struct {
	r *run
	p system.Liveness

	clocks, storage, links bool
	programs               int
	// struckOnce: a fault has come; until then the tracker opens the
	// first window itself once the servers have booted.
	struckOnce bool

	open     bool
	from     time.Duration
	majority []sim.HostID // the majority that could talk when it opened
	elected  bool
	missed   bool // the election bound passed without a leader
	// leader is the window's leader judged stable, in leaderTerm;
	// sim.NoHost until one has led for StableAfter. candidate is the
	// leader seen in candidateTerm since candidateSince, until then.
	leader         sim.HostID
	leaderTerm     uint64
	candidate      sim.HostID
	candidateTerm  uint64
	candidateSince time.Duration

	// cutSince and staleSince are, per server, when it was first seen
	// leading while reaching no majority, or while exchanging messages
	// with a member of a higher term; -1 when it is not.
	cutSince, staleSince []time.Duration
	next                 time.Duration
	// members are the members as read at membersAt. The system builds
	// them afresh at each call, and they change only as a membership
	// change commits, so they are read again after every change of the
	// cluster and every promiseMembersEvery: a change that commits
	// between is seen that much late, against bounds ten times as long.
	members   []sim.HostID
	membersAt time.Duration
	// reach and talks cache, per server and per pair of servers (1 yes,
	// 0 no, -1 not known), what only a change of the cluster changes:
	// whether a server reaches a majority of the members, and whether
	// two exchange messages. They are forgotten with the members.
	reach, talks []int8

	// beats judges the heartbeat rate; nil when it is not promised.
	beats *heartbeatMeter

	failures map[string][]string
	failed   map[string]int
}

func newPromiseTracker(r *run, p system.Liveness) *promiseTracker {
	t := &promiseTracker{r: r, p: p, leader: sim.NoHost, candidate: sim.NoHost, failures: map[string][]string{}, failed: map[string]int{}}
	n := r.w.Hosts()
	t.cutSince, t.staleSince = make([]time.Duration, n), make([]time.Duration, n)
	servers := len(r.nem.servers)
	t.reach, t.talks = make([]int8, servers), make([]int8, servers*servers)
	for i := range t.talks {
		t.talks[i] = -1
	}
	t.clearSince()
	if p.Heartbeats.PerSecond > 0 {
		t.beats = newHeartbeatMeter(t, p.Heartbeats)
	}
	r.w.AddHook(t.hook)
	return t
}

func (t *promiseTracker) clearSince() {
	for i := range t.cutSince {
		t.cutSince[i], t.staleSince[i] = -1, -1
	}
}

func (t *promiseTracker) hook() error {
	now := t.r.w.Now()
	if now < t.next {
		return nil
	}
	t.next = now + promiseSample
	if !t.open && !t.struckOnce {
		t.changed(false)
	}
	t.sample(now)
	return nil
}

// struck notes a fault as the nemesis applies it.
func (t *promiseTracker) struck(f Fault) {
	t.struckOnce = true
	reset := false
	switch f.Kind {
	case FaultClockStep, FaultClockDrift, FaultClockStrobe:
		if t.beats != nil && !t.clocks {
			t.beats.restart()
		}
		t.clocks = true
	case FaultStorage:
		t.storage = true
	case FaultLink, FaultClog, FaultSlow:
		t.links = true
	case FaultHeal:
		t.links = false
	default:
		// A system's own fault (a leadership transfer) changes the
		// system on purpose: its windows start afresh.
		reset = !slices.Contains(AllFaultKinds, f.Kind)
	}
	t.changed(reset)
}

// healed notes the heal at the end of the fault phase.
func (t *promiseTracker) healed() {
	t.struckOnce = true
	if t.clocks && t.beats != nil {
		t.beats.restart() // forgets what the fast clocks sent
	}
	t.clocks, t.storage, t.links, t.programs = false, false, false, 0
	t.changed(false)
}

func (t *promiseTracker) program(delta int) {
	t.struckOnce = true
	t.programs += delta
	t.changed(true)
}

func (t *promiseTracker) scripted() {
	t.struckOnce = true
	t.changed(false)
}

// calm reports whether the faults on let the step-down promise be
// judged: timers run at their pace and nothing but the nemesis changes
// the network.
func (t *promiseTracker) calm() bool { return !t.clocks && !t.storage && t.programs == 0 }

// changed looks again at the windows after a change of the cluster;
// reset closes the open window whatever it leaves.
func (t *promiseTracker) changed(reset bool) {
	now := t.r.w.Now()
	t.members = nil
	for i := range t.talks {
		t.talks[i] = -1
	}
	if !t.calm() {
		t.clearSince()
	}
	var majority []sim.HostID
	if t.calm() && !t.links {
		majority = t.r.talkingMajority()
	}
	if majority == nil {
		t.open = false
		return
	}
	if t.open && !reset {
		l := t.leader
		if l == sim.NoHost {
			l, _ = t.leading()
		}
		if t.elected && l != sim.NoHost && t.r.sys.Leads(l) && t.reachesMajority(l) {
			return // the window's leader still leads a majority: go on
		}
	}
	t.open, t.from, t.majority = true, now, majority
	t.elected, t.missed, t.leader, t.candidate = false, false, sim.NoHost, sim.NoHost
}

// leading finds a live server that leads, reaches a majority, and whose
// term (when the system reports terms) is the highest of the servers it
// reaches: the leader the majority follows. Of several, the one of the
// highest term.
func (t *promiseTracker) leading() (sim.HostID, uint64) {
	best, bestTerm := sim.NoHost, uint64(0)
	for _, id := range t.r.nem.servers {
		if !t.r.w.Host(id).Up() || !t.r.sys.Leads(id) || !t.reachesMajority(id) {
			continue
		}
		term, ok := t.term(id)
		if ok && t.outranked(id, term) {
			continue
		}
		if best == sim.NoHost || term > bestTerm {
			best, bestTerm = id, term
		}
	}
	return best, bestTerm
}

func (t *promiseTracker) term(id sim.HostID) (uint64, bool) {
	if t.r.sys.Term == nil {
		return 0, false
	}
	return t.r.sys.Term(id)
}

// outranked reports whether a live server id exchanges messages with
// holds a term above term.
func (t *promiseTracker) outranked(id sim.HostID, term uint64) bool {
	for _, m := range t.r.nem.servers {
		if m == id || !t.r.w.Host(m).Up() || !t.talk(id, m) {
			continue
		}
		if mt, ok := t.r.sys.Term(m); ok && mt > term {
			return true
		}
	}
	return false
}

// reachesMajority: id, counting itself, can exchange messages with a
// majority of the members, and is not paused.
func (t *promiseTracker) reachesMajority(id sim.HostID) bool {
	members := t.memberList()
	if int(id) < len(t.reach) && t.reach[id] >= 0 {
		return t.reach[id] == 1
	}
	reach := 0
	for _, m := range members {
		if m == id || t.r.w.Host(m).Up() && !t.r.w.Host(m).Paused() && t.talk(id, m) {
			reach++
		}
	}
	ok := !t.r.w.Host(id).Paused() && 2*reach > len(members)
	if int(id) < len(t.reach) {
		t.reach[id] = 0
		if ok {
			t.reach[id] = 1
		}
	}
	return ok
}

// talk is run.talk, cached between changes of the cluster.
func (t *promiseTracker) talk(a, b sim.HostID) bool {
	n := len(t.reach)
	if int(a) >= n || int(b) >= n {
		return t.r.talk(a, b)
	}
	i := int(a)*n + int(b)
	if t.talks[i] < 0 {
		t.talks[i] = 0
		if t.r.talk(a, b) {
			t.talks[i] = 1
		}
	}
	return t.talks[i] == 1
}

// promiseMembersEvery is how often the tracker reads the members afresh
// while the cluster does not change.
const promiseMembersEvery = 100 * time.Millisecond

// memberList is the system's members, as read at most
// promiseMembersEvery ago or since the last change of the cluster.
func (t *promiseTracker) memberList() []sim.HostID {
	if now := t.r.w.Now(); t.members == nil || now >= t.membersAt+promiseMembersEvery {
		t.members, t.membersAt = t.r.sys.Members(), now
		for i := range t.reach {
			t.reach[i] = -1
		}
	}
	return t.members
}

func (t *promiseTracker) sample(now time.Duration) {
	if t.open && (t.p.ElectWithin > 0 || t.p.StableAfter > 0) {
		t.sampleWindow(now)
	}
	if t.p.StepDownWithin > 0 && t.calm() {
		t.sampleStepDown(now)
	}
}

// sampleWindow judges the election bound and the leader's stability.
func (t *promiseTracker) sampleWindow(now time.Duration) {
	if t.p.ElectWithin > 0 && !t.elected && !t.missed {
		if l, _ := t.leading(); l != sim.NoHost {
			t.elected = true
		} else if now >= t.from+t.p.ElectWithin {
			t.missed = true
			t.fail(CheckElect, "no server led a majority in the %v after %v, when %s could all talk (still none at %v)", t.p.ElectWithin, t.from, t.names(t.majority), now)
		}
	}
	if t.p.StableAfter == 0 {
		return
	}
	if t.leader == sim.NoHost {
		l, term := t.leading()
		switch {
		case l == sim.NoHost:
			t.candidate = sim.NoHost
		case l != t.candidate || term != t.candidateTerm:
			t.candidate, t.candidateTerm, t.candidateSince = l, term, now
		case now-t.candidateSince >= t.p.StableAfter:
			t.leader, t.leaderTerm = l, term
		}
		return
	}
	term, _ := t.term(t.leader)
	if t.r.w.Host(t.leader).Up() && t.r.sys.Leads(t.leader) && term == t.leaderTerm {
		return
	}
	now2 := "no longer leads"
	if l, lt := t.leading(); l != sim.NoHost {
		now2 = fmt.Sprintf("%s leads in term %d", t.r.w.Host(l).Name(), lt)
	}
	t.fail(CheckStable, "%s, leader in term %d of a majority that could talk since %v, and for at least %v, was deposed by %v with no fault since (%s)", t.r.w.Host(t.leader).Name(), t.leaderTerm, t.from, t.p.StableAfter, now, now2)
	t.leader = sim.NoHost
	t.open = false // one failure per window: the cluster is judged again from the next
}

// sampleStepDown judges that a leader cut off from a majority, or in
// touch with a member of a higher term, stops leading in time.
func (t *promiseTracker) sampleStepDown(now time.Duration) {
	if !slices.ContainsFunc(t.r.nem.servers, func(id sim.HostID) bool { return t.r.w.Host(id).Up() && t.r.sys.Leads(id) }) {
		t.clearSince()
		return
	}
	members := t.memberList()
	for _, id := range t.r.nem.servers {
		// A paused server cannot step down; it is judged once it runs.
		h := t.r.w.Host(id)
		leads := h.Up() && !h.Paused() && slices.Contains(members, id) && t.r.sys.Leads(id)
		cut := leads && !t.reachesMajority(id)
		if !t.p.CutOffStepDown {
			cut = false // a cut-off leader may lead on; a higher term still deposes it
		}
		t.cutSince[id] = t.since(t.cutSince[id], cut, now)
		if since := t.cutSince[id]; since >= 0 && now-since > t.p.StepDownWithin {
			t.fail(CheckStepDown, "%s still believed it led at %v, %v after it was first seen leading cut off from a majority of the members (at %v)", t.r.w.Host(id).Name(), now, now-since, since)
			t.cutSince[id] = -1
		}
		stale, higher := false, sim.NoHost
		if leads && !cut && !t.links && t.r.sys.Term != nil {
			higher = t.higherTerm(id, members)
			stale = higher != sim.NoHost
		}
		t.staleSince[id] = t.since(t.staleSince[id], stale, now)
		if since := t.staleSince[id]; since >= 0 && now-since > t.p.StepDownWithin {
			term, _ := t.r.sys.Term(id)
			ht, _ := t.r.sys.Term(higher)
			t.fail(CheckStepDown, "%s still believed it led in term %d at %v, %v after it was first seen exchanging messages with %s, in term %d (at %v)", t.r.w.Host(id).Name(), term, now, now-since, t.r.w.Host(higher).Name(), ht, since)
			t.staleSince[id] = -1
		}
	}
}

func (t *promiseTracker) since(since time.Duration, now bool, at time.Duration) time.Duration {
	switch {
	case !now:
		return -1
	case since < 0:
		return at
	}
	return since
}

// higherTerm is a live member that id exchanges messages with and whose
// term is above id's, or sim.NoHost: a leader's every heartbeat to it
// is answered in that term.
func (t *promiseTracker) higherTerm(id sim.HostID, members []sim.HostID) sim.HostID {
	term, ok := t.r.sys.Term(id)
	if !ok {
		return sim.NoHost
	}
	for _, m := range members {
		if m == id || !t.r.w.Host(m).Up() || t.r.w.Host(m).Paused() || !t.talk(id, m) {
			continue
		}
		if mt, ok := t.r.sys.Term(m); ok && mt > term {
			return m
		}
	}
	return sim.NoHost
}

func (t *promiseTracker) names(ids []sim.HostID) string {
	var out []string
	for _, id := range ids {
		out = append(out, t.r.w.Host(id).Name())
	}
	return strings.Join(out, ", ")
}

func (t *promiseTracker) fail(check, format string, args ...any) {
	t.failed[check]++
	if len(t.failures[check]) < promiseFailuresMax {
		t.failures[check] = append(t.failures[check], fmt.Sprintf(format, args...))
	}
}

// judge reports what the run broke, one reason per promise.
func (t *promiseTracker) judge(res *Result, fail func(check, format string, args ...any)) {
	if t.beats != nil && !t.clocks {
		t.beats.finish()
	}
	for _, check := range promiseNames {
		if t.judges(check) {
			res.Checks = append(res.Checks, check)
		}
		n := t.failed[check]
		if n == 0 {
			continue
		}
		msg := strings.Join(t.failures[check], "; ")
		if n > len(t.failures[check]) {
			msg += fmt.Sprintf("; and %d more", n-len(t.failures[check]))
		}
		fail(check, "%s", msg)
	}
}

func (t *promiseTracker) judges(check string) bool {
	switch check {
	case CheckElect:
		return t.p.ElectWithin > 0
	case CheckStable:
		return t.p.StableAfter > 0
	case CheckStepDown:
		return t.p.StepDownWithin > 0
	case CheckHeartbeatRate:
		return t.p.Heartbeats.PerSecond > 0
	}
	return false
}
