package twopc

import (
	"cmp"
	"encoding/binary"
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
)

// txnState is where a transaction stands at one participant.
type txnState uint8

const (
	// waiting: the transaction waits for a lock.
	waiting txnState = iota + 1
	// active: it holds its locks and ran its operations; it has not voted.
	active
	// prepared: it voted yes, with its PREPARED record forced; only the
	// decision can end it now.
	prepared
)

// ptxn is a transaction at a participant.
type ptxn struct {
	id       TxnID
	prio     Priority
	state    txnState
	client   sim.HostID
	ops      []Op
	locks    []lockReq // sorted by key; the first held are granted
	held     int
	results  [][]int
	refused  bool
	timer    sim.TimerID
	parts    []int // participants, known once asked to prepare
	retry    time.Duration
	inDoubt  bool
	recovery *ballots // Paxos Commit: the ballots this shard runs for txn
	learn    *learner // Faster Paxos Commit: the ballot 0 reports
	prepKey  string   // the key of its PREPARED record, once it has one
	doneKey  string   // the key of its outcome record, made with prepKey

	// The first few locks and results live in the transaction itself:
	// one allocation for the common case instead of three. results,
	// once made, is shared with the Executed messages and never written
	// again.
	lockBuf   [4]lockReq
	resultBuf [4][]int
}

// lock is one key's lock: shared readers or one writer, and the
// transactions waiting for it in arrival order.
type lock struct {
	readers []TxnID
	writer  TxnID
	written bool
	waiters []TxnID
}

func (l *lock) free() bool { return !l.written && len(l.readers) == 0 && len(l.waiters) == 0 }

// conflicts are the holders that a request by t conflicts with.
func (l *lock) conflicts(t TxnID, exclusive bool) []TxnID {
	var out []TxnID
	if l.written && l.writer != t {
		out = append(out, l.writer)
	}
	if exclusive {
		for _, r := range l.readers {
			if r != t {
				out = append(out, r)
			}
		}
	}
	return out
}

// A transaction's timers are tagged with the transaction itself, as one
// of these types by what the timer waits for: a pointer goes into a
// timer's tag without an allocation, where a struct of the id took one.
type (
	lockWaitTimer ptxn
	activeTimer   ptxn
	decisionTimer ptxn
)

// timerOf returns t if it is still this shard's transaction and id its
// latest timer.
func (p *Participant) timerOf(t *ptxn, id sim.TimerID) *ptxn {
	if p.txns.get(t.id) != t || t.timer != id {
		return nil
	}
	return t
}

// Participant is a shard: a durable key-value store with strict two-phase
// locking that takes part in atomic commitment.
type Participant struct {
	cfg   Config
	topo  Topology
	shard int
	obs   Observer
	env   sim.Env
	st    sim.Storage
	// epoch counts this shard's boots; a transaction executed in an
	// earlier incarnation lost its locks, so it cannot be prepared.
	epoch uint64

	data  map[string]*committed
	txns  txnMap[*ptxn]
	locks map[string]*lock
	// done holds the outcome of every transaction this shard has ended
	// since it booted, and of every commit ever (from storage). An
	// outcome here is final.
	done txnMap[bool]
	// applied keeps the writes of committed transactions, only for the
	// ReapplyCommit bug.
	applied map[TxnID][]Op
	// scratch is where records are encoded before Storage.Set copies them.
	scratch []byte
	// slab is where new transactions are cut from (newTxn).
	slab []ptxn
}

// txnSlab is how many transactions newTxn allocates at once.
const txnSlab = 8

// newTxn returns a transaction to fill, cut from a slab of txnSlab: a
// shard begins one per Execute, and one allocation for several is
// cheaper. A slab lives while any of its transactions is referenced.
func (p *Participant) newTxn() *ptxn {
	if len(p.slab) == 0 {
		p.slab = make([]ptxn, txnSlab)
	}
	t := &p.slab[0]
	p.slab = p.slab[1:]
	return t
}

// NewParticipant returns the factory of shard number shard.
func NewParticipant(cfg Config, topo Topology, shard int) sim.Factory {
	topo = topo.clone()
	return func() sim.Node { return &Participant{cfg: cfg, topo: topo, shard: shard, obs: observer(cfg)} }
}

