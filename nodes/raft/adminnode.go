package raft

import (
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
)

// Admin is a small operator node: it asks a Raft cluster for membership
// changes and leadership transfers, one request at a time, following
// leader hints and retrying until the cluster answers AdminOK or
// AdminInvalid. Scenarios give it a host of its own and queue requests
// from world callbacks (AddServer, RemoveServer, TransferLeadership).
//
// Admin keeps its queue and results across restarts of its host (it is
// the harness's object; Node builds the per-incarnation node). A request in
// flight when the host crashes is sent again after the restart.
type Admin struct {
	servers []sim.HostID
	// Timeout is how long one attempt waits for an answer; Retry how long
	// it waits before retrying after AdminBusy or AdminUnavailable. Both
	// on the admin host's local clock.
	Timeout time.Duration
	Retry   time.Duration
	// AttemptsMax, if positive, is how many attempts a request gets; then
	// the admin gives up on it (recording AdminUnavailable: it may still
	// take effect) and moves on to the next.
	AttemptsMax int

	node    *adminNode
	queue   []adminReq
	nextID  uint64
	results []AdminResult
}

type adminReq struct {
	id  uint64
	msg any // ConfChange or TransferLeader
}

// AdminResult is the final answer to one request.
type AdminResult struct {
	// Request is the ConfChange or TransferLeader as sent.
	Request any
	Status  AdminStatus
	// Leader is the server that answered.
	Leader sim.HostID
	// Attempts counts the attempts sent, across retries.
	Attempts int
}

// NewAdmin returns an Admin that talks to servers.
func NewAdmin(servers []sim.HostID) *Admin {
	return &Admin{servers: slices.Clone(servers), Timeout: 200 * time.Millisecond, Retry: 50 * time.Millisecond}
}

// Node builds the admin's node; a.Node is a sim.Factory.
func (a *Admin) Node() sim.Node {
	a.node = &adminNode{a: a, target: sim.NoHost}
	return a.node
}

// AddServer queues adding id to the cluster.
func (a *Admin) AddServer(id sim.HostID) { a.enqueue(ConfChange{Kind: AddServer, Server: id}) }

// RemoveServer queues removing id from the cluster.
func (a *Admin) RemoveServer(id sim.HostID) { a.enqueue(ConfChange{Kind: RemoveServer, Server: id}) }

// TransferLeadership queues a leadership transfer to id.
func (a *Admin) TransferLeadership(id sim.HostID) { a.enqueue(TransferLeader{To: id}) }

// Follow tells the admin that leader leads now (as a monitoring system
// would): the request in flight, if any, is sent there at once, and later
// ones go there first.
func (a *Admin) Follow(leader sim.HostID) {
	n := a.node
	if n == nil || n.env == nil || !slices.Contains(a.servers, leader) {
		return
	}
	n.target = leader
	if len(a.queue) > 0 {
		n.attempt()
	}
}

// Results are the answered requests, in order.
func (a *Admin) Results() []AdminResult { return slices.Clone(a.results) }

// Pending is the number of requests not yet answered.
func (a *Admin) Pending() int { return len(a.queue) }

func (a *Admin) enqueue(msg any) {
	a.nextID++
	switch m := msg.(type) {
	case ConfChange:
		m.ID = a.nextID
		msg = m
	case TransferLeader:
		m.ID = a.nextID
		msg = m
	}
	a.queue = append(a.queue, adminReq{id: a.nextID, msg: msg})
	if n := a.node; n != nil && n.env != nil && len(a.queue) == 1 {
		n.attempt()
	}
}

// adminNode is one incarnation of the admin host.
type adminNode struct {
	a        *Admin
	env      sim.Env
	target   sim.HostID
	timer    sim.TimerID
	attempts int
}

func (n *adminNode) Start(env sim.Env) {
	n.env = env
	if len(n.a.queue) > 0 {
		n.attempt()
	}
}

func (n *adminNode) attempt() {
	a := n.a
	if len(a.queue) == 0 || len(a.servers) == 0 {
		return
	}
	if a.AttemptsMax > 0 && n.attempts >= a.AttemptsMax {
		n.finish(AdminUnavailable, sim.NoHost)
		return
	}
	if !slices.Contains(a.servers, n.target) {
		n.target = a.servers[0]
	}
	n.attempts++
	n.env.Send(n.target, a.queue[0].msg)
	n.setTimer(a.Timeout, true)
}

type adminTimer struct{ timeout bool }

func (n *adminNode) setTimer(d time.Duration, timeout bool) {
	if n.timer != 0 {
		n.env.Cancel(n.timer)
	}
	n.timer = n.env.After(d, adminTimer{timeout})
}

func (n *adminNode) Timer(id sim.TimerID, tag any) {
	if id != n.timer {
		return
	}
	n.timer = 0
	if t, ok := tag.(adminTimer); ok && t.timeout {
		n.target = n.next(n.target)
	}
	n.attempt()
}

// finish records the head request's result and starts the next one.
func (n *adminNode) finish(status AdminStatus, from sim.HostID) {
	a := n.a
	a.results = append(a.results, AdminResult{Request: a.queue[0].msg, Status: status, Leader: from, Attempts: n.attempts})
	a.queue = a.queue[1:]
	n.attempts = 0
	if n.timer != 0 {
		n.env.Cancel(n.timer)
		n.timer = 0
	}
	n.attempt()
}

func (n *adminNode) next(h sim.HostID) sim.HostID {
	s := n.a.servers
	i := slices.Index(s, h)
	return s[(i+1)%len(s)]
}

func (n *adminNode) Receive(from sim.HostID, msg any) {
	var id uint64
	var status AdminStatus
	var leader sim.HostID
	switch m := msg.(type) {
	case ConfChangeResponse:
		id, status, leader = m.ID, m.Status, m.Leader
	case TransferLeaderResponse:
		id, status, leader = m.ID, m.Status, m.Leader
	default:
		return
	}
	a := n.a
	if len(a.queue) == 0 || a.queue[0].id != id {
		return // an answer to an attempt we gave up on
	}
	switch status {
	case AdminOK, AdminInvalid:
		n.finish(status, from)
	case AdminNotLeader:
		if leader != sim.NoHost && leader != n.target && slices.Contains(a.servers, leader) {
			n.target = leader
			n.attempt()
			return
		}
		n.target = n.next(n.target)
		n.setTimer(a.Retry, false)
	default: // busy, unavailable
		n.setTimer(a.Retry, false)
	}
}
