package twopccheck

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/sim"
)

// mapAtomicity is Atomicity as it was first written, with a map per field
// of each transaction: the reference that TestAtomicityIsItsMapReference
// holds the faster one to.

type mapTxnInfo struct {
	decided, commit bool
	decider         sim.HostID
	// The maps are nil until a shard is first set (mapSetShard).
	ended        map[int]bool // shard -> committed
	volatile     map[int]bool // shards whose ending a crash forgets
	prepared     map[int]bool // shards that voted yes and have not ended it
	blockedSince map[int]time.Duration
	blocked      time.Duration // longest in-doubt interval that ended
}

// mapAtomicity implements twopc.Observer. It is not safe for concurrent use;
// a world calls it from its one thread.
type mapAtomicity struct {
	now   func() time.Duration
	names func(sim.HostID) string
	err   error
	txns  map[twopc.TxnID]*mapTxnInfo
	order []twopc.TxnID // in first-seen order, for deterministic reports

	booted      map[sim.HostID]bool
	recoveries  int
	queries     int
	votesNo     int
	blockedDone time.Duration

	// StuckAfter is how long a transaction must stay in doubt at a shard to
	// count as stuck; New sets one second.
	StuckAfter time.Duration
}

// newMapAtomicity is New for the reference.
func newMapAtomicity(now func() time.Duration) *mapAtomicity {
	return &mapAtomicity{now: now, names: func(h sim.HostID) string { return h.String() }, txns: map[twopc.TxnID]*mapTxnInfo{}, booted: map[sim.HostID]bool{}, StuckAfter: time.Second}
}

func (a *mapAtomicity) txn(id twopc.TxnID) *mapTxnInfo {
	t := a.txns[id]
	if t == nil {
		t = &mapTxnInfo{decider: sim.NoHost}
		a.txns[id] = t
		a.order = append(a.order, id)
	}
	return t
}

// mapSetShard sets (*m)[shard], making the map on first use: a transaction
// is seen by a few shards, and most never block or lose a volatile end.
func mapSetShard[V any](m *map[int]V, shard int, v V) {
	if *m == nil {
		*m = map[int]V{}
	}
	(*m)[shard] = v
}

func (a *mapAtomicity) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

// Check returns the first violation seen.
func (a *mapAtomicity) Check() error { return a.err }

func (a *mapAtomicity) Prepared(shard int, id twopc.TxnID) {
	t := a.txn(id)
	if _, ended := t.ended[shard]; !ended {
		mapSetShard(&t.prepared, shard, true)
	}
}

func (a *mapAtomicity) Finished(shard int, id twopc.TxnID, commit, durable bool) {
	t := a.txn(id)
	if prev, ok := t.ended[shard]; ok && prev != commit {
		a.fail("decision reversed: shard %d ended %v with %s, then with %s", shard, id, outcome(prev), outcome(commit))
	}
	for _, s := range mapSortedShards(t.ended) {
		if s != shard && t.ended[s] != commit {
			a.fail("atomicity violated: shard %d %s %v, which shard %d %s", shard, past(commit), id, s, past(t.ended[s]))
			break
		}
	}
	if t.decided && t.commit != commit {
		a.fail("atomicity violated: shard %d %s %v, which %s decided to %s", shard, past(commit), id, a.names(t.decider), outcome(t.commit))
	}
	mapSetShard(&t.ended, shard, commit)
	if durable {
		delete(t.volatile, shard)
	} else {
		mapSetShard(&t.volatile, shard, true)
	}
	delete(t.prepared, shard)
	if since, ok := t.blockedSince[shard]; ok {
		d := a.now() - since
		a.blockedDone += d
		t.blocked = max(t.blocked, d)
		delete(t.blockedSince, shard)
	}
}

func (a *mapAtomicity) Decided(host sim.HostID, id twopc.TxnID, commit bool) {
	t := a.txn(id)
	if t.decided && t.commit != commit {
		a.fail("decision reversed: %s decided %v to %s, then %s decided it to %s", a.names(t.decider), id, outcome(t.commit), a.names(host), outcome(commit))
		return
	}
	for _, s := range mapSortedShards(t.ended) {
		if t.ended[s] != commit {
			a.fail("atomicity violated: %s decided %v to %s, which shard %d %s", a.names(host), id, outcome(commit), s, past(t.ended[s]))
			break
		}
	}
	if !t.decided {
		t.decided, t.commit, t.decider = true, commit, host
	}
}

