package cachesys

import (
	"embed"
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/cache"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Names of the system's own fault and counters.
const (
	FaultIsolateDB    = "isolate-db"
	ProgramSlowReader = "slow-reader"

	CounterStaleEntries     = "stale-entries"
	CounterConsistencyNines = "consistency-nines-x1000"
	CounterStaleForP99      = "stale-for-p99-ms"
	CounterStaleForMax      = "stale-for-max-ms"
	CounterDBQueries        = "db-queries"
	CounterDBWrites         = "db-writes"
	CounterWritesLate       = "writes-late"
	CounterDBQPSPeak        = "db-qps-peak"
	CounterLeaseWaits       = "lease-waits"
	CounterEvictions        = "evictions"
	CounterRYWViolations    = "ryw-violations"
	CounterRYWClients       = "ryw-clients"
	CounterDivergentKeys    = "divergent-keys"
	CounterRefillRegression = "refill-regressions"
	CounterStaleStores      = "stale-stores"
)

//go:embed scenarios/*.json
var builtin embed.FS

// System is the caching systems of package cache: cache-aside over a
// database (mode "aside"), and the replicated cache (mode "replicated").
var System = system.MustDefine(system.Spec[cache.Config, client.WorkloadConfig]{
	Name:        "cache",
	Description: "the caches of nodes/cache: cache-aside over a database with leases and invalidation, and a replicated versioned cache",
	Config:      cache.DefaultConfig,
	Workload:    defaultWorkload,
	Validate:    validate,
	Build:       build,
	Rate:        rate,
	Promises:    system.Promises{History: true, Invariants: true, Convergence: true, Staleness: true},
	Faults: []system.FaultKind{
		{Name: FaultIsolateDB, Description: "cut the database (n1) off from every other host, clients included, until the next heal"},
	},
	Programs: []system.ProgramKind{
		{Name: ProgramSlowReader, Description: "hold the database's answer to one read in four for 300ms: the reader fills the cache late, after a write's delete (aside mode)"},
	},
	Counters: []system.Counter{
		{Name: CounterStaleEntries, Description: "cache entries older than the database at the end of the run"},
		{Name: CounterConsistencyNines, Description: "thousandths of nines of writes whose cached copies were consistent within 1s (Polaris)"},
		{Name: CounterStaleForP99, Description: "p99 over writes of how long an older cached copy outlived the commit, ms"},
		{Name: CounterStaleForMax, Description: "the longest any write left an older cached copy, ms"},
		{Name: CounterDBWrites, Description: "puts the database committed"},
		{Name: CounterWritesLate, Description: "writes whose older cached copies outlived the 1s bound"},
		{Name: CounterDBQueries, Description: "reads the database served"},
		{Name: CounterDBQPSPeak, Description: "the database's peak read rate over 100ms windows, per second"},
		{Name: CounterLeaseWaits, Description: "misses told to wait for another client's lease"},
		{Name: CounterEvictions, Description: "entries evicted by the cache servers' memory bound"},
		{Name: CounterRYWViolations, Description: "reads older than the reading client's own last write to the key"},
		{Name: CounterRYWClients, Description: "clients that read an older version than their own last write"},
		{Name: CounterRefillRegression, Description: "fills older than a version the cache server held before it deleted the key"},
		{Name: CounterStaleStores, Description: "entries stored at a version already older than the database's"},
		{Name: CounterDivergentKeys, Description: "keys on which the live replicas disagree at the end (aside: the caches and the database)"},
	},
	Scenarios: system.ScenarioDir(builtin, "scenarios"),
})

// rate paces each client at perClient operations per second: its think
// time between an answer and its next request is 1/perClient on average.
func rate(wl *client.WorkloadConfig, perClient float64) error {
	wl.ThinkMin, wl.ThinkMax = system.ThinkTimes(perClient)
	return nil
}

// defaultWorkload is client.DefaultWorkloadConfig with the mix the caches
// serve: gets and puts.
func defaultWorkload() client.WorkloadConfig {
	wl := client.DefaultWorkloadConfig()
	wl.Mix = client.Mix{Get: 8, Put: 2}
	return wl
}

func validate(cfg cache.Config, wl client.WorkloadConfig, shape system.Shape) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	if shape.Spares > 0 {
		return fmt.Errorf("spares: the cache system has no membership changes")
	}
	if shape.Servers < 2 {
		return fmt.Errorf("servers: the cache system needs at least 2 (a database and a cache server, or two replicas), got %d", shape.Servers)
	}
	if m := wl.Mix; m.Append != 0 || m.Delete != 0 || m.CAS != 0 {
		return fmt.Errorf("workload.mix: the caches serve get and put only (append %d, delete %d, cas %d)", m.Append, m.Delete, m.CAS)
	}
	wl.Client.ID = 1
	wl.Client.Servers = []sim.HostID{0}
	if err := wl.Validate(); err != nil {
		return fmt.Errorf("workload: %w", err)
	}
	return nil
}

