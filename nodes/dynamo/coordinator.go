package dynamo

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// request is one client request this server coordinates.
type request struct {
	id      uint64
	creq    client.Request
	replyTo sim.HostID // the client, or the server that forwarded the request
	fwdID   uint64     // non-zero: answer through forwardReply
	targets []target
	timer   sim.TimerID

	answered bool
	acked    []sim.HostID // put: the targets that hold the write
	replies  []reply      // get: the answers, in arrival order
	merged   Object       // get: the merge of the replies so far

	// The slices above start in these, so that a request of a usual
	// size costs one allocation.
	targetsIn [3]target
	ackedIn   [3]sim.HostID
	repliesIn [3]reply
}

// target is a replica a request goes to: a primary, or a fallback that
// keeps a hint for HintFor.
type target struct {
	host, hintFor sim.HostID
}

type reply struct {
	from, hintFor sim.HostID
	obj           Object
}

// targets are the replicas of key a request goes to. Strict quorums use
// the N primaries. Sloppy quorums use the primaries the failure detector
// holds up and, for each one it holds down, the next healthy server past
// them, which keeps a hint for it.
func (n *Node) targets(key string, out []target) []target {
	walk := n.ring.Walk(n.state(key).ringRange)
	prim := walk[:n.cfg.N]
	if !n.cfg.Sloppy {
		for _, p := range prim {
			out = append(out, target{p, sim.NoHost})
		}
		return out
	}
	var downIn [3]sim.HostID // room for the usual N, on the stack
	down := downIn[:0]
	now := n.env.Now()
	for _, p := range prim {
		if n.healthyAt(p, now) {
			out = append(out, target{p, sim.NoHost})
		} else {
			down = append(down, p)
		}
	}
	for _, f := range walk[n.cfg.N:] {
		if len(down) == 0 {
			break
		}
		if n.healthyAt(f, now) {
			out = append(out, target{f, down[0]})
			down = down[1:]
		}
	}
	return out
}

// clientRequest starts a client's request. A get is coordinated here; a
// put or delete is coordinated by a replica of the key, since only a
// replica knows the key's siblings and so can issue a dot that respects
// them: a server outside the targets forwards it to the first target.
func (n *Node) clientRequest(from sim.HostID, req client.Request, fwdID uint64) {
	if c := n.findClient(req.Client); c != nil {
		if c.answered && c.lastSeq == req.Seq {
			n.answerTo(from, fwdID, c.lastResp)
			return
		}
		if c.inflight && c.inflightSeq == req.Seq {
			return // a retry of a request in progress here: its answer will come
		}
	}
	r := n.newRequest()
	r.creq, r.replyTo, r.fwdID = req, from, fwdID
	switch req.Op.Kind {
	case client.OpGet:
		n.coordinateGet(r)
	case client.OpPut, client.OpDelete:
		r.targets = n.targets(req.Op.Key, r.targetsIn[:0])
		if fwdID == 0 && !slices.ContainsFunc(r.targets, func(t target) bool { return t.host == n.self }) && len(r.targets) > 0 {
			n.nextReq++
			n.forwards[n.nextReq] = from
			n.count(CountForwarded, 1)
			n.env.Send(r.targets[0].host, forwardPut{ID: n.nextReq, Req: req})
			n.release(r)
			return
		}
		n.coordinatePut(r)
	default:
		n.env.Logf("dynamo: client %d sent %v, which the store does not offer (get, put, delete)", req.Client, req.Op.Kind)
		n.answerTo(from, fwdID, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusNotLeader, Leader: sim.NoHost})
		n.release(r)
	}
}

// newRequest returns a cleared request, reusing one that has ended: a
// server coordinates a request per client operation, and most of them end
// within milliseconds.
func (n *Node) newRequest() *request {
	if k := len(n.free); k > 0 {
		r := n.free[k-1]
		n.free = n.free[:k-1]
		return r
	}
	return new(request)
}

// release hands back a request nothing refers to any more: it was never
// begun, or it has ended (end: out of reqs, its timer cancelled) and its
// last step is done.
func (n *Node) release(r *request) {
	*r = request{}
	n.free = append(n.free, r)
}

