package net

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	"github.com/detsim/detsim/sim"
)

// Link is the behaviour of one direction between two hosts.
type Link struct {
	// Latency is the one-way delay model. Nil means zero delay.
	Latency Latency
	// LossRatio is the chance a message is lost; DupRatio the chance it is
	// delivered twice. Both in [0, 1].
	LossRatio float64
	DupRatio  float64
	// FIFO keeps messages on this link in send order, as TCP would: a
	// message never overtakes an earlier one. Without it, latency variance
	// reorders them.
	FIFO bool
}

func (l Link) validate(field string) error {
	if !(l.LossRatio >= 0 && l.LossRatio <= 1) {
		return fmt.Errorf("%s.LossRatio is %v; it must be in [0, 1]", field, l.LossRatio)
	}
	if !(l.DupRatio >= 0 && l.DupRatio <= 1) {
		return fmt.Errorf("%s.DupRatio is %v; it must be in [0, 1]", field, l.DupRatio)
	}
	if l.Latency != nil {
		if err := l.Latency.Validate(); err != nil {
			return fmt.Errorf("%s.Latency: %w", field, err)
		}
	}
	return nil
}

// Options configure a network.
type Options struct {
	// Default applies to every link that SetLink has not overridden.
	Default Link
}

// Counters count what happened to messages.
type Counters struct {
	Sent       uint64 `json:"sent"`
	Delivered  uint64 `json:"delivered"`
	Duplicated uint64 `json:"duplicated"`
	// Dropped is the sum of the drop reasons that follow.
	Dropped          uint64 `json:"dropped"`
	DroppedLoss      uint64 `json:"dropped_loss"`
	DroppedPartition uint64 `json:"dropped_partition"`
	DroppedHostDown  uint64 `json:"dropped_host_down"`
	Bytes            uint64 `json:"bytes"`
}

func (c *Counters) add(o Counters) {
	c.Sent += o.Sent
	c.Delivered += o.Delivered
	c.Duplicated += o.Duplicated
	c.Dropped += o.Dropped
	c.DroppedLoss += o.DroppedLoss
	c.DroppedPartition += o.DroppedPartition
	c.DroppedHostDown += o.DroppedHostDown
	c.Bytes += o.Bytes
}

// link is the state of one ordered pair of hosts.
type link struct {
	cfg         *Link // nil: the default
	blocked     bool  // partitioned or cut
	clogged     bool
	slow        time.Duration // extra one-way delay (Slow)
	lastArrival time.Duration // for FIFO links
	counters    Counters
}

type packet struct {
	msg sim.Message
}

// Network is the simulated network of a world. It is plain state that the
// harness changes between events; every change is traced.
type Network struct {
	w        *sim.World
	rng      *rand.Rand
	def      Link
	links    [][]link // [from][to], grown as hosts appear
	hostClog []bool
	held     []*packet // clogged messages, in arrival order
	nextID   uint64
	types    map[uintptr]*typeInfo // by the address of the runtime type (info)
	recent   [typeCacheSize]typeCacheEntry
	free     []*packet
	observer Observer // nil: none (Observe)
}

// New makes a network for w and installs it as w's transport.
func New(w *sim.World, opts Options) (*Network, error) {
	if w == nil {
		return nil, errors.New("net: New needs a world")
	}
	if err := opts.Default.validate("Options.Default"); err != nil {
		return nil, fmt.Errorf("net: %w", err)
	}
	n := &Network{
		w:     w,
		rng:   w.Stream("net"),
		def:   opts.Default,
		types: map[uintptr]*typeInfo{},
	}
	w.SetTransport(n)
	return n, nil
}

func (n *Network) checkHost(field string, h sim.HostID) error {
	if h < 0 || int(h) >= n.w.Hosts() {
		return fmt.Errorf("net: %s: unknown host id %d (the world has %d hosts)", field, h, n.w.Hosts())
	}
	return nil
}

// link returns the state of from->to.
func (n *Network) link(from, to sim.HostID) *link {
	n.grow()
	return &n.links[from][to]
}

// grow extends the link matrix to hosts added since it was last grown.
func (n *Network) grow() {
	if hosts := n.w.Hosts(); len(n.links) < hosts {
		for i := range n.links {
			n.links[i] = append(n.links[i], make([]link, hosts-len(n.links[i]))...)
		}
		for len(n.links) < hosts {
			n.links = append(n.links, make([]link, hosts))
		}
		n.hostClog = append(n.hostClog, make([]bool, hosts-len(n.hostClog))...)
	}
}

