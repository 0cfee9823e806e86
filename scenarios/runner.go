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
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Verdict is a run's outcome.
type Verdict string

const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Unknown Verdict = "unknown"
)

// Reason is why a run did not pass: a check that failed (Verdict Fail),
// or one that could not decide (Verdict Unknown: the checker ran out of
// time, or the run hit its budget).
type Reason struct {
	Check   string  `json:"check"`
	Verdict Verdict `json:"verdict"`
	Message string  `json:"message"`
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

// LinCheck is what the history check found.
type LinCheck struct {
	// Check is the check the model makes ("linearizable"), Model the
	// model's name ("kv").
	Check   string `json:"check"`
	Model   string `json:"model"`
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

	// System is the kind of system that ran; Checks the checks that
	// judged the run.
	System string   `json:"system"`
	Checks []string `json:"checks"`

	Messages simnet.Counters `json:"messages"`
	Faults   int             `json:"faults"`
	// Counters are the named counts of the run: the harness's (crash,
	// leader-cut-off, op-timeout) and the system's own. Probes read them.
	Counters map[string]int `json:"counters"`

	Ops        OpCounts       `json:"ops"`
	Latency    LatencySummary `json:"latency"`
	Throughput float64        `json:"throughput_ops_per_s"`
	Lin        *LinCheck      `json:"history_check,omitempty"`
	// Staleness is how stale the reads were, when the scenario measures it.
	Staleness *Staleness `json:"staleness,omitempty"`
	// ClientSides is where each client stood in each partition, when the
	// scenario places clients on sides (Nemesis.ClientSides).
	ClientSides []ClientSide `json:"client_sides,omitempty"`
	// QuietWindows counts the quiet windows the quiet checks judged.
	QuietWindows int `json:"quiet_windows,omitempty"`
	// Convergence is when the replicas converged after the heal, when
	// the scenario checks convergence and the run finished.
	Convergence *ConvergenceTime `json:"convergence,omitempty"`

	// FailureAt is when the failure showed: the event that broke an
	// invariant, or the call of the first culprit of a linearizability
	// failure; -1 when the run did not fail or the time is unknown.
	FailureAt Duration `json:"failure_at"`

	Probes map[Probe]bool `json:"probes"`
	// Schedule is the fault schedule that ran (generated faults included);
	// Applied is each fault as it struck, with the hosts it hit.
	Schedule []Fault        `json:"-"`
	Applied  []AppliedFault `json:"-"`
	// History is the client history, for pictures of a failure; nil for a
	// system without clients.
	History checker.Recorded `json:"-"`
	// States are the servers' state changes, with Options.States.
	States []StateChange `json:"-"`
	// ReplicaComparisons counts the states compared both ways, with
	// Options.CompareReplicasEvery.
	ReplicaComparisons ReplicaComparisons `json:"-"`
	// Background are the message types the system calls background
	// traffic (system.Instance.Background).
	Background []string `json:"-"`
}

// Staleness sums up checker.MeasureStaleness for a result: how many reads
// were stale, and by how much.
type Staleness struct {
	Reads              int      `json:"reads"`
	ReadsStale         int      `json:"reads_stale"`
	StaleRatio         float64  `json:"stale_ratio"`
	VersionsBehindMax  int      `json:"versions_behind_max"`
	VersionsBehindMean float64  `json:"versions_behind_mean"`
	StaleForMax        Duration `json:"stale_for_max"`
	StaleForP99        Duration `json:"stale_for_p99"`
	// Unexplained reads saw a value no write could have produced.
	Unexplained int `json:"unexplained,omitempty"`
}

func (s Staleness) String() string {
	out := fmt.Sprintf("%d reads, %d stale (%.2f%%)", s.Reads, s.ReadsStale, 100*s.StaleRatio)
	if s.ReadsStale > 0 {
		out += fmt.Sprintf(", versions behind max %d mean %.2f, stale for max %v p99 %v", s.VersionsBehindMax, s.VersionsBehindMean, s.StaleForMax, s.StaleForP99)
	}
	if s.Unexplained > 0 {
		out += fmt.Sprintf(", %d unexplained", s.Unexplained)
	}
	return out
}

// Counter returns the counter called name (0 when it is absent).
func (r *Result) Counter(name string) int { return r.Counters[name] }

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
	// States records, in Result.States, each change of each server's
	// state as the system reports it (system.Instance.State), for the
	// failure page. It costs a call per server after every event.
	States bool
	// CompareReplicasEvery, if positive, holds the system's
	// Instance.ReplicasEqual to the states its Replicas builds: after
	// every CompareReplicasEvery-th event the runner asks both, and a
	// disagreement ends the run as a failure of its invariants, naming
	// the states. Result.ReplicaComparisons counts what was compared.
	// The conformance suite (nodetest) sets it; it changes nothing in
	// the run.
	CompareReplicasEvery int
	// MaxPending is the world's bound on the events waiting at once
	// (sim.Options.MaxPending); zero takes sim.DefaultMaxPending.
	MaxPending int
}

