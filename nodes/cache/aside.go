package cache

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// AsideConfig configures the cache-aside clients of one system.
type AsideConfig struct {
	_ struct{} // forces keyed literals

	Cache Config
	// Workload drives the client: its Client section configures the
	// calls to the database (timeouts, retries, breaker), and its
	// Client.Servers must be the database alone. Its mix may hold gets
	// and puts only.
	Workload client.WorkloadConfig
	Caches   []sim.HostID
}

// Aside builds cache-aside client nodes. A get asks the key's cache
// server; on a miss that grants a lease (or on any miss without leases)
// it reads the database through a client.Client and fills the cache with
// the token; on a miss that must wait it asks again after LeaseRetry,
// until its deadline, when it reads the database without filling. A put
// updates the database through the client.Client, then deletes or
// updates the key in the cache by WritePolicy, retried up to
// CacheAttempts times.
//
// Every operation is recorded as the user sees it: a get with the value
// it returned, a put once the cache has been dealt with.
type Aside struct {
	cfg  AsideConfig
	ring *Ring
	rec  client.Recorder
}

// NewAside checks cfg and returns the client builder; rec may be nil.
func NewAside(cfg AsideConfig, rec client.Recorder) (*Aside, error) {
	if err := cfg.Cache.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Workload.Validate(); err != nil {
		return nil, err
	}
	if m := cfg.Workload.Mix; m.Append != 0 || m.Delete != 0 || m.CAS != 0 {
		return nil, fmt.Errorf("cache: workload mix may weigh get and put only (has append %d, delete %d, cas %d)", m.Append, m.Delete, m.CAS)
	}
	if len(cfg.Workload.Client.Servers) != 1 {
		return nil, fmt.Errorf("cache: the clients' database calls go to one database, not %d servers", len(cfg.Workload.Client.Servers))
	}
	ring, err := NewRing(cfg.Caches, cfg.Cache.RingPoints)
	if err != nil {
		return nil, err
	}
	cfg.Caches = slices.Clone(cfg.Caches)
	cfg.Workload.Client.Servers = slices.Clone(cfg.Workload.Client.Servers)
	if rec == nil {
		rec = nopRecorder{}
	}
	return &Aside{cfg: cfg, ring: ring, rec: rec}, nil
}

type nopRecorder struct{}

func (nopRecorder) Invoke(int, client.Op) int   { return 0 }
func (nopRecorder) Complete(int, client.Result) {}
func (nopRecorder) Fail(int)                    {}

// Node builds a fresh client node; a.Node is a sim.Factory.
func (a *Aside) Node() sim.Node { return &asideNode{a: a} }

type asideNode struct {
	a      *Aside
	env    sim.Env
	db     *client.Client
	dbDone func(client.Outcome) // n.finishDB, made once: a method value allocates
	gen    *client.Generator
	issued int
	req    uint64   // the latest cache request's number
	op     *asideOp // nil between operations; else &current
	// current is the operation in progress, held in the node so that an
	// operation costs no allocation: nothing keeps a pointer to it past
	// finish.
	current asideOp
}

type asidePhase uint8

const (
	phaseCacheGet   asidePhase = iota + 1 // waiting for the cache's answer to a get
	phaseLeaseWait                        // waiting to ask again for a leased key
	phaseDB                               // waiting for the database
	phaseCacheWrite                       // waiting for the cache to take a delete or update
)

type asideOp struct {
	op       client.Op
	id       int           // the recorder's
	start    time.Duration // local clock
	phase    asidePhase
	token    uint64 // the lease token of the miss; 0 without leases
	fill     bool   // the cache answered with a miss that lets this client fill it
	version  uint64 // put: the version the database gave it
	attempts int    // cache write attempts
	timer    sim.TimerID
}

type asideTimerKind uint8

const (
	timerThink asideTimerKind = iota + 1
	timerCache
	timerLease
)

type asideTimer struct {
	kind asideTimerKind
	req  uint64
}

func (n *asideNode) Start(env sim.Env) {
	n.env = env
	db, err := client.New(env, n.a.cfg.Workload.Client, nil)
	if err != nil {
		panic(err) // NewAside validated the config
	}
	n.db = db
	n.dbDone = n.finishDB
	n.gen = client.NewGenerator(n.a.cfg.Workload, env.Rand(), fmt.Sprintf("c%d-%d.", db.ID(), db.Epoch()))
	n.pause()
}

func (n *asideNode) pause() {
	w := &n.a.cfg.Workload
	d := w.ThinkMin
	if span := w.ThinkMax - w.ThinkMin; span > 0 {
		d += time.Duration(n.env.Rand().Int64N(int64(span) + 1))
	}
	n.env.After(d, asideTimer{kind: timerThink})
}

func (n *asideNode) next() {
	w := &n.a.cfg.Workload
	if (w.OpsMax > 0 && n.issued >= w.OpsMax) || (w.StopAt > 0 && n.env.Now() >= w.StopAt) {
		return
	}
	n.issued++
	op := n.gen.Next()
	n.current = asideOp{op: op, start: n.env.Now()}
	n.op = &n.current
	n.op.id = n.a.rec.Invoke(int(n.db.ID()), op)
	if op.Kind == client.OpGet {
		n.askCache()
		return
	}
	n.op.phase = phaseDB
	n.callDB()
}

