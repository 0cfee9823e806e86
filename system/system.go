package system

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/detsim/detsim/checker"
	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// Spec is what the author of a system writes: its name, its configuration
// with defaults, how it builds itself into a world, and what it adds to the
// harness. C is the system's configuration type and W its workload's; both
// are plain data that JSON decodes into. Define turns a Spec into a System.
type Spec[C, W any] struct {
	// Name is the system's kind in scenarios ("raft"): lower-case letters,
	// digits and dashes, unique among registered systems.
	Name string
	// Description is one line for `simrun list`.
	Description string

	// Config returns a fresh default configuration. A scenario's
	// "system.config" is decoded onto it strictly: unknown fields are
	// errors, absent fields keep their defaults.
	Config func() C
	// Workload returns a fresh default workload, onto which the scenario's
	// "workload" is decoded the same way. Nil means the system has no
	// clients: a scenario of it must have none.
	Workload func() W
	// Validate checks a decoded configuration and workload against the
	// cluster's shape; nil accepts all. Errors should name the field by its
	// JSON path below "system.config" or "workload".
	Validate func(cfg C, wl W, shape Shape) error
	// Build adds the system's hosts to the cluster (servers, spares, its
	// clients, anything else it needs) and returns the running instance.
	Build func(cfg C, wl W, c *Cluster) (*Instance, error)

	// Promises lists the checks the system can be judged by.
	Promises Promises
	// Faults are the system's own fault kinds, which extend the nemesis.
	Faults []FaultKind
	// Programs are the system's targeted nemesis programs.
	Programs []ProgramKind
	// Counters are the named counters its instances report, each usable as
	// a probe.
	Counters []Counter
	// Steady names counters that must not grow while no fault is in
	// effect, once the system has settled (an instance with a Leader
	// settles no earlier than a leader leads): Raft's leader changes (a stable
	// leader connected to a quorum is not deposed). A scenario checks them
	// with checks.quiet.steady.
	Steady []string
	// Scenarios holds the system's built-in scenarios: every *.json file at
	// its root is one scenario.
	Scenarios fs.FS
	// Rate, optional, sets the workload's offered load to rate operations
	// per second per client (a positive, finite number, at most RateMax),
	// so that a measurement across systems (capmeter's suite) loads each
	// alike. For a closed-loop client, ThinkTimes gives the think times of
	// a rate. Nil means the system cannot be given a rate.
	Rate func(wl *W, rate float64) error
	// Liveness, optional, is what the system promises to do while the
	// network allows it, as a function of its configuration (a bound
	// that depends on its timeouts, a promise that holds only with an
	// option on). The harness checks it in every scenario of the system
	// (see Liveness). Nil promises nothing.
	Liveness func(cfg C) Liveness

	_ struct{}
}

// Liveness is what a leader-based system promises to do, not only never
// to do wrong, in the stretches of a run where the network allows it: a
// majority of the members up and all exchanging messages, and no clock,
// storage, link or program fault on (the harness's promise windows). Each
// field is optional; its zero value promises nothing. The bounds are in
// true time; the harness widens them by a scenario's clock drift.
type Liveness struct {
	// ElectWithin: once a promise window has lasted this long, a server
	// that leads, in the highest term of the servers it reaches, has
	// reached a majority of the members at some moment of it (MIT
	// 6.5840 asks 5 s after the old leader's failure). Needs
	// Instance.Leads; Instance.Term, when set, decides the term.
	ElectWithin time.Duration
	// StepDownWithin: a live server that believes it leads stops within
	// this long once it exchanges messages with a member in a higher term
	// (the member answers its heartbeats in that term, which deposes
	// it). Needs Instance.Leads and Instance.Term.
	StepDownWithin time.Duration
	// CutOffStepDown: a live server that believes it leads also stops
	// within StepDownWithin once it reaches no majority of the members
	// (the CheckQuorum promise). Needs StepDownWithin.
	CutOffStepDown bool
	// StableAfter: a leader that has led a promise window's majority, in
	// one term, for this long is not deposed while the window lasts: a
	// leader connected to a majority stays leader. The wait lets a race
	// of candidates that began before it was elected settle.
	StableAfter time.Duration
	// Heartbeats bounds how often a server sends its periodic
	// heartbeats to each peer (MIT 6.5840: at most 10 a second).
	Heartbeats HeartbeatRate
}