func (a *mapAtomicity) InDoubt(shard int, id twopc.TxnID) {
	t := a.txn(id)
	if _, ok := t.blockedSince[shard]; !ok {
		mapSetShard(&t.blockedSince, shard, a.now())
	}
}

func (a *mapAtomicity) Queried(int, twopc.TxnID) { a.queries++ }

func (a *mapAtomicity) VotedNo(int, twopc.TxnID) { a.votesNo++ }

// VotesNo counts the no votes.
func (a *mapAtomicity) VotesNo() int { return a.votesNo }

func (a *mapAtomicity) Recovered(host sim.HostID, shard int, inDoubt []twopc.TxnID) {
	if a.booted[host] {
		a.recoveries++
	}
	a.booted[host] = true
	if shard < 0 {
		return
	}
	for _, id := range a.order {
		t := a.txns[id]
		if t.volatile[shard] {
			delete(t.ended, shard)
			delete(t.volatile, shard)
		}
		if t.prepared[shard] && !slices.Contains(inDoubt, id) {
			a.fail("prepared state lost: %s restarted without %v, on which it had voted yes", a.names(host), id)
			return
		}
	}
	// A restarted shard is in doubt about what it restored at once: it
	// asks for the outcome before it can release the locks.
	for _, id := range inDoubt {
		a.InDoubt(shard, id)
	}
}

// BlockedTime is the total time shards held transactions in doubt,
// waiting for a decision past their decision timeout, intervals still open
// included.
func (a *mapAtomicity) BlockedTime() time.Duration {
	total := a.blockedDone
	now := a.now()
	for _, id := range a.order {
		for _, since := range a.txns[id].blockedSince {
			total += now - since
		}
	}
	return total
}

// Stuck counts the transactions some shard held in doubt for at least
// StuckAfter.
func (a *mapAtomicity) Stuck() int {
	n := 0
	for _, id := range a.order {
		if a.inDoubt(a.txns[id]) >= a.StuckAfter {
			n++
		}
	}
	return n
}

// LongestInDoubt is the longest time a shard held one transaction in
// doubt, open intervals included.
func (a *mapAtomicity) LongestInDoubt() time.Duration {
	var longest time.Duration
	for _, id := range a.order {
		longest = max(longest, a.inDoubt(a.txns[id]))
	}
	return longest
}

func (a *mapAtomicity) inDoubt(t *mapTxnInfo) time.Duration {
	longest := t.blocked
	now := a.now()
	for _, since := range t.blockedSince {
		longest = max(longest, now-since)
	}
	return longest
}

// Committed and Aborted count the transactions some shard committed, and
// those that were aborted and committed nowhere.
func (a *mapAtomicity) Committed() int { c, _ := a.outcomes(); return c }
func (a *mapAtomicity) Aborted() int   { _, ab := a.outcomes(); return ab }

func (a *mapAtomicity) outcomes() (committed, aborted int) {
	for _, id := range a.order {
		t := a.txns[id]
		c, ab := false, false
		for _, commit := range t.ended { //detsim:maporder an OR over the endings, whatever the order
			c, ab = c || commit, ab || !commit
		}
		if c {
			committed++
		} else if ab || t.decided && !t.commit {
			aborted++
		}
	}
	return committed, aborted
}

// Recoveries counts restarts (boots after the first) of shards and
// coordinators.
func (a *mapAtomicity) Recoveries() int { return a.recoveries }

// Queries counts rounds of termination queries and recovery ballots.
func (a *mapAtomicity) Queries() int { return a.queries }

// Liveness reports the first transaction that a shard still holds
// prepared: once every fault has healed and the decision timeouts have
// run, every transaction must be decided at every shard that voted yes.
func (a *mapAtomicity) Liveness() error {
	for _, id := range a.order {
		t := a.txns[id]
		if shards := mapSortedShards(t.prepared); len(shards) > 0 {
			return fmt.Errorf("%v is still undecided at shard(s) %v after the heal", id, shards)
		}
	}
	return nil
}

func mapSortedShards[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
