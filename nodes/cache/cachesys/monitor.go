package cachesys

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/internal/detmath"
	"github.com/detsim/detsim/nodes/cache"
	"github.com/detsim/detsim/sim"
)

// ConsistencyBound is the bound of the consistency measure: a write is
// consistent in time when, within it of the commit, no cache holds the
// key at an older version.
const ConsistencyBound = time.Second

// qpsWindow is the window over which the database's query rate is taken.
const qpsWindow = 100 * time.Millisecond

// monitor watches a cache-aside system the way Meta's Polaris watches its
// caches: it hears every commit at the database and every change at every
// cache server, in true time, and measures how long each write leaves an
// older cached copy behind. It also checks that no cache server's version
// of a key goes backwards except through an eviction.
type monitor struct {
	now     func() time.Duration
	up      func(sim.HostID) bool
	name    func(sim.HostID) string
	servers []sim.HostID                     // the cache servers seen to start, sorted
	held    map[sim.HostID]map[string]uint64 // server -> key -> version held; looked up only
	// highest is the greatest version a server has held of a key since it
	// last evicted it (or started): a delete does not reset it.
	highest map[sim.HostID]map[string]uint64
	db      map[string]uint64            // key -> latest committed version
	values  map[string]map[string]uint64 // key -> value -> its version
	pending map[string][]commit          // key -> writes whose older copies may remain
	dirty   []string                     // keys with pending writes, for the sweep; sorted
	settled []settlement                 // every settled write
	latest  map[string]int               // key -> index in settled of its latest write, once settled
	writes  int
	within  int

	violation   error
	regressions int
	staleStores int // stores of a version older than the database's, at the time
	queries     int
	window      int // the current window's index
	windowCount int
	qpsPeak     int
	leaseWaits  int
	evictions   int
	lastSweep   time.Duration

	// onQuery, if set, hears each database read before it is answered
	// (the slow-reader program).
	onQuery func(key string, reader sim.HostID)
}

type commit struct {
	version uint64
	at      time.Duration
}

// settlement is a write whose older cached copies were gone staleFor after
// its commit. A stale fill afterwards reopens it.
type settlement struct {
	commit
	staleFor time.Duration
	reopened bool
}

func newMonitor(now func() time.Duration, up func(sim.HostID) bool, name func(sim.HostID) string) *monitor {
	return &monitor{
		now: now, up: up, name: name,
		held:    map[sim.HostID]map[string]uint64{},
		highest: map[sim.HostID]map[string]uint64{},
		db:      map[string]uint64{},
		values:  map[string]map[string]uint64{},
		pending: map[string][]commit{},
		latest:  map[string]int{},
	}
}

var _ cache.Observer = (*monitor)(nil)

func (m *monitor) CacheStarted(s sim.HostID) {
	if i, found := slices.BinarySearch(m.servers, s); !found {
		m.servers = slices.Insert(m.servers, i, s)
	}
	m.held[s] = map[string]uint64{}
	m.highest[s] = map[string]uint64{}
}

func (m *monitor) CacheStored(s sim.HostID, key string, version uint64) {
	cur, present := m.held[s][key]
	switch hi, ok := m.highest[s][key]; {
	case present && version < cur:
		if m.violation == nil {
			m.violation = fmt.Errorf("cache server %s went backwards on %s: replaced version %d with version %d", m.name(s), key, cur, version)
		}
	case ok && version < hi:
		m.regressions++
	}
	if version < m.db[key] {
		m.staleStores++
		m.reopen(key)
	}
	m.highest[s][key] = max(m.highest[s][key], version)
	m.held[s][key] = version
	m.resolve(key)
}

func (m *monitor) CacheRemoved(s sim.HostID, key string, evicted bool) {
	delete(m.held[s], key)
	if evicted {
		m.evictions++
		delete(m.highest[s], key)
	}
	m.resolve(key)
}

func (m *monitor) LeaseWait(sim.HostID, string) { m.leaseWaits++ }

func (m *monitor) DBQueried(key string, reader sim.HostID) {
	if m.onQuery != nil {
		m.onQuery(key, reader)
	}
	m.queries++
	w := int(m.now() / qpsWindow)
	if w != m.window {
		m.window, m.windowCount = w, 0
	}
	m.windowCount++
	m.qpsPeak = max(m.qpsPeak, m.windowCount*int(time.Second/qpsWindow))
}

func (m *monitor) DBCommitted(key, value string, version uint64) {
	m.db[key] = version
	delete(m.latest, key) // the latest write is this one, pending
	if m.values[key] == nil {
		m.values[key] = map[string]uint64{}
	}
	m.values[key][value] = version
	m.writes++
	if len(m.pending[key]) == 0 {
		i, found := slices.BinarySearch(m.dirty, key)
		if !found {
			m.dirty = slices.Insert(m.dirty, i, key)
		}
	}
	m.pending[key] = append(m.pending[key], commit{version: version, at: m.now()})
	m.resolve(key)
}

// oldestCached is the least version of key a live cache server holds;
// ok is false when none holds it.
func (m *monitor) oldestCached(key string) (v uint64, ok bool) {
	for _, s := range m.servers {
		if cv, held := m.held[s][key]; held && m.up(s) && (!ok || cv < v) {
			v, ok = cv, true
		}
	}
	return v, ok
}