// StateChange is a server's state from At on, as its system labels it;
// "down" while the host is crashed.
type StateChange struct {
	Host  string   `json:"host"`
	At    Duration `json:"at"`
	Label string   `json:"label"`
}

// Run runs scenario s with seed. The error is for a scenario that cannot be
// run (it is invalid); everything that happens in the run is in the Result.
func Run(s Scenario, seed uint64, opts Options) (*Result, error) {
	cfg, err := s.validate()
	if err != nil {
		return nil, err
	}
	wallStart := time.Now() //detsim:wallclock Result.Wall times the run for people; nothing in the run reads it
	r, err := newRun(&s, seed, opts, &cfg)
	if err != nil {
		return nil, err
	}
	out := r.w.RunUntil(s.FaultPhase.D() + s.HealPhase.D())
	res := r.result(out)
	res.Wall = Duration(time.Since(wallStart)) //detsim:wallclock the run is over: see wallStart
	return res, nil
}

// Event budgets. A run that reaches its budget ends with verdict unknown
// and a reason that names it; it never runs on without bound.
const (
	// DefaultMaxEventsCap bounds the default budget: 600 times the events
	// of a built-in scenario, and seconds to minutes of wall time, by the
	// size of the cluster (docs/PERFORMANCE.md). max_events raises it.
	DefaultMaxEventsCap = 10_000_000
	// MaxEventsLimit bounds max_events itself.
	MaxEventsLimit = 10_000_000_000
)

// DefaultMaxEvents is the event budget of a scenario that sets none:
// about a million events per virtual minute per host, which no built-in
// scenario comes near, and at most DefaultMaxEventsCap, or
// 100,000,000 divided by the hosts, whichever is less: an event costs
// more in a larger cluster (a broadcast, an invariant over every server),
// so a budget in events alone would let the largest cluster run for an
// hour.
func DefaultMaxEvents(s *Scenario) uint64 {
	secs := uint64((s.FaultPhase.D() + s.HealPhase.D()) / time.Second)
	hosts := uint64(s.Servers + s.Spares + s.Clients + 1)
	return min(50_000*(secs+1)*hosts, DefaultMaxEventsCap, 100_000_000/hosts)
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
	s        *Scenario
	seed     uint64
	opts     Options
	w        *sim.World
	net      *simnet.Network
	kind     *system.System
	sys      *system.Instance
	nem      *nemesis
	quiet    *quietTracker    // nil unless the scenario has quiet checks
	converge *convergeTracker // nil unless the scenario checks convergence
	// script runs the scenario's script; nil without one. clients are
	// the client hosts, for the quiet checks.
	script  *scriptRunner
	clients []sim.HostID

	states []StateChange
	// comparisons, with Options.CompareReplicasEvery.
	comparisons ReplicaComparisons
}

// ReplicaComparisons counts the replica states a run judged both ways,
// by the system's ReplicasEqual and by comparing what Replicas builds:
// equal and unequal, as both said.
type ReplicaComparisons struct{ Equal, Unequal int }

