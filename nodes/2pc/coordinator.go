package twopc

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
)

// ctxn is a transaction at the coordinator.
type ctxn struct {
	id      TxnID
	parts   []int
	client  sim.HostID
	epochs  []uint64
	yes     []bool // two-phase commit: the votes received, by position in parts
	decided bool
	commit  bool
	acked   []bool
	timer   sim.TimerID
	began   time.Duration // local clock
	learn   *learner      // Paxos Commit
	ballots *ballots      // Paxos Commit: the leader's ballots after a timeout
	key     string        // two-phase commit: the key of its decision record, once made
	end     string        // and of its end record, made with key

	// The votes and acknowledgements of a few participants live in the
	// transaction itself.
	yesBuf, ackedBuf [4]bool
}

// flags returns n false flags, in buf when they fit.
func flags(buf *[4]bool, n int) []bool {
	if n <= len(buf) {
		*buf = [4]bool{}
		return buf[:n:n]
	}
	return make([]bool, n)
}

// decisionKey is the key of t's decision record, made once.
func (t *ctxn) decisionKey() string {
	if t.key == "" {
		t.key, t.end = txnKeys(prefixCoord, prefixEnd, t.id)
	}
	return t.key
}

// endKey is the key of t's end record, made once.
func (t *ctxn) endKey() string {
	if t.end == "" {
		t.decisionKey()
	}
	return t.end
}

// A transaction's timers are tagged with the transaction itself, as the
// participant's are.
type (
	voteTimer   ctxn
	resendTimer ctxn
)

type forceTag struct{}

// commitForceDelay is how long the CommitBeforeForce bug leaves a sent
// COMMIT unforced: a group commit that comes too late.
const commitForceDelay = 100 * time.Millisecond

// Coordinator is two-phase commit's coordinator, with a write-ahead log on
// its host's storage, or Paxos Commit's leader, which keeps nothing durable
// (the acceptors do).
type Coordinator struct {
	cfg  Config
	topo Topology
	obs  Observer
	env  sim.Env
	st   sim.Storage
	txns txnMap[*ctxn]
	// unreadable are the transactions whose decision record Start found
	// on disk and could not read. Every other record on disk is in txns,
	// so a transaction in neither has no record: a Get of its key would
	// find nothing, and draw no storage fault (a Get draws only on a key
	// that exists), so begin looks for one only here.
	unreadable map[TxnID]bool
	// epoch counts a Paxos Commit leader's boots, so that its ballots
	// after a restart are new.
	epoch uint64
	// scratch is where decisions are encoded before Storage.Set copies
	// them.
	scratch []byte
}

// NewCoordinator returns the coordinator's factory.
func NewCoordinator(cfg Config, topo Topology) sim.Factory {
	topo = topo.clone()
	return func() sim.Node { return &Coordinator{cfg: cfg, topo: topo, obs: observer(cfg)} }
}

// Start finishes what the log says: every commit that not every
// participant acknowledged is sent again. A transaction with no record was
// never decided commit, and is presumed aborted.
func (c *Coordinator) Start(env sim.Env) {
	c.env, c.st, c.txns = env, env.Storage(), txnMap[*ctxn]{}
	c.obs.Recovered(env.ID(), -1, nil)
	if c.cfg.Protocol == PaxosCommit {
		if b, err := c.st.Get(keyLeader); err == nil && len(b) == 8 {
			c.epoch = binary.BigEndian.Uint64(b)
		}
		c.epoch++
		c.st.Set(keyLeader, binary.BigEndian.AppendUint64(nil, c.epoch))
		c.st.Sync()
		return
	}
	c.unreadable = nil
	for _, k := range c.st.Keys(prefixCoord) {
		id, ok := parseTxnKey(prefixCoord, k)
		var rec coordRecord
		if _, err := getDecision(c.st, k, &rec); !ok || err != nil {
			env.Logf("unreadable decision record %s", k)
			if ok {
				if c.unreadable == nil {
					c.unreadable = map[TxnID]bool{}
				}
				c.unreadable[id] = true
			}
			continue
		}
		t := &ctxn{id: id, parts: rec.Participants, client: rec.Client, decided: true, commit: rec.Commit}
		t.acked = flags(&t.ackedBuf, len(rec.Participants))
		c.txns.set(id, t)
		if _, err := c.st.Get(t.endKey()); err == nil || !t.commit {
			continue
		}
		c.send(t)
	}
}

