package rafttest

import (
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Figure7 is a phased nemesis that builds the followers of Figure 7 of the
// Raft paper on purpose: logs with missing entries, with extra entries that
// never committed, and with extra entries of older terms, each brought
// back under a leader whose commit index lies past them. Every choice is
// drawn from Cluster.Rand. A cycle:
//
//  1. once a leader L has committed in its term, L and one follower F are
//     cut off together from the other servers: L keeps taking writes from
//     the clients (which reach every server) and appends entries that
//     cannot commit, and F holds them too;
//  2. half the time, 50-250 ms later, F is cut off from L as well, so F
//     holds fewer of L's extra entries than L does (or none);
//  3. the majority elects a leader of a later term, which commits; once its
//     commit index is past the longest log of the pair (plus 0-19 entries
//     more), or after 3 s, the pair is healed in one of three orders drawn
//     at random: F alone first (L still cut off), L alone first, or both
//     at once; the one left out rejoins 150-500 ms later;
//  4. 300-800 ms after the heal, the next cycle begins.
//
// So each rejoining server has a stale, divergent suffix and receives
// appends, heartbeats or a snapshot from a leader whose commit index is
// higher than its whole log: where a follower that truncates wrongly, keeps
// a conflicting entry, or commits past what the append vouched for, applies
// an entry that was never committed.
//
// Figure7 rewrites the network's partition (clients and other hosts keep
// their links); do not mix it with other partition faults or with the
// other nemeses of this package in one run.
type Figure7 struct {
	c *Cluster
	// Diverged hears of each server of the pair that rejoins with a log
	// whose last entry the majority's leader does not hold: a stale,
	// divergent suffix.
	Diverged func(h sim.HostID, at time.Duration)

	stopped bool
	phase   figure7Phase
	since   time.Duration
	old     sim.HostID // L
	partner sim.HostID // F
	oldTerm uint64
	extra   uint64
	cutAt   map[sim.HostID]time.Duration
}

type figure7Phase uint8

const (
	figure7Idle     figure7Phase = iota
	figure7Minority              // the pair is cut off
	figure7Healing               // one of the pair has rejoined
	figure7Settling              // healed; waiting for the next cycle
)

const figure7Poll = 20 * time.Millisecond

// NewFigure7 returns the nemesis; Start begins it.
func NewFigure7(c *Cluster) *Figure7 {
	return &Figure7{c: c, old: sim.NoHost, partner: sim.NoHost, cutAt: map[sim.HostID]time.Duration{}}
}

// Start begins the cycles.
func (p *Figure7) Start() { p.c.World.After(figure7Poll, p.poll) }

// Stop ends the cycles. It heals nothing (the end of a fault phase does);
// it reports the servers still cut off to Cluster.Cut as rejoining now.
func (p *Figure7) Stop() {
	p.stopped = true
	p.rejoin(p.old, p.partner)
}

func (p *Figure7) poll() {
	if p.stopped {
		return
	}
	c := p.c
	now := c.World.Now()
	switch p.phase {
	case figure7Idle:
		p.begin()
	case figure7Minority:
		if now-p.since >= 3*time.Second || (now-p.since >= 300*time.Millisecond && p.majorityCommittedPast()) {
			p.heal()
		}
	case figure7Healing:
		if now >= p.since {
			p.healAll()
		}
	case figure7Settling:
		if now >= p.since {
			p.phase = figure7Idle
		}
	}
	c.World.After(figure7Poll, p.poll)
}

// begin cuts off a leader that has committed in its term, with a follower.
func (p *Figure7) begin() {
	c := p.c
	l := c.Leader()
	if l == nil || l.CommitIndex() < 2 || l.Leader() != l.ID() {
		return
	}
	if t, _ := l.EntryTerm(l.CommitIndex()); t != l.Term() {
		return // not committed in its term yet
	}
	var followers []sim.HostID
	for _, m := range l.Members() {
		if m != l.ID() && c.Node(m) != nil {
			followers = append(followers, m)
		}
	}
	if len(followers) < 2 {
		return
	}
	p.old, p.partner, p.oldTerm = l.ID(), followers[c.Rand.IntN(len(followers))], l.Term()
	p.extra = uint64(c.Rand.IntN(20))
	p.partition([]sim.HostID{p.old, p.partner})
	p.phase, p.since = figure7Minority, c.World.Now()
	if c.Rand.IntN(2) == 0 {
		split := p.oldTerm
		c.World.After(time.Duration(50+c.Rand.IntN(201))*time.Millisecond, func() {
			if !p.stopped && p.phase == figure7Minority && p.oldTerm == split {
				p.partition([]sim.HostID{p.old}, []sim.HostID{p.partner})
			}
		})
	}
}

// majorityCommittedPast: a leader outside the pair, of a later term, has
// committed past the longest log of the pair (plus the cycle's extra).
func (p *Figure7) majorityCommittedPast() bool {
	return p.majorityLeader(true) != nil
}

// majorityLeader is a running leader outside the pair, of a later term
// than the pair's, that has committed past the pair's longest log (plus
// the cycle's extra) if past is set; or nil.
func (p *Figure7) majorityLeader(past bool) *raft.Node {
	c := p.c
	var pairLast uint64
	for _, h := range []sim.HostID{p.old, p.partner} {
		if n := c.Node(h); n != nil {
			pairLast = max(pairLast, n.LastIndex())
		}
	}
	for _, h := range c.Servers {
		n := c.Node(h)
		if h == p.old || h == p.partner || n == nil {
			continue
		}
		if n.Role() == raft.Leader && n.Term() > p.oldTerm && (!past || n.CommitIndex() > pairLast+p.extra) {
			return n
		}
	}
	return nil
}

// noteDiverged reports the servers of the pair whose last entry the
// majority's leader does not hold.
func (p *Figure7) noteDiverged() {
	l := p.majorityLeader(false)
	if l == nil || p.Diverged == nil {
		return
	}
	for _, h := range []sim.HostID{p.old, p.partner} {
		n := p.c.Node(h)
		if n == nil {
			continue
		}
		last := n.LastIndex()
		mine, _ := n.EntryTerm(last)
		if theirs, ok := l.EntryTerm(last); !ok || theirs != mine {
			p.Diverged(h, p.c.World.Now())
		}
	}
}

// heal brings the pair back in the order drawn: F first, L first, or both.
func (p *Figure7) heal() {
	c := p.c
	p.noteDiverged()
	switch c.Rand.IntN(3) {
	case 0:
		p.partition([]sim.HostID{p.old})
		p.rejoin(p.partner)
	case 1:
		p.partition([]sim.HostID{p.partner})
		p.rejoin(p.old)
	default:
		p.healAll()
		return
	}
	p.phase, p.since = figure7Healing, c.World.Now()+time.Duration(150+c.Rand.IntN(351))*time.Millisecond
}

func (p *Figure7) healAll() {
	c := p.c
	c.Net.Heal()
	p.rejoin(p.old, p.partner)
	p.phase, p.since = figure7Settling, c.World.Now()+time.Duration(300+c.Rand.IntN(501))*time.Millisecond
}

// partition cuts each group off from the other servers and from the other
// groups; the rest of the servers stay together.
func (p *Figure7) partition(groups ...[]sim.HostID) {
	c := p.c
	now := c.World.Now()
	var cut []sim.HostID
	for _, g := range groups {
		cut = append(cut, g...)
	}
	rest := slices.DeleteFunc(slices.Clone(c.Servers), func(h sim.HostID) bool { return slices.Contains(cut, h) })
	for _, h := range c.Servers {
		if _, ok := p.cutAt[h]; ok && !slices.Contains(cut, h) {
			p.rejoin(h)
		}
	}
	for _, h := range cut {
		if _, ok := p.cutAt[h]; !ok {
			p.cutAt[h] = now
		}
	}
	if err := c.Net.Partition(append([][]sim.HostID{rest}, groups...)...); err != nil {
		panic("rafttest: " + err.Error()) // the server ids are wrong
	}
}

// rejoin reports to Cluster.Cut that the servers are back with the others.
func (p *Figure7) rejoin(hs ...sim.HostID) { p.c.rejoined(p.cutAt, hs...) }
