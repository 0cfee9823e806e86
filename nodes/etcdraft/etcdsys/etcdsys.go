package etcdsys

import (
	"embed"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/nodes/kvstore"
	"github.com/detsim/detsim/nodes/raft/rafttest"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Names of the system's own faults, programs and counters. They are
// nodes/raft's names, so that a scenario reads the same for both.
const (
	FaultAddServer      = "add-server"
	FaultRemoveServer   = "remove-server"
	FaultTransferLeader = "transfer-leader"

	ProgramFigure8 = "figure8"

	CounterLeaderChange      = "leader-change"
	CounterSnapshotInstalled = "snapshot-installed"
	CounterMembershipChange  = "membership-change"
)

//go:embed scenarios/*.json
var builtin embed.FS

// checkEvery is how many events apart the log matching check runs in full.
const checkEvery = 500

// System is etcd's raft library (go.etcd.io/raft/v3, unchanged) as a
// key-value store, through the adapter of package etcdraft, with the same
// clients and the same kinds of checks as the "raft" system.
var System = system.MustDefine(system.Spec[etcdraft.Config, client.WorkloadConfig]{
	Name:        "etcd-raft",
	Description: "etcd's raft library (go.etcd.io/raft/v3 v3.6.0, unchanged) behind a RawNode adapter: PreVote, CheckQuorum, ReadIndex, snapshots, conf changes",
	Config:      etcdraft.DefaultConfig,
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
	},
	Counters: []system.Counter{
		{Name: CounterLeaderChange, Description: "leaders elected after the first"},
		{Name: CounterSnapshotInstalled, Description: "snapshots a server installed from the leader"},
		{Name: CounterMembershipChange, Description: "configuration changes applied"},
	},
	Steady:    []string{CounterLeaderChange},
	Scenarios: system.ScenarioDir(builtin, "scenarios"),
	Liveness:  liveness,
})

// liveness is what etcd raft promises with cfg while a majority can
// talk, in the terms of the "raft" system's (raftsys), with etcd's
// timeouts: an election timeout drawn from [ElectionTicks,
// 2 ElectionTicks) ticks, and CheckQuorum counted every ElectionTicks.
// Unlike nodes/raft, etcd refuses a pre-vote for a live leader only
// while leader stickiness holds, which is CheckQuorum's, so a stable
// leader needs both; and it answers a stale leader's heartbeat with its
// term only with CheckQuorum or PreVote on, so a stale leader is told
// of a higher term only then. A leader beats every HeartbeatTicks ticks,
// counted from its win, so no second holds more than 1 + 1 s / the
// heartbeat interval of its heartbeats to one follower, besides those a
// ReadIndex read sends (a round per read, at once, or when the term's
// first entry commits for reads it held).
func liveness(cfg etcdraft.Config) system.Liveness {
	timeout := time.Duration(cfg.ElectionTicks) * cfg.TickInterval
	l := system.Liveness{ElectWithin: 16 * timeout, CutOffStepDown: cfg.CheckQuorum}
	// Validate refuses a configuration without a heartbeat interval,
	// after the promises are read from it.
	if beat := time.Duration(cfg.HeartbeatTicks) * cfg.TickInterval; beat > 0 {
		l.Heartbeats = system.HeartbeatRate{
			PerSecond: 1 + int(time.Second/beat),
			Heartbeat: isHeartbeat,
			Read:      client.IsGet,
			// etcd keeps the reads a leader could not confirm (no entry of
			// its term committed yet) until it leads again and one does,
			// terms later if need be (seen: three reads of term 4 sent in
			// term 16, 8 s later), and then sends a round for each: an
			// election timeout from a term's first heartbeat covers that
			// first commit while a majority can talk.
			TermGrace: timeout,
		}
	}
	if cfg.PreVote && cfg.CheckQuorum {
		l.StableAfter = 2 * timeout
	}
	if cfg.CheckQuorum && !cfg.PreVote {
		l.ElectWithin *= 2
	}
	if cfg.CheckQuorum || cfg.PreVote {
		l.StepDownWithin = 3 * timeout
	}
	return l
}

