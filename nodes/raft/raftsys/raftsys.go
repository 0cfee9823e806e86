package raftsys

import (
	"embed"
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/nodes/kvstore"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/nodes/raft/rafttest"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Names of Raft's own faults, programs and counters.
const (
	FaultAddServer      = "add-server"
	FaultRemoveServer   = "remove-server"
	FaultTransferLeader = "transfer-leader"

	ProgramFigure8        = "figure8"
	ProgramConfSplit      = "conf-split"
	ProgramCrashVote      = "crash-after-vote"
	ProgramSnapshotReplay = "snapshot-replay"
	ProgramFigure7        = "figure7"
	ProgramDeposedRead    = "deposed-read"
	ProgramRemovedQuorum  = "removed-quorum"
	ProgramFigure8Steps   = "figure8-steps"
	ProgramConfBurst      = "conf-burst"
	ProgramStaleReplies   = "stale-replies"

	CounterLeaderChange      = "leader-change"
	CounterUnplannedChange   = "unplanned-leader-change"
	CounterSnapshotInstalled = "snapshot-installed"
	CounterMembershipChange  = "membership-change"
	CounterSnapshotReplayed  = "snapshot-replayed"
	CounterDivergedRejoin    = "diverged-rejoin"
	CounterDeposedRead       = "deposed-leader-read"
	CounterFigure8Overwrite  = "figure8-overwrite"
	CounterBackToBackChange  = "back-to-back-change"
	CounterStaleReply        = "stale-reply"
)

//go:embed scenarios/*.json
var builtin embed.FS

// System is the Raft key-value store of package raft, with its clients
// (package client), its safety invariants (package raftcheck) and its
// targeted nemesis programs (package rafttest).
var System = system.MustDefine(system.Spec[raft.Config, client.WorkloadConfig]{
	Name:        "raft",
	Description: "the Raft key-value store of nodes/raft: PreVote, CheckQuorum, snapshots, ReadIndex and lease reads, membership changes",
	Config:      raft.DefaultConfig,
	Workload:    client.ScenarioWorkloadConfig,
	Validate:    validate,
	Build:       build,
	Rate:        rate,
	Promises:    system.Promises{History: true, Invariants: true, Convergence: true, Staleness: true},
	Faults: []system.FaultKind{
		{Name: FaultAddServer, Description: "add a spare server (the target, or a random one outside the configuration)", NeedsSpares: true, Family: "heal"},
		{Name: FaultRemoveServer, Description: "remove a member (the target, or a random follower)", Family: "crash"},
		{Name: FaultTransferLeader, Description: "move leadership to the target (a follower by default)", Generated: true, Family: "leader"},
	},
	Programs: []system.ProgramKind{
		{Name: ProgramFigure8, Description: "cut off new leaders as they are elected or first commit (Figure 8 of the Raft paper); one server cut off at a time"},
		{Name: ProgramConfSplit, Description: "membership changes across a leader change: the leader is cut off as it appends a change, and the next leader is made to remove a server", Validate: func(s system.Shape) error {
			if s.Spares < 1 || s.Servers < 4 {
				return fmt.Errorf("needs at least 4 servers and a spare (has %d and %d)", s.Servers, s.Spares)
			}
			return nil
		}},
		{Name: ProgramCrashVote, Description: "crash a server the moment it grants a vote or moves to a later term, one at a time, and restart it 20-100 ms later"},
		{Name: ProgramFigure7, Description: "build the followers of Figure 7 of the Raft paper: cut a leader off with one follower while it appends entries that cannot commit, let the majority commit past them in a later term, then heal the pair in an order drawn at random (the follower first, the old leader first, or both)", Validate: func(s system.Shape) error {
			if s.Servers < 5 {
				return fmt.Errorf("needs at least 5 servers, so that a majority remains without the pair (has %d)", s.Servers)
			}
			return nil
		}},
		{Name: ProgramDeposedRead, Description: "depose a leader between two ReadIndex reads: the moment it takes a read, its clock steps back, its followers' answers are held and it is cut off; once a new leader has committed, the clients reach it again, and its next read comes just before the held acknowledgements of the old round"},
		{Name: ProgramRemovedQuorum, Description: "cut a leader off with one follower it keeps and one it is asked to remove, short of a majority of the configuration without the removed server; the removed server stays reachable and keeps answering; then heal and add the server back", Validate: func(s system.Shape) error {
			if s.Servers < 4 {
				return fmt.Errorf("needs at least 4 servers, so that the leader's side is short of a majority without the removed one (has %d)", s.Servers)
			}
			return nil
		}},
		{Name: ProgramFigure8Steps, Description: "build Figure 8 of the Raft paper step by step: a leader appends entries only a minority holds and crashes; a rival is elected elsewhere and cut off before its no-op; the first leader's side comes back with one server of the rival's, is cut off the moment it first commits, and the rival's side elects again", Validate: func(s system.Shape) error {
			if s.Servers < 3 || s.Servers%2 == 0 {
				return fmt.Errorf("needs an odd number of servers, at least 3, so that the rival's side is a quorum (has %d)", s.Servers)
			}
			return nil
		}},
		{Name: ProgramConfBurst, Description: "membership changes back to back: a leader is cut off with the largest minority, and the operator asks it to remove servers of the majority one after another, each as soon as it appended the last, until its side would be a majority of what is left; then heal and add the servers back", Validate: func(s system.Shape) error {
			if s.Servers < 3 {
				return fmt.Errorf("needs at least 3 servers (has %d)", s.Servers)
			}
			return nil
		}},
		{Name: ProgramSnapshotReplay, Description: "keep copies of the InstallSnapshots leaders send and deliver each once more, late, to a server that has committed past it (preferring one whose own snapshot is older)"},
		{Name: ProgramStaleReplies, Description: "keep the latest answer of each kind (append accepted or rejected, snapshot, heartbeat, granted vote) each server sent each other, and deliver it once more after its recipient moved to a later term, as a leader or candidate its sender has not answered in that term yet"},
	},
	Counters: []system.Counter{
		{Name: CounterLeaderChange, Description: "leaders elected after the first"},
		{Name: CounterUnplannedChange, Description: "leaders elected after the first, less those that followed a leader's commit of its own removal from the configuration (it steps down by design)"},
		{Name: CounterSnapshotInstalled, Description: "snapshots a server installed from the leader"},
		{Name: CounterMembershipChange, Description: "membership changes the operator saw commit"},
		{Name: CounterDivergedRejoin, Description: "servers the figure7 program brought back with a log whose last entry the majority's leader does not hold"},
		{Name: CounterDeposedRead, Description: "reads the deposed-read program saw a deposed leader take just before the held acknowledgements of its old round"},
		{Name: CounterFigure8Overwrite, Description: "cycles of the figure8-steps program that reached the last step: the rival's side electing a leader after the comeback leader first committed"},
		{Name: CounterBackToBackChange, Description: "removals the conf-burst program asked of a leader while a change it appended was uncommitted"},
		{Name: CounterSnapshotReplayed, Description: "old InstallSnapshots the snapshot-replay program delivered again"},
		{Name: CounterStaleReply, Description: "answers of an earlier term the stale-replies program delivered again to a leader or candidate of a later term"},
	},
	// A leader that commits its own removal steps down by design, when
	// the change commits: that can be long after the remove-server fault
	// struck (it waits for a leader), so the election that follows is not
	// a deposition the quiet windows should see.
	Steady:    []string{CounterUnplannedChange},
	Scenarios: system.ScenarioDir(builtin, "scenarios"),
	Liveness:  liveness,
})

// liveness is what Raft promises with cfg while a majority can talk.
//
//   - An election within ElectWithin: a round of PreVote and vote takes
//     at most an election timeout and a round trip, and a split vote
//     repeats it, each time with a fresh random timeout; eight rounds of
//     the longest timeout is 6.5840's 5 s with the default timeouts.
//     Without PreVote and with CheckQuorum, a follower that rejoins with
//     a higher term deposes the leader, whose followers then ignore its
//     votes while their stickiness lasts, which may repeat
//     (docs/MUTATION.md): the bound is doubled.
//   - Step-down: a leader that exchanges messages with a server in a
//     higher term is answered in it at its next heartbeat, and steps
//     down at once. With CheckQuorum a leader cut off from a majority
//     steps down too: it counts its active followers every
//     ElectionTimeoutMin, so it does at the second count after the
//     cut, at most 2 ElectionTimeoutMin later, or the third if a
//     message sent before the cut arrives after it. 3 ElectionTimeoutMin
//     covers both, and the sampling, for delays below
//     ElectionTimeoutMin.
//   - A stable leader (PreVote only): a follower that still hears from
//     the leader refuses pre-votes, so nobody connected can depose it;
//     without PreVote, a follower that missed heartbeats raises its
//     term and does. A candidate that won its pre-vote as the leader
//     was elected may still depose it, within an election timeout.
//   - Heartbeats: a leader's timer sends each follower one every
//     HeartbeatInterval, and a new leader's first is HeartbeatInterval
//     after its win, which is after its last as an earlier leader; so no
//     second holds more than 1 s / HeartbeatInterval of them, rounded
//     up, and 1 + 1 s / HeartbeatInterval is the bound. A ReadIndex read
//     sends a round of its own, which the read excuses; a lease read
//     sends none.
func liveness(cfg raft.Config) system.Liveness {
	l := system.Liveness{
		ElectWithin:    8 * cfg.ElectionTimeoutMax,
		StepDownWithin: 3 * cfg.ElectionTimeoutMin,
		CutOffStepDown: cfg.CheckQuorum,
	}
	// A configuration without an interval is refused by Validate,
	// which runs after the promises are read from it.
	if cfg.HeartbeatInterval > 0 {
		l.Heartbeats = system.HeartbeatRate{PerSecond: 1 + int(time.Second/cfg.HeartbeatInterval), Heartbeat: isHeartbeat, Read: client.IsGet}
	}
	if cfg.PreVote {
		l.StableAfter = cfg.ElectionTimeoutMax
	}
	if cfg.CheckQuorum && !cfg.PreVote {
		l.ElectWithin *= 2
	}
	return l
}

func isHeartbeat(msg any) bool { _, ok := msg.(raft.Heartbeat); return ok }

// rate paces each client at perClient operations per second: its think
// time between an answer and its next request is 1/perClient on average.
func rate(wl *client.WorkloadConfig, perClient float64) error {
	wl.ThinkMin, wl.ThinkMax = system.ThinkTimes(perClient)
	return nil
}

func validate(cfg raft.Config, wl client.WorkloadConfig, shape system.Shape) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	if len(cfg.Members) > 0 || cfg.Join {
		return fmt.Errorf("system.config: members and join are set by the harness from servers and spares")
	}
	if shape.Clients > 0 {
		wl.Client.ID = 1
		wl.Client.Servers = []sim.HostID{0}
		if err := wl.Validate(); err != nil {
			return fmt.Errorf("workload.%w", err)
		}
	}
	return nil
}

