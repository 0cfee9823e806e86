package cachesys_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/detsim/detsim/nodes/cache/cachesys"
)

// figure is one scenario's measures over a seed set.
type figure struct {
	name                                   string
	nines, staleP99, staleMax, dbQueries   []int
	qpsPeak, leaseWaits, ryw, staleEntries []int
	writes, late                           int
	staleReads                             []float64
}

func median[T int | float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestFiguresOfTheMeasures prints, as the Markdown table of
// docs/CACHE.md, the measures of the main scenarios over seeds 1-8, and
// checks the relations the document draws from them.
func TestFiguresOfTheMeasures(t *testing.T) {
	if testing.Short() {
		t.Skip("figures take a few seconds")
	}
	names := []string{"cache-happy", "cache-server-crash", "cache-db-partition", "cache-invalidate-retried",
		"cache-bug-invalidate-once", "cache-db-crash", "cache-stale-set-leases", "cache-bug-no-leases", "cache-hot-key-storm", "cache-hot-key-storm-no-leases"}
	figs := map[string]*figure{}
	for _, name := range names {
		s := lookup(t, name)
		f := &figure{name: name}
		for seed := uint64(1); seed <= 8; seed++ {
			r := runOrFatal(t, s, seed)
			f.writes += r.Counter(cachesys.CounterDBWrites)
			f.late += r.Counter(cachesys.CounterWritesLate)
			f.nines = append(f.nines, r.Counter(cachesys.CounterConsistencyNines))
			f.staleP99 = append(f.staleP99, r.Counter(cachesys.CounterStaleForP99))
			f.staleMax = append(f.staleMax, r.Counter(cachesys.CounterStaleForMax))
			f.dbQueries = append(f.dbQueries, r.Counter(cachesys.CounterDBQueries))
			f.qpsPeak = append(f.qpsPeak, r.Counter(cachesys.CounterDBQPSPeak))
			f.leaseWaits = append(f.leaseWaits, r.Counter(cachesys.CounterLeaseWaits))
			f.ryw = append(f.ryw, r.Counter(cachesys.CounterRYWViolations))
			f.staleEntries = append(f.staleEntries, r.Counter(cachesys.CounterStaleEntries))
			if r.Staleness != nil {
				f.staleReads = append(f.staleReads, r.Staleness.StaleRatio)
			}
		}
		figs[name] = f
	}
	t.Log("| scenario | writes late (over 1s), all seeds | nines, median | stale-for p99 | stale-for max, worst seed | stale reads | RYW violations | db reads | db peak reads/s | lease waits | stale entries at end |")
	t.Log("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, name := range names {
		f := figs[name]
		nines := fmt.Sprintf("%.2f", float64(median(f.nines))/1000)
		if f.late == 0 {
			nines = "≥ " + nines // every write was consistent in time: the measure's resolution
		}
		t.Log(fmt.Sprintf("| %s | %d of %d | %s | %d ms | %d ms | %.2f%% | %d | %d | %d | %d | %d of 8 seeds |",
			name, f.late, f.writes, nines, median(f.staleP99), slices.Max(f.staleMax), 100*median(f.staleReads),
			median(f.ryw), median(f.dbQueries), median(f.qpsPeak), median(f.leaseWaits), countPositive(f.staleEntries)))
	}
	if a, b := median(figs["cache-hot-key-storm"].qpsPeak), median(figs["cache-hot-key-storm-no-leases"].qpsPeak); a >= b {
		t.Errorf("the storm's peak database rate is %d/s with leases, %d/s without", a, b)
	}
	if a, b := median(figs["cache-db-partition"].nines), median(figs["cache-happy"].nines); a >= b {
		t.Errorf("a partition of the invalidations left %d thousandths of nines, the happy path %d", a, b)
	}
	if n := countPositive(figs["cache-stale-set-leases"].staleEntries); n > 0 {
		t.Errorf("with leases, %d seeds ended with stale entries", n)
	}
}

func countPositive(xs []int) int {
	n := 0
	for _, x := range xs {
		if x > 0 {
			n++
		}
	}
	return n
}
