package raft

import (
	"errors"
	"fmt"
	"slices"

	"github.com/detsim/detsim/sim"
)

// ChangeKind is a single-server membership change.
type ChangeKind uint8

const (
	AddServer ChangeKind = iota + 1
	RemoveServer
)

func (k ChangeKind) String() string {
	switch k {
	case AddServer:
		return "add"
	case RemoveServer:
		return "remove"
	}
	return fmt.Sprintf("ChangeKind(%d)", uint8(k))
}

// ConfChange asks the leader to add or remove one server. Send it to a
// server as a message; the answer is a ConfChangeResponse with the same
// ID, sent when the change has committed (or at once, if it cannot be
// made now).
type ConfChange struct {
	ID     uint64
	Kind   ChangeKind
	Server sim.HostID
}

// TransferLeader asks the leader to hand leadership to To: it brings To's
// log up to date, then sends it TimeoutNow. The answer (TransferLeaderResponse)
// says whether the transfer started, not whether it succeeded; the leader
// abandons it after ElectionTimeoutMin.
type TransferLeader struct {
	ID uint64
	To sim.HostID
}

// AdminStatus is the outcome of an admin request.
type AdminStatus uint8

const (
	// AdminOK: the change committed (a change that was already in force
	// counts), or the transfer started.
	AdminOK AdminStatus = iota + 1
	// AdminNotLeader: ask Leader (a hint; NoHost if unknown).
	AdminNotLeader
	// AdminBusy: try again later: another change has not committed yet,
	// or the leader has not yet committed an entry of its term.
	AdminBusy
	// AdminUnavailable: leadership was lost with the change pending; it
	// may or may not take effect.
	AdminUnavailable
	// AdminInvalid: the request makes no sense (removing the last
	// member, transferring to a non-member).
	AdminInvalid
)

// Sentinel errors for admin outcomes; see AdminStatus.
var (
	ErrNotLeader   = errors.New("raft: not the leader")
	ErrBusy        = errors.New("raft: busy; retry later")
	ErrUnavailable = errors.New("raft: leadership lost; outcome unknown")
	ErrInvalid     = errors.New("raft: invalid request")
)

func (s AdminStatus) String() string {
	switch s {
	case AdminOK:
		return "ok"
	case AdminNotLeader:
		return "not-leader"
	case AdminBusy:
		return "busy"
	case AdminUnavailable:
		return "unavailable"
	case AdminInvalid:
		return "invalid"
	}
	return fmt.Sprintf("AdminStatus(%d)", uint8(s))
}

// Err is nil for AdminOK and the matching sentinel error otherwise.
func (s AdminStatus) Err() error {
	switch s {
	case AdminOK:
		return nil
	case AdminNotLeader:
		return ErrNotLeader
	case AdminBusy:
		return ErrBusy
	case AdminUnavailable:
		return ErrUnavailable
	}
	return ErrInvalid
}

// ConfChangeResponse answers a ConfChange.
type ConfChangeResponse struct {
	ID     uint64
	Status AdminStatus
	Leader sim.HostID
}

// TransferLeaderResponse answers a TransferLeader.
type TransferLeaderResponse struct {
	ID     uint64
	Status AdminStatus
	Leader sim.HostID
}

// onConfChange appends a single-server change. The rules that make
// single-server changes safe: one change at a time (the previous one has
// committed), and only after the leader has committed an entry of its own
// term (bug EarlyConfChange drops the second rule).
func (n *Node) onConfChange(from sim.HostID, cc ConfChange) {
	reply := func(s AdminStatus) {
		n.send(from, ConfChangeResponse{ID: cc.ID, Status: s, Leader: n.leader})
	}
	if n.role != Leader || n.transferee != sim.NoHost {
		reply(AdminNotLeader)
		return
	}
	if (n.commit < n.termStart && !n.cfg.Bugs.EarlyConfChange) || n.confIndex > n.commit {
		reply(AdminBusy)
		return
	}
	var members []sim.HostID
	switch cc.Kind {
	case AddServer:
		members = sortedUnique(append(slices.Clone(n.members), cc.Server))
	case RemoveServer:
		members = slices.DeleteFunc(slices.Clone(n.members), func(id sim.HostID) bool { return id == cc.Server })
	default:
		reply(AdminInvalid)
		return
	}
	switch {
	case slices.Equal(members, n.members):
		reply(AdminOK)
		return
	case len(members) == 0:
		reply(AdminInvalid)
		return
	}
	n.env.Logf("raft: membership change: %v %v", cc.Kind, cc.Server)
	i := n.appendLocal(Entry{Kind: EntryConf, Members: members})
	n.proposals = append(n.proposals, proposal{index: i, term: n.term, from: from, conf: true, id: cc.ID})
	n.replicate()
}

func (n *Node) onTransfer(from sim.HostID, tl TransferLeader) {
	reply := func(s AdminStatus) {
		n.send(from, TransferLeaderResponse{ID: tl.ID, Status: s, Leader: n.leader})
	}
	switch {
	case n.role != Leader:
		reply(AdminNotLeader)
		return
	case tl.To == n.id:
		reply(AdminOK)
		return
	case !n.isMember(tl.To):
		reply(AdminInvalid)
		return
	}
	pr := n.progress(tl.To)
	n.transferee, n.transferAt = tl.To, n.env.Now()+n.cfg.ElectionTimeoutMin
	n.env.Logf("raft: transferring leadership to %v", tl.To)
	reply(AdminOK)
	if pr.match == n.log.lastIndex() {
		n.sendTimeoutNow(pr.id)
		return
	}
	if pr.state == stateProbe {
		pr.paused = false
	}
	n.sendAppend(pr)
}