// compareReplicas asks ReplicasEqual and the states Replicas builds
// after every n-th event, and stops the run where they disagree.
func (r *run) compareReplicas(n int) {
	events := 0
	r.w.AddHook(func() error {
		if events++; events%n != 0 {
			return nil
		}
		fast, reps := r.sys.ReplicasEqual(), r.sys.Replicas()
		switch slow := ReplicaStatesEqual(reps); {
		case fast != slow:
			return fmt.Errorf("replicas: ReplicasEqual says %v, but the states Replicas builds say %v: %v", fast, slow, reps)
		case fast:
			r.comparisons.Equal++
		default:
			r.comparisons.Unequal++
		}
		return nil
	})
}

// watchStates samples each server's state after every event and keeps
// the changes.
func (r *run) watchStates(servers []sim.HostID) {
	last := make([]string, len(servers))
	r.w.AddHook(func() error {
		for i, id := range servers {
			label := "down"
			if h := r.w.Host(id); h.Up() {
				label = r.sys.State(id)
			}
			if label != last[i] {
				last[i] = label
				r.states = append(r.states, StateChange{Host: r.w.Host(id).Name(), At: Duration(r.w.Now()), Label: label})
			}
		}
		return nil
	})
}

// newRun builds the run of s, whose system's configuration decoded is.
func newRun(s *Scenario, seed uint64, opts Options, decoded *system.Config) (*run, error) {
	*s = Materialize(*s, seed)
	cfg, err := s.validateAs(decoded)
	if err != nil {
		return nil, err
	}
	maxEvents := s.MaxEvents
	if maxEvents == 0 {
		maxEvents = DefaultMaxEvents(s)
	}
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxEvents: maxEvents, MaxTime: s.FaultPhase.D() + s.HealPhase.D() + time.Second, MaxPending: opts.MaxPending, Sink: opts.Sink})
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
	r := &run{s: s, seed: seed, opts: opts, w: w, net: net, kind: cfg.System()}

	// Hosts: servers, then spares, then clients, then any other host the
	// system needs; each server's clock skew is drawn as it is added.
	nServers := s.Servers + s.Spares
	clocks := w.Stream("clocks")
	drift := make([]float64, nServers)
	cluster := &system.Cluster{
		World:      w,
		Net:        net,
		Shape:      system.Shape{Servers: s.Servers, Spares: s.Spares, Clients: s.Clients},
		FaultPhase: s.FaultPhase.D(),
		HealPhase:  s.HealPhase.D(),
		Faults:     s.faultNames(),
		ServerHost: func(i int, peers []sim.HostID, f sim.Factory) sim.HostConfig {
			cfg := sim.HostConfig{Name: system.ServerName(i), Peers: peers, Factory: f}
			if s.Clocks.DriftMax > 0 {
				cfg.ClockDrift = (float64(2*clocks.Float64()) - 1) * s.Clocks.DriftMax
			}
			if s.Clocks.OffsetMax > 0 {
				cfg.ClockOffset = time.Duration(clocks.Int64N(int64(s.Clocks.OffsetMax) + 1))
			}
			drift[i] = cfg.ClockDrift
			return cfg
		},
	}
	for _, p := range s.Nemesis.Programs {
		cluster.Programs = append(cluster.Programs, p.Name)
	}
	if r.sys, err = cfg.Build(cluster); err != nil {
		return nil, fmt.Errorf("scenario %q: %w", s.Name, err)
	}
	if err := cluster.Complete(); err != nil {
		return nil, fmt.Errorf("scenario %q: system %s: %w", s.Name, s.System.Kind, err)
	}

	servers := cluster.ServerIDs()
	r.nem = &nemesis{w: w, net: net, sys: r.sys, rng: w.Stream("nemesis"), servers: servers, def: link, drift: drift}
	if s.Nemesis.ClientSides != "" {
		for i := 0; i < s.Clients; i++ {
			r.nem.clients = append(r.nem.clients, cluster.ClientID(i))
		}
	}
	for i := 0; i < s.Clients; i++ {
		r.clients = append(r.clients, cluster.ClientID(i))
	}
	if q := s.Checks.Quiet; q != nil {
		r.quiet = newQuietTracker(r, q)
		r.nem.quiet = r.quiet
	}
	if live := s.promisesFor(cfg.Liveness()); live.Promised() {
		r.nem.promises = newPromiseTracker(r, live)
	}
	if len(s.Nemesis.Script) > 0 {
		if r.script, err = newScriptRunner(r); err != nil {
			return nil, fmt.Errorf("scenario %q: nemesis.%w", s.Name, err)
		}
	}
	for _, f := range s.Nemesis.Schedule {
		f := f
		w.At(f.At.D(), func() { r.nem.apply(f) })
	}
	for _, p := range s.Nemesis.Programs {
		p := p
		w.At(p.From.D(), func() {
			stop := r.sys.Program(p.Name, r.nem)
			if r.quiet != nil {
				r.quiet.program(1)
			}
			if r.nem.promises != nil {
				r.nem.promises.program(1)
			}
			r.nem.faults++
			w.Trace(sim.KindFault, sim.NoHost, "nemesis.program", "program "+p.Name+" starts")
			until := p.Until.D()
			if until == 0 {
				until = s.FaultPhase.D()
			}
			w.At(until, func() {
				stop()
				if r.quiet != nil {
					r.quiet.program(-1)
				}
				if r.nem.promises != nil {
					r.nem.promises.program(-1)
				}
				w.Trace(sim.KindFault, sim.NoHost, "nemesis.program", "program "+p.Name+" stops")
			})
		})
	}
	w.At(s.FaultPhase.D(), r.nem.healAll)
	if s.Checks.Convergence {
		r.converge = newConvergeTracker(r)
	}
	if r.script != nil {
		w.At(s.FaultPhase.D(), r.script.healed)
	}
	if opts.States && r.sys.State != nil {
		r.watchStates(cluster.ServerIDs())
	}
	if n := opts.CompareReplicasEvery; n > 0 && r.sys.ReplicasEqual != nil && r.sys.Replicas != nil {
		r.compareReplicas(n)
	}
	if s.Checks.Invariants && r.sys.Invariant != nil {
		var m checker.Monitor
		m.Add(s.System.Kind+" safety", r.sys.Invariant)
		w.AddHook(func() error { return m.Check(w.Events(), w.Now()) })
	}
	return r, nil
}

