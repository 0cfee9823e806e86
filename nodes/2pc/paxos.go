package twopc

import (
	"slices"
	"strconv"

	"github.com/detsim/detsim/sim"
)

// learner tallies acceptors' Phase2b reports for one transaction. An
// instance's value is chosen once F+1 acceptors report it accepted at the
// same ballot; the transaction commits once every instance chose
// Prepared, and aborts as soon as one chose Aborted.
type learner struct {
	parts   []int
	reports map[int][]Accepted // by acceptor: its latest report
}

func newLearner(parts []int) *learner {
	return &learner{parts: slices.Clone(parts), reports: map[int][]Accepted{}}
}

func (l *learner) add(m Phase2b) { l.reports[m.Acceptor] = slices.Clone(m.Instances) }

// outcome returns whether the transaction is decided, and how.
func (l *learner) outcome(f, acceptors int) (decided, commit bool) {
	all := true
	for _, s := range l.parts {
		chosen, prepared := l.chosen(s, f, acceptors)
		if chosen && !prepared {
			return true, false
		}
		all = all && chosen
	}
	return all, all
}

func (l *learner) chosen(shard, f, acceptors int) (chosen, prepared bool) {
	// Acceptors are visited by index, never by map order.
	for a := 0; a < acceptors; a++ {
		v, ok := instance(l.reports[a], shard)
		if !ok || !v.Has {
			continue
		}
		same := 0
		for b := 0; b < acceptors; b++ {
			if w, ok := instance(l.reports[b], shard); ok && w.Has && w.Ballot == v.Ballot {
				same++
			}
		}
		if same >= f+1 {
			return true, v.Prepared
		}
	}
	return false, false
}

func instance(vs []Accepted, shard int) (Accepted, bool) {
	for _, v := range vs {
		if v.Shard == shard {
			return v, true
		}
	}
	return Accepted{}, false
}

// ballots are the ballots above 0 that one proposer (a participant
// finishing a transaction it holds in doubt, or the leader after a
// timeout) runs for one transaction: phase 1 finds what may have been
// chosen, phase 2 proposes it, with Aborted for an instance that chose
// nothing. The proposer's ballots are round*slots + slot: the leader's
// slot is 0, shard s's is s+1, so ballots are unique to their proposer
// and leaderBallot tells whose a ballot is.
type ballots struct {
	slot, slots uint64
	ballot      uint64
	round       uint64
	promise     map[int][]Accepted // phase 1b reports, by acceptor
	phase2      bool
	learn       *learner
}

// newBallots starts the rounds from the proposer's incarnation, so that a
// restarted proposer never reuses a ballot it ran before its crash.
func newBallots(slot, slots, epoch uint64) *ballots {
	return &ballots{slot: slot, slots: slots, round: epoch << 20}
}

// leaderBallot reports whether ballot is the leader's: ballot 0, whose
// reports go to the leader, or one of the leader's own.
func leaderBallot(ballot uint64, shards int) bool { return ballot%uint64(shards+1) == 0 }

// next begins the next ballot and sends its phase 1a to every acceptor.
func (r *ballots) next(env sim.Env, acceptors []sim.HostID, txn TxnID, parts []int) {
	r.round++
	r.ballot = r.round*r.slots + r.slot
	r.promise, r.phase2, r.learn = map[int][]Accepted{}, false, newLearner(parts)
	for i, a := range acceptors {
		env.Send(a, Phase1a{Txn: txn, Acceptor: i, Ballot: r.ballot, Participants: parts})
	}
}

