package dynamosys

import (
	"embed"
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/dynamo"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Names of the store's counters.
const (
	CounterLostWrites        = "lost-writes"
	CounterStaleElements     = "stale-elements"
	CounterNeverRead         = "never-read"
	CounterResurrected       = "resurrected"
	CounterSiblingsP50       = "siblings-p50"
	CounterSiblingsP99       = "siblings-p99"
	CounterSiblingsMax       = "siblings-max"
	CounterVisibilityP50     = "visibility-p50-ms"
	CounterVisibilityP99     = "visibility-p99-ms"
	CounterVisibilityMax     = "visibility-max-ms"
	CounterConvergence       = "convergence-ms"
	CounterAntiEntropyBytes  = "anti-entropy-bytes"
	CounterAntiEntropyRepair = "anti-entropy-repairs"
	CounterHintsStored       = "hints-stored"
	CounterHintsDelivered    = "hints-delivered"
	CounterReadRepairs       = "read-repairs"
	CounterTombstonesReaped  = "tombstones-reaped"
	CounterForwarded         = "forwarded"
	CounterStaleReads        = "stale-reads"
	CounterVersionRegression = "version-regressions"
)

//go:embed scenarios/*.json
var builtin embed.FS

// System is the Dynamo-style store of package dynamo.
var System = system.MustDefine(system.Spec[dynamo.Config, dynamo.Workload]{
	Name:        "dynamo",
	Description: "the Dynamo-style store of nodes/dynamo: a ring with vnodes, N/R/W with strict or sloppy quorums, hinted handoff, dotted version vectors, read repair, Merkle anti-entropy, gossip",
	Config:      dynamo.DefaultConfig,
	Workload:    dynamo.DefaultWorkload,
	Validate:    validate,
	Build:       build,
	Rate:        rate,
	Promises:    system.Promises{History: true, Invariants: true, Convergence: true, Staleness: true},
	Counters: []system.Counter{
		{Name: CounterLostWrites, Description: "acknowledged set adds missing from a final read"},
		{Name: CounterStaleElements, Description: "acknowledged adds some later read missed, though not lost"},
		{Name: CounterNeverRead, Description: "acknowledged adds no read began after"},
		{Name: CounterResurrected, Description: "deletes whose values a final read found again"},
		{Name: CounterSiblingsP50, Description: "median siblings per read"},
		{Name: CounterSiblingsP99, Description: "p99 of siblings per read"},
		{Name: CounterSiblingsMax, Description: "the most siblings one read returned"},
		{Name: CounterVisibilityP50, Description: "median time from an add's acknowledgement to its visibility, ms"},
		{Name: CounterVisibilityP99, Description: "p99 of the time from an add's acknowledgement to its visibility, ms"},
		{Name: CounterVisibilityMax, Description: "the longest time from an add's acknowledgement to its visibility, ms"},
		{Name: CounterConvergence, Description: "ms from the later of heal and client stop until every key's replicas agreed (-1: never)"},
		{Name: CounterAntiEntropyBytes, Description: "bytes of Merkle-tree anti-entropy traffic"},
		{Name: CounterAntiEntropyRepair, Description: "objects anti-entropy changed"},
		{Name: CounterHintsStored, Description: "hints fallbacks stored for unreachable replicas"},
		{Name: CounterHintsDelivered, Description: "hints handed off to their targets and removed"},
		{Name: CounterReadRepairs, Description: "replicas a get repaired"},
		{Name: CounterTombstonesReaped, Description: "keys forgotten once their tombstones outlived the grace"},
		{Name: CounterForwarded, Description: "writes forwarded to a replica of their key"},
		{Name: CounterStaleReads, Description: "register reads that missed a completed newer write"},
		{Name: CounterVersionRegression, Description: "times a replica's version of a key went backwards"},
	},
	Scenarios: system.ScenarioDir(builtin, "scenarios"),
})

// rate paces each client at perClient operations per second: its think
// time between an answer and its next request is 1/perClient on average.
func rate(wl *dynamo.Workload, perClient float64) error {
	wl.ThinkMin, wl.ThinkMax = system.ThinkTimes(perClient)
	return nil
}

func validate(cfg dynamo.Config, wl dynamo.Workload, shape system.Shape) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	if cfg.N > shape.Servers {
		return fmt.Errorf("system.config: n (%d) exceeds the %d servers", cfg.N, shape.Servers)
	}
	if shape.Spares > 0 {
		return fmt.Errorf("spares: the dynamo system has no membership changes")
	}
	if shape.Clients > 0 {
		w := wl
		w.Client.ID, w.Client.Servers = 1, []sim.HostID{0}
		if err := w.Validate(); err != nil {
			return fmt.Errorf("workload: %w", err)
		}
	}
	return nil
}