// crashes counts the servers' crashes, whatever caused them: the
// nemesis's, and storage fault points inside a node's handler.
func (r *run) crashes() int {
	n := 0
	for _, id := range r.nem.servers {
		n += r.w.Host(id).Crashes()
	}
	return n
}

// faultNames are the kinds of the scenario's scheduled faults, sorted.
func (s *Scenario) faultNames() []string {
	var out []string
	for _, f := range s.Nemesis.Schedule {
		if !slices.Contains(out, string(f.Kind)) {
			out = append(out, string(f.Kind))
		}
	}
	for _, k := range scriptFaultKinds(s.Nemesis.Script) {
		if !slices.Contains(out, string(k)) {
			out = append(out, string(k))
		}
	}
	slices.Sort(out)
	return out
}

func (r *run) result(out sim.Outcome) *Result {
	s := r.s
	res := &Result{
		Scenario:  s.Name,
		Seed:      r.seed,
		TraceHash: fmt.Sprintf("%016x", r.w.Hash()),
		Events:    r.w.Events(),
		Virtual:   Duration(r.w.Now()),
		Stop:      out.Reason.String(),
		System:    s.System.Kind,
		Checks:    s.Checks.Enabled(),
		Messages:  r.net.Counters(),
		Faults:    r.nem.faults,
		Counters: map[string]int{
			string(ProbeCrash):        r.crashes(),
			string(ProbeLeaderCutOff): r.nem.leaderCutOffs,
		},
		Schedule:           s.Nemesis.Schedule,
		Applied:            r.nem.sortedApplied(),
		ClientSides:        r.nem.sides,
		History:            r.sys.History,
		States:             r.states,
		ReplicaComparisons: r.comparisons,
		Background:         r.sys.Background,
		FailureAt:          -1,
	}
	for _, c := range r.kind.Counters() {
		res.Counters[c.Name] = r.sys.Counter(c.Name)
	}
	fail := func(check, format string, args ...any) {
		res.Reasons = append(res.Reasons, Reason{Check: check, Verdict: Fail, Message: fmt.Sprintf(format, args...)})
	}
	undecided := func(check, format string, args ...any) {
		res.Reasons = append(res.Reasons, Reason{Check: check, Verdict: Unknown, Message: fmt.Sprintf(format, args...)})
	}
	var perr *sim.PanicError
	switch {
	case errors.As(out.Err, &perr):
		fail(CheckPanic, "%v", perr)
		res.FailureAt = Duration(out.Now)
	case out.Reason == sim.StopHalted:
		fail(CheckInvariants, "%v", out.Err)
		res.FailureAt = Duration(out.Now)
	case out.Reason == sim.StopEventBudget:
		undecided(CheckBudget, "the run hit its %s at %v after %d events, before the phases ended at %v (max_events raises it, up to %d)%s", out.Reason, out.Now, out.Events, s.FaultPhase.D()+s.HealPhase.D(), uint64(MaxEventsLimit), r.busiest())
	case out.Reason == sim.StopPendingBudget:
		undecided(CheckBudget, "the run hit its %s at %v after %d events: more than %d events waited at once, as when a node sends or sets timers faster than they are delivered or fire%s", out.Reason, out.Now, out.Events, cmp.Or(r.opts.MaxPending, sim.DefaultMaxPending), r.busiest())
	case out.Reason == sim.StopTimeBudget:
		undecided(CheckBudget, "the run hit its %s at %v after %d events", out.Reason, out.Now, out.Events)
	}
	finished := out.Reason == sim.StopDeadline
	if finished && s.Checks.Invariants && r.sys.FinalCheck != nil {
		if err := r.sys.FinalCheck(); err != nil {
			fail(CheckInvariants, "%v", err)
		}
	}
	var ops []checker.OpSummary // without their texts, which only a report reads
	if r.sys.History != nil {
		ops = checker.Outlines(r.sys.History)
	}
	countOps(res, ops, r.w.Now())
	res.Counters[string(ProbeOpTimeout)] = res.Ops.Unknown
	if s.Checks.History && out.Reason != sim.StopPanic {
		r.checkHistory(res, ops, fail, undecided)
	}
	if s.Checks.Staleness {
		if st, ok := r.sys.History.Staleness(); ok {
			res.Staleness = &Staleness{
				Reads: st.Reads, ReadsStale: st.ReadsStale, StaleRatio: st.StaleRatio,
				VersionsBehindMax: st.VersionsBehindMax, VersionsBehindMean: st.VersionsBehindMean,
				StaleForMax: Duration(st.StaleForMax), StaleForP99: Duration(st.StaleForP99),
				Unexplained: st.Unexplained,
			}
		}
	}
	if finished && s.Checks.Convergence {
		equal := true
		for _, id := range r.sys.Members() {
			if h := r.w.Host(id); !h.Up() {
				fail(CheckConvergence, "member %s is down at the end of the heal phase", h.Name())
				equal = false
			}
		}
		if err := checker.CheckConvergence(r.sys.Replicas()); err != nil {
			fail(CheckConvergence, "%v", err)
			equal = false
		}
		res.Convergence = r.converge.finish(equal, ops)
		res.Convergence.judgeBound(s.Checks.ConvergenceWithin, fail)
	}
	if finished && s.Checks.Liveness {
		r.checkLiveness(ops, fail)
	}
	if r.quiet != nil && out.Reason != sim.StopPanic {
		r.quiet.judge(res, ops, fail)
	}
	if r.nem.promises != nil && out.Reason != sim.StopPanic {
		r.nem.promises.judge(res, fail)
	}
	if r.script != nil && out.Reason != sim.StopPanic {
		if hasAssertions(s.Nemesis.Script) {
			res.Checks = append(res.Checks, CheckAssert)
		}
		r.script.judge(res, ops)
	}
	res.Verdict = Pass
	switch {
	case slices.ContainsFunc(res.Reasons, func(r Reason) bool { return r.Verdict == Fail }):
		res.Verdict = Fail
	case len(res.Reasons) > 0:
		res.Verdict = Unknown
	}
	res.Expected = res.Verdict == s.Expect.Verdict
	if res.Verdict == Fail && s.Expect.Verdict == Fail {
		res.Expected = slices.ContainsFunc(res.Reasons, func(r Reason) bool { return r.Verdict == Fail && s.Expect.matches(r, res.Lin) })
	}
	res.evalProbes(r.kind)
	return res
}