// Start recovers the committed data, every outcome, and every prepared
// transaction with its locks, then asks for the outcome of those.
func (p *Participant) Start(env sim.Env) {
	p.env, p.st = env, env.Storage()
	p.data, p.txns, p.locks, p.done = map[string]*committed{}, txnMap[*ptxn]{}, map[string]*lock{}, txnMap[bool]{}
	p.applied = map[TxnID][]Op{}
	if b, err := p.st.Get(keyEpoch); err == nil && len(b) == 8 {
		p.epoch = binary.BigEndian.Uint64(b)
	}
	p.epoch++
	p.st.Set(keyEpoch, binary.BigEndian.AppendUint64(nil, p.epoch))
	p.st.Sync()
	for _, k := range p.st.Keys(prefixData) {
		b, err := p.st.Get(k)
		var v []int
		if err == nil {
			v, err = decodeList(b)
		}
		if err != nil {
			env.Logf("unreadable data record %s: %v", k, err)
			continue
		}
		p.data[k[len(prefixData):]] = &committed{value: v, storeKey: k}
	}
	for _, k := range p.st.Keys(prefixDone) {
		id, ok := parseTxnKey(prefixDone, k)
		b, err := p.st.Get(k)
		if !ok || err != nil || len(b) != 1 {
			env.Logf("unreadable outcome record %s", k)
			continue
		}
		p.done.set(id, b[0] == outcomeCommit)
	}
	var inDoubt []TxnID
	for _, k := range p.st.Keys(prefixPrep) {
		var rec prepRecord
		if _, err := get(p.st, k, &rec); err != nil {
			// A torn PREPARED record was never synced, so its vote was
			// never sent: the transaction was not prepared here.
			env.Logf("unreadable PREPARED record %s: %v", k, err)
			p.st.Delete(k)
			continue
		}
		if _, ok := p.done.lookup(rec.Txn); ok {
			continue
		}
		t := &ptxn{id: rec.Txn, prio: rec.Priority, state: prepared, client: rec.Client, ops: rec.Writes, locks: rec.Locks, parts: rec.Participants, prepKey: k}
		p.txns.set(t.id, t)
		if !p.cfg.Bugs.ReleaseAtPrepare {
			for _, l := range t.locks {
				p.grant(p.lockOf(l.Key), t.id, l.Exclusive)
			}
			t.held = len(t.locks)
		}
		inDoubt = append(inDoubt, t.id)
	}
	// A crash can land after the sync that made an ending durable and
	// before the observer heard of it (a crash point right after that
	// sync): tell it again of every ending the disk holds, in order.
	var ended []TxnID
	for id := range p.done.all {
		ended = append(ended, id)
	}
	slices.SortFunc(ended, cmpTxn)
	for _, id := range ended {
		p.obs.Finished(p.shard, id, p.done.get(id), true)
	}
	p.obs.Recovered(env.ID(), p.shard, inDoubt)
	for _, id := range inDoubt {
		p.askOutcome(p.txns.get(id))
	}
}

func (p *Participant) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case Execute:
		p.execute(from, m)
	case AbortRequest:
		if t := p.txns.get(m.Txn); t != nil && t.state != prepared {
			p.abort(t, false)
		}
	case CommitRequest:
		p.commitRequest(from, m)
	case Prepare:
		p.prepare(m.Txn, m.Participants, m.Epochs, false)
	case Decision:
		p.decide(m.Txn, m.Commit, from == p.topo.Coordinator)
	case DecisionQuery:
		p.query(from, m)
	case DecisionReply:
		if m.Known {
			p.decide(m.Txn, m.Commit, false)
		}
	case Phase1b:
		p.phase1b(m)
	case Phase2b:
		p.phase2b(m)
	}
}

func (p *Participant) Timer(id sim.TimerID, tag any) {
	switch tg := tag.(type) {
	case *lockWaitTimer:
		if t := p.timerOf((*ptxn)(tg), id); t != nil && t.state == waiting {
			p.abort(t, false)
		}
	case *activeTimer:
		// Not asked to prepare in time: abort on our own, which is allowed
		// because this shard has not voted.
		if t := p.timerOf((*ptxn)(tg), id); t != nil && t.state == active {
			p.abort(t, false)
		}
	case *decisionTimer:
		if t := p.timerOf((*ptxn)(tg), id); t != nil && t.state == prepared {
			if p.cfg.Bugs.AbortAfterYes {
				p.finish(t, false)
				return
			}
			if !t.inDoubt {
				t.inDoubt = true
				p.obs.InDoubt(p.shard, t.id)
			}
			p.askOutcome(t)
		}
	}
}