func (c *Coordinator) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case BeginCommit:
		c.begin(m)
	case Vote:
		t := c.txns.get(m.Txn)
		if t == nil || t.decided || t.yes == nil {
			return
		}
		i := slices.Index(t.parts, m.Shard)
		if i < 0 {
			return
		}
		if !m.Yes {
			c.decide(t, false)
			return
		}
		t.yes[i] = true
		if !slices.Contains(t.yes, false) {
			c.decide(t, true)
		}
	case Phase2b:
		t := c.txns.get(m.Txn)
		if t == nil || t.decided || t.learn == nil {
			return
		}
		// Reports of ballot 0 and of the leader's own ballots tally
		// together: an instance is chosen once F+1 acceptors accepted one
		// ballot's value, whichever ballot it is.
		t.learn.add(m)
		if decided, commit := t.learn.outcome(c.cfg.F, len(c.topo.Acceptors)); decided {
			c.decide(t, commit)
		}
	case Phase1b:
		t := c.txns.get(m.Txn)
		if t == nil || t.decided || t.ballots == nil {
			return
		}
		if values, ok := t.ballots.promised(m, c.cfg.F, len(c.topo.Acceptors), t.parts); ok {
			t.ballots.propose(c.env, c.topo.Acceptors, t.id, t.parts, values, t.client)
		}
	case Ack:
		t := c.txns.get(m.Txn)
		if t == nil || !t.decided || !t.commit {
			return
		}
		if i := slices.Index(t.parts, m.Shard); i >= 0 {
			t.acked[i] = true
		}
		if !slices.Contains(t.acked, false) {
			c.env.Cancel(t.timer)
			c.st.Set(t.endKey(), nil)
		}
	case DecisionQuery:
		c.query(from, m)
	}
}

func (c *Coordinator) Timer(id sim.TimerID, tag any) {
	switch tg := tag.(type) {
	case *voteTimer:
		t := (*ctxn)(tg)
		if c.txns.get(t.id) != t || t.timer != id || t.decided {
			return
		}
		if c.env.Now()-t.began < c.cfg.VoteTimeout {
			c.prepare(t, true)
			return
		}
		if c.cfg.Protocol == TwoPhase {
			c.decide(t, false)
			return
		}
		// Paxos Commit's leader goes to every acceptor with a ballot of
		// its own, which finds the votes ballot 0 could not choose (an
		// acceptor of the F+1 is down) or aborts the instances of those
		// that never voted; again every VoteTimeout until decided.
		if t.ballots == nil {
			t.ballots = newBallots(0, uint64(len(c.topo.Shards)+1), c.epoch)
		}
		t.ballots.next(c.env, c.topo.Acceptors, t.id, t.parts)
		t.timer = c.env.After(c.cfg.VoteTimeout, (*voteTimer)(t))
	case *resendTimer:
		if t := (*ctxn)(tg); c.txns.get(t.id) == t && t.timer == id && t.decided && t.commit {
			c.send(t)
		}
	case forceTag:
		c.st.Sync()
	}
}

// begin starts the commit of a transaction, or answers a retried
// BeginCommit with what is known.
func (c *Coordinator) begin(m BeginCommit) {
	if t := c.txns.get(m.Txn); t != nil {
		if t.decided {
			if t.parts == nil {
				// Presumed aborted at a participant's question, before
				// this BeginCommit came: now it is known whom to tell.
				t.parts, t.client, t.acked = slices.Clone(m.Participants), m.Client, make([]bool, len(m.Participants))
			}
			c.send(t)
		}
		return
	}
	// The lists are shared with the message, which is Immutable.
	t := &ctxn{id: m.Txn, parts: m.Participants, client: m.Client, epochs: m.Epochs, began: c.env.Now()}
	if c.cfg.Protocol == TwoPhase && c.unreadable[m.Txn] {
		var rec coordRecord
		if found, _ := getDecision(c.st, t.decisionKey(), &rec); found {
			return
		}
	}
	c.txns.set(t.id, t)
	if c.cfg.Protocol == PaxosCommit {
		t.learn = newLearner(t.parts)
	} else {
		t.yes = flags(&t.yesBuf, len(t.parts))
		t.yes[0] = true
		if len(t.parts) == 1 {
			c.decide(t, true)
			return
		}
	}
	c.prepare(t, false)
}

