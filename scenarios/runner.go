package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/sim"
)

// Verdict is a run's outcome.
type Verdict string

const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Unknown Verdict = "unknown"
)

// Reason is why a run did not pass.
type Reason struct {
	Check   string `json:"check"`
	Message string `json:"message"`
}

func (r Reason) String() string { return r.Check + ": " + r.Message }

// OpCounts count the client operations of a run.
type OpCounts struct {
	Invoked int `json:"invoked"`
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
}

// LatencySummary summarizes completed operations' latencies in true virtual time.
type LatencySummary struct {
	P50 Duration `json:"p50"`
	P90 Duration `json:"p90"`
	P99 Duration `json:"p99"`
	Max Duration `json:"max"`
}

// LinCheck is what the linearizability check found.
type LinCheck struct {
	Verdict string `json:"verdict"`
	// Culprits are the operations (history OpIDs) the search could not
	// place after the longest linearizable prefix: where to look first.
	Culprits      []int    `json:"culprits,omitempty"`
	Ops           int      `json:"ops"`
	Pending       int      `json:"pending"`
	Partitions    int      `json:"partitions"`
	Elapsed       Duration `json:"elapsed"`
	Explanation   string   `json:"explanation,omitempty"`
	Visualization string   `json:"visualization,omitempty"`
}

// Result is what one run of a scenario found. It is data: it encodes to
// JSON for sweeps and merges.
type Result struct {
	Scenario string   `json:"scenario"`
	Seed     uint64   `json:"seed"`
	Verdict  Verdict  `json:"verdict"`
	Reasons  []Reason `json:"reasons,omitempty"`
	// Expected says whether the verdict is the one the scenario expects.
	Expected  bool     `json:"expected"`
	TraceHash string   `json:"trace_hash"`
	Events    uint64   `json:"events"`
	Virtual   Duration `json:"virtual_time"`
	Wall      Duration `json:"wall_time"`
	Stop      string   `json:"stop"`

	Messages           simnet.Counters `json:"messages"`
	Faults             int             `json:"faults"`
	Crashes            int             `json:"crashes"`
	LeaderChanges      int             `json:"leader_changes"`
	LeaderCutOffs      int             `json:"leader_cut_offs"`
	SnapshotsInstalled int             `json:"snapshots_installed"`
	MembershipChanges  int             `json:"membership_changes"`

	Ops        OpCounts       `json:"ops"`
	Latency    LatencySummary `json:"latency"`
	Throughput float64        `json:"throughput_ops_per_s"`
	Lin        *LinCheck      `json:"linearizability,omitempty"`

	// FailureAt is when the failure showed: the event that broke an
	// invariant, or the call of the first culprit of a linearizability
	// failure; -1 when the run did not fail or the time is unknown.
	FailureAt Duration `json:"failure_at"`

	Probes map[Probe]bool `json:"probes"`
	// Schedule is the fault schedule that ran (generated faults included);
	// Applied is each fault as it struck, with the hosts it hit.
	Schedule []Fault        `json:"-"`
	Applied  []AppliedFault `json:"-"`
	// History is the client history, for pictures of a failure.
	History *kvhistory.History `json:"-"`
}

// Summary is a one-line account of the result.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s seed=%d %s", r.Scenario, r.Seed, r.Verdict)
	for _, reason := range r.Reasons {
		fmt.Fprintf(&b, "; %s", reason)
	}
	return b.String()
}

// Options tune a run without changing what it simulates.
type Options struct {
	// Sink receives the trace; nil keeps only the hash.
	Sink sim.Sink
	// VisualizationPath is where porcupine's visualisation of a
	// linearizability failure is written; empty writes none.
	VisualizationPath string
	// CheckWorkers bounds the linearizability checker's parallelism; a
	// sweep that runs one world per core wants 1.
	CheckWorkers int
}

// Run runs scenario s with seed. The error is for a scenario that cannot be
// run (it is invalid); everything that happens in the run is in the Result.
func Run(s Scenario, seed uint64, opts Options) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	wallStart := time.Now() //detsim:wallclock Result.Wall times the run for people; nothing in the run reads it
	r, err := newRun(&s, seed, opts)
	if err != nil {
		return nil, err
	}
	out := r.w.RunUntil(s.FaultPhase.D() + s.HealPhase.D())
	res := r.result(out)
	res.Wall = Duration(time.Since(wallStart)) //detsim:wallclock the run is over: see wallStart
	return res, nil
}