// execute runs a transaction's operations under their locks; a retried
// Execute gets the same answer.
func (p *Participant) execute(from sim.HostID, m Execute) {
	if commit, ok := p.done.lookup(m.Txn); ok {
		if !commit {
			p.env.Send(from, Executed{Txn: m.Txn, Shard: p.shard})
		}
		return
	}
	if t := p.txns.get(m.Txn); t != nil {
		if t.state != waiting {
			p.reply(t)
		}
		return
	}
	t := p.newTxn()
	*t = ptxn{id: m.Txn, prio: m.Priority, state: waiting, client: from, ops: m.Ops}
	t.locks = t.lockBuf[:0]
	for _, op := range m.Ops {
		i := slices.IndexFunc(t.locks, func(l lockReq) bool { return l.Key == op.Key })
		if i < 0 {
			t.locks = append(t.locks, lockReq{Key: op.Key})
			i = len(t.locks) - 1
		}
		t.locks[i].Exclusive = t.locks[i].Exclusive || op.Kind.writes()
	}
	slices.SortFunc(t.locks, func(a, b lockReq) int { return cmp.Compare(a.Key, b.Key) })
	p.txns.set(t.id, t)
	p.acquire(t)
}

func (p *Participant) lockOf(key string) *lock {
	l := p.locks[key]
	if l == nil {
		l = &lock{}
		p.locks[key] = l
	}
	return l
}

func (p *Participant) grant(l *lock, t TxnID, exclusive bool) {
	if exclusive {
		l.writer, l.written = t, true
		l.readers = slices.DeleteFunc(l.readers, func(r TxnID) bool { return r == t })
	} else if !slices.Contains(l.readers, t) && !(l.written && l.writer == t) {
		l.readers = append(l.readers, t)
	}
}

// acquire takes t's locks in key order. At a conflict wait-die decides: an
// older transaction waits for younger holders, a younger one dies, so no
// wait cycle can form; LockWait bounds the waits that remain.
func (p *Participant) acquire(t *ptxn) {
	for t.held < len(t.locks) {
		req := t.locks[t.held]
		l := p.lockOf(req.Key)
		holders := l.conflicts(t.id, req.Exclusive)
		if len(holders) == 0 {
			p.grant(l, t.id, req.Exclusive)
			t.held++
			continue
		}
		for _, h := range holders {
			if ht := p.txns.get(h); ht != nil && !t.prio.older(ht.prio) {
				p.abort(t, false)
				return
			}
		}
		if !slices.Contains(l.waiters, t.id) {
			l.waiters = append(l.waiters, t.id)
		}
		p.env.Cancel(t.timer)
		t.timer = p.env.After(p.cfg.LockWait, (*lockWaitTimer)(t))
		return
	}
	p.run(t)
}

// run applies t's operations to a private view of the committed data and
// answers the client; the writes land only at commit.
func (p *Participant) run(t *ptxn) {
	t.state = active
	// view holds the keys this transaction changed so far, with their
	// values as it sees them: a few, so a list beats a map.
	type viewed struct {
		key   string
		value []int
	}
	var view []viewed
	value := func(k string) []int {
		for i := len(view) - 1; i >= 0; i-- {
			if view[i].key == k {
				return view[i].value
			}
		}
		return p.value(k)
	}
	if len(t.ops) <= len(t.resultBuf) {
		t.results = t.resultBuf[:len(t.ops):len(t.ops)]
	} else {
		t.results = make([][]int, len(t.ops))
	}
	for i, op := range t.ops {
		v := value(op.Key)
		switch op.Kind {
		case OpRead:
			// Shared, not copied: see the Immutable messages in clone.go.
			t.results[i] = slices.Clip(v)
			if t.results[i] == nil {
				t.results[i] = []int{}
			}
			continue
		case OpAdd:
			next := op.Value
			if len(v) > 0 {
				next += v[len(v)-1]
			}
			if next < 0 {
				t.refused = true
			}
		}
		// Only a later operation on the key reads the view: without one,
		// the new value (a copy of the list, for an append) is not made.
		if slices.ContainsFunc(t.ops[i+1:], func(later Op) bool { return later.Key == op.Key }) {
			view = append(view, viewed{op.Key, apply(v, op)})
		}
	}
	p.env.Cancel(t.timer)
	if t.refused {
		p.reply(t)
		p.abort(t, false)
		return
	}
	t.timer = p.env.After(p.cfg.ActiveTimeout, (*activeTimer)(t))
	p.reply(t)
}