// prepare asks the participants that have not voted (all but the
// initiator at first) to prepare, again every ResendInterval until
// VoteTimeout. In Paxos Commit the initiator is asked again too if its
// vote was not chosen: a repeated Prepare makes a participant send its
// vote again, and an acceptor that holds every vote report again.
func (c *Coordinator) prepare(t *ctxn, again bool) {
	// One message, boxed once, for every participant: it is Immutable.
	var prep any
	for i, s := range t.parts {
		if i == 0 && (t.learn == nil || !again) || t.yes != nil && t.yes[i] {
			continue
		}
		if t.learn != nil {
			if chosen, _ := t.learn.chosen(s, c.cfg.F, len(c.topo.Acceptors)); chosen {
				continue
			}
		}
		if prep == nil {
			prep = Prepare{Txn: t.id, Participants: t.parts, Epochs: t.epochs}
		}
		c.env.Send(c.topo.Shards[s], prep)
	}
	if c.cfg.Faster {
		// The reports go to the participants, so the leader never learns
		// the outcome and has nothing to wait for: a shard that got no
		// Prepare never votes, and the others' recovery ballots abort.
		return
	}
	t.timer = c.env.After(min(c.cfg.ResendInterval, c.cfg.VoteTimeout), (*voteTimer)(t))
}

// decide makes the decision: two-phase commit forces it to the log first,
// so that no participant can learn an outcome the coordinator could forget.
func (c *Coordinator) decide(t *ctxn, commit bool) {
	c.env.Cancel(t.timer)
	t.decided, t.commit = true, commit
	t.acked = flags(&t.ackedBuf, len(t.parts))
	if c.cfg.Protocol == TwoPhase {
		rec := coordRecord{Commit: commit, Participants: t.parts, Client: t.client}
		if commit && c.cfg.Bugs.CommitBeforeForce {
			c.obs.Decided(c.env.ID(), t.id, commit)
			c.send(t)
			putDecision(c.st, t.decisionKey(), &rec, &c.scratch)
			c.env.After(commitForceDelay, forceTag{})
			return
		}
		putDecision(c.st, t.decisionKey(), &rec, &c.scratch)
		c.st.Sync()
	}
	// The decision is told once it is durable or revealed, whichever
	// comes first: a crash at the sync above loses one that nobody knew
	// of, which the coordinator may then rightly presume aborted.
	c.obs.Decided(c.env.ID(), t.id, commit)
	c.send(t)
}

// send sends the decision to the participants (a commit to those that have
// not acknowledged it, again every ResendInterval) and to the client.
func (c *Coordinator) send(t *ctxn) {
	var d any = Decision{Txn: t.id, Commit: t.commit} // boxed once for every participant
	for i, s := range t.parts {
		if !t.acked[i] {
			c.env.Send(c.topo.Shards[s], d)
		}
	}
	if t.client != sim.NoHost {
		c.env.Send(t.client, Outcome{Txn: t.id, Commit: t.commit})
	}
	if t.commit && c.cfg.Protocol == TwoPhase {
		c.env.Cancel(t.timer)
		t.timer = c.env.After(c.cfg.ResendInterval, (*resendTimer)(t))
	}
}

// query answers a participant that asks for a decision. With no record and
// no vote in progress the answer is abort (presumed abort); the coordinator
// forces that abort before it answers, so that a late BeginCommit cannot
// later commit what a participant was told had aborted.
func (c *Coordinator) query(from sim.HostID, m DecisionQuery) {
	if c.cfg.Protocol == PaxosCommit {
		if t := c.txns.get(m.Txn); t != nil && t.decided {
			c.env.Send(from, DecisionReply{Txn: m.Txn, Known: true, Commit: t.commit})
		}
		return
	}
	t := c.txns.get(m.Txn)
	switch {
	case t == nil:
		rec := coordRecord{Client: sim.NoHost}
		putDecision(c.st, txnKey(prefixCoord, m.Txn), &rec, &c.scratch)
		c.st.Sync()
		c.obs.Decided(c.env.ID(), m.Txn, false)
		c.txns.set(m.Txn, &ctxn{id: m.Txn, client: sim.NoHost, decided: true})
		c.env.Send(from, DecisionReply{Txn: m.Txn, Known: true})
	case t.decided:
		c.env.Send(from, DecisionReply{Txn: m.Txn, Known: true, Commit: t.commit})
	}
}
