package primarybackup

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Config tunes the register.
type Config struct {
	// Lease is how long a grant binds its grantor, on the grantor's clock.
	Lease time.Duration `json:"lease"`
	// DriftMargin is cut from the end of the primary's lease, on its own
	// clock, to cover the drift between its clock and its grantors'.
	DriftMargin time.Duration `json:"drift_margin"`
	// Heartbeat is how often the primary renews its lease and pushes its
	// state to the backups.
	Heartbeat time.Duration `json:"heartbeat"`
	// SuspectMin and SuspectMax bound the randomized silence after which a
	// backup stands for primary.
	SuspectMin time.Duration `json:"suspect_min"`
	SuspectMax time.Duration `json:"suspect_max"`
	// Bugs plant mistakes for the harness to find.
	Bugs Bugs `json:"bugs"`
}

// Bugs are planted mistakes.
type Bugs struct {
	// ReadWithoutLease: a primary answers reads from its state whether or
	// not its lease still holds, so a primary cut off from its backups
	// keeps serving reads after another has taken over.
	ReadWithoutLease bool `json:"read_without_lease,omitempty"`
}

// DefaultConfig is a LAN setting: 300 ms leases renewed every 50 ms.
func DefaultConfig() Config {
	return Config{Lease: 300 * time.Millisecond, DriftMargin: 30 * time.Millisecond, Heartbeat: 50 * time.Millisecond,
		SuspectMin: 400 * time.Millisecond, SuspectMax: 800 * time.Millisecond}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Lease <= 0:
		return fmt.Errorf("lease must be positive (is %v)", c.Lease)
	case c.DriftMargin < 0 || c.DriftMargin >= c.Lease:
		return fmt.Errorf("drift_margin must be in [0, lease) (is %v)", c.DriftMargin)
	case c.Heartbeat <= 0 || c.Heartbeat >= c.Lease-c.DriftMargin:
		return fmt.Errorf("heartbeat must be positive and below lease - drift_margin (is %v)", c.Heartbeat)
	case c.SuspectMin <= c.Lease || c.SuspectMax <= c.SuspectMin:
		return fmt.Errorf("suspect_min must exceed lease, and suspect_max suspect_min (are %v, %v)", c.SuspectMin, c.SuspectMax)
	}
	return nil
}

// Version orders states: by view, then by write within the view.
type Version struct {
	View uint64
	Seq  uint64
}

func (v Version) Less(o Version) bool {
	return v.View < o.View || (v.View == o.View && v.Seq < o.Seq)
}

// State is what the servers replicate whole: the registers, by key, and,
// for exactly-once writes, each client's last request and its result.
type State struct {
	Data     map[string]string
	Sessions map[uint64]Session
}

// Session is a client's last applied request.
type Session struct {
	Seq    uint64
	Result client.Result
}

// The messages between servers.
type (
	// LeaseRequest asks for a lease in View; Renew marks a primary's
	// renewal, which carries its state to the backups.
	LeaseRequest struct {
		View    uint64
		Version Version
		State   State
	}
	// Grant answers a LeaseRequest with the grantor's state.
	Grant struct {
		View    uint64
		Version Version
		State   State
	}
	// Replicate asks a backup to store a state.
	Replicate struct {
		View    uint64
		Version Version
		State   State
	}
	// Ack says the backup has stored (and synced) Version.
	Ack struct {
		View    uint64
		Version Version
	}
)

// role is what a server is doing now.
type role uint8

const (
	backup role = iota
	candidate
	primary
)

// Timer tags.
type (
	suspectTimer   struct{}
	heartbeatTimer struct{}
)

