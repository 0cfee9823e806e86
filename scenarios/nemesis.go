package scenarios

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Nemesis is the fault schedule of a scenario: a fixed list, a seeded
// generator, or both. A run materializes the generator into a list, so the
// failure spec of a run holds exactly the faults that ran.
type Nemesis struct {
	Schedule  []Fault    `json:"schedule,omitempty"`
	Generator *Generator `json:"generator,omitempty"`
	// Programs are targeted nemeses that react to what the system does.
	Programs []Program `json:"programs,omitempty"`
	// ClientSides places clients on the sides of a partition. Empty, the
	// default, leaves every client able to reach every server whatever the
	// partition. ClientSidesHome gives client i the home server
	// members[i mod len(members)]: a partition then also cuts the client
	// from every server its home cannot reach, so a client on a minority
	// side talks to minority servers only, as it would in a real network
	// split. Each partition's placement is in Result.ClientSides.
	ClientSides string `json:"client_sides,omitempty"`
	// Script is a sequence of steps, each an action, an assertion or a
	// block, that runs beside the schedule; see Step.
	Script []Step `json:"script,omitempty"`
}

// ClientSidesHome is the Nemesis.ClientSides placement by home server.
const ClientSidesHome = "home"

// ClientSide is where one client stood in one partition.
type ClientSide struct {
	// At is when the partition struck; Client is the client's number in
	// the history (1 for c1).
	At     Duration `json:"at"`
	Client int      `json:"client"`
	// Home is the client's home server; Majority says whether it could
	// reach a majority of the members (itself included), both ways.
	Home     string `json:"home"`
	Majority bool   `json:"majority"`
}

// Program is a targeted nemesis: a named fault program that the system
// under test provides (system.ProgramKind), which reacts to events inside
// it (a leader elected, a first commit, a membership change appended)
// rather than striking at set times. Some bugs need a fault at one precise
// moment that no timed schedule hits by chance; FoundationDB's simulator
// has such workloads for the same reason. Its choices come from the
// nemesis stream, so it is as deterministic as the rest of the run.
// `simrun list` shows the programs each system offers.
type Program struct {
	Name string   `json:"name"`
	From Duration `json:"from"`
	// Until ends the program; zero means the end of the fault phase.
	Until Duration `json:"until,omitempty"`
}

// FaultKind names a fault: one of the harness's own below, which every
// system gets, or one the scenario's system adds (system.FaultKind).
type FaultKind string

const (
	// FaultPartition splits the servers by Topology.
	FaultPartition FaultKind = "partition"
	// FaultHeal removes every partition, cut and clog, and resets links.
	FaultHeal FaultKind = "heal"
	// FaultCrash crashes the Target servers; FaultRestart restarts the
	// Target servers that are down.
	FaultCrash   FaultKind = "crash"
	FaultRestart FaultKind = "restart"
	// FaultKillAll crashes every server and restarts them all after For.
	FaultKillAll FaultKind = "kill-all"
	// FaultPause freezes the Target servers; FaultResume thaws them.
	FaultPause  FaultKind = "pause"
	FaultResume FaultKind = "resume"
	// FaultClockStep jumps the Target's clock by Step.
	FaultClockStep FaultKind = "clock-step"
	// FaultClockDrift sets the Target's clock drift to Drift.
	FaultClockDrift FaultKind = "clock-drift"
	// FaultClockStrobe steps the Target's clock back and forth by Step
	// every Period, for For.
	FaultClockStrobe FaultKind = "clock-strobe"
	// FaultLink changes the links to and from the Target (Link.*).
	FaultLink FaultKind = "link"
	// FaultClog holds the Target's messages; FaultUnclog releases all.
	FaultClog   FaultKind = "clog"
	FaultUnclog FaultKind = "unclog"
	// FaultStorage turns storage faults on at the Target (Storage).
	FaultStorage FaultKind = "storage"
)

// AllFaultKinds lists the harness's fault kinds.
var AllFaultKinds = []FaultKind{
	FaultPartition, FaultHeal, FaultCrash, FaultRestart, FaultKillAll, FaultPause, FaultResume,
	FaultClockStep, FaultClockDrift, FaultClockStrobe, FaultLink, FaultClog, FaultUnclog, FaultStorage,
}