// promised takes a phase 1b answer. Once F+1 acceptors promised the
// current ballot it returns the values phase 2 proposes, once.
func (r *ballots) promised(m Phase1b, f, acceptors int, parts []int) ([]Accepted, bool) {
	if r.phase2 || m.Ballot != r.ballot {
		return nil, false
	}
	if m.Rejected {
		// Another proposer's ballot is higher: the next one of ours (at
		// the next timeout, so that two proposers do not duel) goes above
		// it.
		r.round = max(r.round, m.Promised/r.slots)
		return nil, false
	}
	r.promise[m.Acceptor] = slices.Clone(m.Instances)
	if len(r.promise) < f+1 {
		return nil, false
	}
	r.phase2 = true
	values := make([]Accepted, len(parts))
	for i, s := range parts {
		best := Accepted{Shard: s, Ballot: r.ballot, Has: true}
		var top uint64
		found := false
		for a := 0; a < acceptors; a++ {
			v, ok := instance(r.promise[a], s)
			if ok && v.Has && (!found || v.Ballot > top) {
				best.Prepared, top, found = v.Prepared, v.Ballot, true
			}
		}
		values[i] = best
	}
	return values, true
}

// propose sends phase 2a of the current ballot to every acceptor.
func (r *ballots) propose(env sim.Env, acceptors []sim.HostID, txn TxnID, parts []int, values []Accepted, client sim.HostID) {
	for i, a := range acceptors {
		env.Send(a, Phase2a{Txn: txn, Acceptor: i, Ballot: r.ballot, Participants: parts, Values: values, Client: client})
	}
}

// startRecovery begins this shard's next ballot for t.
func (p *Participant) startRecovery(t *ptxn) {
	if t.recovery == nil {
		t.recovery = newBallots(uint64(p.shard+1), uint64(len(p.topo.Shards)+1), p.epoch)
	}
	t.recovery.next(p.env, p.topo.Acceptors, t.id, t.parts)
}

func (p *Participant) phase1b(m Phase1b) {
	t := p.txns.get(m.Txn)
	if t == nil || t.recovery == nil {
		return
	}
	if values, ok := t.recovery.promised(m, p.cfg.F, len(p.topo.Acceptors), t.parts); ok {
		t.recovery.propose(p.env, p.topo.Acceptors, t.id, t.parts, values, t.client)
	}
}

func (p *Participant) phase2b(m Phase2b) {
	t := p.txns.get(m.Txn)
	if t != nil && m.Ballot == 0 && p.cfg.Faster {
		p.learnFaster(t, m)
		return
	}
	if t == nil || t.recovery == nil || !t.recovery.phase2 {
		return
	}
	t.recovery.learn.add(m)
	decided, commit := t.recovery.learn.outcome(p.cfg.F, len(p.topo.Acceptors))
	if !decided {
		return
	}
	p.obs.Decided(p.env.ID(), t.id, commit)
	parts, client := t.parts, t.client
	p.finish(t, commit)
	d := Decision{Txn: m.Txn, Commit: commit}
	for _, s := range parts {
		if s != p.shard {
			p.env.Send(p.topo.Shards[s], d)
		}
	}
	if client != sim.NoHost {
		p.env.Send(client, Outcome{Txn: m.Txn, Commit: commit})
	}
}

// learnFaster tallies, in Faster Paxos Commit, the acceptors' ballot 0
// reports that come to every participant: each learns the outcome itself
// and ends the transaction, and the initiator tells the client.
func (p *Participant) learnFaster(t *ptxn, m Phase2b) {
	if t.parts == nil {
		t.parts = participantsOf(m)
	}
	if t.learn == nil {
		t.learn = newLearner(t.parts)
	}
	t.learn.add(m)
	decided, commit := t.learn.outcome(p.cfg.F, len(p.topo.Acceptors))
	switch {
	case !decided:
		return
	case t.state != prepared:
		// An abort chosen before this shard voted: it may abort on its
		// own, as it has not voted yes.
		if !commit {
			p.abort(t, false)
		}
		return
	}
	p.obs.Decided(p.env.ID(), t.id, commit)
	initiator, client := t.parts[0] == p.shard, t.client
	p.finish(t, commit)
	if initiator && client != sim.NoHost {
		p.env.Send(client, Outcome{Txn: m.Txn, Commit: commit})
	}
}

func participantsOf(m Phase2b) []int {
	parts := make([]int, len(m.Instances))
	for i, v := range m.Instances {
		parts[i] = v.Shard
	}
	return parts
}

