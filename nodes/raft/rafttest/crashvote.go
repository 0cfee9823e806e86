package rafttest

import (
	"time"

	"github.com/detsim/detsim/sim"
)

// CrashAfterVote is a nemesis that crashes a server the moment it has
// granted a vote or moved to a later term, the instant at which a vote or
// term that is not durable yet is lost. Every PollEvery it looks at each
// running server; one whose vote or term changed since the last look is
// crashed with probability one half (drawn from Cluster.Rand), at most
// one server at a time, and restarted 20-100 ms later. The response that
// granted the vote may be in flight when the server goes down, so the
// candidate can count a vote the restarted server no longer remembers.
type CrashAfterVote struct {
	c *Cluster
	// PollEvery is the period of the look (1 ms if zero).
	PollEvery time.Duration
	// Crashed hears of each crash it makes.
	Crashed func(h sim.HostID, at time.Duration)

	stopped bool
	down    sim.HostID
	seen    map[sim.HostID]hardState
}

type hardState struct {
	term uint64
	vote sim.HostID
}

// NewCrashAfterVote returns the nemesis; Start begins it.
func NewCrashAfterVote(c *Cluster) *CrashAfterVote {
	return &CrashAfterVote{c: c, down: sim.NoHost, seen: map[sim.HostID]hardState{}}
}

// Start begins polling.
func (p *CrashAfterVote) Start() {
	if p.PollEvery <= 0 {
		p.PollEvery = time.Millisecond
	}
	p.c.World.After(p.PollEvery, p.poll)
}

// Stop ends the crashes; a server down now is still restarted on time.
func (p *CrashAfterVote) Stop() { p.stopped = true }

func (p *CrashAfterVote) poll() {
	if p.stopped {
		return
	}
	for _, h := range p.c.Servers {
		n := p.c.Node(h)
		if n == nil {
			continue
		}
		now := hardState{n.Term(), n.Vote()}
		was, known := p.seen[h]
		p.seen[h] = now
		changed := known && (now.term > was.term || (now.vote != was.vote && now.vote != sim.NoHost && now.vote != h))
		if !changed || p.down != sim.NoHost || p.c.Rand.IntN(2) == 0 {
			continue
		}
		host := p.c.World.Host(h)
		host.Crash()
		p.down = h
		delete(p.seen, h)
		if p.Crashed != nil {
			p.Crashed(h, p.c.World.Now())
		}
		p.c.World.After(time.Duration(20+p.c.Rand.IntN(81))*time.Millisecond, func() {
			if !host.Up() {
				host.Restart()
			}
			p.down = sim.NoHost
		})
	}
	p.c.World.After(p.PollEvery, p.poll)
}
