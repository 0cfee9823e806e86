package scenarios

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// scriptRunner carries out a scenario's script in a run. Its steps are
// world events of their own (a script is a schedule), and they only read
// the system, through the Instance, except for the actions they take.
type scriptRunner struct {
	r     *run
	rng   *rand.Rand // the script's own stream: the nemesis's draws stay as they were
	steps []timedStep
	// bound are the servers each "as" name was bound to last.
	bound map[string][]sim.HostID // looked up, never ranged over
	// disconnected marks the hosts a step disconnected, by host id.
	disconnected []bool
	// waiting are state assertions that have until their deadline to
	// come true; a world hook looks at them after every event.
	waiting []*waitingState
	// windows are the window assertions, judged as they close and, for
	// client operations, at the end of the run.
	windows []*scriptWindow
	types   *typeCounter // nil unless a message budget names a type
	reasons []Reason
	failAt  time.Duration
}

// timedStep is a step of the unrolled script with its time.
type timedStep struct {
	at   time.Duration
	st   *Step
	path string
}

type waitingState struct {
	ts       timedStep
	deadline time.Duration
	done     bool
}

// scriptWindow is an assertion's window and what it saw.
type scriptWindow struct {
	ts       timedStep
	from, to time.Duration
	// counters are the asserted counters at from; msgs the messages of
	// the asserted type (or all) on each server link at from and to.
	counters           []int
	msgsFrom, msgsTo   []uint64
	bytesFrom, bytesTo uint64
	closed             bool
}

func newScriptRunner(r *run) (*scriptRunner, error) {
	sr := &scriptRunner{r: r, rng: r.w.Stream("script"), bound: map[string][]sim.HostID{}, failAt: -1}
	sr.disconnected = make([]bool, r.w.Hosts())
	sr.unroll(r.s.Nemesis.Script, "script", 0)
	for _, ts := range sr.steps {
		a := ts.st.Assert
		switch {
		case a == nil:
		case a.SameTerm && r.sys.Term == nil:
			return nil, fmt.Errorf("%s: assert.same_term: the %s system reports no terms (system.Instance.Term)", ts.path, r.s.System.Kind)
		case a.CutOffLeaders != "" && r.sys.Leads == nil:
			return nil, fmt.Errorf("%s: assert.cut_off_leaders: the %s system does not say which servers believe they lead (system.Instance.Leads)", ts.path, r.s.System.Kind)
		case a.Leader != "" && r.sys.Leader == nil:
			return nil, fmt.Errorf("%s: assert.leader: the %s system reports no leader (system.Instance.Leader)", ts.path, r.s.System.Kind)
		case a.Messages != nil && a.Messages.Type != "" && sr.types == nil:
			sr.types = newTypeCounter(r.w, r.net, len(r.nem.servers))
		}
		if w := ts.st.When; w != nil && w.Leader != "" && r.sys.Leader == nil {
			return nil, fmt.Errorf("%s: when.leader: the %s system reports no leader (system.Instance.Leader)", ts.path, r.s.System.Kind)
		}
	}
	for _, ts := range sr.steps {
		ts := ts
		r.w.At(ts.at, func() { sr.run(ts) })
	}
	r.w.AddHook(sr.hook)
	return sr, nil
}

