package rafttest

import (
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/sim"
)

// Figure8Steps is a phased nemesis that builds the history of Figure 8 of
// the Raft paper step by step, where Figure8 only makes it likely. With
// quorum q of the members, every choice drawn from Cluster.Rand, a cycle:
//
//  1. (a) once a leader A has committed in its term, A is cut off with q-2
//     of its followers (G): A keeps taking the clients' writes and appends
//     entries of its term that only G holds;
//  2. once A holds an entry past its commit index (and 100 ms have
//     passed), A crashes; (b) the other servers (R, a quorum without A and G) elect a
//     leader B, which is cut off alone the moment it is elected, before its
//     no-op goes out: B alone holds an entry of its later term at the index
//     of A's first extra entry;
//  3. (c) A restarts, and A, G and one server X of R are connected: only a
//     server of A and G can win (X, which lacks their entries, needs all
//     their votes), and its leader W sends X the old entries one append at
//     a time when Config.AppendEntriesMax is 1. The moment W first
//     commits, it is cut off; the servers of A and G are cut off too;
//  4. (d) R is together again. With the current-term rule, W committed
//     only once its own no-op reached X, and X, whose log is then more
//     up to date than B's, refuses B, so whoever wins holds what W
//     committed. A leader that counts replicas of older terms committed
//     the old entry when X acknowledged it, before X held anything of W's
//     term: B is then the only server R can elect, and it overwrites the
//     entry W applied (raftcheck's leader completeness and state machine
//     safety break);
//  5. 300-800 ms after R's election everything heals, and 300-800 ms later
//     the next cycle begins. A step stuck for 3 s is abandoned: everything
//     heals, and A restarts if it is down.
//
// It needs an odd number of members, at least 3: with an even number, R
// (the members less A and G) is short of a quorum. Figure8Steps rewrites the network's
// partition (clients and other hosts keep their links); do not mix it with
// other partition faults or with the other nemeses of this package in one
// run.
type Figure8Steps struct {
	c   *Cluster
	tap *Tap
	// Crashed hears of each crash of A, and Cycles of each cycle that
	// reached step 4 (R's election after W was cut off).
	Crashed func(h sim.HostID, at time.Duration)
	Cycles  func(at time.Duration)

	stopped bool
	phase   figure8Phase
	since   time.Duration
	a, b, w sim.HostID
	group   []sim.HostID // A and G
	rest    []sim.HostID // R
	cutAt   map[sim.HostID]time.Duration
}

type figure8Phase uint8

const (
	figure8Idle      figure8Phase = iota
	figure8Minority               // A and G are cut off; A appends
	figure8Rival                  // A is down; R elects B
	figure8Comeback               // A, G and X together elect W
	figure8Overwrite              // W is cut off; R elects again
	figure8Elected                // R has elected; the heal is due at since
	figure8Settling               // healed; the next cycle is due at since
)

const (
	figure8Poll  = 10 * time.Millisecond
	figure8Stuck = 3 * time.Second
	// figure8Append is how long A appends, at least, before it crashes
	// with an entry past its commit index.
	figure8Append = 100 * time.Millisecond
)

// NewFigure8Steps installs the nemesis's hooks on tap; Start begins it.
func NewFigure8Steps(c *Cluster, tap *Tap) *Figure8Steps {
	p := &Figure8Steps{c: c, tap: tap, a: sim.NoHost, b: sim.NoHost, w: sim.NoHost, cutAt: map[sim.HostID]time.Duration{}}
	tap.Elected = p.elected
	tap.FirstCommit = p.firstCommit
	return p
}

// Start begins the cycles.
func (p *Figure8Steps) Start() { p.c.World.After(figure8Poll, p.poll) }

// Stop ends the cycles: the hooks come off the tap, A restarts if it is
// down, and the servers still cut off are reported to Cluster.Cut as
// rejoining now (the end of the fault phase heals them).
func (p *Figure8Steps) Stop() {
	p.stopped = true
	p.tap.Elected, p.tap.FirstCommit = nil, nil
	p.restartA()
	p.rejoin(p.c.Servers...)
}

func (p *Figure8Steps) poll() {
	if p.stopped {
		return
	}
	c := p.c
	now := c.World.Now()
	switch {
	case p.phase == figure8Idle:
		p.begin()
	case p.phase == figure8Elected:
		if now >= p.since {
			p.healAll()
		}
	case p.phase == figure8Settling:
		if now >= p.since {
			p.phase = figure8Idle
		}
	case now-p.since >= figure8Stuck:
		p.healAll()
	case p.phase == figure8Minority:
		switch a := c.Node(p.a); {
		case a != nil && a.LastIndex() > a.CommitIndex() && now-p.since >= figure8Append:
			p.crashA()
		case a == nil || a.Role() != raft.Leader:
			p.healAll() // A lost its place before it appended
		}
	}
	c.World.After(figure8Poll, p.poll)
}