// SetLink overrides the settings of the link from -> to.
func (n *Network) SetLink(from, to sim.HostID, l Link) error {
	if err := n.checkHost("SetLink from", from); err != nil {
		return err
	}
	if err := n.checkHost("SetLink to", to); err != nil {
		return err
	}
	if err := l.validate("Link"); err != nil {
		return fmt.Errorf("net: SetLink %s->%s: %w", n.w.HostName(from), n.w.HostName(to), err)
	}
	n.link(from, to).cfg = &l
	n.w.Trace(sim.KindFault, from, "net.link", fmt.Sprintf("link %s->%s set to latency %v, loss %v, dup %v, fifo %v", n.w.HostName(from), n.w.HostName(to), l.Latency, l.LossRatio, l.DupRatio, l.FIFO))
	return nil
}

// SetDefault changes the settings of every link not overridden by SetLink.
func (n *Network) SetDefault(l Link) error {
	if err := l.validate("Link"); err != nil {
		return fmt.Errorf("net: SetDefault: %w", err)
	}
	n.def = l
	n.w.Trace(sim.KindFault, sim.NoHost, "net.default", fmt.Sprintf("default link set to latency %v, loss %v, dup %v, fifo %v", l.Latency, l.LossRatio, l.DupRatio, l.FIFO))
	return nil
}

// ResetLinks drops every per-link override, slow links included.
func (n *Network) ResetLinks() {
	for i := range n.links {
		for j := range n.links[i] {
			n.links[i][j].cfg = nil
			n.links[i][j].slow = 0
		}
	}
	n.w.Trace(sim.KindFault, sim.NoHost, "net.reset-links", "per-link overrides removed")
}

// Send implements sim.Transport.
func (n *Network) Send(from, to sim.HostID, msg any) {
	if to < 0 || int(to) >= n.w.Hosts() {
		panic(fmt.Sprintf("net: host %s sent %T to unknown host id %d", n.w.HostName(from), msg, to))
	}
	l := n.link(from, to)
	cfg := &n.def
	if l.cfg != nil {
		cfg = l.cfg
	}
	body, size, ti := n.copyMessage(msg)
	n.nextID++
	m := sim.Message{From: from, To: to, ID: n.nextID, Size: size, Label: ti.name, Body: body, LabelHash: ti.label}
	l.counters.Sent++
	l.counters.Bytes += uint64(size)
	n.w.TraceMessage(sim.KindSend, m)
	n.observeSent(from, to, msg)
	if l.blocked {
		n.drop(l, m, &l.counters.DroppedPartition)
		return
	}
	if cfg.LossRatio > 0 && n.rng.Float64() < cfg.LossRatio {
		n.drop(l, m, &l.counters.DroppedLoss)
		return
	}
	n.schedule(l, cfg, m)
	if cfg.DupRatio > 0 && n.rng.Float64() < cfg.DupRatio {
		l.counters.Duplicated++
		dup := m
		dup.Body, _, _ = n.copyMessage(body)
		n.w.TraceMessage(sim.KindDuplicate, dup)
		n.schedule(l, cfg, dup)
	}
}

func (n *Network) schedule(l *link, cfg *Link, m sim.Message) {
	at := n.w.Now()
	if cfg.Latency != nil {
		at += cfg.Latency.Sample(n.rng)
	}
	at += l.slow
	if cfg.FIFO {
		at = max(at, l.lastArrival)
		l.lastArrival = at
	}
	var p *packet
	if k := len(n.free); k > 0 {
		p = n.free[k-1]
		n.free = n.free[:k-1]
	} else {
		p = new(packet)
	}
	p.msg = m
	n.w.AtHandler(at, n, p)
}

func (n *Network) drop(l *link, m sim.Message, reason *uint64) {
	*reason++
	l.counters.Dropped++
	n.w.TraceMessage(sim.KindDrop, m)
}

