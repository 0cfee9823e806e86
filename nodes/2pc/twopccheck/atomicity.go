package twopccheck

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/sim"
)

type txnInfo struct {
	decided, commit bool
	decider         sim.HostID
	// The maps are nil until a shard is first set (setShard).
	ended        map[int]bool // shard -> committed
	volatile     map[int]bool // shards whose ending a crash forgets
	prepared     map[int]bool // shards that voted yes and have not ended it
	blockedSince map[int]time.Duration
	blocked      time.Duration // longest in-doubt interval that ended
}

// Atomicity implements twopc.Observer. It is not safe for concurrent use;
// a world calls it from its one thread.
type Atomicity struct {
	now   func() time.Duration
	names func(sim.HostID) string
	err   error
	txns  map[twopc.TxnID]*txnInfo
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

var _ twopc.Observer = (*Atomicity)(nil)

// New returns a checker reading true time from now; name, if not nil,
// names hosts in messages.
func New(now func() time.Duration, name func(sim.HostID) string) *Atomicity {
	if name == nil {
		name = func(h sim.HostID) string { return h.String() }
	}
	return &Atomicity{now: now, names: name, txns: map[twopc.TxnID]*txnInfo{}, booted: map[sim.HostID]bool{}, StuckAfter: time.Second}
}

func (a *Atomicity) txn(id twopc.TxnID) *txnInfo {
	t := a.txns[id]
	if t == nil {
		t = &txnInfo{decider: sim.NoHost}
		a.txns[id] = t
		a.order = append(a.order, id)
	}
	return t
}

// setShard sets (*m)[shard], making the map on first use: a transaction
// is seen by a few shards, and most never block or lose a volatile end.
func setShard[V any](m *map[int]V, shard int, v V) {
	if *m == nil {
		*m = map[int]V{}
	}
	(*m)[shard] = v
}

func (a *Atomicity) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

func outcome(commit bool) string {
	if commit {
		return "commit"
	}
	return "abort"
}

// Check returns the first violation seen.
func (a *Atomicity) Check() error { return a.err }

func (a *Atomicity) Prepared(shard int, id twopc.TxnID) {
	t := a.txn(id)
	if _, ended := t.ended[shard]; !ended {
		setShard(&t.prepared, shard, true)
	}
}

func (a *Atomicity) Finished(shard int, id twopc.TxnID, commit, durable bool) {
	t := a.txn(id)
	if prev, ok := t.ended[shard]; ok && prev != commit {
		a.fail("decision reversed: shard %d ended %v with %s, then with %s", shard, id, outcome(prev), outcome(commit))
	}
	for _, s := range sortedShards(t.ended) {
		if s != shard && t.ended[s] != commit {
			a.fail("atomicity violated: shard %d %s %v, which shard %d %s", shard, past(commit), id, s, past(t.ended[s]))
			break
		}
	}
	if t.decided && t.commit != commit {
		a.fail("atomicity violated: shard %d %s %v, which %s decided to %s", shard, past(commit), id, a.names(t.decider), outcome(t.commit))
	}
	setShard(&t.ended, shard, commit)
	if durable {
		delete(t.volatile, shard)
	} else {
		setShard(&t.volatile, shard, true)
	}
	delete(t.prepared, shard)
	if since, ok := t.blockedSince[shard]; ok {
		d := a.now() - since
		a.blockedDone += d
		t.blocked = max(t.blocked, d)
		delete(t.blockedSince, shard)
	}
}

func past(commit bool) string {
	if commit {
		return "committed"
	}
	return "aborted"
}

func (a *Atomicity) Decided(host sim.HostID, id twopc.TxnID, commit bool) {
	t := a.txn(id)
	if t.decided && t.commit != commit {
		a.fail("decision reversed: %s decided %v to %s, then %s decided it to %s", a.names(t.decider), id, outcome(t.commit), a.names(host), outcome(commit))
		return
	}
	for _, s := range sortedShards(t.ended) {
		if t.ended[s] != commit {
			a.fail("atomicity violated: %s decided %v to %s, which shard %d %s", a.names(host), id, outcome(commit), s, past(t.ended[s]))
			break
		}
	}
	if !t.decided {
		t.decided, t.commit, t.decider = true, commit, host
	}
}

func (a *Atomicity) InDoubt(shard int, id twopc.TxnID) {
	t := a.txn(id)
	if _, ok := t.blockedSince[shard]; !ok {
		setShard(&t.blockedSince, shard, a.now())
	}
}

func (a *Atomicity) Queried(int, twopc.TxnID) { a.queries++ }

func (a *Atomicity) VotedNo(int, twopc.TxnID) { a.votesNo++ }

// VotesNo counts the no votes.
func (a *Atomicity) VotesNo() int { return a.votesNo }

func (a *Atomicity) Recovered(host sim.HostID, shard int, inDoubt []twopc.TxnID) {
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
func (a *Atomicity) BlockedTime() time.Duration {
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
func (a *Atomicity) Stuck() int {
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
func (a *Atomicity) LongestInDoubt() time.Duration {
	var longest time.Duration
	for _, id := range a.order {
		longest = max(longest, a.inDoubt(a.txns[id]))
	}
	return longest
}

func (a *Atomicity) inDoubt(t *txnInfo) time.Duration {
	longest := t.blocked
	now := a.now()
	for _, since := range t.blockedSince {
		longest = max(longest, now-since)
	}
	return longest
}

// Committed and Aborted count the transactions some shard committed, and
// those that were aborted and committed nowhere.
func (a *Atomicity) Committed() int { c, _ := a.outcomes(); return c }
func (a *Atomicity) Aborted() int   { _, ab := a.outcomes(); return ab }

func (a *Atomicity) outcomes() (committed, aborted int) {
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
func (a *Atomicity) Recoveries() int { return a.recoveries }

// Queries counts rounds of termination queries and recovery ballots.
func (a *Atomicity) Queries() int { return a.queries }

// Liveness reports the first transaction that a shard still holds
// prepared: once every fault has healed and the decision timeouts have
// run, every transaction must be decided at every shard that voted yes.
func (a *Atomicity) Liveness() error {
	for _, id := range a.order {
		t := a.txns[id]
		if shards := sortedShards(t.prepared); len(shards) > 0 {
			return fmt.Errorf("%v is still undecided at shard(s) %v after the heal", id, shards)
		}
	}
	return nil
}

func sortedShards[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