// cluster is a Raft cluster under test.
type cluster struct {
	w        *sim.World
	all      []sim.HostID
	keys     []string
	safety   *raftcheck.Safety
	counter  *counter
	tap      *rafttest.Tap // fans events out to the counter and to programs
	admin    *raft.Admin
	adminID  sim.HostID
	hist     kvhistory.History
	replays  int // snapshots the snapshot-replay program delivered again
	diverged int // servers the figure7 program brought back with a divergent log
	deposed  int // reads the deposed-read program got to a deposed leader
	figure8  int // cycles of the figure8-steps program that reached its last step
	bursts   int // removals the conf-burst program asked while a change was uncommitted
	stale    int // answers the stale-replies program delivered in a later term
	// compared is what replicasEqual compared last, and equal its
	// verdict; spare holds the slice it compares into next.
	compared, spare []replicaVersion
	equal           bool
}

// replicaVersion is what decides a live member's state machine, for
// replicasEqual: the node instance (a restart makes a new one), its
// snapshot index and its applied index. An instance's state changes only
// when it applies an entry (its applied index grows) or installs a
// snapshot (its snapshot index grows, even with the planted
// install-old-snapshot bug), and neither ever shrinks while the snapshot
// stays, so the same version always means the same state.
type replicaVersion struct {
	id            sim.HostID
	node          *raft.Node
	snap, applied uint64
}