// Acceptor is one of Paxos Commit's 2F+1 acceptors. It keeps, for each
// transaction, one promise covering all its instances and the value it
// accepted for each, and forces both before it answers.
type Acceptor struct {
	cfg   Config
	topo  Topology
	index int
	env   sim.Env
	st    sim.Storage
	txns  map[TxnID]*accRecord
	// prefix keeps this acceptor's records apart from those of another
	// acceptor on the same host.
	prefix string
}

// NewAcceptor returns the factory of acceptor number index.
func NewAcceptor(cfg Config, topo Topology, index int) sim.Factory {
	topo = topo.clone()
	return func() sim.Node { return &Acceptor{cfg: cfg, topo: topo, index: index} }
}

func (a *Acceptor) Start(env sim.Env) {
	a.env, a.st, a.txns = env, env.Storage(), map[TxnID]*accRecord{}
	a.prefix = prefixAcc + strconv.Itoa(a.index) + "/"
}

// record loads the state of txn, lazily from storage after a restart.
func (a *Acceptor) record(id TxnID, parts []int, client sim.HostID) *accRecord {
	if r := a.txns[id]; r != nil {
		return r
	}
	r := &accRecord{}
	if found, err := get(a.st, txnKey(a.prefix, id), r); err != nil || !found {
		if err != nil {
			a.env.Logf("unreadable acceptor record: %v", err)
		}
		r = &accRecord{Participants: slices.Clone(parts), Client: client}
		for _, s := range parts {
			r.Instances = append(r.Instances, Accepted{Shard: s})
		}
	}
	a.txns[id] = r
	return r
}

func (a *Acceptor) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case Phase1a:
		r := a.record(m.Txn, m.Participants, sim.NoHost)
		if m.Ballot <= r.Promised {
			a.env.Send(from, Phase1b{Txn: m.Txn, Ballot: m.Ballot, Acceptor: a.index, Rejected: true, Promised: r.Promised})
			return
		}
		r.Promised = m.Ballot
		a.force(m.Txn, r)
		a.env.Send(from, Phase1b{Txn: m.Txn, Ballot: m.Ballot, Acceptor: a.index, Instances: slices.Clone(r.Instances)})
	case Phase2a:
		r := a.record(m.Txn, m.Participants, m.Client)
		if m.Ballot < r.Promised {
			return
		}
		r.Promised = m.Ballot
		abort := false
		for _, v := range m.Values {
			i := slices.IndexFunc(r.Instances, func(x Accepted) bool { return x.Shard == v.Shard })
			if i < 0 {
				continue
			}
			// Ballot 0 is the participant's own: it proposes only its vote,
			// and a repeat of it must not undo a later ballot's value.
			if m.Ballot == 0 && r.Instances[i].Has {
				continue
			}
			r.Instances[i] = Accepted{Shard: v.Shard, Ballot: m.Ballot, Has: true, Prepared: v.Prepared}
			abort = abort || !v.Prepared
		}
		if m.Client != sim.NoHost {
			r.Client = m.Client
		}
		report := Phase2b{Txn: m.Txn, Acceptor: a.index, Ballot: m.Ballot, Instances: slices.Clone(r.Instances)}
		if m.Ballot > 0 {
			a.force(m.Txn, r)
			a.env.Send(from, report)
			return
		}
		// Ballot 0 votes are forced once, all of them together, when the
		// leader is told: an acceptor that crashes before has told nobody
		// what it accepted, so forgetting it is as if the votes were lost
		// on the way, which Paxos survives.
		complete := !slices.ContainsFunc(r.Instances, func(x Accepted) bool { return !x.Has })
		if !complete && !abort {
			return
		}
		a.force(m.Txn, r)
		if !a.cfg.Faster {
			a.env.Send(a.topo.Coordinator, report)
			return
		}
		for _, s := range r.Participants {
			a.env.Send(a.topo.Shards[s], report)
		}
	}
}

func (a *Acceptor) Timer(sim.TimerID, any) {}

func (a *Acceptor) force(id TxnID, r *accRecord) {
	put(a.st, txnKey(a.prefix, id), r)
	a.st.Sync()
}