// unroll lays the steps out in time from t, blocks repeated, and returns
// when the last of them ends.
func (sr *scriptRunner) unroll(steps []Step, path string, t time.Duration) time.Duration {
	for i := range steps {
		st := &steps[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		at := t + st.After.D()
		if span := st.AfterMax - st.After; span > 0 {
			at += time.Duration(sr.rng.Int64N(int64(span) + 1))
		}
		if st.At != nil {
			at = st.At.D()
		}
		if len(st.Steps) > 0 {
			for k := 0; k < max(1, st.Repeat); k++ {
				if st.Chance > 0 && sr.rng.Float64() >= st.Chance {
					continue
				}
				rp := p + ".steps"
				if st.Repeat > 1 {
					rp = fmt.Sprintf("%s(round %d).steps", p, k+1)
				}
				at = sr.unroll(st.Steps, rp, at)
			}
			t = at
			continue
		}
		sr.steps = append(sr.steps, timedStep{at: at, st: st, path: p})
		t = at + st.length()
	}
	return t
}

// length is how long a step lasts: an assertion, its window.
func (st *Step) length() time.Duration {
	if a := st.Assert; a != nil {
		return max(a.For.D(), a.Within.D())
	}
	return 0
}

func (sr *scriptRunner) fail(check string, ts timedStep, format string, args ...any) {
	now := sr.r.w.Now()
	sr.reasons = append(sr.reasons, Reason{Check: check, Verdict: Fail, Message: fmt.Sprintf("%s at %v: ", ts.path, ts.at) + fmt.Sprintf(format, args...)})
	if sr.failAt < 0 {
		sr.failAt = now
	}
	sr.r.w.Trace(sim.KindFault, sim.NoHost, "script.fail", fmt.Sprintf("%s: %s", check, ts.path))
}

// run carries out one step at its time.
func (sr *scriptRunner) run(ts timedStep) {
	st := ts.st
	switch {
	case st.Assert != nil:
		sr.assert(ts)
	case st.Chance > 0 && sr.rng.Float64() >= st.Chance:
	case st.When != nil && !sr.holds(st.When):
	case st.Fault != nil:
		sr.fault(ts)
	default:
		sr.do(ts)
	}
}

func (sr *scriptRunner) holds(c *Condition) bool {
	switch c.Leader {
	case "one":
		if _, ok := sr.leaderOne(); !ok {
			return false
		}
	case "none":
		if !sr.leaderNone() {
			return false
		}
	}
	if c.ConnectedBelow > 0 && len(sr.r.nem.servers)-sr.cut() >= c.ConnectedBelow {
		return false
	}
	return c.UpBelow == 0 || sr.up() < c.UpBelow
}

func (sr *scriptRunner) cut() int {
	n := 0
	for _, id := range sr.r.nem.servers {
		if sr.disconnected[id] {
			n++
		}
	}
	return n
}

func (sr *scriptRunner) up() int {
	n := 0
	for _, id := range sr.r.nem.servers {
		if sr.r.w.Host(id).Up() {
			n++
		}
	}
	return n
}

func (sr *scriptRunner) do(ts timedStep) {
	st := ts.st
	w := sr.r.w
	dflt := map[string]string{DoRestart: "down", DoResume: "all", DoConnect: "all"}[st.Do]
	target := st.Target
	if target == "" {
		target = dflt
		if target == "" {
			target = "random"
		}
	}
	hosts := sr.resolve(target, st.Count)
	var hit []sim.HostID
	for _, id := range hosts {
		h := w.Host(id)
		switch st.Do {
		case DoDisconnect:
			if !sr.disconnected[id] {
				sr.connect(id, false)
				hit = append(hit, id)
			}
		case DoConnect:
			if sr.disconnected[id] {
				sr.connect(id, true)
				hit = append(hit, id)
			}
		case DoCrash:
			if h.Up() {
				h.Crash()
				hit = append(hit, id)
			}
		case DoRestart:
			if !h.Up() {
				h.Restart()
				hit = append(hit, id)
			}
		case DoPause:
			if !h.Paused() {
				h.Pause()
				hit = append(hit, id)
			}
		case DoResume:
			if h.Paused() {
				h.Resume()
				hit = append(hit, id)
			}
		}
	}
	if st.As != "" {
		sr.bound[st.As] = hosts
	}
	var names []string
	for _, id := range hit {
		names = append(names, w.Host(id).Name())
	}
	w.Trace(sim.KindFault, sim.NoHost, "script."+st.Do, fmt.Sprintf("%s: %s %v", ts.path, st.Do, names))
	if len(hit) > 0 {
		sr.r.nem.faults++
		sr.r.nem.Struck(st.Do, "script "+ts.path, w.Now(), w.Now(), hit...)
	}
	sr.changed()
}

// The actions a step's do may name besides disconnect and connect.
const (
	DoCrash   = string(FaultCrash)
	DoRestart = string(FaultRestart)
	DoPause   = string(FaultPause)
	DoResume  = string(FaultResume)
)

// changed tells the quiet checks that the script changed the cluster.
func (sr *scriptRunner) changed() {
	if q := sr.r.quiet; q != nil {
		q.scripted(slices.Contains(sr.disconnected, true))
	}
	if p := sr.r.nem.promises; p != nil {
		p.scripted()
	}
}

func (sr *scriptRunner) fault(ts timedStep) {
	st := ts.st
	f := *st.Fault
	f.At = Duration(sr.r.w.Now())
	var hosts []sim.HostID
	if f.Kind == FaultHeal {
		clear(sr.disconnected)
	}
	if f.Target == "" {
		sr.r.nem.apply(f)
	} else {
		hosts = sr.resolve(f.Target, st.Count)
		for _, id := range hosts {
			f.Target = sr.r.w.Host(id).Name()
			sr.r.nem.apply(f)
		}
	}
	if st.As != "" {
		sr.bound[st.As] = hosts
	}
	sr.changed()
}

// connect cuts a server off from every other server, or reconnects it to
// every server that is not itself disconnected. Clients keep their links:
// as in MIT 6.5840's Raft tests, where the tester hands a disconnected
// leader commands directly, a client may still reach a cut-off leader.
func (sr *scriptRunner) connect(h sim.HostID, on bool) {
	sr.disconnected[h] = !on
	net := sr.r.net
	for _, o := range sr.r.nem.servers {
		switch {
		case o == h:
		case !on:
			_ = net.Cut(h, o)
			_ = net.Cut(o, h)
		case !sr.disconnected[o]:
			_ = net.Connect(h, o)
			_ = net.Connect(o, h)
		}
	}
}

// healed notes the heal phase: every host is connected again.
func (sr *scriptRunner) healed() { clear(sr.disconnected) }

// resolve picks the servers a target names now.
func (sr *scriptRunner) resolve(target string, count int) []sim.HostID {
	w := sr.r.w
	members := sr.r.sys.Members()
	name, not := strings.CutPrefix(target, "!")
	var set []sim.HostID
	pickOne := false
	switch name {
	case "all":
		set = slices.Clone(members)
	case "leader":
		if l := sr.r.nem.leader(); l != sim.NoHost {
			set = []sim.HostID{l}
		}
	case "follower", "random":
		// Connected servers first: "disconnect a follower" means one
		// that is still connected, as the lab picks it.
		l := sr.r.nem.leader()
		var cut []sim.HostID
		for _, m := range members {
			switch {
			case name == "follower" && m == l:
			case sr.disconnected[m]:
				cut = append(cut, m)
			default:
				set = append(set, m)
			}
		}
		if len(set) == 0 {
			set = cut
		}
		pickOne = true
	case "cut":
		for _, id := range sr.r.nem.servers {
			if sr.disconnected[id] {
				set = append(set, id)
			}
		}
	case "up", "down":
		for _, id := range sr.r.nem.servers {
			if w.Host(id).Up() == (name == "up") {
				set = append(set, id)
			}
		}
	default:
		if b, ok := strings.CutPrefix(name, "$"); ok {
			set = slices.Clone(sr.bound[b])
		} else if h := w.HostByName(name); h != nil {
			set = []sim.HostID{h.ID()}
		}
	}
	if not {
		set = slices.DeleteFunc(slices.Clone(members), func(m sim.HostID) bool { return slices.Contains(set, m) })
	}
	if k := count; k > 0 || pickOne {
		k = max(k, 1)
		if k < len(set) {
			sr.rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
			set = set[:k]
		}
	}
	slices.Sort(set)
	return set
}

// leaderOne finds a live, connected leader that reaches a majority.
func (sr *scriptRunner) leaderOne() (sim.HostID, bool) {
	l := sr.r.nem.leader()
	if l == sim.NoHost || !sr.r.w.Host(l).Up() || sr.disconnected[l] {
		return sim.NoHost, false
	}
	return l, sr.reachesMajority(l)
}

// reachesMajority: id, counting itself, can exchange messages with a
// majority of the members that are up.
func (sr *scriptRunner) reachesMajority(id sim.HostID) bool {
	members := sr.r.sys.Members()
	reach := 0
	for _, m := range members {
		if m == id || sr.r.w.Host(m).Up() && sr.r.talk(id, m) {
			reach++
		}
	}
	return 2*reach > len(members)
}

// cutOffLeaders names the live servers that believe they lead though
// they are disconnected or reach no majority of the members ("" if none).
func (sr *scriptRunner) cutOffLeaders() string {
	var names []string
	for i, disconnected := range sr.disconnected {
		id := sim.HostID(i)
		if h := sr.r.w.Host(id); h.Up() && sr.r.sys.Leads(id) && (disconnected || !sr.reachesMajority(id)) {
			names = append(names, h.Name())
		}
	}
	return strings.Join(names, ", ")
}

// leaderNone: no connected server leads.
func (sr *scriptRunner) leaderNone() bool {
	l := sr.r.nem.leader()
	return l == sim.NoHost || !sr.r.w.Host(l).Up() || sr.disconnected[l]
}

// sameTerm reports the terms of the live, connected members, and whether
// they agree.
func (sr *scriptRunner) sameTerm() (string, bool) {
	var terms []string
	first, same, n := uint64(0), true, 0
	for _, m := range sr.r.sys.Members() {
		if !sr.r.w.Host(m).Up() || sr.disconnected[m] {
			continue
		}
		t, ok := sr.r.sys.Term(m)
		if !ok {
			continue
		}
		if n == 0 {
			first = t
		}
		same = same && t == first
		n++
		terms = append(terms, fmt.Sprintf("%s t%d", sr.r.w.Host(m).Name(), t))
	}
	return strings.Join(terms, ", "), same && n > 0
}

// state checks a state assertion now; it reports whether it holds.
func (sr *scriptRunner) state(ts timedStep) (bool, string) {
	a := ts.st.Assert
	switch a.Leader {
	case "one":
		l, ok := sr.leaderOne()
		if !ok {
			return false, "no connected leader that reaches a majority"
		}
		if ts.st.As != "" {
			sr.bound[ts.st.As] = []sim.HostID{l}
		}
	case "none":
		if !sr.leaderNone() {
			return false, fmt.Sprintf("%s leads", sr.r.w.Host(sr.r.nem.leader()).Name())
		}
	}
	if a.CutOffLeaders != "" {
		if cut := sr.cutOffLeaders(); cut != "" {
			return false, cut + " still believes it leads, cut off from a majority"
		}
	}
	if a.SameTerm {
		if terms, ok := sr.sameTerm(); !ok {
			return false, "the members are not in one term (" + terms + ")"
		}
	}
	return true, ""
}

func (sr *scriptRunner) assert(ts timedStep) {
	a := ts.st.Assert
	if a.Leader != "" || a.SameTerm || a.CutOffLeaders != "" {
		ok, why := sr.state(ts)
		switch {
		case ok:
		case a.Within == 0:
			sr.fail(CheckAssert, ts, "%s", why)
		default:
			ws := &waitingState{ts: ts, deadline: ts.at + a.Within.D()}
			sr.waiting = append(sr.waiting, ws)
			sr.r.w.At(ws.deadline, func() {
				if !ws.done {
					ws.done = true
					_, why := sr.state(ts)
					sr.fail(CheckAssert, ts, "not within %v: %s", a.Within, why)
				}
			})
		}
		return
	}
	sr.checkDisk(ts)
	if a.For == 0 {
		for _, name := range sortedKeys(a.Counters) {
			if b, v := a.Counters[name], sr.r.sys.Counter(name); !b.holds(v) {
				sr.fail(CheckAssert, ts, "counter %s is %d, not %s", name, v, b)
			}
		}
		return
	}
	win := &scriptWindow{ts: ts, from: ts.at, to: ts.at + a.For.D()}
	for _, name := range sortedKeys(a.Counters) {
		win.counters = append(win.counters, sr.r.sys.Counter(name))
	}
	if m := a.Messages; m != nil {
		win.msgsFrom, win.bytesFrom = sr.messages(m.Type)
	}
	sr.windows = append(sr.windows, win)
	sr.r.w.At(win.to, func() { sr.close(win) })
}

func (sr *scriptRunner) checkDisk(ts timedStep) {
	bound := ts.st.Assert.DiskBytesMax
	if bound == 0 {
		return
	}
	for _, id := range sr.r.nem.servers {
		if h := sr.r.w.Host(id); h.DiskBytes() > bound {
			sr.fail(CheckDisk, ts, "%s holds %d durable bytes, more than %d", h.Name(), h.DiskBytes(), bound)
		}
	}
}

// close judges a window as it ends: counters, messages, disk. Operations
// wait for the history, at the end of the run.
func (sr *scriptRunner) close(win *scriptWindow) {
	win.closed = true
	a := win.ts.st.Assert
	for i, name := range sortedKeys(a.Counters) {
		if b, grew := a.Counters[name], sr.r.sys.Counter(name)-win.counters[i]; !b.holds(grew) {
			sr.fail(CheckAssert, win.ts, "counter %s grew by %d in %v, not %s", name, grew, a.For, b)
		}
	}
	if m := a.Messages; m != nil {
		win.msgsTo, win.bytesTo = sr.messages(m.Type)
		what := "messages between servers"
		if m.Type != "" {
			what = m.Type + " messages"
		}
		total := uint64(0)
		for i := range win.msgsTo {
			total += win.msgsTo[i] - win.msgsFrom[i]
		}
		if m.Max != nil && total > uint64(*m.Max) {
			sr.fail(CheckCost, win.ts, "%d %s in %v, more than %d", total, what, a.For, *m.Max)
		}
		if b := win.bytesTo - win.bytesFrom; m.BytesMax != nil && b > uint64(*m.BytesMax) {
			sr.fail(CheckCost, win.ts, "%d bytes between servers in %v, more than %d", b, a.For, *m.BytesMax)
		}
		if m.PerLinkPerSecondMax > 0 {
			n := len(sr.r.nem.servers)
			for i := range win.msgsTo {
				rate := float64(win.msgsTo[i]-win.msgsFrom[i]) / a.For.D().Seconds()
				if rate > m.PerLinkPerSecondMax {
					sr.fail(CheckCost, win.ts, "%s sent %s %.1f %s per second over %v, more than %v", sr.r.w.HostName(sr.r.nem.servers[i/n]), sr.r.w.HostName(sr.r.nem.servers[i%n]), rate, what, a.For, m.PerLinkPerSecondMax)
					break
				}
			}
		}
	}
	sr.checkDisk(win.ts)
}

// messages counts the messages of a type (all, when empty) sent on each
// server link so far, [from*n+to], and the bytes between servers.
func (sr *scriptRunner) messages(typ string) ([]uint64, uint64) {
	servers := sr.r.nem.servers
	n := len(servers)
	out := make([]uint64, n*n)
	var bytes uint64
	for i, a := range servers {
		for j, b := range servers {
			if a == b {
				continue
			}
			c := sr.r.net.LinkCounters(a, b)
			bytes += c.Bytes
			if typ == "" {
				out[i*n+j] = c.Sent
			}
		}
	}
	if typ != "" {
		sr.types.read(typ, out)
	}
	return out, bytes
}

// hook settles the state assertions that came true.
func (sr *scriptRunner) hook() error {
	if len(sr.waiting) == 0 {
		return nil
	}
	keep := sr.waiting[:0]
	for _, ws := range sr.waiting {
		if ws.done {
			continue
		}
		if ok, _ := sr.state(ws.ts); ok {
			ws.done = true
			continue
		}
		keep = append(keep, ws)
	}
	clear(sr.waiting[len(keep):])
	sr.waiting = keep
	return nil
}

// judge adds the script's reasons to a result, with the window bounds on
// client operations, which need the history.
func (sr *scriptRunner) judge(res *Result, ops []checker.OpSummary) {
	end := sr.r.w.Now()
	for _, win := range sr.windows {
		if !win.closed || win.to > end {
			continue
		}
		a := win.ts.st.Assert
		done := 0
		for _, op := range ops {
			if op.Status != checker.OpCompleted || op.Call < win.from || op.Return >= win.to {
				continue
			}
			if len(a.Clients) > 0 && !slices.Contains(a.Clients, system.ClientName(op.Client-1)) {
				continue
			}
			done++
		}
		if a.Ops != nil && !a.Ops.holds(done) {
			who := "clients"
			if len(a.Clients) > 0 {
				who = strings.Join(a.Clients, ", ")
			}
			sr.fail(CheckAssert, win.ts, "%d operations of %s invoked and completed in %v, not %s", done, who, a.For, *a.Ops)
		}
		if m := a.Messages; m != nil && (m.PerOpMax > 0 || m.BytesPerOpMax > 0) {
			total := uint64(0)
			for i := range win.msgsTo {
				total += win.msgsTo[i] - win.msgsFrom[i]
			}
			perOp := float64(total) / float64(max(done, 1))
			bytesPerOp := float64(win.bytesTo-win.bytesFrom) / float64(max(done, 1))
			if m.PerOpMax > 0 && perOp > m.PerOpMax {
				sr.fail(CheckCost, win.ts, "%.1f messages between servers per completed operation (%d for %d) in %v, more than %v", perOp, total, done, a.For, m.PerOpMax)
			}
			if m.BytesPerOpMax > 0 && bytesPerOp > m.BytesPerOpMax {
				sr.fail(CheckCost, win.ts, "%.0f bytes between servers per completed operation (%d for %d) in %v, more than %v", bytesPerOp, win.bytesTo-win.bytesFrom, done, a.For, m.BytesPerOpMax)
			}
		}
	}
	res.Reasons = append(res.Reasons, sr.reasons...)
	if sr.failAt >= 0 && (res.FailureAt < 0 || Duration(sr.failAt) < res.FailureAt) {
		res.FailureAt = Duration(sr.failAt)
	}
}

// typeCounter sits in front of the network and counts the messages of
// each type that one server sends another. It counts and forwards: the
// run is the same with it or without.
type typeCounter struct {
	next    sim.Transport
	settler sim.Settler
	servers int // servers are hosts 0..servers-1
	index   map[reflect.Type]int
	labels  []string
	counts  [][]uint64 // [type][from*servers+to]
}

// newTypeCounter installs a typeCounter in front of the world's network.
func newTypeCounter(w *sim.World, net *simnet.Network, servers int) *typeCounter {
	c := &typeCounter{next: net, settler: net, servers: servers, index: map[reflect.Type]int{}}
	w.SetTransport(c)
	return c
}

func (c *typeCounter) Send(from, to sim.HostID, msg any) {
	if int(from) < c.servers && int(to) < c.servers && from >= 0 && to >= 0 && msg != nil {
		t := reflect.TypeOf(msg)
		i, ok := c.index[t]
		if !ok {
			i = len(c.labels)
			c.index[t] = i
			c.labels = append(c.labels, t.String())
			c.counts = append(c.counts, make([]uint64, c.servers*c.servers))
		}
		c.counts[i][int(from)*c.servers+int(to)]++
	}
	c.next.Send(from, to, msg)
}

func (c *typeCounter) Settle(m sim.Message, r sim.DeliveryResult) {
	if c.settler != nil {
		c.settler.Settle(m, r)
	}
}

// read copies the counts of the type labelled typ into out.
func (c *typeCounter) read(typ string, out []uint64) {
	if i := slices.Index(c.labels, typ); i >= 0 {
		copy(out, c.counts[i])
	}
}