// counter observes elections and snapshot installs for the counters, and
// passes everything on to the safety checker.
type counter struct {
	*raftcheck.Safety
	elections int
	restores  int
	// planned counts the elections that followed a leader's commit of its
	// own removal from the configuration (it steps down by design);
	// removed says such a leader stepped down and no one has won since.
	// removedIn keeps a leader's removal counted once per term.
	planned   int
	removed   bool
	removedIn map[sim.HostID]uint64
}

func (c *counter) BecameLeader(n *raft.Node) {
	c.elections++
	if c.removed {
		c.planned++
		c.removed = false
	}
	c.Safety.BecameLeader(n)
}

func (c *counter) Applied(n *raft.Node, e *raft.Entry) {
	if e.Kind == raft.EntryConf && n.Role() == raft.Leader && !slices.Contains(e.Members, n.ID()) && c.removedIn[n.ID()] != n.Term() {
		if c.removedIn == nil {
			c.removedIn = map[sim.HostID]uint64{}
		}
		c.removedIn[n.ID()] = n.Term()
		c.removed = true
	}
	c.Safety.Applied(n, e)
}

func (c *counter) Restored(n *raft.Node, s *raft.Snapshot) {
	c.restores++
	c.Safety.Restored(n, s)
}

func build(cfg raft.Config, wl client.WorkloadConfig, c *system.Cluster) (*system.Instance, error) {
	r := &cluster{w: c.World, safety: raftcheck.NewSafety(), adminID: sim.NoHost}
	r.safety.Names = c.World.HostName
	r.counter = &counter{Safety: r.safety}
	r.tap = &rafttest.Tap{Next: r.counter}
	cfg.Observer = r.tap
	r.all = c.ServerIDs()
	spares := c.Spares()
	if len(spares) > 0 {
		cfg.Members = c.Members()
	}
	for _, id := range r.all {
		sc := cfg
		sc.Join = slices.Contains(spares, id)
		if _, err := c.AddServer(c.Peers(id), raft.New(sc)); err != nil {
			return nil, err
		}
	}
	for i := 0; i < wl.Keys; i++ {
		r.keys = append(r.keys, fmt.Sprintf("k%d", i))
	}
	rec := kvhistory.NewTracing(&r.hist, c.World, c.ClientID(0))
	for i := 0; i < c.Shape.Clients; i++ {
		cw := wl
		cw.Client.ID = uint64(i + 1)
		cw.Client.Servers = slices.Clone(r.all)
		if stop := c.ClientStop(); cw.StopAt == 0 || cw.StopAt > stop {
			cw.StopAt = stop
		}
		work, err := client.NewWorkload(cw, rec)
		if err != nil {
			return nil, fmt.Errorf("workload: %w", err)
		}
		if _, err := c.AddClient(work.Node); err != nil {
			return nil, err
		}
	}
	if c.Uses(ProgramConfSplit) || c.Uses(ProgramRemovedQuorum) || c.Uses(ProgramConfBurst) || c.Uses(FaultAddServer) || c.Uses(FaultRemoveServer) || c.Uses(FaultTransferLeader) {
		r.admin = raft.NewAdmin(r.all)
		id, err := c.AddHost(sim.HostConfig{Name: "admin", Factory: r.admin.Node})
		if err != nil {
			return nil, err
		}
		r.adminID = id
	}
	return &system.Instance{
		Members:       r.members,
		Leader:        r.leader,
		Invariant:     r.safety.Hook(500), // log matching in full every 500 events
		FinalCheck:    r.safety.CheckLogs,
		Replicas:      r.replicas,
		ReplicasEqual: r.replicasEqual,
		Counter:       r.count,
		Fault:         r.fault,
		Program:       r.program,
		History:       checker.RecordedKV(&r.hist),
		State:         r.state,
		Term:          r.term,
		Leads:         r.leads,
		Background:    []string{fmt.Sprintf("%T", raft.Heartbeat{}), fmt.Sprintf("%T", raft.HeartbeatResponse{})},
	}, nil
}

