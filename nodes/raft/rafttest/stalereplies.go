package rafttest

import (
	"reflect"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// StaleReplies is a nemesis that delivers answers again, late, once their
// recipient has moved on to a later term: the answer to an append, a
// heartbeat, a snapshot or a vote request that a network delayed past an
// election. Raft drops an answer of an earlier term; an implementation
// that acts on one counts a match, a read confirmation or a vote that no
// server gave in the current term. Every choice is drawn from
// Cluster.Rand:
//
//  1. it keeps a copy of the latest answer of each kind (an append
//     accepted, an append rejected, a snapshot answer, a heartbeat
//     answer, a granted vote) that each server sent each other server;
//  2. the moment a server wins an election, and every 20-80 ms, it takes
//     the copies addressed to a running leader or candidate whose term is
//     later than theirs, and whose sender has sent it nothing in that
//     term yet (a follower cut off from it, or not reached yet, whose
//     late answer nothing newer overtakes), and delivers one of them as
//     from its sender; a leader gets the answers to appends, snapshots
//     and heartbeats, a candidate the votes;
//  3. each copy is delivered once, and dropped unused after 5 s.
//
// It only delivers copies of messages, so it mixes with any other fault.
type StaleReplies struct {
	c *Cluster
	// Replayed hears of each delivery it makes.
	Replayed func(from, to sim.HostID, what string, at time.Duration)

	tap     *Tap
	stopped bool
	pos     map[sim.HostID]int
	held    []heldReply // by (sender, recipient, kind)
	// lastTerm is the latest term of a Raft message each server sent each
	// other server, by (sender, recipient).
	lastTerm []uint64
}

// replyKind is one kind of answer StaleReplies keeps.
type replyKind uint8

const (
	replyAppendAccepted replyKind = iota
	replyAppendRejected
	replySnapshot
	replyHeartbeat
	replyVote
	replyKinds
)

type heldReply struct {
	ok   bool
	term uint64
	at   time.Duration
	app  raft.AppendResponse
	snap raft.SnapshotResponse
	hb   raft.HeartbeatResponse
	vote raft.VoteResponse
}

const staleHeldFor = 5 * time.Second

// NewStaleReplies installs the nemesis's hooks on tap; Start begins the
// deliveries.
func NewStaleReplies(c *Cluster, tap *Tap) *StaleReplies {
	p := &StaleReplies{c: c, tap: tap, pos: make(map[sim.HostID]int, len(c.Servers))}
	for i, h := range c.Servers {
		p.pos[h] = i
	}
	k := len(c.Servers)
	p.held = make([]heldReply, k*k*int(replyKinds))
	p.lastTerm = make([]uint64, k*k)
	tap.SentMessage = p.sent
	tap.Elected = func(n *raft.Node) {
		if !p.stopped {
			c.World.After(0, p.deliverOne)
		}
	}
	return p
}

// Start schedules the first look.
func (p *StaleReplies) Start() { p.c.World.After(p.gap(), p.look) }

// Stop ends the deliveries and drops the copies.
func (p *StaleReplies) Stop() {
	p.stopped = true
	p.tap.SentMessage, p.tap.Elected = nil, nil
	clear(p.held)
}

func (p *StaleReplies) gap() time.Duration {
	return time.Duration(20+p.c.Rand.IntN(61)) * time.Millisecond
}

func (p *StaleReplies) sent(n *raft.Node, to sim.HostID, msg any) {
	if p.stopped {
		return
	}
	fi, fromServer := p.pos[n.ID()]
	ti, toServer := p.pos[to]
	if !fromServer || !toServer {
		return
	}
	pair := fi*len(p.c.Servers) + ti
	var term uint64
	kind := replyKinds
	h := heldReply{ok: true, at: p.c.World.Now()}
	switch m := msg.(type) {
	case raft.AppendResponse:
		term, h.app = m.Term, m
		kind = replyAppendRejected
		if m.Success {
			kind = replyAppendAccepted
		}
	case raft.SnapshotResponse:
		term, h.snap, kind = m.Term, m, replySnapshot
	case raft.HeartbeatResponse:
		term, h.hb, kind = m.Term, m, replyHeartbeat
	case raft.VoteResponse:
		if m.Pre {
			return // its term is one nobody is in yet
		}
		term, h.vote = m.Term, m
		if m.Granted {
			kind = replyVote
		}
	case raft.VoteRequest:
		if m.Pre {
			return
		}
		term = m.Term
	case raft.AppendEntries:
		term = m.Term
	case raft.Heartbeat:
		term = m.Term
	case raft.InstallSnapshot:
		term = m.Term
	case raft.TimeoutNow:
		term = m.Term
	default:
		return
	}
	p.lastTerm[pair] = max(p.lastTerm[pair], term)
	if kind < replyKinds {
		h.term = term
		p.held[pair*int(replyKinds)+int(kind)] = h
	}
}

func (p *StaleReplies) look() {
	if p.stopped {
		return
	}
	p.deliverOne()
	p.c.World.After(p.gap(), p.look)
}

// deliverOne delivers one copy that has become stale for its recipient,
// if there is one.
func (p *StaleReplies) deliverOne() {
	if p.stopped {
		return
	}
	now := p.c.World.Now()
	k := len(p.c.Servers)
	var ready []int
	for i := range p.held {
		h := &p.held[i]
		if !h.ok {
			continue
		}
		if now-h.at > staleHeldFor {
			h.ok = false
			continue
		}
		pair, kind := i/int(replyKinds), replyKind(i%int(replyKinds))
		to := p.c.Servers[pair%k]
		n := p.c.Node(to)
		if n == nil || n.Term() <= h.term || p.lastTerm[pair] >= n.Term() {
			continue
		}
		if (kind == replyVote) != (n.Role() == raft.Candidate) || (kind != replyVote && n.Role() != raft.Leader) {
			continue
		}
		ready = append(ready, i)
	}
	if len(ready) == 0 {
		return
	}
	i := ready[p.c.Rand.IntN(len(ready))]
	h := &p.held[i]
	h.ok = false
	pair := i / int(replyKinds)
	from, to := p.c.Servers[pair/k], p.c.Servers[pair%k]
	var body any
	switch replyKind(i % int(replyKinds)) {
	case replyAppendAccepted, replyAppendRejected:
		body = h.app
	case replySnapshot:
		body = h.snap
	case replyHeartbeat:
		body = h.hb
	case replyVote:
		body = h.vote
	}
	t := reflect.TypeOf(body)
	p.c.World.Deliver(sim.Message{From: from, To: to, Size: int(t.Size()), Label: t.String(), Body: body})
	if p.Replayed != nil {
		p.Replayed(from, to, t.String(), now)
	}
}
