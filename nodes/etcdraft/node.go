package etcdraft

import (
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/kvstore"
	"github.com/detsim/detsim/sim"
)

// Observer is told about what a node does, synchronously, for checkers.
type Observer interface {
	// Started: the node has booted (or rebooted) on its storage.
	Started(n *Node)
	// Handled: the node has handled rd (persisted and synced it, sent its
	// messages, applied its committed entries) and is about to Advance.
	Handled(n *Node, rd *raft.Ready)
}

// New returns the factory of a node running etcd raft's RawNode with cfg.
// The configuration must be valid (Config.Validate).
func New(cfg Config) sim.Factory {
	return func() sim.Node { return &Node{cfg: cfg} }
}

// RaftID is the etcd raft id of a host: etcd reserves 0 for "none".
func RaftID(h sim.HostID) uint64 { return uint64(h) + 1 }

// HostOf is the host of an etcd raft id, or sim.NoHost for raft.None.
func HostOf(id uint64) sim.HostID {
	if id == raft.None {
		return sim.NoHost
	}
	return sim.HostID(id - 1)
}

// Node is a sim.Node that runs an unchanged etcd raft RawNode as a
// replicated key-value store. See the package documentation.
type Node struct {
	cfg     Config
	env     sim.Env
	rn      *raft.RawNode
	disk    *disk
	kv      *kvstore.Store
	conf    raftpb.ConfState // as of applied
	applied uint64
	snapIdx uint64 // index of the last snapshot taken or installed
	entropy seededReader
	clock   electionClock

	soft      raft.SoftState
	proposals []*proposal         // in the order proposed
	pending   map[opKey]*proposal // the same, by operation
	reads     []pendingRead
	readSeq   uint64

	snapsSent []uint64 // raft ids sent a snapshot in the Ready being handled
	// ready is the Ready being handled, held here rather than in flush's
	// frame, from which handing its address to the Observer would move it
	// to the heap on every Ready. flush is never re-entered.
	ready raft.Ready
}

// proposal is a client write the leader proposed and has not answered.
type proposal struct {
	from sim.HostID
	req  client.Request
}

// opKey names a client operation: its idempotency key.
type opKey struct{ client, seq uint64 }

func keyOf(req client.Request) opKey { return opKey{req.Client, req.Seq} }

// pendingRead is a get waiting for its read index to be confirmed (index
// 0 until then) and applied.
type pendingRead struct {
	ctx   uint64
	index uint64
	from  sim.HostID
	req   client.Request
}

type tickTag struct{}

// Start loads the node's state from storage (bootstrapping the initial
// configuration on a first boot) and builds the RawNode over it.
func (n *Node) Start(env sim.Env) {
	n.env = env
	n.entropy.rng = env.Rand()
	n.start()
	n.flush()
}

func (n *Node) start() {
	d, snap, empty := load(n.env.Storage())
	n.disk = d
	if empty && n.bootstraps() {
		snap = d.bootstrap(n.initialVoters(), kvstore.New().Encode())
	}
	kv, err := decodeKV(snap.Data)
	if err != nil {
		panic(fmt.Sprintf("etcdraft: snapshot %d: %v", snap.Metadata.Index, err))
	}
	n.kv = kv
	n.conf = snap.Metadata.ConfState
	n.applied, n.snapIdx = snap.Metadata.Index, snap.Metadata.Index
	rc := n.cfg.raftConfig(RaftID(n.env.ID()), d.mem, n.applied, logger{n.env})
	rc.StepDownOnRemoval = true
	var rn *raft.RawNode
	n.drawing(func() { rn, err = raft.NewRawNode(rc) })
	if err != nil {
		panic(fmt.Sprintf("etcdraft: %v", err))
	}
	n.rn = rn
	n.env.After(n.cfg.TickInterval, tickTag{})
	if n.cfg.Observer != nil {
		n.cfg.Observer.Started(n)
	}
}

func (n *Node) bootstraps() bool {
	return !n.cfg.Join && (len(n.cfg.Members) == 0 || slices.Contains(n.cfg.Members, n.env.ID()))
}

func (n *Node) initialVoters() []uint64 {
	hosts := slices.Clone(n.cfg.Members)
	if len(hosts) == 0 {
		hosts = append(n.env.Peers(), n.env.ID())
	}
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	voters := make([]uint64, len(hosts))
	for i, h := range hosts {
		voters[i] = RaftID(h)
	}
	return voters
}

// Receive steps a raft message into the RawNode, or serves a client or an
// operator, then handles every Ready that resulted.
func (n *Node) Receive(from sim.HostID, msg any) {
	n.receive(from, msg)
	n.flush()
}

