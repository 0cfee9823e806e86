package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/nodes/raft"
)

// ms and s keep the registry readable.
func ms(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }
func sec(n float64) Duration {
	return Duration(time.Duration(n * float64(time.Second)))
}

// raftBase is a five-server Raft cluster with three clients on a LAN, no
// faults, and every check on: the shape the Raft scenarios vary.
func raftBase(name, description string) Scenario {
	cfg := raft.DefaultConfig()
	w := client.DefaultWorkloadConfig()
	w.Client.TimeoutAttempt = 150 * time.Millisecond
	w.Client.Deadline = time.Second
	w.Keys = 5
	w.OpsMax = 0
	w.ThinkMin, w.ThinkMax = 5*time.Millisecond, 30*time.Millisecond
	return Scenario{
		Name:        name,
		Description: description,
		System:      System{Kind: "raft", Raft: &cfg},
		Servers:     5,
		Clients:     3,
		Workload:    w,
		Network:     Network{Latency: uniform(ms(1), ms(10))},
		FaultPhase:  sec(10),
		HealPhase:   sec(6),
		Checks:      Checks{Linearizable: true, Invariants: true, Convergence: true, Liveness: true},
		Expect:      Expect{Verdict: Pass},
	}
}

// unreliable is the network of MIT 6.5840's Raft labs: one-way delays of
// 0-26 ms, a fraction slow of 200-800 ms, and 10% of messages lost.
func unreliable(slow float64) Network {
	return Network{LossRatio: 0.1, Latency: Latency{Kind: "mixture", Parts: []Weighted{
		{Weight: 1 - slow, Latency: uniform(0, ms(26))},
		{Weight: slow, Latency: uniform(ms(200), ms(800))},
	}}}
}

// every repeats f's faults from start every period, dropping any that would
// fall after end: the heal at the end of the fault phase undoes them.
func every(start, period, end Duration, f func(at Duration, i int) []Fault) []Fault {
	var out []Fault
	for i, at := 0, start; at < end; i, at = i+1, at+period {
		for _, fault := range f(at, i) {
			if fault.At < end {
				out = append(out, fault)
			}
		}
	}
	return out
}

// readHeavy makes most operations reads of a few keys by five clients, so
// that a client keeps reading from a deposed leader long enough for another
// to write through the new one: the shape of a stale read.
func readHeavy(s *Scenario) {
	s.Clients = 5
	s.Workload.Mix = client.Mix{Get: 18, Put: 1, Append: 1}
	s.Workload.Keys = 2
}

// busy makes clients keep the leaders busy through leader churn: no think
// time to speak of, no circuit breaker to back them off.
func busy(s *Scenario) {
	s.Workload.ThinkMin, s.Workload.ThinkMax = 0, 10*time.Millisecond
	s.Workload.Client.BreakerFailures = 0
	s.Workload.Client.Deadline = 2 * time.Second
}