// Materialize returns s with its generator's schedule drawn for seed and
// merged into the fixed schedule, and the generator removed: the form a
// failure spec stores, which replays the same run without the generator.
func Materialize(s Scenario, seed uint64) Scenario {
	s = s.Clone()
	if s.Nemesis.Generator != nil {
		w, _ := sim.NewWorld(sim.Options{Seed: seed})
		gen := s.Nemesis.Generator.Materialize(w.Stream("nemesis-gen"), &s)
		s.Nemesis.Schedule = append(s.Nemesis.Schedule, gen...)
		s.Nemesis.Generator = nil
	}
	slices.SortStableFunc(s.Nemesis.Schedule, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	return s
}

// run is one world being built and run.
type run struct {
	s       *Scenario
	seed    uint64
	opts    Options
	w       *sim.World
	net     *simnet.Network
	sys     systemRun
	nem     *nemesis
	hist    kvhistory.History
	clients []*client.Workload
	keys    []string
}

func newRun(s *Scenario, seed uint64, opts Options) (*run, error) {
	*s = Materialize(*s, seed)
	maxEvents := s.MaxEvents
	if maxEvents == 0 {
		// Generous: about a million events per virtual minute per host.
		secs := uint64((s.FaultPhase.D() + s.HealPhase.D()) / time.Second)
		maxEvents = 50_000 * (secs + 1) * uint64(s.Servers+s.Spares+s.Clients+1)
	}
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxEvents: maxEvents, MaxTime: s.FaultPhase.D() + s.HealPhase.D() + time.Second, Sink: opts.Sink})
	if err != nil {
		return nil, err
	}
	link, err := s.Network.Link()
	if err != nil {
		return nil, fmt.Errorf("scenario %q: network: %w", s.Name, err)
	}
	net, err := simnet.New(w, simnet.Options{Default: link})
	if err != nil {
		return nil, err
	}
	r := &run{s: s, seed: seed, opts: opts, w: w, net: net}

	// Hosts: servers, then spares, then clients, then (raft) the admin.
	nServers := s.Servers + s.Spares
	var servers, spares []sim.HostID
	for i := 0; i < nServers; i++ {
		if i < s.Servers {
			servers = append(servers, sim.HostID(i))
		} else {
			spares = append(spares, sim.HostID(i))
		}
	}
	clocks := w.Stream("clocks")
	drift := make([]float64, nServers)
	b := &buildEnv{w: w, servers: servers, spares: spares, hostCfg: func(i int, name string, peers []sim.HostID, f sim.Factory) sim.HostConfig {
		cfg := sim.HostConfig{Name: name, Peers: peers, Factory: f}
		if s.Clocks.DriftMax > 0 {
			cfg.ClockDrift = (float64(2*clocks.Float64()) - 1) * s.Clocks.DriftMax
		}
		if s.Clocks.OffsetMax > 0 {
			cfg.ClockOffset = time.Duration(clocks.Int64N(int64(s.Clocks.OffsetMax) + 1))
		}
		drift[i] = cfg.ClockDrift
		return cfg
	}}
	if r.sys, err = buildSystem(s, b); err != nil {
		return nil, err
	}
	for i := 0; i < s.Workload.Keys; i++ {
		r.keys = append(r.keys, fmt.Sprintf("k%d", i))
	}
	rec := &tracingRecorder{Recorder: kvhistory.New(&r.hist, w.Now), w: w, clients: len(servers) + len(spares)}
	quiesce := min(s.HealPhase.D()/3, 3*time.Second)
	for i := 0; i < s.Clients; i++ {
		cfg := s.Workload
		cfg.Client.ID = uint64(i + 1)
		cfg.Client.Servers = append(slices.Clone(servers), spares...)
		if stop := s.FaultPhase.D() + s.HealPhase.D() - quiesce; cfg.StopAt == 0 || cfg.StopAt > stop {
			cfg.StopAt = stop
		}
		wl, err := client.NewWorkload(cfg, rec)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: workload: %w", s.Name, err)
		}
		r.clients = append(r.clients, wl)
		if _, err := w.AddHost(sim.HostConfig{Name: clientName(i), Factory: wl.Node}); err != nil {
			return nil, err
		}
	}
	if rr, ok := r.sys.(*raftRun); ok && needsAdmin(s) {
		if err := rr.addAdmin(); err != nil {
			return nil, err
		}
	}

	r.nem = &nemesis{w: w, net: net, sys: r.sys, rng: w.Stream("nemesis"), servers: append(slices.Clone(servers), spares...), def: link, drift: drift}
	for _, f := range s.Nemesis.Schedule {
		f := f
		w.At(f.At.D(), func() { r.nem.apply(f) })
	}
	for _, p := range s.Nemesis.Programs {
		p := p
		w.At(p.From.D(), func() {
			stop := r.sys.StartProgram(p, r.nem)
			r.nem.faults++
			w.Trace(sim.KindFault, sim.NoHost, "nemesis.program", "program "+p.Name+" starts")
			until := p.Until.D()
			if until == 0 {
				until = s.FaultPhase.D()
			}
			w.At(until, func() {
				stop()
				w.Trace(sim.KindFault, sim.NoHost, "nemesis.program", "program "+p.Name+" stops")
			})
		})
	}
	w.At(s.FaultPhase.D(), r.nem.healAll)
	if s.Checks.Invariants {
		if hook := r.sys.Hook(); hook != nil {
			var m checker.Monitor
			m.Add(s.System.Kind+" safety", hook)
			w.AddHook(func() error { return m.Check(w.Events(), w.Now()) })
		}
	}
	return r, nil
}