// leads reports whether a live server believes it is the leader.
func (r *cluster) leads(id sim.HostID) bool {
	n := r.node(id)
	return n != nil && n.Role() == raft.Leader
}

// state is a node's role and term, for the failure page ("leader t3").
func (r *cluster) state(id sim.HostID) string {
	n := r.node(id)
	if n == nil {
		return ""
	}
	return fmt.Sprintf("%v t%d", n.Role(), n.Term())
}

// term is a live node's current term.
func (r *cluster) term(id sim.HostID) (uint64, bool) {
	if n := r.node(id); n != nil {
		return n.Term(), true
	}
	return 0, false
}

func (r *cluster) node(id sim.HostID) *raft.Node {
	h := r.w.Host(id)
	if h == nil || !h.Up() {
		return nil
	}
	n, _ := h.Node().(*raft.Node)
	return n
}

// leader is the live leader with the highest term.
func (r *cluster) leader() sim.HostID {
	best, term := sim.NoHost, uint64(0)
	for _, id := range r.all {
		if n := r.node(id); n != nil && n.Role() == raft.Leader && n.Term() >= term {
			best, term = id, n.Term()
		}
	}
	return best
}

// members is the configuration of the most up-to-date live node.
func (r *cluster) members() []sim.HostID {
	var best *raft.Node
	for _, id := range r.all {
		n := r.node(id)
		if n == nil || n.MemberCount() == 0 {
			continue
		}
		if best == nil || n.Term() > best.Term() || (n.Term() == best.Term() && n.LastIndex() > best.LastIndex()) {
			best = n
		}
	}
	if best == nil {
		return slices.Clone(r.all)
	}
	m := best.Members()
	slices.Sort(m)
	return m
}