func (n *Node) begin(r *request) {
	c := n.client(r.creq.Client)
	c.inflightSeq, c.inflight = r.creq.Seq, true
	n.nextReq++
	r.id = n.nextReq
	n.live = append(n.live, r)
	r.timer = n.env.After(n.cfg.RequestTimeout, r)
}

func (n *Node) end(r *request) {
	n.env.Cancel(r.timer)
	if i := slices.Index(n.live, r); i >= 0 {
		last := len(n.live) - 1
		n.live[i], n.live[last] = n.live[last], nil
		n.live = n.live[:last]
	}
}

// request is the live request id, or nil if it has ended.
func (n *Node) request(id uint64) *request {
	for _, r := range n.live {
		if r.id == id {
			return r
		}
	}
	return nil
}

// clientState is what a coordinator remembers of one client: its last
// request answered OK, whose retry gets the same answer rather than a
// second write, and the request of its that the server coordinates now.
type clientState struct {
	id          uint64
	lastSeq     uint64
	lastResp    client.Response
	answered    bool // lastSeq and lastResp hold an answer
	inflightSeq uint64
	inflight    bool // inflightSeq is being coordinated and not yet answered
}

// scannedClients is how many clients findClient scans before it takes
// the index.
const scannedClients = 16

// findClient is the state of client id, or nil if it never asked. The
// pointer holds until the next call of client.
func (n *Node) findClient(id uint64) *clientState {
	if len(n.clients) > scannedClients {
		if i, ok := n.clientAt[id]; ok {
			return &n.clients[i]
		}
		return nil
	}
	for i := range n.clients {
		if n.clients[i].id == id {
			return &n.clients[i]
		}
	}
	return nil
}

// client is the state of client id, made on first use.
func (n *Node) client(id uint64) *clientState {
	if c := n.findClient(id); c != nil {
		return c
	}
	n.clientAt[id] = len(n.clients)
	n.clients = append(n.clients, clientState{id: id})
	return &n.clients[len(n.clients)-1]
}

func (n *Node) answer(r *request, status client.Status, res client.Result) {
	if r.answered {
		return
	}
	r.answered = true
	c := n.client(r.creq.Client)
	if c.inflight && c.inflightSeq == r.creq.Seq {
		c.inflight = false
	}
	resp := client.Response{Client: r.creq.Client, Seq: r.creq.Seq, Status: status, Result: res, Leader: sim.NoHost}
	if status == client.StatusOK {
		c.lastSeq, c.lastResp, c.answered = r.creq.Seq, resp, true
	}
	n.answerTo(r.replyTo, r.fwdID, resp)
}

func (n *Node) answerTo(to sim.HostID, fwdID uint64, resp client.Response) {
	if fwdID != 0 {
		n.env.Send(to, forwardReply{ID: fwdID, Resp: resp})
		return
	}
	n.env.Send(to, resp)
}

// ownHint is what this coordinator stores its write as: data when it is a
// primary, a hint when it stands in for one.
func (n *Node) ownHint(r *request) sim.HostID {
	for _, t := range r.targets {
		if t.host == n.self {
			return t.hintFor
		}
	}
	// A forwarded write reached a server that no longer counts itself
	// among the targets: it keeps the write as a hint for a primary that
	// gets no copy.
	for _, p := range n.ring.Preference(r.creq.Op.Key, n.cfg.N) {
		if p == n.self {
			return sim.NoHost
		}
		if !slices.ContainsFunc(r.targets, func(t target) bool { return t.host == p || t.hintFor == p }) {
			return p
		}
	}
	return sim.NoHost
}