// HeartbeatRate is a bound on the heartbeats a server sends each peer,
// judged in every 1 s window of a run (see the package doc). The zero
// HeartbeatRate promises nothing.
//
// A heartbeat that confirms a read (Raft's ReadIndex, which sends a
// round of heartbeats per read) is not periodic, and a read load makes
// as many of them as it has reads: each read delivered to a server
// (Read) allows that server one more heartbeat to each peer in the
// windows that hold the read's delivery. A storm hides behind reads
// only as far as the reads go.
type HeartbeatRate struct {
	// PerSecond is the most heartbeats a server sends one peer in any
	// 1 s window, besides those reads allow.
	PerSecond int
	// Heartbeat reports whether a message a server sends is one of its
	// heartbeats. It is called on every message sent while the rate is
	// judged, so it must be cheap, and must not change or keep msg.
	Heartbeat func(msg any) bool
	// Read, optional, reports whether a message delivered to a server
	// asks it for a round of heartbeats of its own: a read it confirms
	// its leadership for. Nil: no message does. Like Heartbeat, it is
	// called on every message delivered.
	Read func(msg any) bool
	// TermGrace, if set, spares the heartbeats a server sends in the
	// first TermGrace of each of its terms, from its first heartbeat in
	// it: etcd raft sends, as the first entry of a term commits, a round
	// for every read it held while it could not confirm it, in that
	// term or in an earlier one it led. Needs Instance.Term.
	TermGrace time.Duration
}

// Promised reports whether l promises anything.
func (l Liveness) Promised() bool {
	return l.ElectWithin != 0 || l.StepDownWithin != 0 || l.CutOffStepDown || l.StableAfter != 0 || l.Heartbeats.PerSecond != 0
}

// Promises says which checks a system offers. A scenario that asks for a
// check its system does not offer is invalid.
type Promises struct {
	// History: the instance records its clients' history with a model
	// (Instance.History), checked when the scenario asks.
	History bool
	// Invariants: the instance checks invariants (Instance.Invariant,
	// Instance.FinalCheck).
	Invariants bool
	// Convergence: the instance reports replica states (Instance.Replicas).
	Convergence bool
	// Staleness: the history is a key-value history whose reads can be
	// measured for staleness (Instance.History.Staleness).
	Staleness bool
}

// FaultKind is a fault a system adds to the nemesis, such as Raft's
// membership changes. In a scenario it is written like any other fault:
// {"at": "1s", "kind": "add-server", "target": "n4"}.
type FaultKind struct {
	Name        string
	Description string
	// Generated lets the nemesis generator draw it; it then strikes with
	// target "follower", "leader" or "random".
	Generated bool
	// NeedsSpares: the fault needs spare servers in the scenario.
	NeedsSpares bool
	// Family is the kind of harm it does, which picks its colour on the
	// failure page: partition, link, crash, pause, clock, storage, heal
	// (it undoes harm) or leader (it moves leadership).
	Family string
}

// ProgramKind is a targeted nemesis program a system offers.
type ProgramKind struct {
	Name        string
	Description string
	// Validate checks that the cluster's shape suits the program; nil
	// accepts every shape.
	Validate func(Shape) error
}

// Counter is a named count an instance reports; a scenario's probe names a
// counter that must be positive in at least some seeds.
type Counter struct {
	Name        string
	Description string
}

// Shape is the size of a scenario's cluster.
type Shape struct {
	Servers int // members at start
	Spares  int // servers that start outside the configuration
	Clients int
}