// replicas are the data each live member serves, for convergence.
func (r *cluster) replicas() []checker.Replica {
	var out []checker.Replica
	for _, id := range r.members() {
		n := r.node(id)
		if n == nil {
			continue
		}
		data := map[string]string{}
		for _, k := range r.keys {
			if v, ok := n.Value(k); ok {
				data[k] = v
			}
		}
		out = append(out, checker.Replica{Name: r.w.Host(id).Name(), State: data})
	}
	return out
}

// replicasEqual is replicas' states compared in place: every live
// member's node holds the same value, or none, under every key, which is
// what comparing the maps replicas builds decides.
//
// The convergence check samples it every 20 ms of the heal phase, when
// most samples find no member has applied anything since the one
// before: those give the verdict of the last comparison again.
func (r *cluster) replicasEqual() bool {
	versions := r.spare[:0]
	for _, id := range r.members() {
		if n := r.node(id); n != nil {
			versions = append(versions, replicaVersion{id: id, node: n, snap: n.SnapshotIndex(), applied: n.LastApplied()})
		}
	}
	if r.compared != nil && slices.Equal(versions, r.compared) {
		r.spare = versions
		return r.equal
	}
	live := make([]kvstore.Holder, len(versions))
	for i, v := range versions {
		live[i] = v.node
	}
	r.equal = kvstore.SameValues(r.keys, live...)
	r.spare, r.compared = r.compared, versions
	return r.equal
}

func (r *cluster) count(name string) int {
	switch name {
	case CounterLeaderChange:
		return max(0, r.counter.elections-1)
	case CounterUnplannedChange:
		return max(0, r.counter.elections-1-r.counter.planned)
	case CounterSnapshotInstalled:
		return r.counter.restores
	case CounterDivergedRejoin:
		return r.diverged
	case CounterDeposedRead:
		return r.deposed
	case CounterSnapshotReplayed:
		return r.replays
	case CounterFigure8Overwrite:
		return r.figure8
	case CounterBackToBackChange:
		return r.bursts
	case CounterStaleReply:
		return r.stale
	case CounterMembershipChange:
		changes := 0
		if r.admin != nil {
			for _, res := range r.admin.Results() {
				if _, ok := res.Request.(raft.ConfChange); ok && res.Status == raft.AdminOK {
					changes++
				}
			}
		}
		return changes
	}
	return 0
}