// value is the committed value of key.
func (p *Participant) value(k string) []int {
	if c, ok := p.data[k]; ok {
		return c.value
	}
	if v, ok := p.cfg.Initial[k]; ok {
		return []int{v}
	}
	return nil
}

// apply returns v after op, sharing nothing with v.
func apply(v []int, op Op) []int {
	switch op.Kind {
	case OpWrite:
		return []int{op.Value}
	case OpAppend:
		return append(slices.Clip(v), op.Value)
	case OpAdd:
		cur := 0
		if len(v) > 0 {
			cur = v[len(v)-1]
		}
		return []int{cur + op.Value}
	}
	return v
}

func (p *Participant) reply(t *ptxn) {
	ok := t.state != waiting && !t.refused
	r := Executed{Txn: t.id, Shard: p.shard, Epoch: p.epoch, OK: ok, Refused: t.refused}
	if ok {
		r.Results = t.results
	}
	p.env.Send(t.client, r)
}

// release frees t's locks and grants what waited for them.
func (p *Participant) release(t *ptxn) {
	var woken []TxnID
	for i, req := range t.locks {
		l := p.locks[req.Key]
		if l == nil {
			continue
		}
		if i < t.held {
			if l.written && l.writer == t.id {
				l.written = false
			}
			l.readers = slices.DeleteFunc(l.readers, func(r TxnID) bool { return r == t.id })
		}
		l.waiters = slices.DeleteFunc(l.waiters, func(w TxnID) bool { return w == t.id })
		for _, w := range l.waiters {
			if !slices.Contains(woken, w) {
				woken = append(woken, w)
			}
		}
		// A free lock stays in p.locks, to be taken again without a new
		// one: a shard's keys are few and hot.
	}
	t.held = 0
	for _, w := range woken {
		wt := p.txns.get(w)
		if wt == nil || wt.state != waiting {
			continue
		}
		l := p.lockOf(wt.locks[wt.held].Key)
		if len(l.conflicts(w, wt.locks[wt.held].Exclusive)) == 0 {
			l.waiters = slices.DeleteFunc(l.waiters, func(x TxnID) bool { return x == w })
			p.acquire(wt)
		}
	}
}

// abort ends a transaction this shard has not voted yes on. durable makes
// the abort survive a crash, for an abort others are told about.
func (p *Participant) abort(t *ptxn, durable bool) {
	if t.state == prepared {
		panic("twopc: abort of a prepared transaction")
	}
	p.env.Cancel(t.timer)
	p.txns.del(t.id)
	p.release(t)
	p.done.set(t.id, false)
	if durable {
		p.st.Set(txnKey(prefixDone, t.id), outcomeByte(false))
		p.st.Sync()
	}
	p.obs.Finished(p.shard, t.id, false, durable)
	if t.state == waiting {
		p.reply(t)
	}
}

// commitRequest starts the commit at the initiating shard: it prepares,
// and its BeginCommit to the coordinator carries its yes vote.
func (p *Participant) commitRequest(from sim.HostID, m CommitRequest) {
	if commit, ok := p.done.lookup(m.Txn); ok {
		p.env.Send(from, Outcome{Txn: m.Txn, Commit: commit})
		return
	}
	t := p.txns.get(m.Txn)
	if t == nil || t.state == waiting {
		// Lost in a crash, or never executed here: this shard votes no.
		if t != nil {
			p.abort(t, false)
		} else {
			p.done.set(m.Txn, false)
		}
		p.env.Send(from, Outcome{Txn: m.Txn})
		return
	}
	t.client = from
	p.prepare(m.Txn, m.Participants, m.Epochs, true)
}