// faultKinds lists the fault kinds a scenario of sys may schedule.
func faultKinds(sys *system.System) []FaultKind {
	out := append(slices.Clone(AllFaultKinds), AimedFaultKinds...)
	for _, f := range sys.Faults() {
		out = append(out, FaultKind(f.Name))
	}
	return out
}

// Partition topologies.
const (
	// TopoHalves splits the servers into two random halves (the larger a
	// majority when the count is odd).
	TopoHalves = "halves"
	// TopoIsolate cuts the Target off from every other server.
	TopoIsolate = "isolate"
	// TopoMinority cuts a random minority that contains the Target (if
	// given) off from the rest.
	TopoMinority = "minority"
	// TopoRandom splits the servers into two or three random groups.
	TopoRandom = "random"
	// TopoBridge splits the servers in two, with the Target in both: it
	// alone talks to each side (Jepsen's bridge).
	TopoBridge = "bridge"
	// TopoRing lets each server talk only to its two ring neighbours
	// (Jepsen's majorities ring for five servers).
	TopoRing = "ring"
	// TopoOneWay cuts the Target's outgoing links only: it hears the
	// others, they do not hear it.
	TopoOneWay = "one-way"
	// TopoCutPair cuts the link between the Target and one other server,
	// both ways, and nothing else: the partial partition in which a
	// server that cannot hear the leader keeps calling elections.
	TopoCutPair = "cut-pair"
)

// AllTopologies lists the partition topologies.
var AllTopologies = []string{TopoHalves, TopoIsolate, TopoMinority, TopoRandom, TopoBridge, TopoRing, TopoOneWay, TopoCutPair}

// Fault is one timed fault.
type Fault struct {
	At   Duration  `json:"at"`
	Kind FaultKind `json:"kind"`
	// Target picks servers when the fault fires: "leader" (the current
	// leader, else a random server), "follower" (a random non-leader),
	// "random", "all", "minority" (a random minority), or a host name.
	// Empty means the kind's default (random for most).
	Target   string   `json:"target,omitempty"`
	Topology string   `json:"topology,omitempty"`
	Step     Duration `json:"step,omitempty"`
	Drift    float64  `json:"drift,omitempty"`
	Period   Duration `json:"period,omitempty"`
	For      Duration `json:"for,omitempty"`
	// Link is the new link for FaultLink.
	Link *Network `json:"link,omitempty"`
	// Storage is the storage faults for FaultStorage.
	Storage *sim.StorageFaults `json:"storage,omitempty"`
	// Delay and Direction are FaultSlow's extra delay and the direction
	// it slows.
	Delay     Duration `json:"delay,omitempty"`
	Direction string   `json:"direction,omitempty"`
}

func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s", f.At, f.Kind)
	if f.Topology != "" {
		fmt.Fprintf(&b, " %s", f.Topology)
	}
	if f.Target != "" {
		fmt.Fprintf(&b, " target=%s", f.Target)
	}
	if f.Step != 0 {
		fmt.Fprintf(&b, " step=%v", f.Step)
	}
	if f.Drift != 0 {
		fmt.Fprintf(&b, " drift=%v", f.Drift)
	}
	if f.Period != 0 {
		fmt.Fprintf(&b, " period=%v", f.Period)
	}
	if f.For != 0 {
		fmt.Fprintf(&b, " for=%v", f.For)
	}
	if f.Direction != "" {
		fmt.Fprintf(&b, " %s delay=%v", f.Direction, f.Delay)
	}
	return b.String()
}

var targetWords = []string{"", "leader", "follower", "random", "all", "minority"}