// Timer ticks the RawNode.
func (n *Node) Timer(_ sim.TimerID, tag any) {
	if _, ok := tag.(tickTag); !ok {
		return
	}
	if n.cfg.Bugs.SendBeforeSync {
		n.disk.sync() // the bug's group commit: one sync per tick
	}
	n.tick()
	n.env.After(n.cfg.TickInterval, tickTag{})
	n.flush()
}

func (n *Node) receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case Message:
		if m.m == nil {
			n.env.Logf("etcdraft: ignoring an etcd message that holds none (a zero Message)")
			return
		}
		n.step(*m.m)
	case client.Request:
		n.onClient(from, m)
	case *client.Request:
		n.onClient(from, *m)
	case AdminRequest:
		n.onAdmin(m)
	default:
		n.env.Logf("etcdraft: ignoring a message of unknown type %T", msg)
	}
}

// flush handles every Ready in order: persist and sync, send, apply,
// answer reads, snapshot, Advance.
func (n *Node) flush() {
	for n.rn.HasReady() {
		n.ready = n.rn.Ready()
		n.handle(&n.ready)
		n.advance(n.ready)
	}
	n.ready = raft.Ready{} // keeps nothing of the last one alive
}

func (n *Node) handle(rd *raft.Ready) {
	if rd.SoftState != nil {
		n.setSoftState(*rd.SoftState)
	}
	if n.cfg.Bugs.SendBeforeSync {
		n.send(rd.Messages)
		n.disk.save(rd)
	} else {
		n.disk.save(rd)
		n.disk.sync()
		n.send(rd.Messages)
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		n.restore(rd.Snapshot)
	}
	for i := range rd.CommittedEntries {
		n.apply(&rd.CommittedEntries[i])
	}
	for _, rs := range rd.ReadStates {
		n.confirmRead(rs)
	}
	n.serveReads()
	n.maybeSnapshot()
	if n.cfg.Observer != nil {
		n.cfg.Observer.Handled(n, rd)
	}
}

func (n *Node) send(msgs []raftpb.Message) {
	for i := range msgs {
		m := &msgs[i]
		n.env.Send(HostOf(m.To), newMessage(m))
		if m.Type == raftpb.MsgSnap {
			n.snapsSent = append(n.snapsSent, m.To)
		}
	}
}

// restore replaces the state machine with a snapshot from the leader.
func (n *Node) restore(snap raftpb.Snapshot) {
	kv, err := decodeKV(snap.Data)
	if err != nil {
		panic(fmt.Sprintf("etcdraft: snapshot %d from the leader: %v", snap.Metadata.Index, err))
	}
	n.kv = kv
	n.conf = snap.Metadata.ConfState
	n.applied, n.snapIdx = snap.Metadata.Index, snap.Metadata.Index
}

func (n *Node) apply(e *raftpb.Entry) {
	n.applied = e.Index
	switch e.Type {
	case raftpb.EntryNormal:
		if len(e.Data) == 0 {
			return // a new leader's empty entry
		}
		req, err := kvstore.DecodeRequest(e.Data)
		if err != nil {
			panic(fmt.Sprintf("etcdraft: committed entry %d: %v", e.Index, err))
		}
		n.answer(req, n.kv.Apply(req, true))
	case raftpb.EntryConfChange:
		var cc raftpb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			panic(fmt.Sprintf("etcdraft: committed conf change %d: %v", e.Index, err))
		}
		n.drawing(func() { n.conf = *n.rn.ApplyConfChange(cc) })
		n.snapshot()
	case raftpb.EntryConfChangeV2:
		var cc raftpb.ConfChangeV2
		if err := cc.Unmarshal(e.Data); err != nil {
			panic(fmt.Sprintf("etcdraft: committed conf change %d: %v", e.Index, err))
		}
		n.drawing(func() { n.conf = *n.rn.ApplyConfChange(cc) })
		n.snapshot()
	}
}

// maybeSnapshot snapshots the state machine once SnapshotEntries entries
// have been applied since the last snapshot, and compacts the log.
func (n *Node) maybeSnapshot() {
	if n.cfg.SnapshotEntries == 0 || n.applied-n.snapIdx < uint64(n.cfg.SnapshotEntries) {
		return
	}
	n.snapshot()
}