// instance is one cache system in one world.
type instance struct {
	cfg        cache.Config
	w          *sim.World
	servers    []sim.HostID
	caches     []sim.HostID    // aside: every server but the database
	liveCaches []*cache.Server // asideReplicasEqual's list, reused
	keys       []string
	mon        *monitor
	hist       kvhistory.History
	ryw        rywCount
}

// rywCount is readYourWrites as of a number of the world's events. The
// history and the monitor change only in events, and the harness reads
// both of its counters at the end of a run (probes read them as it goes):
// one pass over the history then serves both.
type rywCount struct {
	events              uint64
	known               bool
	violations, clients int
}

func (in *instance) readYourWrites() (violations, clients int) {
	if r := in.ryw; !r.known || r.events != in.w.Events() {
		in.ryw.violations, in.ryw.clients = in.mon.readYourWrites(&in.hist)
		in.ryw.events, in.ryw.known = in.w.Events(), true
	}
	return in.ryw.violations, in.ryw.clients
}

func build(cfg cache.Config, wl client.WorkloadConfig, c *system.Cluster) (*system.Instance, error) {
	in := &instance{cfg: cfg, w: c.World, servers: c.ServerIDs()}
	for i := 0; i < wl.Keys; i++ {
		in.keys = append(in.keys, fmt.Sprintf("k%d", i))
	}
	rec := kvhistory.NewTracing(&in.hist, c.World, c.ClientID(0))
	var err error
	if cfg.Mode == cache.ModeReplicated {
		err = in.buildReplicated(wl, c, rec)
	} else {
		err = in.buildAside(wl, c, rec)
	}
	if err != nil {
		return nil, err
	}
	return &system.Instance{
		Members:       c.ServerIDs,
		Invariant:     in.invariant,
		FinalCheck:    in.finalCheck,
		Replicas:      in.replicas,
		ReplicasEqual: in.replicasEqual,
		Counter:       in.count,
		Fault:         in.fault,
		Program:       in.program,
		History:       checker.RecordedKV(&in.hist),
	}, nil
}

// stopAt stops the clients a little before the heal ends, so that the
// last operations complete.
func stopAt(wl client.WorkloadConfig, c *system.Cluster) client.WorkloadConfig {
	if stop := c.ClientStop(); wl.StopAt == 0 || wl.StopAt > stop {
		wl.StopAt = stop
	}
	return wl
}

func (in *instance) buildAside(wl client.WorkloadConfig, c *system.Cluster, rec client.Recorder) error {
	db := in.servers[0]
	in.caches = slices.Clone(in.servers[1:])
	in.mon = newMonitor(in.w.Now, in.up, in.name)
	cfg := in.cfg
	cfg.Observer = in.mon
	dbFactory, err := cache.NewDatabase(cfg, in.caches)
	if err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	serverFactory, err := cache.NewServer(cfg)
	if err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	if _, err := c.AddServer(c.Peers(db), dbFactory); err != nil {
		return err
	}
	for _, id := range in.caches {
		if _, err := c.AddServer(c.Peers(id), serverFactory); err != nil {
			return err
		}
	}
	for i := 0; i < c.Shape.Clients; i++ {
		cw := stopAt(wl, c)
		cw.Client.ID = uint64(i + 1)
		cw.Client.Servers = []sim.HostID{db}
		a, err := cache.NewAside(cache.AsideConfig{Cache: cfg, Workload: cw, Caches: in.caches}, rec)
		if err != nil {
			return fmt.Errorf("workload: %w", err)
		}
		if _, err := c.AddClient(a.Node); err != nil {
			return err
		}
	}
	return nil
}

