package cache

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Database is the durable, versioned key-value store behind the cache. It
// answers package client's requests (get and put), numbers each key's
// versions from 1, and makes every put durable before it answers. With
// Invalidation "db" it also tails its own commit log and sends each
// commit to the cache server that owns the key until that server
// acknowledges it.
type Database struct {
	cfg    Config
	ring   *Ring // nil without cache servers
	env    sim.Env
	st     sim.Storage        // this incarnation's
	data   map[string]record  // looked up, never ranged over
	served map[uint64]applied // client id -> its latest put

	logNext uint64     // index the next commit gets
	pending []logEntry // unacknowledged invalidations, by index
	retry   sim.TimerID
	// scratch is where a commit's records are written before
	// Storage.Set copies them.
	scratch []byte
}

type record struct {
	value   string
	version uint64 // 0: never written
}

// applied is a client's latest put and its answer, so a retry is answered
// without applying it twice.
type applied struct {
	seq    uint64
	result client.Result
}

type logEntry struct {
	index   uint64
	key     string
	value   string
	version uint64
}

// retryTag marks the database's invalidation retry timer.
type retryTag struct{}

// Storage layout: one record per key, the latest put per client, the
// commit log, and the index below which every invalidation is
// acknowledged.
const (
	prefixData    = "kv/"
	prefixServed  = "served/"
	prefixLog     = "log/"
	keyAckedBelow = "acked-below"
)

// NewDatabase returns a factory for the database of a cache-aside system
// whose cache servers are caches (empty in the replicated mode, which has
// no database).
func NewDatabase(cfg Config, caches []sim.HostID) (sim.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var ring *Ring
	if len(caches) > 0 {
		r, err := NewRing(caches, cfg.RingPoints)
		if err != nil {
			return nil, err
		}
		ring = r
	} else if cfg.Invalidation == InvalidateDB {
		return nil, errors.New("cache: invalidation \"db\" needs at least one cache server")
	}
	return func() sim.Node { return &Database{cfg: cfg, ring: ring} }, nil
}

func (d *Database) Start(env sim.Env) {
	d.env, d.st = env, env.Storage()
	d.data = map[string]record{}
	d.served = map[uint64]applied{}
	st := d.st
	for _, k := range st.Keys(prefixData) {
		b, err := st.Get(k)
		if err != nil {
			env.Logf("db: record unreadable: %v", err)
			continue
		}
		v, val, err := decodeVersioned(string(b))
		if err != nil {
			env.Logf("db: record damaged: %v", err)
			continue
		}
		d.data[strings.TrimPrefix(k, prefixData)] = record{value: val, version: v}
	}
	for _, k := range st.Keys(prefixServed) {
		id, err1 := strconv.ParseUint(strings.TrimPrefix(k, prefixServed), 10, 64)
		b, err2 := st.Get(k)
		if err1 != nil || err2 != nil {
			continue
		}
		seq, res, err := decodeVersioned(string(b))
		if err == nil {
			d.served[id] = applied{seq: seq, result: client.Result{Value: res, Found: true}}
		}
	}
	ackedBelow := uint64(1)
	if b, err := st.Get(keyAckedBelow); err == nil {
		if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			ackedBelow = n
		}
	}
	d.logNext = 1
	for _, k := range st.Keys(prefixLog) {
		e, err := d.readLog(k)
		if err != nil {
			env.Logf("db: log entry unreadable: %v", err)
			continue
		}
		d.logNext = max(d.logNext, e.index+1)
		if d.invalidating() && !d.cfg.Bugs.InvalidateOnce && e.index >= ackedBelow {
			d.pending = append(d.pending, e)
		}
	}
	if len(d.pending) > 0 {
		d.armRetry()
	}
}

func (d *Database) invalidating() bool { return d.cfg.Invalidation == InvalidateDB && d.ring != nil }

// logKey is the key of the log entry at index: the index in 20 digits, so
// that the keys sort by it.
func logKey(index uint64) string {
	var b [len(prefixLog) + 20]byte
	copy(b[:], prefixLog)
	for i := len(b) - 1; i >= len(prefixLog); i-- {
		b[i] = byte('0' + index%10)
		index /= 10
	}
	return string(b[:])
}