// Node is one server of the register.
type Node struct {
	cfg Config
	env sim.Env
	// Durable: the highest view promised and to whom, and the state.
	promised  uint64
	grantedTo sim.HostID
	version   Version
	state     State
	// grantUntil is when this node may grant another candidate a lease
	// (local clock). After a restart it is a lease away: the node cannot
	// know what it granted before the crash.
	grantUntil time.Duration

	role      role
	view      uint64
	suspect   sim.TimerID
	heartbeat sim.TimerID
	// Candidate and primary: the lease round in progress and the lease.
	roundStart time.Duration
	grants     map[sim.HostID]Grant
	leaseUntil time.Duration
	ready      bool // the adopted state is stored by a majority
	// committed is the newest state a majority stored under this view:
	// what reads see. The state itself runs ahead of it while a write is
	// in flight, and a write in flight may yet be lost.
	committed State
	// Primary: the write in flight and those waiting for it.
	inflight  *write
	queue     []client.Request
	queueFrom []sim.HostID
	acks      map[sim.HostID]bool
	// primaryHint is the last primary heard from, for clients.
	primaryHint sim.HostID
	// Counters the system reads.
	views int
}

// write is a state being replicated, with the request it answers.
type write struct {
	version Version
	state   State
	req     *client.Request // nil for the state a new primary adopts
	from    sim.HostID      // the client that sent req
	result  client.Result
}

// NewFactory returns a sim.Factory for servers with cfg.
func NewFactory(cfg Config) sim.Factory {
	return func() sim.Node { return &Node{cfg: cfg} }
}

const (
	keyPromise = "promise"
	keyState   = "state"
)

type promiseRecord struct {
	View uint64
	To   sim.HostID
}

type stateRecord struct {
	Version Version
	State   State
}

func (n *Node) Start(env sim.Env) {
	n.env = env
	n.grantedTo, n.primaryHint = sim.NoHost, sim.NoHost
	if err := load(env.Storage(), keyPromise, &promiseRecord{}, func(p *promiseRecord) { n.promised, n.grantedTo = p.View, p.To }); err != nil {
		panic(fmt.Sprintf("primarybackup: %s: reading the promise: %v", env.Name(), err))
	}
	if err := load(env.Storage(), keyState, &stateRecord{}, func(s *stateRecord) { n.version, n.state = s.Version, s.State }); err != nil {
		panic(fmt.Sprintf("primarybackup: %s: reading the state: %v", env.Name(), err))
	}
	n.grantUntil = env.Now() + n.cfg.Lease
	n.becomeBackup()
}

func load[T any](st sim.Storage, key string, v *T, use func(*T)) error {
	b, err := st.Get(key)
	if errors.Is(err, sim.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	use(v)
	return nil
}

func store(st sim.Storage, key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	st.Set(key, b)
}

func (n *Node) quorum() int { return (len(n.env.Peers())+1)/2 + 1 }

func (n *Node) becomeBackup() {
	if n.heartbeat != 0 {
		n.env.Cancel(n.heartbeat)
		n.heartbeat = 0
	}
	n.role = backup
	n.inflight, n.queue, n.queueFrom, n.grants, n.acks = nil, nil, nil, nil, nil
	n.resetSuspect()
}

func (n *Node) resetSuspect() {
	if n.suspect != 0 {
		n.env.Cancel(n.suspect)
	}
	d := n.cfg.SuspectMin + time.Duration(n.env.Rand().Int64N(int64(n.cfg.SuspectMax-n.cfg.SuspectMin)))
	n.suspect = n.env.After(d, suspectTimer{})
}

func (n *Node) Timer(_ sim.TimerID, tag any) {
	switch tag.(type) {
	case suspectTimer:
		n.suspect = 0
		if n.role != primary {
			n.stand()
		}
	case heartbeatTimer:
		if n.role == primary {
			n.leaseRound()
			n.heartbeat = n.env.After(n.cfg.Heartbeat, heartbeatTimer{})
		}
	}
}

// stand asks every server for a lease in a view above any promised.
func (n *Node) stand() {
	n.role = candidate
	n.view = n.promised + 1
	n.leaseRound()
	n.resetSuspect()
}

// leaseRound asks for (or renews) the lease of n.view.
func (n *Node) leaseRound() {
	n.roundStart = n.env.Now()
	n.grants = map[sim.HostID]Grant{}
	req := LeaseRequest{View: n.view, Version: n.version, State: n.state}
	n.onLeaseRequest(n.env.ID(), req)
	for _, p := range n.env.Peers() {
		n.env.Send(p, req)
	}
}

func (n *Node) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case LeaseRequest:
		n.onLeaseRequest(from, m)
	case Grant:
		n.onGrant(from, m)
	case Replicate:
		n.onReplicate(from, m)
	case Ack:
		n.onAck(from, m)
	case client.Request:
		n.onRequest(from, m)
	}
}