func builtins() []Scenario {
	var all []Scenario
	add := func(s Scenario) { all = append(all, s) }

	add(raftBase("raft-happy", "Raft with no faults: the baseline every other scenario departs from."))

	s := raftBase("raft-leader-partition", "The leader is cut off from every other server again and again; a new leader must take over and the old one must not serve.")
	s.Nemesis.Schedule = every(sec(1), sec(2), sec(10), func(at Duration, _ int) []Fault {
		return []Fault{{At: at, Kind: FaultPartition, Topology: TopoIsolate, Target: "leader"}, {At: at + sec(1.2), Kind: FaultHeal}}
	})
	s.Probes = []Probe{ProbeLeaderChange, ProbeLeaderCutOff, ProbeOpTimeout}
	add(s)

	s = raftBase("raft-minority-partition", "A random minority, sometimes holding the leader, is cut off; the majority side keeps serving.")
	s.Nemesis.Schedule = every(sec(0.5), sec(1.5), sec(10), func(at Duration, i int) []Fault {
		t := []string{"random", "leader", "follower"}[i%3]
		return []Fault{{At: at, Kind: FaultPartition, Topology: TopoMinority, Target: t}, {At: at + sec(1), Kind: FaultHeal}}
	})
	s.Probes = []Probe{ProbeLeaderChange, ProbeLeaderCutOff}
	add(s)

	s = raftBase("raft-majority-partition", "Partitions that leave no clean majority: halves, bridges, rings and random splits.")
	s.Nemesis.Schedule = every(sec(0.5), sec(1.5), sec(10), func(at Duration, i int) []Fault {
		topo := []string{TopoHalves, TopoBridge, TopoRing, TopoRandom}[i%4]
		return []Fault{{At: at, Kind: FaultPartition, Topology: topo, Target: "leader"}, {At: at + sec(1.1), Kind: FaultHeal}}
	})
	s.Probes = []Probe{ProbeLeaderChange, ProbeOpTimeout}
	add(s)

	s = raftBase("raft-unreliable-network", "The unreliable network of MIT 6.5840's Raft labs: delays of 0-26 ms, 10% of messages lost, and now and then a delay of hundreds of milliseconds.")
	s.Workload.Client.Deadline = 600 * time.Millisecond
	// A tenth of the messages take longer than an attempt's timeout, so a
	// circuit breaker would trip on slowness rather than failure, and its
	// one half-open probe keeps losing the same race: in sweeps, about one
	// client in a thousand runs then completed nothing after the heal. A
	// breaker belongs on timeouts above the latency tail; here it is off.
	s.Workload.Client.BreakerFailures = 0
	s.Network = unreliable(0.1)
	s.Probes = []Probe{ProbeOpTimeout}
	add(s)

	s = raftBase("raft-crash-restart", "Crash-restart storms: servers, leaders, minorities and the whole cluster crash and come back on their disks.")
	s.Nemesis.Schedule = every(sec(0.5), sec(1.2), sec(9), func(at Duration, i int) []Fault {
		if i%4 == 3 {
			return []Fault{{At: at, Kind: FaultKillAll, For: ms(300)}}
		}
		t := []string{"leader", "minority", "random"}[i%3]
		return []Fault{{At: at, Kind: FaultCrash, Target: t}, {At: at + ms(700), Kind: FaultRestart, Target: "all"}}
	})
	s.Probes = []Probe{ProbeCrash, ProbeLeaderChange, ProbeOpTimeout}
	add(s)

	for _, mode := range []raft.ReadMode{raft.ReadLease, raft.ReadIndex} {
		cfg := raft.DefaultConfig()
		cfg.ReadMode = mode
		name, desc := "raft-clock-skew-readindex", "The clock-skew nemesis of raft-clock-skew-lease against ReadIndex reads, which do not trust clocks: it must pass."
		if mode == raft.ReadLease {
			name, desc = "raft-clock-skew-lease", "Lease reads while the leader's clock runs slow and a new leader is elected behind its back: the old leader's lease outlives its leadership and it serves a stale read. Expected to fail linearizability."
		}
		s = raftBase(name, desc)
		s.System.Raft = &cfg
		readHeavy(&s)
		// The leader is cut off from the other servers (clients still reach
		// it), then its clock steps back: a lease measured on that clock
		// now outlasts the election of a new leader.
		s.Nemesis.Schedule = every(sec(0.5), sec(2), sec(10), func(at Duration, _ int) []Fault {
			return []Fault{
				{At: at, Kind: FaultPartition, Topology: TopoIsolate, Target: "leader"},
				{At: at + ms(1), Kind: FaultClockStep, Target: "leader", Step: -sec(1)},
				{At: at + sec(1.5), Kind: FaultHeal},
			}
		})
		s.Probes = []Probe{ProbeLeaderChange, ProbeLeaderCutOff}
		if mode == raft.ReadLease {
			s.Expect = Expect{Verdict: Fail, Check: CheckLinearizable}
		}
		add(s)
	}

	for _, stable := range []bool{false, true} {
		cfg := raft.DefaultConfig()
		cfg.PreVote, cfg.CheckQuorum = stable, stable
		name, desc := "raft-partial-partition-churn", "One server loses its link to the leader and nothing else (Cloudflare's 2020 partial partition). Without PreVote and CheckQuorum it keeps calling elections and leadership churns; safety must still hold."
		if stable {
			name, desc = "raft-partial-partition-stable", "The partial partition of raft-partial-partition-churn with PreVote and CheckQuorum on: the cut-off server cannot depose the leader."
		}
		s = raftBase(name, desc)
		s.System.Raft = &cfg
		// Each second the current leader loses its link to one follower.
		s.Nemesis.Schedule = every(sec(0.5), sec(1), sec(10), func(at Duration, _ int) []Fault {
			return []Fault{{At: at, Kind: FaultPartition, Topology: TopoCutPair, Target: "leader"}}
		})
		if !stable {
			s.Probes = []Probe{ProbeLeaderChange}
		}
		add(s)
	}

	cfg := raft.DefaultConfig()
	cfg.SnapshotEntries, cfg.SnapshotTrailing = 50, 10
	s = raftBase("raft-snapshot-catchup", "A follower is cut off while the log grows past several snapshots; when it returns, the leader must send it a snapshot.")
	s.System.Raft = &cfg
	s.Workload.Mix = client.Mix{Get: 1, Put: 3, Append: 3}
	s.Nemesis.Schedule = []Fault{
		{At: sec(0.5), Kind: FaultPartition, Topology: TopoIsolate, Target: "n2"},
		{At: sec(0.6), Kind: FaultCrash, Target: "n3"},
		{At: sec(6), Kind: FaultHeal},
		{At: sec(6.5), Kind: FaultRestart, Target: "all"},
	}
	s.Probes = []Probe{ProbeSnapshotInstalled}
	add(s)

	s = raftBase("raft-membership", "Servers are added and removed one at a time while partitions and crashes strike.")
	s.Servers, s.Spares = 3, 2
	s.Nemesis.Schedule = []Fault{
		{At: sec(1), Kind: FaultAddServer},
		{At: sec(2), Kind: FaultCrash, Target: "follower"},
		{At: sec(2.5), Kind: FaultAddServer},
		{At: sec(3.5), Kind: FaultRestart, Target: "all"},
		{At: sec(4), Kind: FaultPartition, Topology: TopoMinority, Target: "leader"},
		{At: sec(5), Kind: FaultRemoveServer},
		{At: sec(6), Kind: FaultHeal},
		{At: sec(6.5), Kind: FaultTransferLeader, Target: "follower"},
		{At: sec(7.5), Kind: FaultRemoveServer},
		{At: sec(8.5), Kind: FaultAddServer},
	}
	s.Probes = []Probe{ProbeMembershipChange}
	add(s)

	s = raftBase("raft-figure8", "Crash cycles of the kind in Figure 8 of the Raft paper: leaders crash right after appending, minorities are cut off, and old-term entries must never be committed by counting replicas.")
	s.Nemesis.Schedule = every(sec(0.3), ms(700), sec(9.5), func(at Duration, i int) []Fault {
		return []Fault{
			{At: at, Kind: FaultPartition, Topology: TopoMinority, Target: "leader"},
			{At: at + ms(250), Kind: FaultCrash, Target: "leader"},
			{At: at + ms(450), Kind: FaultHeal},
			{At: at + ms(500), Kind: FaultRestart, Target: "all"},
		}
	})
	s.Nemesis.Programs = []Program{{Name: ProgramFigure8, From: sec(0.5)}}
	s.Probes = []Probe{ProbeCrash, ProbeLeaderChange}
	add(s)

	s = raftBase("raft-swarm", "Swarm testing: the seed picks which faults are on and how hard they strike (partitions, crashes, pauses, clock steps, drift and strobes, lossy links, clogs, torn writes, leadership transfers).")
	s.Nemesis.Generator = &Generator{Interval: ms(600), Intensity: 1, Swarm: true, ClockStepMax: ms(200), DriftMax: 0.02}
	s.Probes = []Probe{ProbeLeaderChange, ProbeOpTimeout}
	add(s)

	bugCfg := raft.DefaultConfig()
	bugCfg.Bugs.StaleReads = true
	// Without CheckQuorum the cut-off leader keeps believing it leads.
	bugCfg.CheckQuorum = false
	s = raftBase("raft-bug-stale-reads", "A planted bug: the leader answers reads from local state without confirming it still leads. Cutting the leader off must expose a stale read.")
	s.System.Raft = &bugCfg
	readHeavy(&s)
	s.Nemesis.Schedule = every(sec(1), sec(2), sec(10), func(at Duration, _ int) []Fault {
		return []Fault{{At: at, Kind: FaultPartition, Topology: TopoIsolate, Target: "leader"}, {At: at + sec(1.2), Kind: FaultHeal}}
	})
	s.Expect = Expect{Verdict: Fail, Check: CheckLinearizable}
	add(s)

	f8 := raft.DefaultConfig()
	f8.Bugs.CommitOldTerms = true
	f8.AppendEntriesMax = 1
	s = raftBase("raft-bug-figure8", "A planted bug: leaders commit entries of earlier terms by counting replicas. The figure8 program cuts leaders off as they are elected or first commit, until an entry that was counted committed is overwritten. Expected to break leader completeness.")
	s.System.Raft = &f8
	s.Servers = 3
	s.Network = unreliable(0.02)
	busy(&s)
	// A follower far behind catches up one entry per round trip with
	// single-entry appends: give it time before convergence is judged.
	s.HealPhase = sec(12)
	s.Nemesis.Programs = []Program{{Name: ProgramFigure8}}
	s.Expect = Expect{Verdict: Fail, Check: CheckInvariants}
	add(s)

	ecc := raft.DefaultConfig()
	ecc.Bugs.EarlyConfChange = true
	s = raftBase("raft-bug-early-conf-change", "A planted bug: a new leader appends a membership change before committing an entry of its own term, so two configurations whose majorities need not overlap can both decide. The conf-split program makes changes straddle a leader change. Expected to break leader completeness.")
	s.System.Raft = &ecc
	s.Servers, s.Spares, s.Clients = 4, 2, 2
	s.Network = unreliable(0.02)
	busy(&s)
	s.Nemesis.Programs = []Program{{Name: ProgramConfSplit, From: sec(0.5)}}
	s.Expect = Expect{Verdict: Fail, Check: CheckInvariants}
	add(s)

	g := gossip.DefaultConfig()
	add(Scenario{
		Name:        "gossip-example",
		Description: "The example node: a gossip counter under partitions, crashes and pauses must converge once healed.",
		System:      System{Kind: "gossip", Gossip: &g},
		Servers:     5,
		Network:     Network{Latency: Latency{Kind: "lognormal", Median: ms(2), Sigma: 0.6}, LossRatio: 0.05, DupRatio: 0.01},
		Clocks:      Clocks{DriftMax: 0.002},
		Nemesis: Nemesis{Schedule: every(sec(0.5), sec(1), sec(10), func(at Duration, i int) []Fault {
			switch i % 3 {
			case 0:
				return []Fault{{At: at, Kind: FaultPartition, Topology: TopoHalves}, {At: at + ms(800), Kind: FaultHeal}}
			case 1:
				return []Fault{{At: at, Kind: FaultCrash, Target: "random"}, {At: at + ms(600), Kind: FaultRestart}}
			}
			return []Fault{{At: at, Kind: FaultPause, Target: "random"}, {At: at + ms(400), Kind: FaultResume}}
		})},
		FaultPhase: sec(10),
		HealPhase:  sec(10),
		Checks:     Checks{Convergence: true},
		Probes:     []Probe{ProbeCrash},
		Expect:     Expect{Verdict: Pass},
	})
	return all
}

