package twopccheck

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/internal/txntable"
	"github.com/detsim/detsim/sim"
)

// txnInfo is what the shards and deciders reported of one transaction.
type txnInfo struct {
	id              twopc.TxnID
	decided, commit bool
	decider         sim.HostID
	// shards holds one entry per shard that reported anything, sorted by
	// shard: a transaction touches a few shards, so a short list is
	// cheaper than a map per field, and it is walked in shard order.
	shards  []shardState
	blocked time.Duration // longest in-doubt interval that ended
}

// shardState is one shard's view of a transaction.
type shardState struct {
	shard    int
	ended    bool // the shard ended the transaction, committing it if commit
	commit   bool
	volatile bool // the ending is one a crash forgets
	prepared bool // voted yes and not ended
	blocked  bool // in doubt since since
	since    time.Duration
}

// find returns shard's entry, or nil if it reported nothing yet.
func (t *txnInfo) find(shard int) *shardState {
	for i := range t.shards {
		if t.shards[i].shard == shard {
			return &t.shards[i]
		}
	}
	return nil
}

// at returns shard's entry, adding it in shard order. The pointer holds
// until the next call that adds an entry. A transaction's first entries
// go into room for four cut from a's arena, shared by many transactions.
func (a *Atomicity) at(t *txnInfo, shard int) *shardState {
	i := 0
	for ; i < len(t.shards) && t.shards[i].shard <= shard; i++ {
		if t.shards[i].shard == shard {
			return &t.shards[i]
		}
	}
	if t.shards == nil {
		if len(a.arena)+shardsRoom > cap(a.arena) {
			a.arena = make([]shardState, 0, 64*shardsRoom)
		}
		n := len(a.arena)
		a.arena = a.arena[:n+shardsRoom]
		// Capped at the room: a fifth entry moves the list out.
		t.shards = a.arena[n : n : n+shardsRoom]
	}
	t.shards = slices.Insert(t.shards, i, shardState{shard: shard})
	return &t.shards[i]
}

// shardsRoom is the room a transaction's shard entries start with.
const shardsRoom = 4

// Atomicity implements twopc.Observer. It is not safe for concurrent use;
// a world calls it from its one thread.
type Atomicity struct {
	now   func() time.Duration
	names func(sim.HostID) string
	err   error
	// txns indexes infos, which is in first-seen order, for deterministic
	// reports.
	txns  txntable.Table[int32]
	infos []txnInfo
	// recent caches the last transactions looked up, in front of txns:
	// each client runs one transaction at a time, so the reports of a
	// moment concern a few transactions, and a scan of four beats a map
	// lookup. An entry's at is its index in infos plus one (0: empty).
	recent [4]struct {
		id twopc.TxnID
		at int32
	}
	recentNext int
	// arena is where transactions' first shard entries are cut from.
	arena []shardState

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
	return &Atomicity{now: now, names: name, booted: map[sim.HostID]bool{}, StuckAfter: time.Second}
}

// txn returns id's record, adding it if new. The pointer holds until the
// next call that adds a record.
func (a *Atomicity) txn(id twopc.TxnID) *txnInfo {
	for _, r := range a.recent {
		if r.at > 0 && r.id == id {
			return &a.infos[r.at-1]
		}
	}
	i, ok := a.txns.Get(id.Client, id.Seq)
	if !ok {
		i = int32(len(a.infos))
		a.txns.Set(id.Client, id.Seq, i)
		a.infos = append(a.infos, txnInfo{id: id, decider: sim.NoHost})
	}
	a.recent[a.recentNext].id, a.recent[a.recentNext].at = id, i+1
	a.recentNext = (a.recentNext + 1) % len(a.recent)
	return &a.infos[i]
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
	if st := t.find(shard); st == nil || !st.ended {
		a.at(t, shard).prepared = true
	}
}

func (a *Atomicity) Finished(shard int, id twopc.TxnID, commit, durable bool) {
	t := a.txn(id)
	if st := t.find(shard); st != nil && st.ended && st.commit != commit {
		a.fail("decision reversed: shard %d ended %v with %s, then with %s", shard, id, outcome(st.commit), outcome(commit))
	}
	for _, other := range t.shards {
		if other.ended && other.shard != shard && other.commit != commit {
			a.fail("atomicity violated: shard %d %s %v, which shard %d %s", shard, past(commit), id, other.shard, past(other.commit))
			break
		}
	}
	if t.decided && t.commit != commit {
		a.fail("atomicity violated: shard %d %s %v, which %s decided to %s", shard, past(commit), id, a.names(t.decider), outcome(t.commit))
	}
	st := a.at(t, shard)
	st.ended, st.commit = true, commit
	st.volatile = !durable
	st.prepared = false
	if st.blocked {
		d := a.now() - st.since
		a.blockedDone += d
		t.blocked = max(t.blocked, d)
		st.blocked = false
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
	for _, st := range t.shards {
		if st.ended && st.commit != commit {
			a.fail("atomicity violated: %s decided %v to %s, which shard %d %s", a.names(host), id, outcome(commit), st.shard, past(st.commit))
			break
		}
	}
	if !t.decided {
		t.decided, t.commit, t.decider = true, commit, host
	}
}

func (a *Atomicity) InDoubt(shard int, id twopc.TxnID) {
	if st := a.at(a.txn(id), shard); !st.blocked {
		st.blocked, st.since = true, a.now()
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
	for i := range a.infos {
		t := &a.infos[i]
		st := t.find(shard)
		if st == nil {
			continue
		}
		if st.volatile {
			st.ended, st.volatile = false, false
		}
		if st.prepared && !slices.Contains(inDoubt, t.id) {
			a.fail("prepared state lost: %s restarted without %v, on which it had voted yes", a.names(host), t.id)
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
	for i := range a.infos {
		for _, st := range a.infos[i].shards {
			if st.blocked {
				total += now - st.since
			}
		}
	}
	return total
}

// Stuck counts the transactions some shard held in doubt for at least
// StuckAfter.
func (a *Atomicity) Stuck() int {
	n := 0
	for i := range a.infos {
		if a.inDoubt(&a.infos[i]) >= a.StuckAfter {
			n++
		}
	}
	return n
}

// LongestInDoubt is the longest time a shard held one transaction in
// doubt, open intervals included.
func (a *Atomicity) LongestInDoubt() time.Duration {
	var longest time.Duration
	for i := range a.infos {
		longest = max(longest, a.inDoubt(&a.infos[i]))
	}
	return longest
}

func (a *Atomicity) inDoubt(t *txnInfo) time.Duration {
	longest := t.blocked
	now := a.now()
	for _, st := range t.shards {
		if st.blocked {
			longest = max(longest, now-st.since)
		}
	}
	return longest
}

// Committed and Aborted count the transactions some shard committed, and
// those that were aborted and committed nowhere.
func (a *Atomicity) Committed() int { c, _ := a.outcomes(); return c }
func (a *Atomicity) Aborted() int   { _, ab := a.outcomes(); return ab }

func (a *Atomicity) outcomes() (committed, aborted int) {
	for i := range a.infos {
		t := &a.infos[i]
		c, ab := false, false
		for _, st := range t.shards {
			c, ab = c || st.ended && st.commit, ab || st.ended && !st.commit
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
	for i := range a.infos {
		t := &a.infos[i]
		var shards []int
		for _, st := range t.shards {
			if st.prepared {
				shards = append(shards, st.shard)
			}
		}
		if len(shards) > 0 {
			return fmt.Errorf("%v is still undecided at shard(s) %v after the heal", t.id, shards)
		}
	}
	return nil
}