func (n Nemesis) validate(s *Scenario, sys *system.System) error {
	if n.ClientSides != "" && n.ClientSides != ClientSidesHome {
		return fmt.Errorf("client_sides: must be empty or %q (is %q)", ClientSidesHome, n.ClientSides)
	}
	for i, f := range n.Schedule {
		if err := f.validate(s, sys); err != nil {
			return fmt.Errorf("schedule[%d] (%s): %w", i, f.Kind, err)
		}
	}
	if len(n.Schedule) > MaxFaults {
		return fmt.Errorf("schedule: %d faults, more than the %d a run may hold", len(n.Schedule), MaxFaults)
	}
	if g := n.Generator; g != nil {
		if err := g.validate(sys); err != nil {
			return fmt.Errorf("generator: %w", err)
		}
		if g.Interval < MinGeneratorInterval {
			return fmt.Errorf("generator.interval must be at least %v (is %v)", MinGeneratorInterval, g.Interval)
		}
		if most := maxGenerated(g, s.FaultPhase.D()); most+len(n.Schedule) > MaxFaults {
			return fmt.Errorf("generator.interval %v may draw up to %d faults in a fault phase of %v, more than the %d a run may hold: raise the interval", g.Interval, most, s.FaultPhase, MaxFaults)
		}
	}
	for i, p := range n.Programs {
		if err := p.validate(s, sys); err != nil {
			return fmt.Errorf("programs[%d] (%s): %w", i, p.Name, err)
		}
	}
	return validateScript(s, sys)
}

// Bounds of a nemesis. Every fault is an event, a trace record and a mark
// on the failure page; a generator at a nanosecond's interval would draw
// faults until memory ran out.
const (
	// MaxFaults bounds a run's scheduled faults, drawn ones included.
	MaxFaults = 100_000
	// MinGeneratorInterval bounds Generator.Interval from below.
	MinGeneratorInterval = Duration(time.Millisecond)
)

// maxGenerated bounds the faults g may draw in a fault phase of length
// end: its faults come at least half a mean interval apart, the mean is at
// least the interval (intensity is at most 1), and each comes with at
// most one undo.
func maxGenerated(g *Generator, end time.Duration) int {
	steps := uint64(2*end/g.Interval.D()) + 1
	return int(min(2*steps, 1<<40))
}

