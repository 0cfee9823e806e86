package cache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/cache"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/sim"
)

// world is a database (host 0), cache servers and cache-aside clients on
// a network of 1-10 ms.
type world struct {
	w       *sim.World
	db      sim.HostID
	caches  []sim.HostID
	hist    kvhistory.History
	clients int
}

func newWorld(t *testing.T, seed uint64, cfg cache.Config, caches, clients int, link net.Link) *world {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxEvents: 5_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.New(w, net.Options{Default: link}); err != nil {
		t.Fatal(err)
	}
	c := &world{w: w, clients: clients}
	for i := 1; i <= caches; i++ {
		c.caches = append(c.caches, sim.HostID(i))
	}
	dbf, err := cache.NewDatabase(cfg, c.caches)
	if err != nil {
		t.Fatal(err)
	}
	if c.db, err = w.AddHost(sim.HostConfig{Name: "db", Factory: dbf}); err != nil {
		t.Fatal(err)
	}
	sf, err := cache.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.caches {
		if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("cache%d", i+1), Factory: sf}); err != nil {
			t.Fatal(err)
		}
	}
	rec := kvhistory.New(&c.hist, w.Now)
	for i := 0; i < clients; i++ {
		wl := client.DefaultWorkloadConfig()
		wl.Client.ID = uint64(i + 1)
		wl.Client.Servers = []sim.HostID{c.db}
		wl.Keys, wl.Mix, wl.OpsMax = 4, client.Mix{Get: 3, Put: 1}, 150
		a, err := cache.NewAside(cache.AsideConfig{Cache: cfg, Workload: wl, Caches: c.caches}, rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("c%d", i+1), Factory: a.Node}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// staleEntries lists the entries older than the database's version.
func (c *world) staleEntries() []string {
	db := c.w.Host(c.db).Node().(*cache.Database)
	var out []string
	for _, id := range c.caches {
		srv := c.w.Host(id).Node().(*cache.Server)
		for _, k := range srv.Keys() {
			_, _, v, _ := srv.Entry(k)
			if dbv, _ := db.Version(k); v < dbv {
				out = append(out, fmt.Sprintf("%s at %d < %d", k, v, dbv))
			}
		}
	}
	return out
}

func lan() net.Link {
	return net.Link{Latency: net.Uniform{Min: time.Millisecond, Max: 10 * time.Millisecond}}
}

func TestCacheAsideClientsFinishWithEveryEntryCurrent(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c := newWorld(t, seed, cache.DefaultConfig(), 2, 4, lan())
		c.w.RunFor(20 * time.Second)
		ops := c.hist.Ops()
		if len(ops) != 4*150 || c.hist.Pending() != 0 {
			t.Fatalf("seed %d: %d operations recorded, %d pending; want 600 completed", seed, len(ops), c.hist.Pending())
		}
		if stale := c.staleEntries(); len(stale) > 0 {
			t.Fatalf("seed %d: stale entries at the end: %v", seed, stale)
		}
		if st := checker.MeasureStaleness(&c.hist); st.Unexplained > 0 {
			t.Fatalf("seed %d: %d reads returned a value nobody wrote", seed, st.Unexplained)
		}
	}
}

func TestReadsHitTheCacheOnceFilled(t *testing.T) {
	cfg := cache.DefaultConfig()
	queries := &countingObserver{}
	cfg.Observer = queries
	c := newWorld(t, 1, cfg, 2, 1, lan())
	c.w.RunFor(20 * time.Second)
	gets := 0
	for _, op := range c.hist.Ops() {
		if op.In.Kind == checker.KVGet {
			gets++
		}
	}
	// One client, four keys: after a miss per key and one after each of
	// its own writes, every get is a hit.
	if queries.dbReads >= gets/2 {
		t.Fatalf("%d database reads for %d gets: the cache is not serving", queries.dbReads, gets)
	}
}

func newWorldWithObserver(t *testing.T, cfg cache.Config) *world {
	return newWorld(t, 1, cfg, 2, 1, lan())
}

type countingObserver struct{ dbReads int }

func (o *countingObserver) CacheStarted(sim.HostID)                {}
func (o *countingObserver) CacheStored(sim.HostID, string, uint64) {}
func (o *countingObserver) CacheRemoved(sim.HostID, string, bool)  {}
func (o *countingObserver) LeaseWait(sim.HostID, string)           {}
func (o *countingObserver) DBQueried(string, sim.HostID)           { o.dbReads++ }
func (o *countingObserver) DBCommitted(string, string, uint64)     {}

func TestTheDatabaseKeepsItsVersionsAcrossACrash(t *testing.T) {
	c := newWorld(t, 3, cache.DefaultConfig(), 1, 2, lan())
	c.w.RunFor(2 * time.Second)
	db := c.w.Host(c.db).Node().(*cache.Database)
	before := map[string]uint64{}
	for i := 0; i < 4; i++ {
		k := fmt.Sprintf("k%d", i)
		before[k], _ = db.Version(k)
	}
	c.w.Host(c.db).Crash()
	c.w.Host(c.db).Restart()
	db = c.w.Host(c.db).Node().(*cache.Database)
	for k, v := range before {
		if got, _ := db.Version(k); got != v {
			t.Errorf("%s: version %d after the restart, %d before", k, got, v)
		}
	}
}