// Instance is a system built into one world: what the harness reads and
// drives while the run goes on. Members is required; every other field may
// be nil when the system does not offer it, but must be set for each
// promise the system makes.
type Instance struct {
	// Members are the servers in the configuration now, sorted.
	Members func() []sim.HostID
	// Leader is the current leader, or sim.NoHost; nil when the system has
	// no leader. Fault targets "leader" and "follower" resolve through it.
	Leader func() sim.HostID
	// Invariant is checked after every event while the run goes on; its
	// first error stops the run. FinalCheck runs the expensive invariants
	// once, at the end of a run that finished.
	Invariant  func() error
	FinalCheck func() error
	// Replicas are the states of the live members, for convergence.
	Replicas func() []checker.Replica
	// ReplicasEqual, optional, reports whether the states Replicas would
	// return are all equal, as the convergence check compares them
	// (reflect.DeepEqual, or go-cmp for states with Equal methods),
	// without building them. The harness samples convergence every few
	// milliseconds of the heal phase and asks it instead of Replicas when
	// it is set; it must agree with Replicas exactly, or the time to
	// converge is misjudged. Replicas still names what differs.
	ReplicasEqual func() bool
	// Counter reads a counter the Spec declares.
	Counter func(name string) int
	// Fault carries out one of the system's own fault kinds.
	Fault func(f Fault, n Nemesis)
	// Program starts a targeted nemesis program and returns what stops it.
	Program func(name string, n Nemesis) (stop func())
	// History is what the clients saw, with the model that judges it.
	History checker.Recorded
	// State, optional, says in a few words what a live server is now
	// ("leader t3" for Raft: its role and term), for the failure page's
	// timeline of each host. The harness samples it between events when
	// it draws a page, and records each change; it must only read.
	State func(id sim.HostID) string
	// Background, optional, names the message types (as the trace labels
	// them: the Go type, "raft.Heartbeat") that are background traffic,
	// such as heartbeats, which the failure page collapses until the
	// reader shows them. Without it the page guesses: the most frequent
	// type between servers, when it dominates.
	Background []string
	// Term, optional, is a live server's term or epoch: the number that
	// grows with every change of leadership (Raft's term). A scenario's
	// script asserts that the servers share one (assert.same_term); a
	// system without it cannot be asked that.
	Term func(id sim.HostID) (term uint64, ok bool)
	// Leads, optional, reports whether a live server believes it leads,
	// whatever the others think. A scenario's script asserts that no
	// server cut off from a majority still does (assert.cut_off_leaders,
	// with within: a leader that loses its quorum steps down in time); a
	// system without it cannot be asked that.
	Leads func(id sim.HostID) bool

	_ struct{}
}

// Fault is one of a system's own faults as it strikes.
type Fault struct {
	Kind   string
	Target string // as written in the scenario; resolve it with Nemesis.Resolve
}

// Nemesis is the fault injector of a run, as a system's faults and
// programs see it. Its random stream is the nemesis's own, so that a
// program's choices are as deterministic as the rest of the run.
type Nemesis interface {
	World() *sim.World
	Net() *simnet.Network
	Rand() *rand.Rand
	// Servers are every server host, spares included.
	Servers() []sim.HostID
	// Resolve picks the hosts a fault target names now ("leader",
	// "follower", "random", "all", "minority", or a host name); dflt
	// stands in for an empty target.
	Resolve(target, dflt string) []sim.HostID
	// Struck records a fault a program or a system fault carried out, so
	// that the result and the failure page show it on the hosts it hit:
	// from when to when it lasted (until == from for an instant). It does
	// not enter the trace: the fault's own effects (a cut link, a crash)
	// already do.
	Struck(kind, detail string, from, until time.Duration, hosts ...sim.HostID)
}

