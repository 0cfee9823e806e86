package scenarios

import (
	"fmt"
	"slices"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftcheck"
	"github.com/detsim/detsim/nodes/raft/rafttest"
	"github.com/detsim/detsim/sim"
)

// systemRun is the runner's handle on the system under test in one world.
// Adding a system to detsim means writing a builder that returns one.
type systemRun interface {
	// Members are the servers in the configuration now.
	Members() []sim.HostID
	// Leader is the current leader, or NoHost.
	Leader() sim.HostID
	// Hook checks the system's invariants after an event; nil if the
	// system has none.
	Hook() func() error
	// FinalCheck runs the expensive invariants once, at the end.
	FinalCheck() error
	// Replicas are the states of the live members, for convergence.
	Replicas(keys []string) []checker.Replica
	// Admin carries out a membership or leadership fault.
	Admin(f Fault, n *nemesis)
	// Stats count what the probes look for.
	Stats() systemStats
	// StartProgram starts a targeted nemesis and returns what stops it.
	StartProgram(p Program, n *nemesis) (stop func())
}

type systemStats struct {
	LeaderChanges      int
	SnapshotsInstalled int
	MembershipChanges  int
}

// buildEnv is what a system builder gets: the world, and the host ids the
// runner has laid out (servers first, spares after them).
type buildEnv struct {
	w       *sim.World
	servers []sim.HostID // members at start
	spares  []sim.HostID
	// hostCfg makes the config of server i, with its clock skew.
	hostCfg func(i int, name string, peers []sim.HostID, f sim.Factory) sim.HostConfig
}

func buildSystem(s *Scenario, b *buildEnv) (systemRun, error) {
	switch s.System.Kind {
	case "raft":
		return buildRaft(s, b)
	case "gossip":
		return buildGossip(s, b)
	}
	return nil, fmt.Errorf("scenario %q: system.kind %q is not a known system", s.Name, s.System.Kind)
}

// raftRun is a Raft cluster under test.
type raftRun struct {
	w       *sim.World
	all     []sim.HostID
	safety  *raftcheck.Safety
	counter *raftCounter
	tap     *rafttest.Tap // fans events out to the counter and to programs
	admin   *raft.Admin
	adminID sim.HostID
}

// raftCounter observes elections and snapshot installs for the probes, and
// passes everything on to the safety checker.
type raftCounter struct {
	*raftcheck.Safety
	elections int
	restores  int
}

func (c *raftCounter) BecameLeader(n *raft.Node) { c.elections++; c.Safety.BecameLeader(n) }
func (c *raftCounter) Restored(n *raft.Node, s *raft.Snapshot) {
	c.restores++
	c.Safety.Restored(n, s)
}