// prepare forces the PREPARED record and votes yes, or votes no for a
// transaction this shard cannot commit.
func (p *Participant) prepare(id TxnID, parts []int, epochs []uint64, initiator bool) {
	if commit, ok := p.done.lookup(id); ok {
		if !commit {
			p.vote(id, parts, epochs, false, initiator, sim.NoHost)
		}
		return
	}
	t := p.txns.get(id)
	if t != nil && t.state == active {
		if i := slices.Index(parts, p.shard); i < 0 || i >= len(epochs) || epochs[i] != p.epoch {
			// Executed again after a restart: the client saw the reads of
			// an incarnation whose locks are gone.
			p.abort(t, false)
			t = nil
		}
	}
	if t == nil || t.state == waiting {
		if t != nil {
			p.abort(t, false)
		} else {
			p.done.set(id, false)
		}
		p.vote(id, parts, epochs, false, initiator, sim.NoHost)
		return
	}
	if t.state == active {
		p.env.Cancel(t.timer)
		t.parts = parts // shared with the Immutable message that asked
		rec := prepRecord{Txn: t.id, Priority: t.prio, Locks: t.locks, Participants: t.parts, Client: t.client}
		for _, op := range t.ops {
			if op.Kind.writes() {
				rec.Writes = append(rec.Writes, op)
			}
		}
		t.ops = rec.Writes
		t.prepKey, t.doneKey = txnKeys(prefixPrep, prefixDone, t.id)
		putPrepared(p.st, t.prepKey, &rec, &p.scratch)
		if !p.cfg.Bugs.UnsyncedPrepare {
			p.st.Sync()
		}
		t.state = prepared
		t.retry = p.cfg.DecisionTimeout
		t.timer = p.env.After(t.retry, (*decisionTimer)(t))
		p.obs.Prepared(p.shard, t.id)
		if p.cfg.Bugs.ReleaseAtPrepare {
			p.release(t)
		}
	}
	p.vote(id, t.parts, epochs, true, initiator, t.client)
}

func (p *Participant) vote(id TxnID, parts []int, epochs []uint64, yes, initiator bool, client sim.HostID) {
	if !yes {
		p.obs.VotedNo(p.shard, id)
	}
	if p.cfg.Protocol == PaxosCommit {
		// The vote goes to F+1 acceptors, enough to choose it; the others
		// hear of it only from a higher ballot, if one is needed. The
		// initiator's BeginCommit travels with its vote to the acceptor on
		// the leader's host, if there is one.
		var begin any
		if initiator && yes {
			begin = BeginCommit{Txn: id, Client: client, Participants: parts, Epochs: epochs}
		}
		v := Phase2a{Txn: id, Participants: parts, Values: []Accepted{{Shard: p.shard, Has: true, Prepared: yes}}, Client: client}
		for i, a := range p.topo.voters(p.cfg.F) {
			v.Acceptor = i
			if begin != nil && a == p.topo.Coordinator && a != p.env.ID() {
				p.env.Send(a, Bundle{Msgs: []any{begin, v}})
				begin = nil
				continue
			}
			p.env.Send(a, v)
		}
		if begin != nil {
			p.env.Send(p.topo.Coordinator, begin)
		}
	} else if initiator && yes {
		p.env.Send(p.topo.Coordinator, BeginCommit{Txn: id, Client: client, Participants: parts, Epochs: epochs})
	} else {
		p.env.Send(p.topo.Coordinator, Vote{Txn: id, Shard: p.shard, Yes: yes})
	}
	if initiator && !yes && client != sim.NoHost {
		p.env.Send(client, Outcome{Txn: id})
	}
}

// decide applies a decision; a two-phase commit coordinator's commit is
// acknowledged (Paxos Commit's leader keeps nothing to forget).
func (p *Participant) decide(id TxnID, commit, fromCoordinator bool) {
	t := p.txns.get(id)
	if prev, ok := p.done.lookup(id); ok {
		if prev && commit && p.cfg.Bugs.ReapplyCommit {
			p.applyWrites(id, p.applied[id])
			p.st.Sync()
		}
		if prev && fromCoordinator && p.cfg.Protocol == TwoPhase {
			p.env.Send(p.topo.Coordinator, Ack{Txn: id, Shard: p.shard})
		}
		return
	}
	switch {
	case t == nil:
		return
	case t.state != prepared:
		if commit {
			p.env.Logf("COMMIT for a transaction this shard never prepared")
			return
		}
		p.abort(t, false)
		return
	}
	p.finish(t, commit)
	if commit && fromCoordinator && p.cfg.Protocol == TwoPhase {
		p.env.Send(p.topo.Coordinator, Ack{Txn: id, Shard: p.shard})
	}
}