func (in *instance) buildReplicated(wl client.WorkloadConfig, c *system.Cluster, rec client.Recorder) error {
	f, err := cache.NewReplica(in.cfg)
	if err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	for _, id := range in.servers {
		if _, err := c.AddServer(c.Peers(id), f); err != nil {
			return err
		}
	}
	for i := 0; i < c.Shape.Clients; i++ {
		cw := stopAt(wl, c)
		cw.Client.ID = uint64(i + 1)
		cw.Client.Servers = slices.Clone(in.servers)
		work, err := client.NewWorkload(cw, rec)
		if err != nil {
			return fmt.Errorf("workload: %w", err)
		}
		if _, err := c.AddClient(work.Node); err != nil {
			return err
		}
	}
	return nil
}

func (in *instance) up(id sim.HostID) bool {
	h := in.w.Host(id)
	return h != nil && h.Up()
}

func (in *instance) name(id sim.HostID) string { return in.w.Host(id).Name() }

func (in *instance) invariant() error {
	if in.mon == nil {
		return nil
	}
	return in.mon.sweep()
}

// finalCheck is Polaris's question asked once the run has quiesced: does
// any cache hold a key at a version older than the database's?
func (in *instance) finalCheck() error {
	if in.mon == nil {
		return nil
	}
	if stale := in.mon.staleEntries(in.caches, in.name); len(stale) > 0 {
		return fmt.Errorf("after quiescence %d cache entries are older than the database: %s", len(stale), summarize(stale, 5))
	}
	return nil
}

// replicas are, in replicated mode, each live replica's keys and values.
// In aside mode they are two: what the live cache servers hold, all
// together, and what the database holds for the same keys; they differ
// exactly where an entry is stale.
func (in *instance) replicas() []checker.Replica {
	if in.cfg.Mode != cache.ModeReplicated {
		return in.asideReplicas()
	}
	var out []checker.Replica
	for _, id := range in.servers {
		h := in.w.Host(id)
		if !h.Up() {
			continue
		}
		state := map[string]string{}
		for _, e := range h.Node().(*cache.Replica).Entries() {
			if e.Found {
				state[e.Key] = e.Value
			}
		}
		out = append(out, checker.Replica{Name: h.Name(), State: state})
	}
	return out
}

// replicasEqual reports whether the states replicas builds are all
// equal, reading the servers in place.
func (in *instance) replicasEqual() bool {
	if in.cfg.Mode != cache.ModeReplicated {
		return in.asideReplicasEqual()
	}
	var first *cache.Replica
	for _, id := range in.servers {
		h := in.w.Host(id)
		if !h.Up() {
			continue
		}
		r := h.Node().(*cache.Replica)
		if first == nil {
			first = r
		} else if !first.SameValues(r) {
			return false
		}
	}
	return true
}

func (in *instance) divergentKeys() int {
	reps := in.replicas()
	n := 0
	for _, k := range in.keys {
		for _, r := range reps[min(1, len(reps)):] {
			if r.State.(map[string]string)[k] != reps[0].State.(map[string]string)[k] {
				n++
				break
			}
		}
	}
	return n
}

func (in *instance) count(name string) int {
	if name == CounterDivergentKeys {
		return in.divergentKeys()
	}
	m := in.mon
	if m == nil {
		return 0
	}
	switch name {
	case CounterStaleEntries:
		return len(m.staleEntries(in.caches, in.name))
	case CounterConsistencyNines:
		return int(float64(m.nines() * 1000))
	case CounterStaleForP99:
		return int(quantile(m.staleFor(), 0.99).Milliseconds())
	case CounterStaleForMax:
		return int(quantile(m.staleFor(), 1).Milliseconds())
	case CounterDBQueries:
		return m.queries
	case CounterDBWrites:
		return m.writes
	case CounterWritesLate:
		return m.late()
	case CounterDBQPSPeak:
		return m.qpsPeak
	case CounterLeaseWaits:
		return m.leaseWaits
	case CounterEvictions:
		return m.evictions
	case CounterRefillRegression:
		return m.regressions
	case CounterStaleStores:
		return m.staleStores
	case CounterRYWViolations:
		n, _ := in.readYourWrites()
		return n
	case CounterRYWClients:
		_, n := in.readYourWrites()
		return n
	}
	return 0
}