// store is one built instance.
type store struct {
	w        *sim.World
	cfg      dynamo.Config
	servers  []sim.HostID
	keys     []string
	prefs    [][]sim.HostID // prefs[i] is keys[i]'s primaries, first to last
	hist     *dynamo.History
	counts   [256]int // by dynamo.Count, a uint8: the observer counts every read
	regress  []string // the first few regressions, for the invariant's message
	nregress int

	settleAt    time.Duration // the later of the heal and the clients' stop
	convergedAt time.Duration // start of the current converged streak; -1 if diverged
	bound       time.Duration

	// stores counts the replicas' changes (Stored, Reaped): replicas that
	// have not changed, on the same running servers, compare as they did
	// (agreed). After the heal the sampling asks again and again of
	// replicas that have settled.
	stores int
	agreed struct {
		stores     int
		nodes      []*dynamo.Node // by position in servers: the running node, or nil
		equal      bool           // replicasEqual's answer, if equalOK
		equalOK    bool
		diverged   string // diverged's answer, if divergedOK
		divergedOK bool
	}
}

// settled forgets the answers agreed holds unless the replicas are as
// they were when it took them: no change stored or reaped since, and the
// same nodes running.
func (s *store) settled() {
	a := &s.agreed
	same := a.nodes != nil && a.stores == s.stores
	for i, id := range s.servers {
		if same && s.node(id) != a.nodes[i] {
			same = false
		}
	}
	if same {
		return
	}
	a.stores, a.equalOK, a.divergedOK = s.stores, false, false
	a.nodes = a.nodes[:0]
	for _, id := range s.servers {
		a.nodes = append(a.nodes, s.node(id))
	}
}

func (s *store) Stored(node sim.HostID, key string, before, after dynamo.Object) {
	s.stores++
	back := false
	if s.cfg.LastWriteWins {
		back = !before.Empty() && (after.Empty() || latest(after) < latest(before))
	} else {
		back = !after.Descends(before)
	}
	if back {
		s.nregress++
		if len(s.regress) < 3 {
			s.regress = append(s.regress, fmt.Sprintf("%s on %s at %v: %s -> %s", key, s.w.Host(node).Name(), s.w.Now(),
				dynamo.EncodeContext(before.Context()), dynamo.EncodeContext(after.Context())))
		}
	}
}

func latest(o dynamo.Object) time.Duration {
	var t time.Duration
	for i, sb := range o.Siblings {
		if i == 0 || sb.Time > t {
			t = sb.Time
		}
	}
	return t
}

func (s *store) Reaped(sim.HostID, string, dynamo.Object)  { s.stores++ }
func (s *store) Count(_ sim.HostID, c dynamo.Count, n int) { s.counts[c] += n }