var registry = func() map[string]Scenario {
	m := map[string]Scenario{}
	for _, s := range builtins() {
		if _, dup := m[s.Name]; dup {
			panic("scenarios: two built-in scenarios named " + s.Name)
		}
		if err := s.Validate(); err != nil {
			panic(fmt.Sprintf("scenarios: built-in scenario is invalid: %v", err))
		}
		m[s.Name] = s
	}
	return m
}()

// Names lists the built-in scenarios, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns a copy of the built-in scenario called name. An unknown
// name gets an error that suggests the closest names.
func Lookup(name string) (Scenario, error) {
	if s, ok := registry[name]; ok {
		return s.Clone(), nil
	}
	return Scenario{}, fmt.Errorf("no scenario named %q%s", name, suggest(name, Names()))
}

func suggest(name string, names []string) string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		d := editDistance(name, n)
		if strings.Contains(n, name) && name != "" {
			d = min(d, 2)
		}
		if d <= max(3, len(name)/2) {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	if len(cs) == 0 {
		return " (simrun list shows them all)"
	}
	var out []string
	for i, c := range cs {
		if i == 3 {
			break
		}
		out = append(out, c.name)
	}
	return "; did you mean " + strings.Join(out, ", ") + "?"
}

// editDistance is Levenshtein's distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