// finish ends a prepared transaction: its writes, its outcome and the
// removal of its PREPARED record become durable in one sync.
func (p *Participant) finish(t *ptxn, commit bool) {
	p.env.Cancel(t.timer)
	if commit {
		p.applyWrites(t.id, t.ops)
		if p.cfg.Bugs.ReapplyCommit {
			p.applied[t.id] = t.ops
		}
	}
	if t.doneKey == "" {
		t.doneKey = txnKey(prefixDone, t.id)
	}
	p.st.Set(t.doneKey, outcomeByte(commit))
	if t.prepKey == "" {
		t.prepKey = txnKey(prefixPrep, t.id)
	}
	p.st.Delete(t.prepKey)
	p.st.Sync()
	p.txns.del(t.id)
	p.done.set(t.id, commit)
	p.release(t)
	p.obs.Finished(p.shard, t.id, commit, true)
}

func (p *Participant) applyWrites(id TxnID, writes []Op) {
	for _, op := range writes {
		c := p.data[op.Key]
		if c != nil && c.record != nil && op.Kind == OpAppend {
			// The committed lists are this shard's own (reads share them
			// only up to the length they saw), so an append grows the
			// list and its encoding in place.
			c.value = append(c.value, op.Value)
			c.record = binary.AppendVarint(c.record, int64(op.Value))
		} else {
			v := p.value(op.Key)
			if c == nil {
				c = &committed{storeKey: prefixData + op.Key}
				p.data[op.Key] = c
			}
			if op.Kind == OpAppend {
				c.value = append(v, op.Value)
			} else {
				c.value = apply(v, op)
			}
			c.record = appendEncodedElements(append(c.record[:0], make([]byte, lengthRoom)...), c.value)
		}
		p.st.Set(c.storeKey, c.encoded())
	}
}

// askOutcome runs one round of termination for a prepared transaction:
// two-phase commit asks the coordinator and the other participants, Paxos
// Commit runs a recovery ballot.
func (p *Participant) askOutcome(t *ptxn) {
	p.obs.Queried(p.shard, t.id)
	p.env.Cancel(t.timer)
	if t.retry == 0 {
		t.retry = p.cfg.DecisionTimeout
	} else {
		t.retry = min(2*t.retry, p.cfg.DecisionRetryMax)
	}
	t.timer = p.env.After(t.retry, (*decisionTimer)(t))
	if p.cfg.Protocol == PaxosCommit {
		p.startRecovery(t)
		return
	}
	var q any = DecisionQuery{Txn: t.id, Shard: p.shard} // boxed once for all it asks
	p.env.Send(p.topo.Coordinator, q)
	for _, s := range t.parts {
		if s != p.shard {
			p.env.Send(p.topo.Shards[s], q)
		}
	}
}

// query answers a peer's termination query. A shard that has not voted
// aborts, durably, and says so; one in doubt itself stays silent.
func (p *Participant) query(from sim.HostID, m DecisionQuery) {
	if commit, ok := p.done.lookup(m.Txn); ok {
		p.env.Send(from, DecisionReply{Txn: m.Txn, Known: true, Commit: commit})
		return
	}
	t := p.txns.get(m.Txn)
	if t != nil && t.state == prepared {
		return
	}
	if t != nil {
		p.abort(t, true)
	} else {
		p.done.set(m.Txn, false)
		p.st.Set(txnKey(prefixDone, m.Txn), outcomeByte(false))
		p.st.Sync()
	}
	p.env.Send(from, DecisionReply{Txn: m.Txn, Known: true})
}

// InDoubt lists the transactions this shard holds prepared, sorted.
func (p *Participant) InDoubt() []TxnID {
	var out []TxnID
	p.txns.all(func(id TxnID, t *ptxn) bool {
		if t.state == prepared {
			out = append(out, id)
		}
		return true
	})
	slices.SortFunc(out, cmpTxn)
	return out
}

// LockedKeys lists the keys whose locks are held or awaited, sorted.
func (p *Participant) LockedKeys() []string {
	var out []string
	for k := range p.locks {
		out = append(out, k)
	}
	slices.Sort(out)
	// A free lock stays in the table (release keeps it for the next
	// transaction), but it is neither held nor awaited.
	return slices.DeleteFunc(out, func(k string) bool { return p.locks[k].free() })
}

// Data returns a copy of the committed values.
func (p *Participant) Data() map[string][]int {
	out := make(map[string][]int, len(p.data))
	for k, c := range p.data { //detsim:maporder fills a fresh map: the copy is the same in every order
		out[k] = slices.Clone(c.value)
	}
	return out
}

func cmpTxn(a, b TxnID) int {
	return cmp.Or(cmp.Compare(a.Client, b.Client), cmp.Compare(a.Seq, b.Seq))
}