func build(cfg dynamo.Config, wl dynamo.Workload, c *system.Cluster) (*system.Instance, error) {
	s := &store{w: c.World, cfg: cfg, servers: c.ServerIDs(), hist: dynamo.NewHistory(c.World.Now), convergedAt: -1, bound: wl.ConvergenceBound}
	cfg.Observer = s
	factory, err := dynamo.New(cfg)
	if err != nil {
		return nil, err
	}
	for _, id := range s.servers {
		if _, err := c.AddServer(c.Peers(id), factory); err != nil {
			return nil, err
		}
	}
	for i := 0; i < wl.SetKeys; i++ {
		s.keys = append(s.keys, dynamo.SetKey(i))
	}
	for i := 0; i < wl.RegisterKeys; i++ {
		s.keys = append(s.keys, dynamo.RegisterKey(i))
	}
	// Membership is fixed, so every server's ring is this one.
	ring, err := dynamo.NewRing(s.servers, cfg.Vnodes)
	if err != nil {
		return nil, err
	}
	for _, k := range s.keys {
		s.prefs = append(s.prefs, ring.Preference(k, cfg.N))
	}
	s.hist.SiblingsMax = wl.SiblingsMax
	stop := wl.StopAt
	if stop == 0 || stop+wl.FinalDelay > c.ClientStop() {
		stop = max(0, c.ClientStop()-wl.FinalDelay)
	}
	for i := 0; i < c.Shape.Clients; i++ {
		cw := wl
		cw.Client.ID = uint64(i + 1)
		cw.Client.Servers = slices.Clone(s.servers)
		cw.StopAt = stop
		f, err := dynamo.NewClient(cw, s.hist)
		if err != nil {
			return nil, fmt.Errorf("workload: %w", err)
		}
		if _, err := c.AddClient(f); err != nil {
			return nil, err
		}
	}
	s.settleAt = c.FaultPhase
	if c.Shape.Clients > 0 {
		s.settleAt = max(s.settleAt, stop)
	}
	end := c.FaultPhase + c.HealPhase
	var samples []time.Duration
	for t := s.settleAt; t <= end; t += 20 * time.Millisecond {
		samples = append(samples, t)
	}
	c.World.AtEach(samples, s.watchConvergence)
	return &system.Instance{
		Members:       s.members,
		Invariant:     s.invariant,
		FinalCheck:    s.finalCheck,
		Replicas:      s.replicas,
		ReplicasEqual: s.replicasEqual,
		Counter:       s.count,
		History:       s.hist,
	}, nil
}

// members are the servers, fixed for the run: one slice for every call
// (the convergence sampling asks at each sample), which the harness only
// reads.
func (s *store) members() []sim.HostID { return s.servers }

func (s *store) node(id sim.HostID) *dynamo.Node {
	h := s.w.Host(id)
	if h == nil || !h.Up() {
		return nil
	}
	n, _ := h.Node().(*dynamo.Node)
	return n
}

// diverged names a key whose live replicas differ, or returns "".
func (s *store) diverged() string {
	s.settled()
	if a := &s.agreed; !a.divergedOK {
		a.diverged, a.divergedOK = s.divergedKey(), true
	}
	return s.agreed.diverged
}

func (s *store) divergedKey() string {
	for i, k := range s.keys {
		var first dynamo.Object
		for j, p := range s.prefs[i] {
			n := s.node(p)
			if n == nil {
				return k
			}
			if o := n.Object(k); j == 0 {
				first = o
			} else if !o.Equal(first) {
				return k
			}
		}
	}
	return ""
}

func (s *store) watchConvergence() {
	switch {
	case s.diverged() != "":
		s.convergedAt = -1
	case s.convergedAt < 0:
		s.convergedAt = s.w.Now()
	}
}

func (s *store) invariant() error {
	if s.nregress > 0 {
		return fmt.Errorf("a replica's version went backwards %d times: %v", s.nregress, s.regress)
	}
	return nil
}

func (s *store) finalCheck() error {
	if err := s.invariant(); err != nil {
		return err
	}
	if s.bound == 0 {
		return nil
	}
	if s.convergedAt < 0 {
		return fmt.Errorf("replicas of %s still differ at the end, %v after the heal and the clients' stop (bound %v)", s.diverged(), s.w.Now()-s.settleAt, s.bound)
	}
	if d := s.convergedAt - s.settleAt; d > s.bound {
		return fmt.Errorf("replicas took %v to converge after the heal and the clients' stop, over the bound of %v", d, s.bound)
	}
	return nil
}

// sibling is a sibling as convergence compares it.
type sibling struct {
	Dot       string
	Past      string
	Value     string
	Tombstone bool
}