// System is a defined system: what the harness knows of a kind of system,
// with the configuration types erased.
type System struct {
	name, description string
	promises          Promises
	faults            []FaultKind
	programs          []ProgramKind
	counters          []Counter
	steady            []string
	scenarios         fs.FS
	// livenessDeclared: the Spec has a Liveness function.
	livenessDeclared bool

	hasWorkload bool
	decode      func(cfg, wl json.RawMessage) (Config, error)
	// withRate is nil when the Spec has no Rate.
	withRate func(wl json.RawMessage, rate float64) (json.RawMessage, error)
}

// Config is a system's decoded configuration and workload, ready to build.
type Config struct {
	sys      *System
	cfg, wl  any
	liveness Liveness
	validate func(shape Shape) error
	build    func(c *Cluster) (*Instance, error)
}

// Define checks a Spec and returns its System.
func Define[C, W any](s Spec[C, W]) (*System, error) {
	switch {
	case !validName(s.Name):
		return nil, fmt.Errorf("system: name %q must be lower-case letters, digits and dashes", s.Name)
	case s.Config == nil:
		return nil, fmt.Errorf("system %s: Spec.Config is nil", s.Name)
	case s.Build == nil:
		return nil, fmt.Errorf("system %s: Spec.Build is nil", s.Name)
	case s.Promises.History && s.Workload == nil:
		return nil, fmt.Errorf("system %s: promises a history but has no Spec.Workload", s.Name)
	case s.Rate != nil && s.Workload == nil:
		return nil, fmt.Errorf("system %s: Spec.Rate is set but there is no Spec.Workload to rate", s.Name)
	}
	seen := map[string]bool{}
	for _, f := range s.Faults {
		if !validName(f.Name) || seen[f.Name] {
			return nil, fmt.Errorf("system %s: fault kind %q is not a valid, unique name", s.Name, f.Name)
		}
		seen[f.Name] = true
	}
	for _, p := range s.Programs {
		if !validName(p.Name) || seen[p.Name] {
			return nil, fmt.Errorf("system %s: program %q is not a valid, unique name", s.Name, p.Name)
		}
		seen[p.Name] = true
	}
	for _, c := range s.Counters {
		if !validName(c.Name) || seen[c.Name] {
			return nil, fmt.Errorf("system %s: counter %q is not a valid, unique name", s.Name, c.Name)
		}
		seen[c.Name] = true
	}
	if err := checkLivenessSpec(s.Name, s.Liveness, s.Config); err != nil {
		return nil, err
	}
	for _, name := range s.Steady {
		if !slices.ContainsFunc(s.Counters, func(c Counter) bool { return c.Name == name }) {
			return nil, fmt.Errorf("system %s: steady counter %q is not one of its counters", s.Name, name)
		}
	}
	sys := &System{
		name: s.Name, description: s.Description, promises: s.Promises,
		faults: slices.Clone(s.Faults), programs: slices.Clone(s.Programs), counters: slices.Clone(s.Counters),
		steady:    slices.Clone(s.Steady),
		scenarios: s.Scenarios, hasWorkload: s.Workload != nil,
		livenessDeclared: s.Liveness != nil,
	}
	sys.decode = func(rawCfg, rawWl json.RawMessage) (Config, error) {
		cfg := s.Config()
		if err := decodeOnto(rawCfg, &cfg); err != nil {
			return Config{}, fmt.Errorf("system.config: %w", err)
		}
		var wl W
		if s.Workload != nil {
			wl = s.Workload()
			if err := decodeOnto(rawWl, &wl); err != nil {
				return Config{}, fmt.Errorf("workload: %w", err)
			}
		} else if len(bytes.TrimSpace(rawWl)) > 0 && !isNull(rawWl) {
			return Config{}, fmt.Errorf("workload: the %s system has no clients, so no workload", s.Name)
		}
		var live Liveness
		if s.Liveness != nil {
			live = s.Liveness(cfg)
			if err := live.validate(); err != nil {
				return Config{}, fmt.Errorf("system.config: the %s system's liveness promises for it: %w", s.Name, err)
			}
		}
		return Config{
			sys: sys, cfg: cfg, wl: wl, liveness: live,
			validate: func(shape Shape) error {
				if s.Validate == nil {
					return nil
				}
				return s.Validate(cfg, wl, shape)
			},
			build: func(c *Cluster) (*Instance, error) { return s.Build(cfg, wl, c) },
		}, nil
	}
	if s.Rate != nil && s.Workload != nil {
		sys.withRate = func(raw json.RawMessage, rate float64) (json.RawMessage, error) {
			wl := s.Workload()
			if err := decodeOnto(raw, &wl); err != nil {
				return nil, fmt.Errorf("system %s: workload: %w", s.Name, err)
			}
			if err := s.Rate(&wl, rate); err != nil {
				return nil, fmt.Errorf("system %s: workload: rate %v: %w", s.Name, rate, err)
			}
			return encodeWorkload(s.Name, wl, s.Workload())
		}
	}
	return sys, nil
}