// snapshot snapshots the state machine at the applied index. Every
// configuration change takes one too: a leader sends a server it added the
// latest snapshot, and etcd raft refuses a snapshot whose configuration
// does not hold the receiver.
func (n *Node) snapshot() {
	n.disk.snapshot(n.applied, &n.conf, n.kv.Encode(), uint64(n.cfg.SnapshotTrailing))
	n.disk.sync()
	n.snapIdx = n.applied
}

// setSoftState follows leadership. A leader that steps down cannot tell
// whether its pending writes will commit, nor confirm its pending reads:
// it answers them "unavailable" so that clients retry elsewhere at once.
func (n *Node) setSoftState(ss raft.SoftState) {
	wasLeader := n.soft.RaftState == raft.StateLeader
	n.soft = ss
	if !wasLeader || ss.RaftState == raft.StateLeader {
		return
	}
	for _, p := range n.proposals {
		n.reply(p.from, p.req, client.StatusUnavailable, client.Result{})
	}
	for _, r := range n.reads {
		n.reply(r.from, r.req, client.StatusUnavailable, client.Result{})
	}
	n.proposals, n.reads = n.proposals[:0], n.reads[:0]
	clear(n.pending)
}

func (n *Node) isLeader() bool { return n.soft.RaftState == raft.StateLeader }

func (n *Node) reply(to sim.HostID, req client.Request, st client.Status, res client.Result) {
	leader := sim.NoHost
	if st == client.StatusOK || n.isLeader() {
		leader = n.env.ID()
	}
	if st == client.StatusNotLeader && !n.isLeader() {
		leader = HostOf(n.soft.Lead)
	}
	n.env.Send(to, client.Response{Client: req.Client, Seq: req.Seq, Status: st, Result: res, Leader: leader})
}

// onClient serves a client request: only the leader does, and only while
// it is not handing leadership over.
func (n *Node) onClient(from sim.HostID, req client.Request) {
	if !n.isLeader() || n.rn.BasicStatus().LeadTransferee != raft.None {
		n.reply(from, req, client.StatusNotLeader, client.Result{})
		return
	}
	if req.Op.Kind == client.OpGet {
		n.readSeq++
		n.reads = append(n.reads, pendingRead{ctx: n.readSeq, from: from, req: req})
		ctx := binary.BigEndian.AppendUint64(nil, n.readSeq)
		n.rn.ReadIndex(ctx) // a local message: it cannot draw (draws.go)
		panicOnMissedDraw()
		return
	}
	if res, ok := n.kv.Duplicate(req); ok {
		n.reply(from, req, client.StatusOK, res)
		return
	}
	if n.kv.Stale(req) {
		return // the client has moved on
	}
	if p, ok := n.pending[keyOf(req)]; ok {
		p.from = from // a retry of a pending write: answer the new sender
		return
	}
	data := kvstore.EncodeRequest(req)
	err := n.rn.Propose(data) // a local message: it cannot draw (draws.go)
	panicOnMissedDraw()
	if err != nil {
		// Dropped before it reached the log (a transfer began): nothing
		// was accepted.
		n.reply(from, req, client.StatusNotLeader, client.Result{})
		return
	}
	p := &proposal{from: from, req: req}
	if n.pending == nil {
		n.pending = map[opKey]*proposal{}
	}
	n.pending[keyOf(req)] = p
	n.proposals = append(n.proposals, p)
}

// answer replies to the proposal of req, if this leader holds one.
// Entries commit in the order they were proposed, so the proposal is
// nearly always the oldest: taking it off the front costs nothing.
func (n *Node) answer(req client.Request, res client.Result) {
	p, ok := n.pending[keyOf(req)]
	if !ok {
		return
	}
	delete(n.pending, keyOf(req))
	if n.proposals[0] == p {
		n.proposals[0] = nil
		n.proposals = n.proposals[1:]
	} else {
		n.proposals = slices.DeleteFunc(n.proposals, func(q *proposal) bool { return q == p })
	}
	n.reply(p.from, p.req, client.StatusOK, res)
}

func (n *Node) confirmRead(rs raft.ReadState) {
	if len(rs.RequestCtx) != 8 {
		return
	}
	ctx := binary.BigEndian.Uint64(rs.RequestCtx)
	for i := range n.reads {
		if n.reads[i].ctx == ctx {
			n.reads[i].index = rs.Index
			return
		}
	}
}

// serveReads answers the reads whose read index is confirmed and applied.
func (n *Node) serveReads() {
	n.reads = slices.DeleteFunc(n.reads, func(r pendingRead) bool {
		if r.index == 0 || r.index > n.applied {
			return false
		}
		n.reply(r.from, r.req, client.StatusOK, n.kv.Read(r.req.Op.Key))
		return true
	})
}