func (n *Node) coordinatePut(r *request) {
	ctx, err := n.decodeWant(r.creq.Op.Key, r.creq.Op.Want)
	if err != nil {
		n.env.Logf("dynamo: client %d: put refused: %v", r.creq.Client, err)
		n.answerTo(r.replyTo, r.fwdID, client.Response{Client: r.creq.Client, Seq: r.creq.Seq, Status: client.StatusNotLeader, Leader: sim.NoHost})
		n.release(r)
		return
	}
	n.begin(r)
	r.acked = r.ackedIn[:0]
	var dot Dot
	if n.cfg.Bugs.ClientClocks {
		node := clientNodes + int64(r.creq.Client)
		dot = Dot{Node: node, Counter: ctx.Get(node) + 1}
	} else {
		// The counter reaches the disk in the same sync as the write
		// that uses it (store syncs), so a crash never reissues a dot.
		n.counter++
		n.st.Set(keyCounter, binary.BigEndian.AppendUint64(n.buf[:0], n.counter))
		dot = Dot{Node: int64(n.self), Counter: n.counter}
	}
	if n.cfg.Bugs.PruneClocks {
		ctx = pruned(ctx, PrunedEntries)
	}
	s := Sibling{Dot: dot, Past: ctx, Time: n.env.Now()}
	if r.creq.Op.Kind == client.OpDelete {
		s.Tombstone = true
	} else {
		s.Value = r.creq.Op.Value
	}
	hint := n.ownHint(r)
	cur := n.local(r.creq.Op.Key, hint)
	if hint != sim.NoHost {
		cur = n.merge(cur, n.own[r.creq.Op.Key])
	}
	var next Object
	if n.cfg.LastWriteWins {
		next = cur.lwwMerge(Object{Siblings: []Sibling{s}})
	} else {
		next = cur.Put(s)
	}
	if hint != sim.NoHost {
		n.own[r.creq.Op.Key] = next
		n.st.Set(prefixOwn+r.creq.Op.Key, appendObject(n.buf[:0], next))
	}
	n.store(r.creq.Op.Key, hint, next)
	r.acked = append(r.acked, n.self)
	for _, t := range r.targets {
		if t.host != n.self {
			n.env.Send(t.host, replicate{Req: r.id, Key: r.creq.Op.Key, Obj: next, HintFor: t.hintFor})
		}
	}
	n.checkPut(r)
}

func (n *Node) replicated(from sim.HostID, m replicateAck) {
	r := n.request(m.Req)
	if r == nil || slices.Contains(r.acked, from) {
		return
	}
	r.acked = append(r.acked, from)
	n.checkPut(r)
}

func (n *Node) checkPut(r *request) {
	if len(r.acked) >= n.cfg.W {
		n.answer(r, client.StatusOK, client.Result{})
	}
	if len(r.acked) >= len(r.targets) {
		n.end(r)
		n.release(r)
	}
}

func (n *Node) coordinateGet(r *request) {
	r.targets = n.targets(r.creq.Op.Key, r.targetsIn[:0])
	n.begin(r)
	for _, t := range r.targets {
		if t.host == n.self {
			r.addReply(n, reply{from: n.self, hintFor: t.hintFor, obj: n.local(r.creq.Op.Key, t.hintFor)})
		} else {
			n.env.Send(t.host, fetch{Req: r.id, Key: r.creq.Op.Key, HintFor: t.hintFor})
		}
	}
	n.checkGet(r)
}

func (n *Node) fetched(from sim.HostID, m fetchReply) {
	r := n.request(m.Req)
	if r == nil || slices.ContainsFunc(r.replies, func(x reply) bool { return x.from == from }) {
		return
	}
	i := slices.IndexFunc(r.targets, func(t target) bool { return t.host == from })
	if i < 0 {
		return
	}
	r.addReply(n, reply{from: from, hintFor: r.targets[i].hintFor, obj: m.Obj})
	n.checkGet(r)
}

func (n *Node) checkGet(r *request) {
	if !r.answered && len(r.replies) >= n.cfg.R {
		value, live := n.encodeRead(r.creq.Op.Key, r.merged)
		n.count(CountSiblingsRead, max(live, 1))
		n.answer(r, client.StatusOK, client.Result{Value: value, Found: live > 0})
	}
	if len(r.replies) >= len(r.targets) {
		n.finishGet(r)
	}
}

// encodeRead is encodeObjectRead(o), remembered per key: objects are
// immutable and replicas share them, so a key read again before its next
// write is answered with the text already written (and the client, finding
// the text it parsed before, parses nothing).
func (n *Node) encodeRead(key string, o Object) (string, int) {
	if len(o.Siblings) == 0 {
		return encodeObjectRead(o)
	}
	s := n.state(key)
	if s.readOK && o.same(s.read.obj) {
		return s.read.text, s.read.live
	}
	text, live, ctx := encodeObjectReadContext(o)
	s.read, s.readOK = encodedRead{o, text, live, ctx}, true
	return text, live
}