// HandleEvent implements sim.Handler: a message arrives.
func (n *Network) HandleEvent(arg any) {
	p := arg.(*packet)
	m := p.msg
	l := n.link(m.From, m.To)
	switch {
	case l.blocked:
		// A partition that began while the message was in flight loses it,
		// as a cut cable would.
		n.drop(l, m, &l.counters.DroppedPartition)
	case l.clogged || n.hostClog[m.From] || n.hostClog[m.To]:
		n.held = append(n.held, p)
		return
	default:
		n.settled(l, m, n.w.Deliver(m)) // a held message is counted when the world settles it
	}
	p.msg = sim.Message{}
	n.free = append(n.free, p)
}

func (n *Network) count(l *link, r sim.DeliveryResult) {
	switch r {
	case sim.Delivered:
		l.counters.Delivered++
	case sim.DroppedHostDown:
		l.counters.DroppedHostDown++
		l.counters.Dropped++
	}
}

// Settle implements sim.Settler: a message that waited at a paused host
// was delivered at last, or lost to a crash.
func (n *Network) Settle(m sim.Message, r sim.DeliveryResult) {
	if n.checkHost("", m.From) != nil || n.checkHost("", m.To) != nil {
		return // not one of ours: the harness handed it to the world itself
	}
	n.settled(n.link(m.From, m.To), m, r)
}

// nilInfo describes the nil message.
var nilInfo = typeInfo{name: "<nil>", flat: true}

func (n *Network) copyMessage(msg any) (body any, size int, ti *typeInfo) {
	if msg == nil {
		return nil, 0, &nilInfo
	}
	ti = n.info(reflect.TypeOf(msg))
	switch {
	case ti.flat:
		body, size = msg, ti.size
	default:
		if c, ok := msg.(Cloner); ok {
			body, size = c.Clone(), ti.size
		} else {
			if ti.err != nil {
				panic("net: " + ti.err.Error())
			}
			v, s := deepCopy(reflect.ValueOf(msg))
			body, size = v.Interface(), s
		}
	}
	if ti.sizer {
		size = msg.(Sizer).Size()
	}
	return body, size, ti
}

// Partition splits the listed hosts into groups that cannot reach each
// other, replacing any earlier partition and cut. Hosts not listed keep all
// their links: clients, typically, still reach every server.
func (n *Network) Partition(groups ...[]sim.HostID) error {
	group := map[sim.HostID]int{}
	for gi, g := range groups {
		for _, h := range g {
			if err := n.checkHost("Partition", h); err != nil {
				return err
			}
			if prev, dup := group[h]; dup {
				return fmt.Errorf("net: Partition: host %s is in groups %d and %d", n.w.HostName(h), prev, gi)
			}
			group[h] = gi
		}
	}
	n.clearBlocks()
	for gi, ga := range groups {
		for gj, gb := range groups {
			if gi == gj {
				continue
			}
			for _, a := range ga {
				for _, b := range gb {
					n.link(a, b).blocked = true
				}
			}
		}
	}
	n.w.Trace(sim.KindFault, sim.NoHost, "net.partition", "partition "+n.groupNames(groups))
	return nil
}