func (p Program) validate(s *Scenario, sys *system.System) error {
	kind, ok := sys.Program(p.Name)
	if !ok {
		var names []string
		for _, k := range sys.Programs() {
			names = append(names, k.Name)
		}
		if len(names) == 0 {
			return fmt.Errorf("the %s system offers no programs", sys.Name())
		}
		return fmt.Errorf("name %q is not a program of the %s system (%s)", p.Name, sys.Name(), strings.Join(names, ", "))
	}
	if kind.Validate != nil {
		if err := kind.Validate(system.Shape{Servers: s.Servers, Spares: s.Spares, Clients: s.Clients}); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	if p.From < 0 || p.From >= s.FaultPhase {
		return fmt.Errorf("from %v is outside the fault phase [0, %v)", p.From, s.FaultPhase)
	}
	if p.Until != 0 && (p.Until <= p.From || p.Until > s.FaultPhase) {
		return fmt.Errorf("until %v must be after from (%v) and within the fault phase (%v)", p.Until, p.From, s.FaultPhase)
	}
	return nil
}

func (f Fault) validate(s *Scenario, sys *system.System) error {
	if !slices.Contains(faultKinds(sys), f.Kind) {
		return fmt.Errorf("kind %q is not a fault of the %s system (%v)", f.Kind, sys.Name(), faultKinds(sys))
	}
	if f.At < 0 || f.At >= s.FaultPhase {
		return fmt.Errorf("at %v is outside the fault phase [0, %v)", f.At, s.FaultPhase)
	}
	if !slices.Contains(targetWords, f.Target) && !validHostName(s, f.Target) {
		return fmt.Errorf("target %q is neither a server name nor one of leader, follower, random, all, minority", f.Target)
	}
	switch f.Kind {
	case FaultPartition:
		if !validTopology(f.Topology) {
			return fmt.Errorf("topology %q is not one of %v", f.Topology, append(slices.Clone(AllTopologies), AimedTopologies...))
		}
	case FaultSlow:
		if err := f.validateSlow(); err != nil {
			return err
		}
	case FaultClockDrift:
		if !(f.Drift > -0.5 && f.Drift < 0.5) {
			return fmt.Errorf("drift must be in (-0.5, 0.5) (is %v)", f.Drift)
		}
	case FaultClockStrobe:
		if f.Period <= 0 || f.For <= 0 || f.Step <= 0 {
			return fmt.Errorf("clock-strobe needs positive step, period and for (are %v, %v, %v)", f.Step, f.Period, f.For)
		}
	case FaultKillAll:
		if f.For < 0 {
			return fmt.Errorf("for is negative (%v)", f.For)
		}
	case FaultLink:
		if f.Link == nil {
			return fmt.Errorf("link is missing")
		}
		if err := f.Link.validate(); err != nil {
			return fmt.Errorf("link: %w", err)
		}
	case FaultStorage:
		if f.Storage == nil {
			return fmt.Errorf("storage is missing")
		}
		st := f.Storage
		for _, r := range []struct {
			name string
			v    float64
		}{{"torn_write_ratio", st.TornWriteRatio}, {"lying_sync_ratio", st.LyingSyncRatio}, {"corrupt_read_ratio", st.CorruptReadRatio}, {"crash_at_sync_ratio", st.CrashAtSyncRatio},
			{"crash_at_sync_after_send_ratio", st.CrashAtSyncAfterSendRatio}, {"crash_at_sync_after_delete_ratio", st.CrashAtSyncAfterDeleteRatio}, {"flushed_prefix_ratio", st.FlushedPrefixRatio}, {"flushed_any_ratio", st.FlushedAnyRatio}} {
			if !(r.v >= 0 && r.v <= 1) {
				return fmt.Errorf("storage ratios must be in [0, 1] (storage.%s is %v)", r.name, r.v)
			}
		}
	default:
		if k, ok := sys.Fault(string(f.Kind)); ok && k.NeedsSpares && s.Spares == 0 {
			return fmt.Errorf("%s needs spares", f.Kind)
		}
	}
	return nil
}

func validHostName(s *Scenario, name string) bool {
	for i := 0; i < s.Servers+s.Spares; i++ {
		if system.ServerName(i) == name {
			return true
		}
	}
	return false
}

// nemesis applies faults to a running world. It is the system.Nemesis
// that a system's own faults and programs drive.
type nemesis struct {
	w       *sim.World
	net     *simnet.Network
	sys     *system.Instance
	rng     *rand.Rand
	servers []sim.HostID // every server host, spares included
	def     simnet.Link
	drift   []float64 // each server's drift before any fault, by host id
	quiet   *quietTracker
	// promises judges the system's liveness promises; nil when none is.
	promises *promiseTracker
	// clients are the client hosts, by client index, when clients are
	// placed on partition sides; nil otherwise.
	clients []sim.HostID
	sides   []ClientSide
	// partitionHarms: the last partition cut the leader off from a
	// majority, or there was no leader to keep.
	partitionHarms bool
	// stats
	faults        int
	leaderCutOffs int
	applied       []AppliedFault
}

func (n *nemesis) World() *sim.World     { return n.w }
func (n *nemesis) Net() *simnet.Network  { return n.net }
func (n *nemesis) Rand() *rand.Rand      { return n.rng }
func (n *nemesis) Servers() []sim.HostID { return slices.Clone(n.servers) }

func (n *nemesis) Resolve(target, dflt string) []sim.HostID { return n.resolve(target, dflt) }

// Struck records a fault that a program or a system's own fault carried
// out.
func (n *nemesis) Struck(kind, detail string, from, until time.Duration, hosts ...sim.HostID) {
	af := AppliedFault{Fault: Fault{At: Duration(from), Kind: FaultKind(kind)}, Detail: detail, Until: Duration(max(from, until))}
	for _, h := range hosts {
		af.Hosts = append(af.Hosts, n.w.Host(h).Name())
	}
	n.applied = append(n.applied, af)
}

// leader is the system's current leader, or NoHost.
func (n *nemesis) leader() sim.HostID {
	if n.sys.Leader == nil {
		return sim.NoHost
	}
	return n.sys.Leader()
}

// resolve picks the hosts a fault's target names, now.
func (n *nemesis) resolve(target string, dflt string) []sim.HostID {
	if target == "" {
		target = dflt
	}
	members := n.sys.Members()
	leader := n.leader()
	pick := func(from []sim.HostID) []sim.HostID {
		if len(from) == 0 {
			return nil
		}
		return []sim.HostID{from[n.rng.IntN(len(from))]}
	}
	switch target {
	case "all":
		return slices.Clone(members)
	case "leader":
		if leader != sim.NoHost {
			return []sim.HostID{leader}
		}
		return pick(members)
	case "follower":
		var f []sim.HostID
		for _, m := range members {
			if m != leader {
				f = append(f, m)
			}
		}
		return pick(f)
	case "minority":
		shuffled := slices.Clone(members)
		n.rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		k := 1 + n.rng.IntN(max(1, (len(shuffled)-1)/2))
		return shuffled[:min(k, len(shuffled))]
	case "random":
		return pick(members)
	}
	if h := n.w.HostByName(target); h != nil {
		return []sim.HostID{h.ID()}
	}
	return nil
}

// AppliedFault is a fault as it struck: when, and the hosts its target
// resolved to ("leader" names whoever led at that moment).
type AppliedFault struct {
	Fault Fault    `json:"fault"`
	Hosts []string `json:"hosts,omitempty"`
	// Detail and Until describe a fault that a program or a system fault
	// struck: what it did, and when it ended. Until is zero for a
	// scheduled fault, which lasts until the fault that undoes it.
	Detail string   `json:"detail,omitempty"`
	Until  Duration `json:"until,omitempty"`
}

func (n *nemesis) apply(f Fault) {
	n.faults++
	leader := sim.NoHost
	if n.quiet != nil {
		leader = n.leader()
	}
	var touched []string
	hosts := func(dflt string) []*sim.Host {
		var hs []*sim.Host
		for _, id := range n.resolve(f.Target, dflt) {
			h := n.w.Host(id)
			hs = append(hs, h)
			touched = append(touched, h.Name())
		}
		return hs
	}
	defer func() {
		if len(touched) >= len(n.servers) {
			touched = nil // everyone: a cluster-wide fault
		}
		n.applied = append(n.applied, AppliedFault{Fault: f, Hosts: touched})
		n.w.Trace(sim.KindFault, sim.NoHost, "nemesis."+string(f.Kind), fmt.Sprintf("%v on %v", f, touched))
		if n.quiet != nil {
			// A leader that went down or froze is replaced, on purpose.
			hit := leader != sim.NoHost && (!n.w.Host(leader).Up() || n.w.Host(leader).Paused())
			n.quiet.struck(f, leader, hit)
		}
		if n.promises != nil {
			n.promises.struck(f)
		}
	}()
	switch f.Kind {
	case FaultPartition:
		if t := n.partition(f); t != sim.NoHost {
			touched = []string{n.w.Host(t).Name()}
		}
	case FaultHeal:
		n.net.Heal()
		n.net.UnclogAll()
		n.net.ResetLinks()
	case FaultCrash:
		for _, h := range hosts("random") {
			h.Crash()
		}
	case FaultRestart:
		for _, id := range n.downServers(f.Target) {
			n.w.Host(id).Restart()
			touched = append(touched, n.w.Host(id).Name())
		}
	case FaultKillAll:
		for _, id := range n.servers {
			n.w.Host(id).Crash()
		}
		n.w.After(f.For.D(), func() {
			for _, id := range n.servers {
				n.w.Host(id).Restart()
			}
			if n.quiet != nil {
				n.quiet.update()
			}
			if n.promises != nil {
				n.promises.changed(false)
			}
		})
	case FaultPause:
		for _, h := range hosts("random") {
			h.Pause()
		}
	case FaultResume:
		for _, h := range hosts("all") {
			h.Resume()
		}
	case FaultClockStep:
		for _, h := range hosts("random") {
			h.StepClock(f.Step.D())
		}
	case FaultClockDrift:
		for _, h := range hosts("random") {
			_ = h.SetClockDrift(f.Drift) // validated with the scenario
		}
	case FaultClockStrobe:
		for _, h := range hosts("random") {
			n.strobe(h, f.Step.D(), f.Period.D(), n.w.Now()+f.For.D(), 1)
		}
	case FaultLink:
		link, _ := f.Link.Link() // validated with the scenario
		for _, h := range hosts("random") {
			for _, o := range n.servers {
				if o != h.ID() {
					_ = n.net.SetLink(h.ID(), o, link)
					_ = n.net.SetLink(o, h.ID(), link)
				}
			}
		}
	case FaultClog:
		for _, h := range hosts("random") {
			_ = n.net.Clog(h.ID())
		}
	case FaultUnclog:
		n.net.UnclogAll()
	case FaultStorage:
		for _, h := range hosts("random") {
			_ = h.SetStorageFaults(*f.Storage)
		}
	case FaultSlow:
		n.slow(f, hosts("random"))
	default:
		n.sys.Fault(system.Fault{Kind: string(f.Kind), Target: f.Target}, n)
	}
}

// strobe steps a clock back and forth until end: the clock that jitters
// under a bad NTP daemon.
func (n *nemesis) strobe(h *sim.Host, step, period, end time.Duration, sign time.Duration) {
	if n.w.Now() >= end || !h.Up() {
		return
	}
	h.StepClock(sign * step)
	n.w.After(period, func() { n.strobe(h, step, period, end, -sign) })
}

func (n *nemesis) downServers(target string) []sim.HostID {
	var down []sim.HostID
	for _, id := range n.servers {
		if !n.w.Host(id).Up() {
			down = append(down, id)
		}
	}
	switch target {
	case "", "all":
		return down
	case "random":
		if len(down) == 0 {
			return nil
		}
		return []sim.HostID{down[n.rng.IntN(len(down))]}
	}
	if h := n.w.HostByName(target); h != nil && !h.Up() {
		return []sim.HostID{h.ID()}
	}
	return nil
}

// partition applies a partition and returns the host it singled out (the
// isolated, one-way, bridge or cut-pair target), or NoHost.
func (n *nemesis) partition(f Fault) sim.HostID {
	members := n.sys.Members()
	if len(members) < 2 {
		return sim.NoHost
	}
	shuffled := slices.Clone(members)
	n.rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	target := sim.NoHost
	if t := n.resolve(f.Target, "random"); len(t) > 0 {
		target = t[0]
	}
	leader := n.leader()
	var blocked [][2]sim.HostID
	cutBoth := func(a, b sim.HostID) { blocked = append(blocked, [2]sim.HostID{a, b}, [2]sim.HostID{b, a}) }
	split := func(groups ...[]sim.HostID) {
		for i := range groups {
			for j := range groups {
				if i < j {
					for _, a := range groups[i] {
						for _, b := range groups[j] {
							cutBoth(a, b)
						}
					}
				}
			}
		}
	}
	without := func(xs []sim.HostID, x sim.HostID) []sim.HostID {
		return slices.DeleteFunc(slices.Clone(xs), func(y sim.HostID) bool { return y == x })
	}
	switch f.Topology {
	case TopoHalves:
		k := len(shuffled) / 2
		split(shuffled[:k], shuffled[k:])
	case TopoIsolate:
		split([]sim.HostID{target}, without(members, target))
	case TopoMinority:
		rest := without(shuffled, target)
		k := max(1, (len(members)-1)/2)
		minority := append([]sim.HostID{target}, rest[:k-1]...)
		split(minority, rest[k-1:])
	case TopoRandom:
		groups := 2 + n.rng.IntN(2)
		parts := make([][]sim.HostID, groups)
		for i, h := range shuffled {
			g := i % groups
			if i >= groups {
				g = n.rng.IntN(groups)
			}
			parts[g] = append(parts[g], h)
		}
		split(parts...)
	case TopoBridge:
		rest := without(shuffled, target)
		k := len(rest) / 2
		split(rest[:k], rest[k:])
	case TopoRing:
		sorted := slices.Clone(members)
		slices.Sort(sorted)
		for i, a := range sorted {
			for j, b := range sorted {
				d := (j - i + len(sorted)) % len(sorted)
				if a != b && d != 1 && d != len(sorted)-1 {
					blocked = append(blocked, [2]sim.HostID{a, b})
				}
			}
		}
	case TopoOneWay:
		for _, o := range without(members, target) {
			blocked = append(blocked, [2]sim.HostID{target, o})
		}
	case TopoCutPair:
		others := without(members, target)
		cutBoth(target, others[n.rng.IntN(len(others))])
	case TopoOneWayPair:
		blocked = append(blocked, n.oneWayPair(target, without(members, target)))
	}
	n.net.Heal()
	sort.Slice(blocked, func(i, j int) bool {
		if blocked[i][0] != blocked[j][0] {
			return blocked[i][0] < blocked[j][0]
		}
		return blocked[i][1] < blocked[j][1]
	})
	blocked = append(blocked, n.placeClients(members, blocked)...)
	for _, p := range blocked {
		_ = n.net.Cut(p[0], p[1])
	}
	cut := leader != sim.NoHost && n.cutOffFromMajority(leader, members, blocked)
	if cut {
		n.leaderCutOffs++
	}
	// A partition that leaves the leader with a majority leaves the
	// cluster able to serve: the quiet checks go on through it.
	n.partitionHarms = leader == sim.NoHost || cut
	switch f.Topology {
	case TopoIsolate, TopoOneWay, TopoBridge, TopoCutPair, TopoOneWayPair:
		return target
	}
	return sim.NoHost
}

// placeClients returns the client links a partition cuts when clients
// are placed on sides: each client loses every server its home server
// cannot exchange messages with both ways. It records each client's side.
func (n *nemesis) placeClients(members []sim.HostID, blocked [][2]sim.HostID) [][2]sim.HostID {
	if len(n.clients) == 0 {
		return nil
	}
	reaches := func(a, b sim.HostID) bool {
		return a == b || !slices.Contains(blocked, [2]sim.HostID{a, b}) && !slices.Contains(blocked, [2]sim.HostID{b, a})
	}
	var cuts [][2]sim.HostID
	for i, c := range n.clients {
		home := members[i%len(members)]
		for _, s := range n.servers {
			if !reaches(home, s) {
				cuts = append(cuts, [2]sim.HostID{c, s}, [2]sim.HostID{s, c})
			}
		}
		n.sides = append(n.sides, ClientSide{
			At: Duration(n.w.Now()), Client: i + 1, Home: n.w.Host(home).Name(),
			Majority: !n.cutOffFromMajority(home, members, blocked),
		})
	}
	return cuts
}

// cutOffFromMajority reports whether h can no longer exchange messages both
// ways with a majority of members (itself included).
func (n *nemesis) cutOffFromMajority(h sim.HostID, members []sim.HostID, blocked [][2]sim.HostID) bool {
	reach := 1
	for _, m := range members {
		if m != h && !slices.Contains(blocked, [2]sim.HostID{h, m}) && !slices.Contains(blocked, [2]sim.HostID{m, h}) {
			reach++
		}
	}
	return reach <= len(members)/2
}

// healAll undoes every fault: the start of the heal phase.
func (n *nemesis) healAll() {
	n.net.Heal()
	n.net.UnclogAll()
	n.net.ResetLinks()
	_ = n.net.SetDefault(n.def)
	for _, id := range n.servers {
		h := n.w.Host(id)
		_ = h.SetStorageFaults(sim.StorageFaults{})
		_ = h.SetClockDrift(n.drift[id])
		h.Resume()
		h.Restart()
	}
	n.w.Trace(sim.KindFault, sim.NoHost, "nemesis.heal-all", "heal phase: every fault undone")
	if n.quiet != nil {
		n.quiet.healed()
	}
	if n.promises != nil {
		n.promises.healed()
	}
}

// sortedApplied is every fault that struck, in the order they struck.
func (n *nemesis) sortedApplied() []AppliedFault {
	out := slices.Clone(n.applied)
	slices.SortStableFunc(out, func(a, b AppliedFault) int { return cmp.Compare(a.Fault.At, b.Fault.At) })
	return out
}