type encodedRead struct {
	obj  Object
	text string
	live int
	ctx  VV // obj's context if encodeObjectReadContext built it, else nil
}

// decodeWant is DecodeContext(want) for a put of key. A client writes
// with the context it read, mostly from the server it writes through,
// and a register's writer writes again with the context it read last: so
// a want that opens the last answer this server gave to a get of key, or
// that is the want this server decoded last for key, is not parsed again.
func (n *Node) decodeWant(key, want string) (VV, error) {
	if want == "" {
		return nil, nil
	}
	s := n.state(key)
	if s.wantOK && s.want == want {
		return s.wantCtx, nil
	}
	ctx, ok := s.readContext(want)
	if !ok {
		var err error
		if ctx, err = DecodeContext(want); err != nil {
			return nil, err
		}
	}
	s.want, s.wantCtx, s.wantOK = want, ctx, true
	return ctx, nil
}

// readContext is the context of the last get of the key answered here,
// if want is that answer's context: the text up to its first sibling.
// The context is one DecodeContext would return, which it checks: sorted
// by node, every counter above 0.
func (s *keyState) readContext(want string) (VV, bool) {
	r := &s.read
	if !s.readOK {
		return nil, false
	}
	if text, _, _ := strings.Cut(r.text, "|"); text != want {
		return nil, false
	}
	ctx := r.ctx
	if ctx == nil {
		if len(r.obj.Siblings) != 1 {
			return nil, false
		}
		// The text holds the sibling's clock, written entry by entry; it
		// is Past.with(Dot) when the past is a context.
		sb := r.obj.Siblings[0]
		if !validContext(sb.Past) {
			return nil, false
		}
		ctx = sb.Past.with(sb.Dot)
	}
	return ctx, validContext(ctx)
}

// validContext reports whether DecodeContext could return v: sorted by
// node, none twice, every counter above 0.
func validContext(v VV) bool {
	for i, e := range v {
		if e.Counter == 0 || (i > 0 && v[i-1].Node >= e.Node) {
			return false
		}
	}
	return true
}

func (r *request) addReply(n *Node, x reply) {
	if r.replies == nil {
		r.replies = r.repliesIn[:0]
	}
	r.replies = append(r.replies, x)
	r.merged = n.merge(r.merged, x.obj)
}

// finishGet ends a get and repairs the replicas that answered with less
// than the merged object.
func (n *Node) finishGet(r *request) {
	n.end(r)
	n.answer(r, client.StatusUnavailable, client.Result{})
	n.repairReplies(r)
	n.release(r)
}

func (n *Node) repairReplies(r *request) {
	if !n.cfg.ReadRepair || len(r.replies) == 0 {
		return
	}
	fix := r.merged
	if n.cfg.Bugs.RepairOverwrite {
		fix = r.replies[0].obj
	}
	for _, x := range r.replies {
		if x.obj.Equal(fix) {
			continue
		}
		n.count(CountReadRepair, 1)
		if x.from == n.self {
			n.repaired(repair{Key: r.creq.Op.Key, Obj: fix, HintFor: x.hintFor})
		} else {
			n.env.Send(x.from, repair{Key: r.creq.Op.Key, Obj: fix, HintFor: x.hintFor})
		}
	}
}

func (n *Node) repaired(m repair) {
	cur := n.local(m.Key, m.HintFor)
	next := n.merge(cur, m.Obj)
	if n.cfg.Bugs.RepairOverwrite {
		next = m.Obj
	}
	if !next.Equal(cur) {
		n.store(m.Key, m.HintFor, next)
	}
}

func (n *Node) timedOut(id uint64) {
	r := n.request(id)
	if r == nil {
		return
	}
	n.answer(r, client.StatusUnavailable, client.Result{})
	if r.creq.Op.Kind == client.OpGet {
		n.finishGet(r)
		return
	}
	n.end(r)
	n.release(r)
}