// matches reports whether a failure reason is the one e expects: the
// check it names, or for CheckHistory, whichever check the history's model
// made.
func (e Expect) matches(r Reason, lin *LinCheck) bool {
	if r.Check == e.Check {
		return true
	}
	return e.Check == CheckHistory && lin != nil && r.Check == lin.Check
}

// checkHistory judges the client history with the system's model.
func (r *run) checkHistory(res *Result, ops []checker.OpSummary, fail, undecided func(check, format string, args ...any)) {
	h := r.sys.History
	timeout := r.s.Checks.CheckTimeout.D()
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	cr := h.Check(checker.CheckOptions{
		Timeout:           timeout,
		MaxPartitionOps:   MaxCheckPartitionOps,
		VisualizationPath: r.opts.VisualizationPath,
		Annotations:       r.annotations(),
		Workers:           r.opts.CheckWorkers,
	})
	name := h.CheckName()
	res.Lin = &LinCheck{Check: name, Model: h.Model(), Verdict: cr.Verdict.String(), Ops: cr.Ops, Pending: cr.OpsPending, Partitions: cr.Partitions, Elapsed: Duration(cr.Elapsed), Visualization: cr.Visualization}
	switch cr.Verdict {
	case checker.Illegal:
		msg := "the client history is not " + name
		if cr.Failure != nil {
			msg = cr.Failure.Explanation
			res.Lin.Explanation = cr.Failure.Explanation
			for i, id := range cr.Failure.Stuck {
				res.Lin.Culprits = append(res.Lin.Culprits, int(id))
				if call := Duration(ops[id].Call); i == 0 || call < res.FailureAt {
					res.FailureAt = call
				}
			}
		}
		fail(name, "%s", msg)
	case checker.Unknown:
		if cr.PartitionsTooLarge > 0 {
			undecided(name, "%d partition(s) of the history have more than %d operations, more than a search may be given: not searched (fewer ops, more keys or a shorter run keep it decidable)", cr.PartitionsTooLarge, MaxCheckPartitionOps)
			break
		}
		undecided(name, "the checker ran out of time (%v) before deciding", timeout)
	}
}