// begin cuts a leader that has committed in its term off with q-2 of its
// followers.
func (p *Figure8Steps) begin() {
	c := p.c
	l := c.Leader()
	if l == nil || l.CommitIndex() < 1 || l.Leader() != l.ID() {
		return
	}
	if t, _ := l.EntryTerm(l.CommitIndex()); t != l.Term() {
		return // not committed in its term yet
	}
	members := l.Members()
	if len(members) < 3 || len(members)%2 == 0 {
		return
	}
	for _, m := range members {
		if c.Node(m) == nil {
			return // the steps need every member up
		}
	}
	followers := slices.DeleteFunc(slices.Clone(members), func(h sim.HostID) bool { return h == l.ID() })
	c.Rand.Shuffle(len(followers), func(i, j int) { followers[i], followers[j] = followers[j], followers[i] })
	q := len(members)/2 + 1
	p.a, p.b, p.w = l.ID(), sim.NoHost, sim.NoHost
	p.group = append([]sim.HostID{l.ID()}, followers[:q-2]...)
	p.rest = followers[q-2:]
	p.partition(p.group, p.rest)
	p.phase, p.since = figure8Minority, c.World.Now()
}

// crashA crashes A, whose extra entries are on A and G only.
func (p *Figure8Steps) crashA() {
	c := p.c
	c.World.Host(p.a).Crash()
	if p.Crashed != nil {
		p.Crashed(p.a, c.World.Now())
	}
	p.phase, p.since = figure8Rival, c.World.Now()
}

func (p *Figure8Steps) elected(n *raft.Node) {
	c := p.c
	switch {
	case p.phase == figure8Rival && slices.Contains(p.rest, n.ID()):
		// B is cut off before its no-op goes out; A comes back with G
		// and one server of R.
		p.b = n.ID()
		others := slices.DeleteFunc(slices.Clone(p.rest), func(h sim.HostID) bool { return h == p.b })
		x := others[c.Rand.IntN(len(others))]
		groups := [][]sim.HostID{append(slices.Clone(p.group), x), {p.b}}
		for _, h := range others {
			if h != x {
				groups = append(groups, []sim.HostID{h})
			}
		}
		p.partition(groups...)
		p.phase, p.since = figure8Comeback, c.World.Now()
		c.World.After(0, p.restartA)
	case p.phase == figure8Comeback && slices.Contains(p.group, n.ID()):
		p.w = n.ID()
	case p.phase == figure8Overwrite && slices.Contains(p.rest, n.ID()):
		if p.Cycles != nil {
			p.Cycles(c.World.Now())
		}
		p.phase, p.since = figure8Elected, c.World.Now()+time.Duration(300+c.Rand.IntN(501))*time.Millisecond
	}
}

// firstCommit cuts W off the moment it first commits in its term, inside
// the event that commits, before it sends anything more; R is together
// again.
func (p *Figure8Steps) firstCommit(n *raft.Node) {
	if p.phase != figure8Comeback || n.ID() != p.w {
		return
	}
	groups := [][]sim.HostID{p.rest}
	for _, h := range p.group {
		groups = append(groups, []sim.HostID{h})
	}
	p.partition(groups...)
	p.phase, p.since = figure8Overwrite, p.c.World.Now()
}

func (p *Figure8Steps) restartA() {
	if p.a == sim.NoHost {
		return
	}
	if h := p.c.World.Host(p.a); !h.Up() {
		h.Restart()
	}
}

func (p *Figure8Steps) healAll() {
	c := p.c
	c.Net.Heal()
	p.rejoin(c.Servers...)
	p.restartA()
	p.phase, p.since = figure8Settling, c.World.Now()+time.Duration(300+c.Rand.IntN(501))*time.Millisecond
}

// partition splits the servers into the groups; servers in none of them
// stay together.
func (p *Figure8Steps) partition(groups ...[]sim.HostID) {
	c := p.c
	var listed []sim.HostID
	for _, g := range groups {
		listed = append(listed, g...)
	}
	rest := slices.DeleteFunc(slices.Clone(c.Servers), func(h sim.HostID) bool { return slices.Contains(listed, h) })
	groups = slices.DeleteFunc(append([][]sim.HostID{rest}, groups...), func(g []sim.HostID) bool { return len(g) == 0 })
	// A server counts as cut off while it is apart from the largest group.
	largest := groups[0]
	for _, g := range groups {
		if len(g) > len(largest) {
			largest = g
		}
	}
	for _, h := range c.Servers {
		_, wasCut := p.cutAt[h]
		switch cut := !slices.Contains(largest, h); {
		case wasCut && !cut:
			p.rejoin(h)
		case !wasCut && cut:
			p.cutAt[h] = c.World.Now()
		}
	}
	if err := c.Net.Partition(groups...); err != nil {
		panic("rafttest: " + err.Error()) // the server ids are wrong
	}
}

// rejoin reports to Cluster.Cut that the servers are back with the others.
func (p *Figure8Steps) rejoin(hs ...sim.HostID) { p.c.rejoined(p.cutAt, hs...) }