func (n *Node) reply(to sim.HostID, m any) {
	if to == n.env.ID() {
		n.Receive(to, m)
		return
	}
	n.env.Send(to, m)
}

func (n *Node) onLeaseRequest(from sim.HostID, m LeaseRequest) {
	now := n.env.Now()
	renewal := m.View == n.promised && n.grantedTo == from
	if !(m.View > n.promised && now >= n.grantUntil) && !renewal {
		return
	}
	if m.View > n.promised || n.grantedTo != from {
		n.promised, n.grantedTo = m.View, from
		store(n.env.Storage(), keyPromise, promiseRecord{View: n.promised, To: from})
	}
	// A renewal carries the primary's state: a backup that missed writes
	// catches up.
	if n.version.Less(m.Version) {
		n.version, n.state = m.Version, m.State
		store(n.env.Storage(), keyState, stateRecord{Version: n.version, State: n.state})
	}
	n.env.Storage().Sync()
	n.grantUntil = now + n.cfg.Lease
	if from != n.env.ID() {
		if n.role != backup && m.View >= n.view {
			n.becomeBackup()
		}
		n.resetSuspect()
	}
	n.reply(from, Grant{View: m.View, Version: n.version, State: n.state})
}

func (n *Node) onGrant(from sim.HostID, m Grant) {
	if n.role == backup || m.View != n.view || n.grants == nil {
		return
	}
	n.grants[from] = m
	if len(n.grants) < n.quorum() {
		return
	}
	// Adopt the newest state the majority holds: it includes every write
	// a majority stored, since that majority and this one share a server.
	for _, g := range n.grants { //detsim:maporder takes the maximum, whatever the order
		if n.version.Less(g.Version) {
			n.version, n.state = g.Version, g.State
		}
	}
	n.leaseUntil = n.roundStart + n.cfg.Lease - n.cfg.DriftMargin
	n.grants = nil
	if n.role == primary {
		return
	}
	n.becomePrimary()
}

// becomePrimary adopts the newest state its grantors hold and stores it
// under its own view on a majority before it serves: a state only a
// minority held must not be lost by the next primary once it was read.
func (n *Node) becomePrimary() {
	n.role = primary
	n.views++
	n.env.Logf("primary of view %d", n.view)
	n.heartbeat = n.env.After(n.cfg.Heartbeat, heartbeatTimer{})
	n.ready = false
	n.replicate(&write{version: Version{View: n.view}, state: n.state})
}

func (n *Node) replicate(w *write) {
	n.inflight = w
	n.acks = map[sim.HostID]bool{}
	msg := Replicate{View: n.view, Version: w.version, State: w.state}
	n.onReplicate(n.env.ID(), msg)
	for _, p := range n.env.Peers() {
		n.env.Send(p, msg)
	}
}

func (n *Node) onReplicate(from sim.HostID, m Replicate) {
	if m.View < n.promised {
		return
	}
	if m.View > n.promised {
		n.promised, n.grantedTo = m.View, from
		store(n.env.Storage(), keyPromise, promiseRecord{View: n.promised, To: from})
	}
	if n.version.Less(m.Version) {
		n.version, n.state = m.Version, m.State
		store(n.env.Storage(), keyState, stateRecord{Version: n.version, State: n.state})
	}
	n.env.Storage().Sync()
	if from != n.env.ID() {
		// Only the primary of m.View replicates in it: a candidate of the
		// same view has lost.
		n.primaryHint = from
		if n.role != backup && m.View >= n.view {
			n.becomeBackup()
		}
		n.resetSuspect()
	}
	n.reply(from, Ack{View: m.View, Version: m.Version})
}

func (n *Node) onAck(from sim.HostID, m Ack) {
	w := n.inflight
	if n.role != primary || w == nil || m.View != n.view || m.Version != w.version {
		return
	}
	n.acks[from] = true
	if len(n.acks) < n.quorum() {
		return
	}
	n.inflight = nil
	n.ready = true
	n.committed = w.state
	n.answer(w)
	n.next()
}