// isHeartbeat: a MsgHeartbeat, leadership's periodic assertion.
func isHeartbeat(msg any) bool {
	m, ok := msg.(etcdraft.Message)
	return ok && m.Raft() != nil && m.Raft().Type == raftpb.MsgHeartbeat
}

// rate paces each client at perClient operations per second: its think
// time between an answer and its next request is 1/perClient on average.
func rate(wl *client.WorkloadConfig, perClient float64) error {
	wl.ThinkMin, wl.ThinkMax = system.ThinkTimes(perClient)
	return nil
}

func validate(cfg etcdraft.Config, wl client.WorkloadConfig, shape system.Shape) error {
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
			return fmt.Errorf("workload: %w", err)
		}
	}
	return nil
}

// cluster is an etcd raft cluster under test.
type cluster struct {
	w       *sim.World
	all     []sim.HostID
	keys    []string
	safety  *safety
	adminID sim.HostID
	hist    kvhistory.History
}

func build(cfg etcdraft.Config, wl client.WorkloadConfig, c *system.Cluster) (*system.Instance, error) {
	r := &cluster{w: c.World, safety: newSafety(), adminID: sim.NoHost}
	cfg.Observer = r.safety
	r.all = c.ServerIDs()
	spares := c.Spares()
	if len(spares) > 0 {
		cfg.Members = c.Members()
	}
	for _, id := range r.all {
		sc := cfg
		sc.Join = slices.Contains(spares, id)
		if _, err := c.AddServer(c.Peers(id), etcdraft.New(sc)); err != nil {
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
	if c.Uses(FaultAddServer) || c.Uses(FaultRemoveServer) || c.Uses(FaultTransferLeader) {
		id, err := c.AddHost(sim.HostConfig{Name: "admin", Factory: func() sim.Node { return operator{} }})
		if err != nil {
			return nil, err
		}
		r.adminID = id
	}
	return &system.Instance{
		Members:       r.members,
		Leader:        r.leader,
		Invariant:     r.invariant(),
		FinalCheck:    func() error { return r.safety.checkLogs(r.live()) },
		Replicas:      r.replicas,
		ReplicasEqual: r.replicasEqual,
		Counter:       r.count,
		Fault:         r.fault,
		Program:       r.program,
		History:       checker.RecordedKV(&r.hist),
		Term:          r.term,
		Leads:         r.leads,
	}, nil
}

// leads reports whether a live node believes it is the leader.
func (r *cluster) leads(id sim.HostID) bool {
	n := r.node(id)
	return n != nil && n.BasicStatus().RaftState == raft.StateLeader
}

// invariant reports the safety checker's first violation after every
// event, and compares the logs in full every checkEvery events.
func (r *cluster) invariant() func() error {
	events := 0
	return func() error {
		if r.safety.err != nil {
			return r.safety.err
		}
		if events++; events%checkEvery == 0 {
			return r.safety.checkLogs(r.live())
		}
		return nil
	}
}

// term is a live node's current term.
func (r *cluster) term(id sim.HostID) (uint64, bool) {
	if n := r.node(id); n != nil {
		return n.BasicStatus().Term, true
	}
	return 0, false
}

func (r *cluster) node(id sim.HostID) *etcdraft.Node {
	h := r.w.Host(id)
	if h == nil || !h.Up() {
		return nil
	}
	n, _ := h.Node().(*etcdraft.Node)
	if n == nil || n.Storage() == nil {
		return nil // not started yet
	}
	return n
}

func (r *cluster) live() []*etcdraft.Node {
	var out []*etcdraft.Node
	for _, id := range r.all {
		if n := r.node(id); n != nil {
			out = append(out, n)
		}
	}
	return out
}

// leader is the live leader with the highest term.
func (r *cluster) leader() sim.HostID {
	best, term := sim.NoHost, uint64(0)
	for _, n := range r.live() {
		if st := n.BasicStatus(); st.RaftState == raft.StateLeader && st.Term >= term {
			best, term = n.Host(), st.Term
		}
	}
	return best
}

// members is the configuration of the live node that has applied most.
func (r *cluster) members() []sim.HostID {
	var best *etcdraft.Node
	for _, n := range r.live() {
		if len(n.ConfState().Voters) > 0 && (best == nil || n.Applied() > best.Applied()) {
			best = n
		}
	}
	if best == nil {
		return slices.Clone(r.all)
	}
	var m []sim.HostID
	for _, v := range best.ConfState().Voters {
		m = append(m, etcdraft.HostOf(v))
	}
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

// replicasEqual reports whether the live members hold the same values,
// as comparing what replicas builds would, without building it.
func (r *cluster) replicasEqual() bool {
	var live []kvstore.Holder
	for _, id := range r.members() {
		if n := r.node(id); n != nil {
			live = append(live, n)
		}
	}
	return kvstore.SameValues(r.keys, live...)
}

func (r *cluster) count(name string) int {
	switch name {
	case CounterLeaderChange:
		return max(0, len(r.safety.leaders)-1)
	case CounterSnapshotInstalled:
		return r.safety.snapInstalled
	case CounterMembershipChange:
		return len(r.safety.confChanges)
	}
	return 0
}

// fault asks the leader, from the operator host, for a configuration
// change or a leadership transfer. The request crosses the network like
// any other, and is lost if the leader is cut off from the operator.
func (r *cluster) fault(f system.Fault, n system.Nemesis) {
	leader := r.leader()
	if r.adminID == sim.NoHost || leader == sim.NoHost {
		return
	}
	members := r.members()
	rng := n.Rand()
	req := etcdraft.AdminRequest{Target: sim.NoHost}
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
			req = etcdraft.AdminRequest{Kind: etcdraft.AdminAddServer, Target: outside[rng.IntN(len(outside))]}
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
			req = etcdraft.AdminRequest{Kind: etcdraft.AdminRemoveServer, Target: candidates[rng.IntN(len(candidates))]}
		}
	case FaultTransferLeader:
		if t := n.Resolve(f.Target, "follower"); len(t) == 1 && t[0] != leader {
			req = etcdraft.AdminRequest{Kind: etcdraft.AdminTransferLeader, Target: t[0]}
		}
	}
	if req.Target != sim.NoHost {
		n.Net().Send(r.adminID, leader, req)
	}
}

// operator is the host membership and leadership requests come from; it
// needs no state of its own.
type operator struct{}

func (operator) Start(sim.Env)           {}
func (operator) Receive(sim.HostID, any) {}
func (operator) Timer(sim.TimerID, any)  {}

// program runs figure8: new leaders are cut off, at random, as they are
// elected or first commit in their term, one server cut off at a time.
func (r *cluster) program(name string, n system.Nemesis) func() {
	if name != ProgramFigure8 {
		return func() {}
	}
	c := &rafttest.Cluster{World: r.w, Net: n.Net(), Servers: slices.Clone(r.all), Rand: n.Rand(),
		Cut: func(h sim.HostID, from, to time.Duration) {
			n.Struck("isolate", name+" cut the server off", from, to, h)
		}}
	cut := func(h sim.HostID) {
		if cut := c.Isolated(); len(cut) > 0 {
			c.Rejoin(cut[0])
		}
		c.Isolate(h)
	}
	r.safety.elected = func(nd *etcdraft.Node) {
		if c.Rand.IntN(2) == 0 {
			cut(nd.Host())
		}
	}
	r.safety.firstCommit = func(nd *etcdraft.Node) {
		if c.Rand.IntN(2) == 0 {
			h := nd.Host()
			r.w.After(0, func() { cut(h) })
		}
	}
	return func() { r.safety.elected, r.safety.firstCommit = nil, nil; c.Close() }
}