// groupNames writes partition groups by their hosts' names: [[n1 n2] [n3]].
func (n *Network) groupNames(groups [][]sim.HostID) string {
	var b strings.Builder
	b.WriteByte('[')
	for gi, g := range groups {
		if gi > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('[')
		for i, h := range g {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(n.w.HostName(h))
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}

// Cut blocks messages from -> to only (a one-way partition).
func (n *Network) Cut(from, to sim.HostID) error {
	if err := n.checkHost("Cut from", from); err != nil {
		return err
	}
	if err := n.checkHost("Cut to", to); err != nil {
		return err
	}
	n.link(from, to).blocked = true
	n.w.Trace(sim.KindFault, from, "net.cut", fmt.Sprintf("cut %s->%s", n.w.HostName(from), n.w.HostName(to)))
	return nil
}

// Connect undoes a Cut of from -> to (or that direction of a partition).
func (n *Network) Connect(from, to sim.HostID) error {
	if err := n.checkHost("Connect from", from); err != nil {
		return err
	}
	if err := n.checkHost("Connect to", to); err != nil {
		return err
	}
	n.link(from, to).blocked = false
	n.w.Trace(sim.KindFault, from, "net.connect", fmt.Sprintf("connect %s->%s", n.w.HostName(from), n.w.HostName(to)))
	return nil
}

// Isolate cuts h off from every other host, both ways.
func (n *Network) Isolate(h sim.HostID) error {
	if err := n.checkHost("Isolate", h); err != nil {
		return err
	}
	for o := 0; o < n.w.Hosts(); o++ {
		if sim.HostID(o) != h {
			n.link(h, sim.HostID(o)).blocked = true
			n.link(sim.HostID(o), h).blocked = true
		}
	}
	n.w.Trace(sim.KindFault, h, "net.isolate", "isolate "+n.w.HostName(h))
	return nil
}

// Heal removes every partition and cut. Clogs and link settings stay.
func (n *Network) Heal() {
	n.clearBlocks()
	n.w.Trace(sim.KindFault, sim.NoHost, "net.heal", "heal")
}

func (n *Network) clearBlocks() {
	n.grow()
	for i := range n.links {
		for j := range n.links[i] {
			n.links[i][j].blocked = false
		}
	}
}

// Blocked reports whether from -> to is partitioned or cut.
func (n *Network) Blocked(from, to sim.HostID) bool {
	if n.checkHost("", from) != nil || n.checkHost("", to) != nil {
		return false
	}
	return n.link(from, to).blocked
}

// Clog holds every message to or from h when it arrives, until Unclog:
// FoundationDB's "clogging", a host whose network stalls without failing.
func (n *Network) Clog(h sim.HostID) error {
	if err := n.checkHost("Clog", h); err != nil {
		return err
	}
	n.grow()
	n.hostClog[h] = true
	n.w.Trace(sim.KindFault, h, "net.clog", "clog "+n.w.HostName(h))
	return nil
}

// Unclog releases h; held messages whose link is no longer clogged arrive
// now, in the order they first arrived.
func (n *Network) Unclog(h sim.HostID) error {
	if err := n.checkHost("Unclog", h); err != nil {
		return err
	}
	n.grow()
	n.hostClog[h] = false
	n.w.Trace(sim.KindFault, h, "net.unclog", "unclog "+n.w.HostName(h))
	n.release()
	return nil
}

// ClogLink holds messages from -> to until UnclogLink.
func (n *Network) ClogLink(from, to sim.HostID) error {
	if err := n.checkHost("ClogLink from", from); err != nil {
		return err
	}
	if err := n.checkHost("ClogLink to", to); err != nil {
		return err
	}
	n.link(from, to).clogged = true
	n.w.Trace(sim.KindFault, from, "net.clog-link", fmt.Sprintf("clog %s->%s", n.w.HostName(from), n.w.HostName(to)))
	return nil
}

// UnclogLink releases from -> to.
func (n *Network) UnclogLink(from, to sim.HostID) error {
	if err := n.checkHost("UnclogLink from", from); err != nil {
		return err
	}
	if err := n.checkHost("UnclogLink to", to); err != nil {
		return err
	}
	n.link(from, to).clogged = false
	n.w.Trace(sim.KindFault, from, "net.unclog-link", fmt.Sprintf("unclog %s->%s", n.w.HostName(from), n.w.HostName(to)))
	n.release()
	return nil
}

// UnclogAll releases every clogged host and link.
func (n *Network) UnclogAll() {
	n.grow()
	clear(n.hostClog)
	for i := range n.links {
		for j := range n.links[i] {
			n.links[i][j].clogged = false
		}
	}
	n.w.Trace(sim.KindFault, sim.NoHost, "net.unclog-all", "unclog all")
	n.release()
}

func (n *Network) release() {
	kept := n.held[:0]
	for _, p := range n.held {
		m := p.msg
		if n.link(m.From, m.To).clogged || n.hostClog[m.From] || n.hostClog[m.To] {
			kept = append(kept, p)
			continue
		}
		n.w.AtHandler(n.w.Now(), n, p)
	}
	clear(n.held[len(kept):])
	n.held = kept
}

// Held is the number of messages waiting behind clogs.
func (n *Network) Held() int { return len(n.held) }

// Counters totals every link's counters.
func (n *Network) Counters() Counters {
	var c Counters
	for i := range n.links {
		for j := range n.links[i] {
			c.add(n.links[i][j].counters)
		}
	}
	return c
}

// LinkCounters are the counters of the link from -> to.
func (n *Network) LinkCounters(from, to sim.HostID) Counters {
	if n.checkHost("", from) != nil || n.checkHost("", to) != nil {
		return Counters{}
	}
	return n.link(from, to).counters
}