func (n *Node) answer(w *write) {
	if w.req != nil {
		n.env.Send(w.from, client.Response{Client: w.req.Client, Seq: w.req.Seq, Status: client.StatusOK, Result: w.result, Leader: n.env.ID()})
	}
}

func (n *Node) refuse(to sim.HostID, req client.Request, status client.Status) {
	leader := n.primaryHint
	if leader == n.env.ID() {
		leader = sim.NoHost
	}
	n.env.Send(to, client.Response{Client: req.Client, Seq: req.Seq, Status: status, Leader: leader})
}

func (n *Node) onRequest(from sim.HostID, req client.Request) {
	if n.role != primary {
		n.refuse(from, req, client.StatusNotLeader)
		return
	}
	if !n.ready {
		n.refuse(from, req, client.StatusUnavailable)
		return
	}
	// A retry of a write that a majority stored gets the first answer; a
	// retry of one still in flight gets none yet (it may be lost), and
	// the client asks again.
	if s, ok := n.committed.Sessions[req.Client]; ok && s.Seq >= req.Seq {
		if s.Seq == req.Seq {
			n.env.Send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: s.Result, Leader: n.env.ID()})
		}
		return // an older request the client has given up on
	}
	if s, ok := n.state.Sessions[req.Client]; ok && s.Seq >= req.Seq {
		return
	}
	if req.Op.Kind == client.OpGet {
		if n.env.Now() >= n.leaseUntil && !n.cfg.Bugs.ReadWithoutLease {
			n.refuse(from, req, client.StatusUnavailable)
			return
		}
		v, ok := n.committed.Data[req.Op.Key]
		n.env.Send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: client.Result{Value: v, Found: ok}, Leader: n.env.ID()})
		return
	}
	n.queue = append(n.queue, req)
	n.queueFrom = append(n.queueFrom, from)
	if n.inflight == nil {
		n.next()
	}
}

// next replicates the next queued write, if any.
func (n *Node) next() {
	for len(n.queue) > 0 {
		req, from := n.queue[0], n.queueFrom[0]
		n.queue, n.queueFrom = n.queue[1:], n.queueFrom[1:]
		if s, ok := n.state.Sessions[req.Client]; ok && s.Seq >= req.Seq {
			continue // a retry of a write already applied, or given up on
		}
		state, result := apply(n.state, req)
		n.replicate(&write{version: Version{View: n.view, Seq: n.version.Seq + 1}, state: state, req: &req, from: from, result: result})
		return
	}
}

// apply returns the state after req, and its result; state is left alone.
func apply(state State, req client.Request) (State, client.Result) {
	next := State{Data: map[string]string{}, Sessions: map[uint64]Session{}}
	for k, v := range state.Data { //detsim:maporder copies a map into a map
		next.Data[k] = v
	}
	for c, s := range state.Sessions { //detsim:maporder copies a map into a map
		next.Sessions[c] = s
	}
	op := req.Op
	old, found := next.Data[op.Key]
	var res client.Result
	switch op.Kind {
	case client.OpPut:
		next.Data[op.Key] = op.Value
	case client.OpAppend:
		next.Data[op.Key] = old + op.Value
		res.Value = old + op.Value
	case client.OpDelete:
		delete(next.Data, op.Key)
		res.Found = found
	case client.OpCAS:
		if old == op.Want {
			next.Data[op.Key] = op.Value
			res.OK = true
		}
	}
	next.Sessions[req.Client] = Session{Seq: req.Seq, Result: res}
	return next, res
}

// IsPrimary reports whether the node is primary, and of which view.
func (n *Node) IsPrimary() (bool, uint64) { return n.role == primary, n.view }

// Data is a copy of the registers the node holds.
func (n *Node) Data() map[string]string {
	out := map[string]string{}
	for k, v := range n.state.Data { //detsim:maporder copies a map into a map
		out[k] = v
	}
	return out
}

// Views counts the views this incarnation became primary of.
func (n *Node) Views() int { return n.views }