// onAdmin carries out an operator's request, if this node leads.
func (n *Node) onAdmin(a AdminRequest) {
	if !n.isLeader() {
		n.env.Logf("etcdraft: not the leader; ignoring the operator's %v", a.Kind)
		return
	}
	var err error
	n.drawing(func() {
		switch a.Kind {
		case AdminAddServer:
			err = n.rn.ProposeConfChange(raftpb.ConfChange{Type: raftpb.ConfChangeAddNode, NodeID: RaftID(a.Target)})
		case AdminRemoveServer:
			err = n.rn.ProposeConfChange(raftpb.ConfChange{Type: raftpb.ConfChangeRemoveNode, NodeID: RaftID(a.Target)})
		case AdminTransferLeader:
			n.rn.TransferLeader(RaftID(a.Target))
			n.clock.exact = false // a leader's MsgTransferLeader zeroes the timer
		}
	})
	if err != nil {
		n.env.Logf("etcdraft: the operator's %v was dropped: %v", a.Kind, err)
	}
}

// Status is etcd raft's status of the node, progress included.
func (n *Node) Status() raft.Status { return n.rn.Status() }

// BasicStatus is Status without the leader's progress: cheaper.
func (n *Node) BasicStatus() raft.BasicStatus { return n.rn.BasicStatus() }

// Host is the node's host.
func (n *Node) Host() sim.HostID { return n.env.ID() }

// Applied is the index of the last entry the state machine applied.
func (n *Node) Applied() uint64 { return n.applied }

// ConfState is the configuration as of the applied index.
func (n *Node) ConfState() raftpb.ConfState { return n.conf }

// Value reads a key from the state machine.
func (n *Node) Value(key string) (string, bool) {
	v, ok := n.kv.Value(key)
	return v, ok
}

// Storage is the raft.Storage etcd raft reads: what the node persisted.
func (n *Node) Storage() raft.Storage { return n.disk.mem }

// Message is an etcd raft message in flight: the raftpb.Message a Ready
// handed over, shared by the sender and every receiver, never written
// again (net.Immutable; newMessage says why that holds). Its size is that
// of its protobuf encoding, which it would take on a wire.
type Message struct {
	m    *raftpb.Message
	size int
}

func (Message) ImmutableMessage() {}
func (m Message) Size() int       { return m.size }

// Raft is the etcd raft message. It is shared: the caller must not
// change what its slices hold.
func (m Message) Raft() *raftpb.Message { return m.m }

// AdminKind is an operator's request.
type AdminKind uint8

const (
	AdminAddServer AdminKind = iota + 1
	AdminRemoveServer
	AdminTransferLeader
)

func (k AdminKind) String() string {
	switch k {
	case AdminAddServer:
		return "add-server"
	case AdminRemoveServer:
		return "remove-server"
	case AdminTransferLeader:
		return "transfer-leader"
	}
	return fmt.Sprintf("AdminKind(%d)", uint8(k))
}

// AdminRequest asks the leader to change the configuration (one server
// at a time, etcd's ConfChange) or to hand leadership to Target.
type AdminRequest struct {
	Kind   AdminKind
	Target sim.HostID
}

// logger forwards etcd raft's log into the trace. Debug lines are
// dropped; Panic and Fatal panic, which the world reports as a failure of
// the host.
type logger struct{ env sim.Env }

func (l logger) Debug(...any)                     {}
func (l logger) Debugf(string, ...any)            {}
func (l logger) Info(v ...any)                    { l.env.Logf("etcd: %s", fmt.Sprint(v...)) }
func (l logger) Infof(format string, v ...any)    { l.env.Logf("etcd: "+format, v...) }
func (l logger) Warning(v ...any)                 { l.env.Logf("etcd: warning: %s", fmt.Sprint(v...)) }
func (l logger) Warningf(format string, v ...any) { l.env.Logf("etcd: warning: "+format, v...) }
func (l logger) Error(v ...any)                   { l.env.Logf("etcd: error: %s", fmt.Sprint(v...)) }
func (l logger) Errorf(format string, v ...any)   { l.env.Logf("etcd: error: "+format, v...) }
func (l logger) Fatal(v ...any)                   { panic(fmt.Sprint(v...)) }
func (l logger) Fatalf(format string, v ...any)   { panic(fmt.Sprintf(format, v...)) }
func (l logger) Panic(v ...any)                   { panic(fmt.Sprint(v...)) }
func (l logger) Panicf(format string, v ...any)   { panic(fmt.Sprintf(format, v...)) }