// replicas are pseudo-replicas: replica-i holds, for every key, the
// siblings of the key's i-th primary, so that all are equal exactly when
// every key's replicas agree.
func (s *store) replicas() []checker.Replica {
	out := make([]checker.Replica, s.cfg.N)
	for i := range out {
		state := map[string][]sibling{}
		for j, k := range s.keys {
			p := s.prefs[j][i]
			n := s.node(p)
			if n == nil {
				state[k] = []sibling{{Value: "<" + s.w.Host(p).Name() + " is down>"}}
				continue
			}
			var sibs []sibling
			for _, sb := range n.Object(k).Siblings {
				sibs = append(sibs, sibling{Dot: fmt.Sprintf("%d:%d", sb.Dot.Node, sb.Dot.Counter), Past: dynamo.EncodeContext(sb.Past), Value: sb.Value, Tombstone: sb.Tombstone})
			}
			state[k] = sibs
		}
		out[i] = checker.Replica{Name: fmt.Sprintf("replica-%d", i+1), State: state}
	}
	return out
}

func (s *store) setReport() dynamo.SetReport { return s.hist.Analyze() }

func (s *store) count(name string) int {
	switch name {
	case CounterLostWrites:
		return s.setReport().Lost
	case CounterStaleElements:
		return s.setReport().Stale
	case CounterNeverRead:
		return s.setReport().NeverRead
	case CounterResurrected:
		return s.setReport().Resurrected
	case CounterSiblingsP50:
		return s.setReport().SiblingsP50
	case CounterSiblingsP99:
		return s.setReport().SiblingsP99
	case CounterSiblingsMax:
		return s.setReport().SiblingsMax
	case CounterVisibilityP50:
		return int(s.setReport().VisibilityP50 / time.Millisecond)
	case CounterVisibilityP99:
		return int(s.setReport().VisibilityP99 / time.Millisecond)
	case CounterVisibilityMax:
		return int(s.setReport().VisibilityMax / time.Millisecond)
	case CounterConvergence:
		if s.convergedAt < 0 {
			return -1
		}
		return int((s.convergedAt - s.settleAt) / time.Millisecond)
	case CounterAntiEntropyBytes:
		return s.counts[dynamo.CountAntiEntropyBytes]
	case CounterAntiEntropyRepair:
		return s.counts[dynamo.CountAntiEntropyRepair]
	case CounterHintsStored:
		return s.counts[dynamo.CountHintStored]
	case CounterHintsDelivered:
		return s.counts[dynamo.CountHintDelivered]
	case CounterReadRepairs:
		return s.counts[dynamo.CountReadRepair]
	case CounterTombstonesReaped:
		return s.counts[dynamo.CountTombstoneReaped]
	case CounterForwarded:
		return s.counts[dynamo.CountForwarded]
	case CounterStaleReads:
		st, _ := s.hist.Staleness()
		return st.ReadsStale
	case CounterVersionRegression:
		return s.nregress
	}
	return 0
}

// replicasEqual reports whether the pseudo-replicas of replicas are all
// equal, without building them: every key's primaries hold the same
// siblings, compared as replicas writes them (dot, past, value and
// tombstone; not the time). A primary that is down is written as its
// host's name, which only another down primary of the same name equals.
func (s *store) replicasEqual() bool {
	s.settled()
	if a := &s.agreed; !a.equalOK {
		a.equal, a.equalOK = s.compareReplicas(), true
	}
	return s.agreed.equal
}

func (s *store) compareReplicas() bool {
	for i, k := range s.keys {
		prefs := s.prefs[i]
		first := s.node(prefs[0])
		for _, p := range prefs[1:] {
			n := s.node(p)
			switch {
			case first == nil || n == nil:
				if first != nil || n != nil || s.w.Host(prefs[0]).Name() != s.w.Host(p).Name() {
					return false
				}
			case !sameSiblings(first.Object(k), n.Object(k)):
				return false
			}
		}
	}
	return true
}

func sameSiblings(a, b dynamo.Object) bool {
	if len(a.Siblings) == len(b.Siblings) && (len(a.Siblings) == 0 || &a.Siblings[0] == &b.Siblings[0]) {
		return true // one object, shared: replicas that agree mostly share it
	}
	return slices.EqualFunc(a.Siblings, b.Siblings, func(x, y dynamo.Sibling) bool {
		return x.Dot == y.Dot && x.Value == y.Value && x.Tombstone == y.Tombstone && slices.Equal(x.Past, y.Past)
	})
}