func (n *asideNode) Receive(from sim.HostID, msg any) {
	if n.db.Receive(from, msg) {
		return
	}
	o := n.op
	switch m := msg.(type) {
	case GetReply:
		if o == nil || o.phase != phaseCacheGet || m.Req != n.req {
			return
		}
		n.env.Cancel(o.timer)
		switch {
		case m.Hit:
			n.a.rec.Complete(o.id, client.Result{Value: m.Value, Found: m.Found})
			n.finish()
		case m.Wait && n.env.Now()-o.start < n.a.cfg.Workload.Client.Deadline:
			o.phase = phaseLeaseWait
			o.timer = n.env.After(n.a.cfg.Cache.LeaseRetry, asideTimer{kind: timerLease, req: n.req})
		case m.Wait:
			o.phase = phaseDB
			n.callDB()
		default:
			o.token, o.fill = m.Token, true
			o.phase = phaseDB
			n.callDB()
		}
	case DeleteReply:
		n.cacheWritten(m.Req)
	case SetReply:
		n.cacheWritten(m.Req)
	}
}

func (n *asideNode) cacheWritten(req uint64) {
	o := n.op
	if o == nil || o.phase != phaseCacheWrite || req != n.req {
		return
	}
	n.env.Cancel(o.timer)
	n.a.rec.Complete(o.id, client.Result{})
	n.finish()
}

func (n *asideNode) Timer(id sim.TimerID, tag any) {
	if n.db.Timer(id, tag) {
		return
	}
	t, ok := tag.(asideTimer)
	if !ok {
		return
	}
	if t.kind == timerThink {
		n.next()
		return
	}
	o := n.op
	if o == nil || t.req != n.req || id != o.timer {
		return
	}
	switch {
	case t.kind == timerLease && o.phase == phaseLeaseWait:
		n.askCache()
	case t.kind == timerCache && o.phase == phaseCacheGet:
		// The cache server is unreachable: read the database, and do not
		// fill a cache that did not answer.
		o.phase = phaseDB
		n.callDB()
	case t.kind == timerCache && o.phase == phaseCacheWrite:
		if o.attempts >= n.a.cfg.Cache.CacheAttempts {
			n.env.Logf("cache client: gave up on the cache after %d attempts", o.attempts)
			n.a.rec.Complete(o.id, client.Result{})
			n.finish()
			return
		}
		n.writeCache()
	}
}

func (n *asideNode) askCache() {
	o := n.op
	n.req++
	o.phase = phaseCacheGet
	n.env.Send(n.a.ring.Owner(o.op.Key), Get{Req: n.req, Key: o.op.Key})
	o.timer = n.env.After(n.a.cfg.Cache.CacheTimeout, asideTimer{kind: timerCache, req: n.req})
}

func (n *asideNode) callDB() {
	o := n.op
	dbOp := client.Op{Kind: o.op.Kind, Key: o.op.Key, Value: o.op.Value}
	if err := n.db.Do(dbOp, n.dbDone); err != nil {
		panic(err) // one operation at a time
	}
}

func (n *asideNode) finishDB(out client.Outcome) {
	o := n.op
	if o.op.Kind == client.OpGet {
		if out.Verdict != client.VerdictOK {
			n.a.rec.Fail(o.id) // a read that returned nothing changed nothing
			n.finish()
			return
		}
		version, value, err := decodeVersioned(out.Result.Value)
		if err != nil {
			panic(err)
		}
		if o.fill {
			n.env.Send(n.a.ring.Owner(o.op.Key), Set{Key: o.op.Key, Value: value, Found: out.Result.Found, Version: version, Token: o.token})
		}
		n.a.rec.Complete(o.id, client.Result{Value: value, Found: out.Result.Found})
		n.finish()
		return
	}
	switch out.Verdict {
	case client.VerdictFailed:
		n.a.rec.Fail(o.id)
		n.finish()
		return
	case client.VerdictUnknown:
		// The put may yet land: delete the key anyway, which is never
		// wrong, and leave the operation open.
		n.req++
		n.env.Send(n.a.ring.Owner(o.op.Key), Delete{Req: n.req, Key: o.op.Key})
		n.finish()
		return
	}
	version, _, err := decodeVersioned(out.Result.Value)
	if err != nil {
		panic(err)
	}
	o.version = version
	if n.a.cfg.Cache.WritePolicy == WriteNone {
		n.a.rec.Complete(o.id, client.Result{})
		n.finish()
		return
	}
	o.phase = phaseCacheWrite
	n.writeCache()
}

func (n *asideNode) writeCache() {
	o := n.op
	o.attempts++
	n.req++
	to := n.a.ring.Owner(o.op.Key)
	if n.a.cfg.Cache.WritePolicy == WriteUpdate {
		n.env.Send(to, Set{Key: o.op.Key, Value: o.op.Value, Found: true, Version: o.version, Update: true, Req: n.req})
	} else {
		n.env.Send(to, Delete{Req: n.req, Key: o.op.Key})
	}
	o.timer = n.env.After(n.a.cfg.Cache.CacheTimeout, asideTimer{kind: timerCache, req: n.req})
}

func (n *asideNode) finish() {
	n.op = nil
	n.pause()
}