func (d *Database) readLog(k string) (logEntry, error) {
	index, err := strconv.ParseUint(strings.TrimPrefix(k, prefixLog), 10, 64)
	if err != nil {
		return logEntry{}, fmt.Errorf("bad log key %q", k)
	}
	b, err := d.st.Get(k)
	if err != nil {
		return logEntry{}, err
	}
	key, rest, ok := strings.Cut(string(b), "\x00")
	if !ok {
		return logEntry{}, fmt.Errorf("log entry %d has no key", index)
	}
	v, val, err := decodeVersioned(rest)
	if err != nil {
		return logEntry{}, err
	}
	return logEntry{index: index, key: key, value: val, version: v}, nil
}

// Version is the version of key now (0: never written), and its value.
func (d *Database) Version(key string) (uint64, string) {
	r := d.data[key]
	return r.version, r.value
}

func (d *Database) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case client.Request:
		d.serve(from, m)
	case InvalidateAck:
		d.acked(m.Index)
	default:
		d.env.Logf("db: ignoring unexpected message %T", msg)
	}
}

func (d *Database) serve(from sim.HostID, req client.Request) {
	reply := func(res client.Result) {
		d.env.Send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: res, Leader: d.env.ID()})
	}
	switch req.Op.Kind {
	case client.OpGet:
		r := d.data[req.Op.Key]
		if d.cfg.Observer != nil {
			d.cfg.Observer.DBQueried(req.Op.Key, from)
		}
		reply(client.Result{Value: encodeVersioned(r.version, r.value), Found: r.version > 0})
	case client.OpPut:
		last, seen := d.served[req.Client]
		switch {
		case seen && req.Seq == last.seq:
			reply(last.result)
			return
		case seen && req.Seq < last.seq:
			return // a copy of an operation the client has finished with
		}
		reply(d.commit(req))
	default:
		// Validation keeps every other kind out of a cache-aside workload.
		panic(fmt.Sprintf("cache: the database serves get and put only, not %v", req.Op.Kind))
	}
}

// commit applies a put durably, logs it, and starts its invalidation.
func (d *Database) commit(req client.Request) client.Result {
	key := req.Op.Key
	r := record{value: req.Op.Value, version: d.data[key].version + 1}
	d.data[key] = r
	e := logEntry{index: d.logNext, key: key, value: r.value, version: r.version}
	d.logNext++
	res := client.Result{Value: encodeVersioned(r.version, ""), Found: true}
	d.served[req.Client] = applied{seq: req.Seq, result: res}

	// The records are encodeVersioned's strings, written into d.scratch:
	// Set copies them.
	st := d.st
	d.scratch = appendVersioned(d.scratch[:0], r.version, r.value)
	st.Set(prefixData+key, d.scratch)
	d.scratch = appendVersioned(d.scratch[:0], req.Seq, res.Value)
	st.Set(prefixServed+strconv.FormatUint(req.Client, 10), d.scratch)
	d.scratch = appendVersioned(append(append(d.scratch[:0], key...), 0), r.version, r.value)
	st.Set(logKey(e.index), d.scratch)
	st.Sync()
	if d.cfg.Observer != nil {
		d.cfg.Observer.DBCommitted(key, r.value, r.version)
	}
	if d.invalidating() {
		d.send(e)
		if !d.cfg.Bugs.InvalidateOnce {
			d.pending = append(d.pending, e)
			d.armRetry()
		}
	}
	return res
}

func (d *Database) send(e logEntry) {
	d.env.Send(d.ring.Owner(e.key), Invalidate{Index: e.index, Key: e.key, Value: e.value, Found: true, Version: e.version})
}

func (d *Database) armRetry() {
	if d.retry == 0 {
		d.retry = d.env.After(d.cfg.InvalidationRetry, retryTag{})
	}
}

// resendMax bounds the invalidations one retry round sends, oldest first,
// so that a long partition does not turn its end into a flood.
const resendMax = 256

func (d *Database) Timer(id sim.TimerID, tag any) {
	if _, ok := tag.(retryTag); !ok || id != d.retry {
		return
	}
	d.retry = 0
	for _, e := range d.pending[:min(len(d.pending), resendMax)] {
		d.send(e)
	}
	if len(d.pending) > 0 {
		d.armRetry()
	}
}

func (d *Database) acked(index uint64) {
	i, found := slices.BinarySearchFunc(d.pending, index, func(e logEntry, x uint64) int {
		switch {
		case e.index < x:
			return -1
		case e.index > x:
			return 1
		}
		return 0
	})
	if !found {
		return
	}
	d.pending = slices.Delete(d.pending, i, i+1)
	below := d.logNext
	if len(d.pending) > 0 {
		below = d.pending[0].index
	}
	// Not synced: losing it only means sending some invalidations again.
	d.st.Set(keyAckedBelow, []byte(strconv.FormatUint(below, 10)))
}
