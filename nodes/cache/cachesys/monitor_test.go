package cachesys

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// testMonitor is a monitor whose clock the test sets, over servers 1 and
// 2, both up.
func testMonitor() (*monitor, *time.Duration) {
	now := new(time.Duration)
	m := newMonitor(func() time.Duration { return *now }, func(sim.HostID) bool { return true }, func(id sim.HostID) string { return "s" + string(rune('0'+id)) })
	m.CacheStarted(1)
	m.CacheStarted(2)
	return m, now
}

func TestAWriteIsStaleUntilItsLastOlderCopyIsGone(t *testing.T) {
	m, now := testMonitor()
	m.DBCommitted("k", "a", 1) // nothing cached: consistent at once
	m.CacheStored(1, "k", 1)
	m.CacheStored(2, "k", 1)
	*now = 10 * time.Millisecond
	m.DBCommitted("k", "b", 2)
	*now = 30 * time.Millisecond
	m.CacheRemoved(1, "k", false)
	if len(m.pending["k"]) != 1 {
		t.Fatal("the write settled while server 2 still held the older copy")
	}
	*now = 1510 * time.Millisecond
	m.CacheStored(2, "k", 2)
	got := m.staleFor()
	if len(got) != 2 || got[0] != 0 || got[1] != 1500*time.Millisecond {
		t.Fatalf("stale-for = %v, want [0s 1.5s]", got)
	}
	if m.late() != 1 {
		t.Fatalf("%d writes late, want 1 (the 1.5s one)", m.late())
	}
	if n := m.nines(); n < 0.30 || n > 0.31 {
		t.Fatalf("nines = %v, want -log10(1/2) = 0.301", n)
	}
}

func TestAStaleFillAfterTheWriteSettledReopensIt(t *testing.T) {
	m, now := testMonitor()
	m.DBCommitted("k", "a", 1)
	m.DBCommitted("k", "b", 2) // settled at once: nothing cached
	*now = 2 * time.Second
	m.CacheStored(1, "k", 1) // the stale set lands
	if len(m.staleEntries([]sim.HostID{1, 2}, m.name)) != 1 {
		t.Fatal("the stale entry is not reported")
	}
	if m.late() != 1 {
		t.Fatalf("%d writes late after a stale fill outlived the bound, want 1", m.late())
	}
}

func TestOnlyAnOverwriteByAnOlderVersionBreaksMonotonicity(t *testing.T) {
	m, _ := testMonitor()
	m.DBCommitted("k", "a", 1)
	m.DBCommitted("k", "b", 2)
	m.CacheStored(1, "k", 2)
	m.CacheRemoved(1, "k", true) // evicted
	m.CacheStored(1, "k", 1)     // a fresh fill may be older
	if m.violation != nil || m.regressions != 0 {
		t.Fatalf("a fill after an eviction was flagged: %v, %d", m.violation, m.regressions)
	}
	m.CacheStored(1, "k", 2)
	m.CacheRemoved(1, "k", false) // deleted
	m.CacheStored(1, "k", 1)
	if m.violation != nil || m.regressions != 1 {
		t.Fatalf("a fill older than the version held before a delete: violation %v, %d regressions; want none and 1", m.violation, m.regressions)
	}
	m.CacheStored(1, "k", 2)
	m.CacheStored(1, "k", 1)
	if m.violation == nil || !strings.Contains(m.violation.Error(), "s1 went backwards on k") {
		t.Fatalf("an overwrite of version 2 by version 1 was not flagged: %v", m.violation)
	}
}

func TestAStaleFillReopensOnlyTheLatestWrite(t *testing.T) {
	m, now := testMonitor()
	m.DBCommitted("k", "a", 1)
	m.CacheStored(1, "k", 1)
	m.DBCommitted("k", "b", 2)
	m.CacheStored(1, "k", 2) // write 2 settles at once
	*now = 2 * time.Second
	m.DBCommitted("k", "c", 3)
	m.DBCommitted("k", "d", 4)
	m.CacheStored(1, "k", 3) // older than write 4, which is pending: nothing to reopen
	*now = 2010 * time.Millisecond
	m.CacheStored(1, "k", 4)
	if got := m.staleFor(); slices.Max(got) > 10*time.Millisecond || m.late() != 0 {
		t.Fatalf("stale-for %v, %d late: a settled write was reopened by a fill older than a later one", got, m.late())
	}
}