// fault cuts the database off from every host: the harness's partitions
// split servers only, and clients would still reach it.
func (in *instance) fault(f system.Fault, n system.Nemesis) {
	if f.Kind != FaultIsolateDB || in.cfg.Mode != cache.ModeAside {
		return
	}
	db := in.servers[0]
	if err := n.Net().Isolate(db); err == nil {
		now := in.w.Now()
		n.Struck(FaultIsolateDB, "the database cut off from caches and clients", now, now, db)
	}
}

// slowReaderHold is how long the slow-reader program holds an answer.
const slowReaderHold = 300 * time.Millisecond

// program runs slow-reader: it holds some of the database's answers to
// reads on their link, so that the reader's fill reaches the cache long
// after any write that followed the read has deleted the key. That is
// the interleaving of the stale-set race, made likely instead of rare.
func (in *instance) program(name string, n system.Nemesis) (stop func()) {
	if name != ProgramSlowReader || in.mon == nil {
		return func() {}
	}
	db := in.servers[0]
	rng := n.Rand()
	in.mon.onQuery = func(key string, reader sim.HostID) {
		if rng.IntN(4) != 0 || n.Net().ClogLink(db, reader) != nil {
			return
		}
		now := in.w.Now()
		n.Struck(ProgramSlowReader, "the answer to a read of "+key+" held", now, now+slowReaderHold, reader)
		in.w.After(slowReaderHold, func() { _ = n.Net().UnclogLink(db, reader) })
	}
	return func() { in.mon.onQuery = nil }
}

func (in *instance) asideReplicas() []checker.Replica {
	dbHost := in.w.Host(in.servers[0])
	if !dbHost.Up() {
		return nil
	}
	db := dbHost.Node().(*cache.Database)
	var servers []*cache.Server
	size := 0
	for _, id := range in.caches {
		if h := in.w.Host(id); h.Up() {
			srv := h.Node().(*cache.Server)
			servers = append(servers, srv)
			size += srv.Len()
		}
	}
	cached, stored := make(map[string]string, size), make(map[string]string, size)
	for _, srv := range servers {
		srv.Each(func(k, v string, found bool, _ uint64) {
			if found {
				cached[k] = v
			}
			if version, v := db.Version(k); version > 0 {
				stored[k] = v
			}
		})
	}
	return []checker.Replica{{Name: "database", State: stored}, {Name: "caches", State: cached}}
}

// asideReplicasEqual is asideReplicas' two states compared, without
// building them. Each key any live cache holds is judged once, at the
// first server that holds it: the caches' value is that of the last
// server holding it found, as the map asideReplicas fills keeps. (A
// static ring keeps each key at its owner alone, so no run yet has a
// second holder; the comparison stays exact if one ever does.)
func (in *instance) asideReplicasEqual() bool {
	dbHost := in.w.Host(in.servers[0])
	if !dbHost.Up() {
		return true
	}
	db := dbHost.Node().(*cache.Database)
	servers := in.liveCaches[:0] // kept between calls: this runs every 20 ms
	for _, id := range in.caches {
		if h := in.w.Host(id); h.Up() {
			servers = append(servers, h.Node().(*cache.Server))
		}
	}
	in.liveCaches = servers
	equal := true
	for i, srv := range servers {
		srv.Each(func(k, v string, found bool, _ uint64) {
			if !equal {
				return
			}
			for _, earlier := range servers[:i] {
				if _, _, _, ok := earlier.Entry(k); ok {
					return
				}
			}
			cachedV, cached := v, found
			for _, later := range servers[i+1:] {
				if lv, lf, _, ok := later.Entry(k); ok && lf {
					cachedV, cached = lv, true
				}
			}
			version, storedV := db.Version(k)
			if cached != (version > 0) || cached && cachedV != storedV {
				equal = false
			}
		})
	}
	return equal
}