// resolve settles the writes of key that no cache holds an older copy of.
func (m *monitor) resolve(key string) {
	p := m.pending[key]
	if len(p) == 0 {
		return
	}
	oldest, held := m.oldestCached(key)
	now := m.now()
	n := 0
	for n < len(p) && (!held || p[n].version <= oldest) {
		m.settle(key, p[n], now-p[n].at)
		n++
	}
	m.pending[key] = p[n:]
}

func (m *monitor) settle(key string, c commit, staleFor time.Duration) {
	m.settled = append(m.settled, settlement{commit: c, staleFor: staleFor})
	if c.version == m.db[key] {
		m.latest[key] = len(m.settled) - 1
	}
	if staleFor <= ConsistencyBound {
		m.within++
	}
}

// reopen puts the latest write of key back among the pending ones: a
// fill has brought back a version older than it after it had settled.
func (m *monitor) reopen(key string) {
	i, ok := m.latest[key]
	if !ok {
		return // the latest write is still pending
	}
	delete(m.latest, key)
	st := &m.settled[i]
	st.reopened = true
	if st.staleFor <= ConsistencyBound {
		m.within--
	}
	if len(m.pending[key]) == 0 {
		j, found := slices.BinarySearch(m.dirty, key)
		if !found {
			m.dirty = slices.Insert(m.dirty, j, key)
		}
	}
	m.pending[key] = append([]commit{st.commit}, m.pending[key]...)
}

// sweep settles the writes a crashed server's copies held back: a down
// server's memory is gone, but nothing told the monitor. It runs at most
// every 10 ms of true time.
func (m *monitor) sweep() error {
	if now := m.now(); now-m.lastSweep >= 10*time.Millisecond {
		m.lastSweep = now
		keep := m.dirty[:0]
		for _, k := range m.dirty {
			m.resolve(k)
			if len(m.pending[k]) > 0 {
				keep = append(keep, k)
			}
		}
		m.dirty = keep
	}
	return m.violation
}

// unsettled are the writes still waiting at the end, with how long.
func (m *monitor) unsettled() []time.Duration {
	var out []time.Duration
	now := m.now()
	for _, k := range m.dirty {
		for _, c := range m.pending[k] {
			out = append(out, now-c.at)
		}
	}
	return out
}

// staleFor is every write's stale-for time, unsettled writes counted up
// to now, sorted.
func (m *monitor) staleFor() []time.Duration {
	all := m.unsettled()
	for _, st := range m.settled {
		if !st.reopened {
			all = append(all, st.staleFor)
		}
	}
	slices.Sort(all)
	return all
}

// nines is -log10 of the fraction of writes not consistent within the
// bound. When every write was, the measure can say no more than its
// resolution, log10(writes).
func (m *monitor) nines() float64 {
	late := m.late()
	if m.writes == 0 {
		return 0
	}
	ln10 := detmath.Log(10)
	if late <= 0 {
		return detmath.Log(float64(m.writes)) / ln10
	}
	return -detmath.Log(float64(late)/float64(m.writes)) / ln10
}

// late counts the writes whose older cached copies outlived the bound
// (or still do, past it, at the end).
func (m *monitor) late() int {
	late := m.writes - m.within
	for _, d := range m.unsettled() {
		if d <= ConsistencyBound {
			late-- // still within its bound when the run ended
		}
	}
	return late
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(q*float64(len(sorted)))))]
}

// readYourWrites counts the reads that returned an older version of a key
// than the reading client's own latest completed write to it, and the
// clients that made them.
func (m *monitor) readYourWrites(h *checker.History[checker.KVInput, checker.KVOutput]) (violations, clients int) {
	// own[c][key] is the version of client c's latest completed write to
	// key, c a client's number in order of first appearance: a map per
	// client hashes the key alone.
	number := map[int]int{}
	var own []map[string]uint64
	var broken []bool
	for _, op := range h.Ops() { // in invocation order; each client's in its own order
		if op.Status != checker.OpCompleted {
			continue
		}
		c, ok := number[op.Client]
		if !ok {
			c = len(own)
			number[op.Client] = c
			own, broken = append(own, map[string]uint64{}), append(broken, false)
		}
		switch op.In.Kind {
		case checker.KVPut:
			own[c][op.In.Key] = max(own[c][op.In.Key], m.values[op.In.Key][op.In.Value])
		case checker.KVGet:
			var v uint64
			if op.Out.Found {
				v = m.values[op.In.Key][op.Out.Value]
			}
			if v < own[c][op.In.Key] {
				violations++
				if !broken[c] {
					broken[c] = true
					clients++
				}
			}
		}
	}
	return violations, clients
}

// staleEntries lists the entries of live cache servers older than the
// database, as "n3: k1 at version 2 (database 4)".
func (m *monitor) staleEntries(servers []sim.HostID, hostName func(sim.HostID) string) []string {
	var out []string
	for _, s := range servers {
		if !m.up(s) {
			continue
		}
		var keys []string
		for k := range m.held[s] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v := m.held[s][k]; v < m.db[k] {
				out = append(out, fmt.Sprintf("%s: %s at version %d (database %d)", hostName(s), k, v, m.db[k]))
			}
		}
	}
	return out
}

func summarize(lines []string, most int) string {
	if len(lines) <= most {
		return strings.Join(lines, "; ")
	}
	return strings.Join(lines[:most], "; ") + fmt.Sprintf("; and %d more", len(lines)-most)
}