// MaxCheckPartitionOps bounds the operations of one partition of a run's
// history that the checker searches: porcupine's memory grows with their
// square (its cache holds a bitset of them per state), about 110 MB here.
const MaxCheckPartitionOps = 30_000

// countOps fills the operation counts, latencies and throughput from the
// history, in true virtual time.
func countOps(res *Result, ops []checker.OpSummary, now time.Duration) {
	var lat []time.Duration
	for _, op := range ops {
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
	if v := now.Seconds(); v > 0 {
		res.Throughput = float64(res.Ops.OK) / v
	}
}

// checkLiveness requires every client to complete an operation it invoked
// in the heal phase.
func (r *run) checkLiveness(ops []checker.OpSummary, fail func(check, format string, args ...any)) {
	healed := r.s.FaultPhase.D()
	done := map[int]bool{}
	for _, op := range ops {
		if op.Call >= healed && op.Status == checker.OpCompleted {
			done[op.Client] = true
		}
	}
	var stuck []string
	for i := 0; i < r.s.Clients; i++ {
		if !done[i+1] {
			stuck = append(stuck, system.ClientName(i))
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

// busiest names the host whose node ran the most events of its own, for a
// run stopped by a budget: a storm of timers or messages usually comes from
// one configuration value (an interval of a nanosecond), and the host and
// the kind of event point to it.
func (r *run) busiest() string {
	best, most := sim.NoHost, sim.Activity{}
	for id := range r.w.Hosts() {
		a := r.w.Host(sim.HostID(id)).Activity()
		if best == sim.NoHost || a.Events() > most.Events() {
			best, most = sim.HostID(id), a
		}
	}
	if best == sim.NoHost {
		return ""
	}
	return fmt.Sprintf("; the busiest host, %s, ran %d timers, received %d messages and sent %d", r.w.HostName(best), most.Timers, most.Received, most.Sent)
}