// fault carries out a membership or leadership fault through the operator.
func (r *cluster) fault(f system.Fault, n system.Nemesis) {
	if r.admin == nil {
		return
	}
	members := r.members()
	leader := r.leader()
	rng := n.Rand()
	switch f.Kind {
	case FaultAddServer:
		var outside []sim.HostID
		for _, id := range r.all {
			if !slices.Contains(members, id) {
				outside = append(outside, id)
			}
		}
		if t := n.Resolve(f.Target, ""); f.Target != "" && len(t) == 1 && !slices.Contains(members, t[0]) {
			outside = t
		}
		if len(outside) > 0 {
			r.admin.AddServer(outside[rng.IntN(len(outside))])
		}
	case FaultRemoveServer:
		var candidates []sim.HostID
		for _, id := range members {
			if id != leader {
				candidates = append(candidates, id)
			}
		}
		if t := n.Resolve(f.Target, ""); f.Target != "" && len(t) == 1 && slices.Contains(members, t[0]) {
			candidates = t
		}
		if len(candidates) > 0 && len(members) > 1 {
			r.admin.RemoveServer(candidates[rng.IntN(len(candidates))])
		}
	case FaultTransferLeader:
		if t := n.Resolve(f.Target, "follower"); len(t) == 1 {
			r.admin.TransferLeadership(t[0])
		}
	}
}

func (r *cluster) program(name string, n system.Nemesis) func() {
	c := &rafttest.Cluster{World: r.w, Net: n.Net(), Servers: slices.Clone(r.all), Admin: r.admin, Rand: n.Rand(),
		Cut: func(h sim.HostID, from, to time.Duration) {
			n.Struck("isolate", name+" cut the server off", from, to, h)
		}}
	switch name {
	case ProgramFigure8:
		rafttest.Figure8(c, r.tap, 1)
		return func() { r.tap.Elected, r.tap.FirstCommit = nil, nil; c.Close() }
	case ProgramFigure8Steps:
		p := rafttest.NewFigure8Steps(c, r.tap)
		p.Crashed = func(h sim.HostID, at time.Duration) {
			n.Struck("crash", name+" crashed the leader of the minority", at, at, h)
		}
		p.Cycles = func(time.Duration) { r.figure8++ }
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramCrashVote:
		p := rafttest.NewCrashAfterVote(c)
		p.Crashed = func(h sim.HostID, at time.Duration) {
			n.Struck("crash", name+" crashed the server after a vote or a term change", at, at, h)
		}
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramFigure7:
		p := rafttest.NewFigure7(c)
		p.Diverged = func(sim.HostID, time.Duration) { r.diverged++ }
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramDeposedRead:
		p := rafttest.NewDeposedRead(c, r.tap)
		p.Released = func(sim.HostID, time.Duration) { r.deposed++ }
		p.Struck = func(h sim.HostID, from, to time.Duration) {
			n.Struck("isolate", name+" cut the leader off and stepped its clock back", from, to, h)
		}
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramSnapshotReplay:
		p := rafttest.NewSnapshotReplay(c, r.tap)
		p.Replayed = func(from, to sim.HostID, index uint64, at time.Duration) {
			r.replays++
			n.Struck("replay", fmt.Sprintf("%s delivered %s's snapshot of index %d again", name, r.w.HostName(from), index), at, at, to)
		}
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramRemovedQuorum:
		if r.admin == nil {
			return func() {}
		}
		p := rafttest.NewRemovedQuorum(c)
		p.Removed = func(leader, removed sim.HostID, at time.Duration) {
			n.Struck("partition", fmt.Sprintf("%s cut %s off with the server it was asked to remove", name, r.w.HostName(leader)), at, at, removed)
		}
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramConfBurst:
		if r.admin == nil {
			return func() {}
		}
		p := rafttest.NewConfBurst(c, r.tap)
		p.Asked = func(leader, removed sim.HostID, at time.Duration) {
			r.bursts++
			n.Struck("remove", fmt.Sprintf("%s asked %s to remove a server before its last change committed", name, r.w.HostName(leader)), at, at, removed)
		}
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramStaleReplies:
		p := rafttest.NewStaleReplies(c, r.tap)
		p.Replayed = func(from, to sim.HostID, what string, at time.Duration) {
			r.stale++
			n.Struck("replay", fmt.Sprintf("%s delivered %s's %s again, in a later term", name, r.w.HostName(from), what), at, at, to)
		}
		p.Start()
		return func() { p.Stop(); c.Close() }
	case ProgramConfSplit:
		if r.admin == nil {
			return func() {}
		}
		cs := rafttest.NewConfSplit(c, r.tap)
		cs.Start()
		return func() { cs.Stop(); c.Close() }
	}
	return func() {}
}