// tracingRecorder puts every client operation into the trace (and so the
// trace hash) as it records it in the history.
type tracingRecorder struct {
	*kvhistory.Recorder
	w       *sim.World
	clients int // host id of client 1, less one
}

func (t *tracingRecorder) host(client int) sim.HostID { return sim.HostID(t.clients + client - 1) }

func (t *tracingRecorder) Invoke(client int, op client.Op) int {
	id := t.Recorder.Invoke(client, op)
	t.w.Trace(sim.KindOp, t.host(client), "op.invoke", fmt.Sprintf("#%d %v %s %q want %q", id, op.Kind, op.Key, op.Value, op.Want))
	return id
}

func (t *tracingRecorder) Complete(id int, res client.Result) {
	t.Recorder.Complete(id, res)
	t.w.Trace(sim.KindOp, sim.NoHost, "op.ok", fmt.Sprintf("#%d -> value %q found %v ok %v", id, res.Value, res.Found, res.OK))
}

func (t *tracingRecorder) Fail(id int) {
	t.Recorder.Fail(id)
	t.w.Trace(sim.KindOp, sim.NoHost, "op.fail", fmt.Sprintf("#%d failed: never applied", id))
}

func needsAdmin(s *Scenario) bool {
	for _, p := range s.Nemesis.Programs {
		if p.Name == ProgramConfSplit {
			return true
		}
	}
	for _, f := range s.Nemesis.Schedule {
		if f.Kind == FaultAddServer || f.Kind == FaultRemoveServer || f.Kind == FaultTransferLeader {
			return true
		}
	}
	return s.Nemesis.Generator != nil
}