// MustDefine is Define for a package-level System: it panics on a bad Spec.
func MustDefine[C, W any](s Spec[C, W]) *System {
	sys, err := Define(s)
	if err != nil {
		panic(err)
	}
	return sys
}

func (s *System) Name() string            { return s.name }
func (s *System) Description() string     { return s.description }
func (s *System) Promises() Promises      { return s.promises }
func (s *System) Faults() []FaultKind     { return slices.Clone(s.faults) }
func (s *System) Programs() []ProgramKind { return slices.Clone(s.programs) }
func (s *System) Counters() []Counter     { return slices.Clone(s.counters) }

// Steady names the counters that must not grow in quiet windows.
func (s *System) Steady() []string { return slices.Clone(s.steady) }
func (s *System) HasClients() bool { return s.hasWorkload }

// DeclaresLiveness reports whether the system declares liveness promises
// (Spec.Liveness), whatever they are for a given configuration.
func (s *System) DeclaresLiveness() bool { return s.livenessDeclared }

// Scenarios returns the raw JSON of the system's built-in scenarios, in
// file-name order.
func (s *System) Scenarios() ([][]byte, error) {
	if s.scenarios == nil {
		return nil, nil
	}
	names, err := fs.Glob(s.scenarios, "*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out [][]byte
	for _, n := range names {
		b, err := fs.ReadFile(s.scenarios, n)
		if err != nil {
			return nil, fmt.Errorf("system %s: built-in scenario %s: %w", s.name, n, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Fault returns the system's fault kind called name.
func (s *System) Fault(name string) (FaultKind, bool) {
	i := slices.IndexFunc(s.faults, func(f FaultKind) bool { return f.Name == name })
	if i < 0 {
		return FaultKind{}, false
	}
	return s.faults[i], true
}

// Program returns the system's program called name.
func (s *System) Program(name string) (ProgramKind, bool) {
	i := slices.IndexFunc(s.programs, func(p ProgramKind) bool { return p.Name == name })
	if i < 0 {
		return ProgramKind{}, false
	}
	return s.programs[i], true
}

// HasCounter reports whether the system declares a counter called name.
func (s *System) HasCounter(name string) bool {
	return slices.ContainsFunc(s.counters, func(c Counter) bool { return c.Name == name })
}

// TakesRate reports whether the system's workload can be given a rate
// (Spec.Rate).
func (s *System) TakesRate() bool { return s.withRate != nil }

// RateMax bounds the rate WithRate accepts: a million operations per
// second per client, a think time of a microsecond.
const RateMax = 1_000_000

// WithRate returns workload (a scenario's "workload", which may be empty)
// decoded onto the system's default, with its rate set to rate
// operations per second per client by the Spec's Rate, encoded whole: a
// scenario with it runs, and replays, without the rate.
func (s *System) WithRate(workload json.RawMessage, rate float64) (json.RawMessage, error) {
	switch {
	case !s.hasWorkload:
		return nil, fmt.Errorf("system %s: has no clients, so its workload takes no rate", s.name)
	case s.withRate == nil:
		return nil, fmt.Errorf("system %s: cannot set its workload's rate (its Spec has no Rate)", s.name)
	case math.IsNaN(rate) || !(rate > 0 && rate <= RateMax):
		return nil, fmt.Errorf("system %s: a rate must be in (0, %d] operations per second per client (is %v)", s.name, RateMax, rate)
	}
	return s.withRate(workload, rate)
}

// ScenarioDir is the directory dir of f, for Spec.Scenarios when a
// system embeds its scenario files below its package
// (//go:embed scenarios/*.json). fs.Sub fails only on a path that is not
// valid, which is a programming error, so ScenarioDir panics then.
func ScenarioDir(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(fmt.Sprintf("system: scenarios in %q: %v", dir, err))
	}
	return sub
}

// ThinkTimes are the bounds of a closed-loop client's think time for
// rate operations per second per client: uniform in [1/(2 rate),
// 3/(2 rate)], 1/rate on average. Such a client waits for each answer
// before it thinks, so it offers rate only when answered at once; with
// latency L it offers 1/(1/rate + L).
func ThinkTimes(rate float64) (lo, hi time.Duration) {
	mean := time.Duration(float64(time.Second) / rate)
	return mean / 2, mean + mean/2
}

// encodeWorkload encodes a workload, and checks that the encoding,
// decoded onto the default workload dflt as a scenario's is, gives it
// back: a scenario stores the workload as JSON.
func encodeWorkload[W any](name string, wl, dflt W) (json.RawMessage, error) {
	b, err := json.Marshal(wl)
	if err != nil {
		return nil, fmt.Errorf("system %s: the workload does not encode: %w", name, err)
	}
	back := dflt
	if err := decodeOnto(b, &back); err != nil {
		return nil, fmt.Errorf("system %s: the workload's encoding does not decode: %w", name, err)
	}
	if again, err := json.Marshal(back); err != nil || !bytes.Equal(again, b) {
		return nil, fmt.Errorf("system %s: the workload does not survive its JSON encoding", name)
	}
	return b, nil
}

// Decode decodes a scenario's system configuration and workload onto the
// system's defaults. Either may be empty, which leaves the defaults.
func (s *System) Decode(cfg, workload json.RawMessage) (Config, error) {
	return s.decode(cfg, workload)
}

// System is the system the configuration belongs to.
func (c Config) System() *System { return c.sys }

// Value and Workload return the decoded configuration and workload, for
// encoding and inspection.
func (c Config) Value() any    { return c.cfg }
func (c Config) Workload() any { return c.wl }

// Liveness is what the system promises to do with this configuration
// (Spec.Liveness); the zero Liveness when it declares nothing.
func (c Config) Liveness() Liveness { return c.liveness }

// Validate checks the configuration against a cluster shape.
func (c Config) Validate(shape Shape) error {
	if c.sys == nil {
		return errors.New("system: an empty Config")
	}
	if !c.sys.hasWorkload && shape.Clients > 0 {
		return fmt.Errorf("clients: must be 0 for the %s system, which has no clients", c.sys.name)
	}
	return c.validate(shape)
}

// Build builds the system into c and checks the instance against the
// system's promises.
func (c Config) Build(cl *Cluster) (*Instance, error) {
	inst, err := c.build(cl)
	if err != nil {
		return nil, err
	}
	p := c.sys.promises
	switch {
	case inst == nil || inst.Members == nil:
		return nil, fmt.Errorf("system %s: Build returned an instance without Members", c.sys.name)
	case p.History && inst.History == nil:
		return nil, fmt.Errorf("system %s: promises a history, but its instance has none", c.sys.name)
	case p.Invariants && inst.Invariant == nil && inst.FinalCheck == nil:
		return nil, fmt.Errorf("system %s: promises invariants, but its instance checks none", c.sys.name)
	case p.Convergence && inst.Replicas == nil:
		return nil, fmt.Errorf("system %s: promises convergence, but its instance has no Replicas", c.sys.name)
	case len(c.sys.counters) > 0 && inst.Counter == nil:
		return nil, fmt.Errorf("system %s: declares counters, but its instance has no Counter", c.sys.name)
	case len(c.sys.faults) > 0 && inst.Fault == nil:
		return nil, fmt.Errorf("system %s: declares faults, but its instance has no Fault", c.sys.name)
	case len(c.sys.programs) > 0 && inst.Program == nil:
		return nil, fmt.Errorf("system %s: declares programs, but its instance has no Program", c.sys.name)
	case (c.liveness.ElectWithin > 0 || c.liveness.StepDownWithin > 0 || c.liveness.StableAfter > 0) && inst.Leads == nil:
		return nil, fmt.Errorf("system %s: promises liveness (Spec.Liveness), but its instance has no Leads to judge it by", c.sys.name)
	case c.liveness.StepDownWithin > 0 && !c.liveness.CutOffStepDown && inst.Term == nil:
		return nil, fmt.Errorf("system %s: promises to step down on a higher term (Spec.Liveness), but its instance has no Term to judge it by", c.sys.name)
	case c.liveness.Heartbeats.TermGrace > 0 && inst.Term == nil:
		return nil, fmt.Errorf("system %s: spares the heartbeats of a term's start (Liveness.Heartbeats.TermGrace), but its instance has no Term to tell terms by", c.sys.name)
	}
	return inst, nil
}

// validate checks that a Liveness makes sense as a promise.
func (l Liveness) validate() error {
	switch {
	case l.ElectWithin < 0:
		return fmt.Errorf("ElectWithin is negative (%v)", l.ElectWithin)
	case l.StepDownWithin < 0:
		return fmt.Errorf("StepDownWithin is negative (%v)", l.StepDownWithin)
	case l.CutOffStepDown && l.StepDownWithin == 0:
		return errors.New("CutOffStepDown needs StepDownWithin, the bound it is judged by")
	case l.StableAfter < 0:
		return fmt.Errorf("StableAfter is negative (%v)", l.StableAfter)
	}
	return l.Heartbeats.validate()
}

// validate checks that a HeartbeatRate makes sense as a promise.
func (h HeartbeatRate) validate() error {
	switch {
	case h.PerSecond < 0:
		return fmt.Errorf("Heartbeats.PerSecond is negative (%d)", h.PerSecond)
	case h.PerSecond > 0 && h.Heartbeat == nil:
		return errors.New("Heartbeats.PerSecond needs Heartbeats.Heartbeat, which tells the heartbeats it bounds")
	case h.TermGrace < 0:
		return fmt.Errorf("Heartbeats.TermGrace is negative (%v)", h.TermGrace)
	case h.PerSecond == 0 && (h.Heartbeat != nil || h.Read != nil || h.TermGrace != 0):
		return errors.New("Heartbeats tells heartbeats or reads apart but bounds nothing: Heartbeats.PerSecond is 0")
	}
	return nil
}

// checkLivenessSpec checks a Spec's liveness promises for its default
// configuration, so that a bad declaration fails at Define, not in the
// first scenario that runs it.
func checkLivenessSpec[C any](name string, liveness func(C) Liveness, config func() C) error {
	if liveness == nil {
		return nil
	}
	if err := liveness(config()).validate(); err != nil {
		return fmt.Errorf("system %s: Spec.Liveness for the default configuration: %w", name, err)
	}
	return nil
}

// decodeOnto decodes raw onto *v strictly; empty or null raw leaves *v.
func decodeOnto[T any](raw json.RawMessage, v *T) error {
	if len(bytes.TrimSpace(raw)) == 0 || isNull(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonError turns encoding/json's errors into ones that speak JSON paths.
func jsonError(err error) error {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Errorf("%s: cannot use a JSON %s here", typ.Field, typ.Value)
		}
		return fmt.Errorf("cannot use a JSON %s here", typ.Value)
	case errors.As(err, &syn):
		return fmt.Errorf("malformed JSON at byte %d: %v", syn.Offset, err)
	}
	return err
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return s[0] != '-'
}