func buildRaft(s *Scenario, b *buildEnv) (systemRun, error) {
	cfg := raft.DefaultConfig()
	if s.System.Raft != nil {
		cfg = *s.System.Raft
	}
	r := &raftRun{w: b.w, safety: raftcheck.NewSafety(), adminID: sim.NoHost}
	r.counter = &raftCounter{Safety: r.safety}
	r.tap = &rafttest.Tap{Next: r.counter}
	cfg.Observer = r.tap
	r.all = append(slices.Clone(b.servers), b.spares...)
	if len(b.spares) > 0 {
		cfg.Members = slices.Clone(b.servers)
	}
	for i, id := range r.all {
		c := cfg
		c.Join = slices.Contains(b.spares, id)
		peers := slices.DeleteFunc(slices.Clone(r.all), func(h sim.HostID) bool { return h == id })
		if _, err := b.w.AddHost(b.hostCfg(i, serverName(i), peers, raft.New(c))); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addAdmin gives the cluster an operator host, for membership faults.
func (r *raftRun) addAdmin() error {
	r.admin = raft.NewAdmin(r.all)
	id, err := r.w.AddHost(sim.HostConfig{Name: "admin", Factory: r.admin.Node})
	r.adminID = id
	return err
}

func (r *raftRun) node(id sim.HostID) *raft.Node {
	h := r.w.Host(id)
	if h == nil || !h.Up() {
		return nil
	}
	n, _ := h.Node().(*raft.Node)
	return n
}

// Leader is the live leader with the highest term.
func (r *raftRun) Leader() sim.HostID {
	best, term := sim.NoHost, uint64(0)
	for _, id := range r.all {
		if n := r.node(id); n != nil && n.Role() == raft.Leader && n.Term() >= term {
			best, term = id, n.Term()
		}
	}
	return best
}

// Members is the configuration of the most up-to-date live node.
func (r *raftRun) Members() []sim.HostID {
	var best *raft.Node
	for _, id := range r.all {
		n := r.node(id)
		if n == nil || len(n.Members()) == 0 {
			continue
		}
		if best == nil || n.Term() > best.Term() || (n.Term() == best.Term() && n.LastIndex() > best.LastIndex()) {
			best = n
		}
	}
	if best == nil {
		return slices.DeleteFunc(slices.Clone(r.all), func(h sim.HostID) bool { return r.admin != nil && h == r.adminID })
	}
	m := best.Members()
	slices.Sort(m)
	return m
}

// Hook checks the incremental invariants after every event, and rescans
// every log (log matching, in full) every 500 events.
func (r *raftRun) Hook() func() error { return r.safety.Hook(500) }
func (r *raftRun) FinalCheck() error  { return r.safety.CheckLogs() }

// raftState is what convergence compares: the data a replica serves.
type raftState struct {
	Applied uint64
	Data    map[string]string
}

func (r *raftRun) Replicas(keys []string) []checker.Replica {
	var out []checker.Replica
	for _, id := range r.Members() {
		n := r.node(id)
		if n == nil {
			continue
		}
		data := map[string]string{}
		for _, k := range keys {
			if v, ok := n.Value(k); ok {
				data[k] = v
			}
		}
		out = append(out, checker.Replica{Name: r.w.Host(id).Name(), State: data})
	}
	return out
}

func (r *raftRun) Admin(f Fault, n *nemesis) {
	if r.admin == nil {
		return
	}
	members := r.Members()
	leader := r.Leader()
	switch f.Kind {
	case FaultAddServer:
		var outside []sim.HostID
		for _, id := range r.all {
			if !slices.Contains(members, id) {
				outside = append(outside, id)
			}
		}
		if t := n.resolve(f.Target, ""); f.Target != "" && len(t) == 1 && !slices.Contains(members, t[0]) {
			outside = t
		}
		if len(outside) > 0 {
			r.admin.AddServer(outside[n.rng.IntN(len(outside))])
		}
	case FaultRemoveServer:
		var candidates []sim.HostID
		for _, id := range members {
			if id != leader {
				candidates = append(candidates, id)
			}
		}
		if t := n.resolve(f.Target, ""); f.Target != "" && len(t) == 1 && slices.Contains(members, t[0]) {
			candidates = t
		}
		if len(candidates) > 0 && len(members) > 1 {
			r.admin.RemoveServer(candidates[n.rng.IntN(len(candidates))])
		}
	case FaultTransferLeader:
		if t := n.resolve(f.Target, "follower"); len(t) == 1 {
			r.admin.TransferLeadership(t[0])
		}
	}
}

func (r *raftRun) StartProgram(p Program, n *nemesis) func() {
	c := &rafttest.Cluster{World: r.w, Net: n.net, Servers: slices.Clone(r.all), Admin: r.admin, Rand: n.rng}
	switch p.Name {
	case ProgramFigure8:
		rafttest.Figure8(c, r.tap, 1)
		return func() { r.tap.Elected, r.tap.FirstCommit = nil, nil }
	case ProgramConfSplit:
		if r.admin == nil {
			return func() {}
		}
		cs := rafttest.NewConfSplit(c, r.tap)
		cs.Start()
		return cs.Stop
	}
	return func() {}
}

func (r *raftRun) Stats() systemStats {
	st := systemStats{LeaderChanges: max(0, r.counter.elections-1), SnapshotsInstalled: r.counter.restores}
	if r.admin != nil {
		for _, res := range r.admin.Results() {
			if _, ok := res.Request.(raft.ConfChange); ok && res.Status == raft.AdminOK {
				st.MembershipChanges++
			}
		}
	}
	return st
}

// gossipRun is the example gossip cluster.
type gossipRun struct {
	w       *sim.World
	servers []sim.HostID
}

func buildGossip(s *Scenario, b *buildEnv) (systemRun, error) {
	cfg := gossip.DefaultConfig()
	if s.System.Gossip != nil {
		cfg = *s.System.Gossip
	}
	factory, err := gossip.New(cfg)
	if err != nil {
		return nil, err
	}
	for i, id := range b.servers {
		peers := slices.DeleteFunc(slices.Clone(b.servers), func(h sim.HostID) bool { return h == id })
		if _, err := b.w.AddHost(b.hostCfg(i, serverName(i), peers, factory)); err != nil {
			return nil, err
		}
	}
	return &gossipRun{w: b.w, servers: b.servers}, nil
}

func (g *gossipRun) Members() []sim.HostID { return slices.Clone(g.servers) }
func (g *gossipRun) Leader() sim.HostID    { return sim.NoHost }
func (g *gossipRun) Hook() func() error    { return nil }
func (g *gossipRun) FinalCheck() error     { return nil }
func (g *gossipRun) Admin(Fault, *nemesis) {}
func (g *gossipRun) Stats() systemStats    { return systemStats{} }

func (g *gossipRun) StartProgram(Program, *nemesis) func() { return func() {} }

func (g *gossipRun) Replicas([]string) []checker.Replica {
	var out []checker.Replica
	for _, id := range g.servers {
		if h := g.w.Host(id); h.Up() {
			out = append(out, checker.Replica{Name: h.Name(), State: h.Node().(*gossip.Node).Counts()})
		}
	}
	return out
}