func (r *run) result(out sim.Outcome) *Result {
	s := r.s
	st := r.sys.Stats()
	res := &Result{
		Scenario:           s.Name,
		Seed:               r.seed,
		TraceHash:          fmt.Sprintf("%016x", r.w.Hash()),
		Events:             r.w.Events(),
		Virtual:            Duration(r.w.Now()),
		Stop:               out.Reason.String(),
		Messages:           r.net.Counters(),
		Faults:             r.nem.faults,
		Crashes:            r.nem.crashes,
		LeaderCutOffs:      r.nem.leaderCutOffs,
		LeaderChanges:      st.LeaderChanges,
		SnapshotsInstalled: st.SnapshotsInstalled,
		MembershipChanges:  st.MembershipChanges,
		Schedule:           s.Nemesis.Schedule,
		Applied:            r.nem.applied,
		History:            &r.hist,
		FailureAt:          -1,
	}
	fail := func(check, format string, args ...any) {
		res.Reasons = append(res.Reasons, Reason{Check: check, Message: fmt.Sprintf(format, args...)})
	}
	unknown := false
	var perr *sim.PanicError
	switch {
	case errors.As(out.Err, &perr):
		fail(CheckPanic, "%v", perr)
		res.FailureAt = Duration(out.Now)
	case out.Reason == sim.StopHalted:
		fail(CheckInvariants, "%v", out.Err)
		res.FailureAt = Duration(out.Now)
	case out.Reason == sim.StopEventBudget || out.Reason == sim.StopTimeBudget:
		unknown = true
		res.Reasons = append(res.Reasons, Reason{Check: CheckBudget, Message: fmt.Sprintf("the run hit its %s at %v after %d events", out.Reason, out.Now, out.Events)})
	}
	finished := out.Reason == sim.StopDeadline
	if finished && s.Checks.Invariants {
		if err := r.sys.FinalCheck(); err != nil {
			fail(CheckInvariants, "%v", err)
		}
	}
	r.countOps(res)
	if s.Checks.Linearizable && out.Reason != sim.StopPanic {
		timeout := s.Checks.CheckTimeout.D()
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		cr := checker.Check(checker.KVModel(), &r.hist, checker.CheckOptions{
			Timeout:           timeout,
			VisualizationPath: r.opts.VisualizationPath,
			Annotations:       r.annotations(),
			Workers:           r.opts.CheckWorkers,
		})
		res.Lin = &LinCheck{Verdict: cr.Verdict.String(), Ops: cr.Ops, Pending: cr.OpsPending, Partitions: cr.Partitions, Elapsed: Duration(cr.Elapsed), Visualization: cr.Visualization}
		switch cr.Verdict {
		case checker.Illegal:
			msg := "the client history is not linearizable"
			if cr.Failure != nil {
				msg = cr.Failure.Explanation
				res.Lin.Explanation = cr.Failure.Explanation
				for _, id := range cr.Failure.Stuck {
					res.Lin.Culprits = append(res.Lin.Culprits, int(id))
				}
				for i, id := range cr.Failure.Stuck {
					if call := Duration(r.hist.Op(id).Call); i == 0 || call < res.FailureAt {
						res.FailureAt = call
					}
				}
			}
			fail(CheckLinearizable, "%s", msg)
		case checker.Unknown:
			unknown = true
			res.Reasons = append(res.Reasons, Reason{Check: CheckLinearizable, Message: fmt.Sprintf("the checker ran out of time (%v) before deciding", timeout)})
		}
	}
	if finished && s.Checks.Convergence {
		for _, id := range r.sys.Members() {
			if h := r.w.Host(id); !h.Up() {
				fail(CheckConvergence, "member %s is down at the end of the heal phase", h.Name())
			}
		}
		if err := checker.CheckConvergence(r.sys.Replicas(r.keys)); err != nil {
			fail(CheckConvergence, "%v", err)
		}
	}
	if finished && s.Checks.Liveness {
		r.checkLiveness(fail)
	}
	res.Verdict = Pass
	switch {
	case hasFailure(res.Reasons):
		res.Verdict = Fail
	case unknown:
		res.Verdict = Unknown
	}
	res.Expected = res.Verdict == s.Expect.Verdict
	if res.Verdict == Fail && s.Expect.Verdict == Fail {
		res.Expected = slices.ContainsFunc(res.Reasons, func(r Reason) bool { return r.Check == s.Expect.Check })
	}
	res.evalProbes()
	return res
}

func hasFailure(reasons []Reason) bool {
	return slices.ContainsFunc(reasons, func(r Reason) bool {
		return r.Check != CheckBudget && !strings.HasPrefix(r.Message, "the checker ran out of time")
	})
}

// countOps fills the operation counts, latencies and throughput from the
// history, in true virtual time.
func (r *run) countOps(res *Result) {
	var lat []time.Duration
	for _, op := range r.hist.Ops() {
		res.Ops.Invoked++
		switch op.Status {
		case checker.OpFailed:
			res.Ops.Failed++
		case checker.OpPending:
			res.Ops.Unknown++
		case checker.OpCompleted:
			res.Ops.OK++
			lat = append(lat, op.Return-op.Call)
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) Duration { return Duration(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
		res.Latency = LatencySummary{P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: Duration(lat[len(lat)-1])}
	}
	if v := r.w.Now().Seconds(); v > 0 {
		res.Throughput = float64(res.Ops.OK) / v
	}
}

// checkLiveness requires every client to complete an operation it invoked
// in the heal phase.
func (r *run) checkLiveness(fail func(check, format string, args ...any)) {
	healed := r.s.FaultPhase.D()
	done := map[int]bool{}
	for _, op := range r.hist.Ops() {
		if op.Call >= healed && op.Status == checker.OpCompleted {
			done[op.Client] = true
		}
	}
	var stuck []string
	for i := range r.clients {
		if !done[i+1] {
			stuck = append(stuck, clientName(i))
		}
	}
	if len(stuck) > 0 {
		fail(CheckLiveness, "after the heal at %v, %s completed no operation", healed, strings.Join(stuck, ", "))
	}
}

// annotations turn the faults that ran into marks on the visualisation.
func (r *run) annotations() []checker.Fault {
	var out []checker.Fault
	for _, f := range r.s.Nemesis.Schedule {
		label := string(f.Kind)
		if f.Topology != "" {
			label += " " + f.Topology
		}
		out = append(out, checker.Fault{Start: f.At.D(), End: f.At.D(), Label: label, Description: f.String(), Host: f.Target})
	}
	out = append(out, checker.Fault{Start: r.s.FaultPhase.D(), End: r.s.FaultPhase.D(), Label: "heal", Description: "heal phase begins: every fault undone"})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
