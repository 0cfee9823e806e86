package cache

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Replica is one node of the replicated cache. It serves package
// client's gets and puts from its own memory; a put takes a version,
// is stored, and is pushed to every peer after a random delay; a replica
// keeps a pushed entry only if its version is greater than its own. Every
// AntiEntropyInterval it also sends its whole state to a random peer, so
// that pushes lost to a partition are made good after the heal.
//
// Whether that converges depends on the versions alone. Under
// Bugs.TutorialVersions a version is the key's counter plus one, so two
// replicas that take a write of one key concurrently give both writes the
// same version, and each keeps its own forever. Versioning "counter-node"
// breaks the tie by node id, and "hlc" orders writes by a hybrid logical
// clock.
type Replica struct {
	cfg    Config
	env    sim.Env
	data   map[string]replicaEntry // looked up; keys lists them in order
	keys   []string                // sorted
	served map[uint64]uint64       // client id -> its latest put's Seq
	clock  Version                 // hybrid logical clock (hlc): the greatest version seen
}

// Version orders the replicated cache's writes: (Wall, Counter, Node),
// lexicographically. Under the tutorial's versioning only Counter is set
// and compared.
type Version struct {
	Wall    int64 // hlc: the physical part, local-clock nanoseconds
	Counter uint64
	Node    int32
}

func (v Version) String() string { return fmt.Sprintf("%d.%d@%d", v.Wall, v.Counter, v.Node) }

// after reports whether v orders after w.
func (v Version) after(w Version) bool {
	if v.Wall != w.Wall {
		return v.Wall > w.Wall
	}
	if v.Counter != w.Counter {
		return v.Counter > w.Counter
	}
	return v.Node > w.Node
}

type replicaEntry struct {
	value   string
	found   bool
	version Version
}

// Pushed is one entry as replicas exchange it.
type Pushed struct {
	Key     string
	Value   string
	Found   bool
	Version Version
}

// Push carries entries from one replica to another: a write's push, or a
// whole state for anti-entropy.
type Push struct{ Entries []Pushed }

type pushTag struct{ entry Pushed }
type antiEntropyTag struct{}

// NewReplica returns a factory for replicated-cache nodes.
func NewReplica(cfg Config) (sim.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return func() sim.Node { return &Replica{cfg: cfg} }, nil
}

func (r *Replica) Start(env sim.Env) {
	r.env = env
	r.data = map[string]replicaEntry{}
	r.served = map[uint64]uint64{}
	env.After(r.cfg.AntiEntropyInterval, antiEntropyTag{})
}

func (r *Replica) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case client.Request:
		r.serve(from, m)
	case Push:
		for _, e := range m.Entries {
			r.merge(e)
		}
	default:
		r.env.Logf("replica: ignoring unexpected message %T", msg)
	}
}

func (r *Replica) serve(from sim.HostID, req client.Request) {
	res := client.Result{}
	switch req.Op.Kind {
	case client.OpGet:
		e := r.data[req.Op.Key]
		res = client.Result{Value: e.value, Found: e.found}
	case client.OpPut:
		if r.served[req.Client] < req.Seq {
			r.served[req.Client] = req.Seq
			r.write(req.Op.Key, req.Op.Value)
		}
	default:
		panic(fmt.Sprintf("cache: the replicated cache serves get and put only, not %v", req.Op.Kind))
	}
	r.env.Send(from, client.Response{Client: req.Client, Seq: req.Seq, Status: client.StatusOK, Result: res, Leader: r.env.ID()})
}

// write stores a client's put locally with a new version and schedules
// its push.
func (r *Replica) write(key, value string) {
	cur := r.data[key].version
	var v Version
	switch {
	case r.cfg.Bugs.TutorialVersions:
		v = Version{Counter: cur.Counter + 1}
	case r.cfg.Versioning == VersionHLC:
		if now := int64(r.env.Now()); now > r.clock.Wall {
			r.clock = Version{Wall: now}
		} else {
			r.clock.Counter++
		}
		v = Version{Wall: r.clock.Wall, Counter: r.clock.Counter, Node: int32(r.env.ID())}
	default:
		v = Version{Counter: cur.Counter + 1, Node: int32(r.env.ID())}
	}
	e := Pushed{Key: key, Value: value, Found: true, Version: v}
	r.store(e)
	var delay int64
	if r.cfg.PushDelayMax > 0 {
		delay = r.env.Rand().Int64N(int64(r.cfg.PushDelayMax) + 1)
	}
	r.env.After(time.Duration(delay), pushTag{entry: e})
}

// merge keeps a pushed entry only if it is newer than the local one.
func (r *Replica) merge(e Pushed) {
	cur, ok := r.data[e.Key]
	if ok && !r.newer(e.Version, cur.version) {
		return
	}
	r.store(e)
}

func (r *Replica) newer(v, w Version) bool {
	if r.cfg.Bugs.TutorialVersions {
		return v.Counter > w.Counter
	}
	return v.after(w)
}

func (r *Replica) store(e Pushed) {
	if _, ok := r.data[e.Key]; !ok {
		i, _ := slices.BinarySearch(r.keys, e.Key)
		r.keys = slices.Insert(r.keys, i, e.Key)
	}
	r.data[e.Key] = replicaEntry{value: e.Value, found: e.Found, version: e.Version}
	// The clock stays at or above every version seen, so a later write
	// here orders after it.
	if e.Version.Wall > r.clock.Wall || (e.Version.Wall == r.clock.Wall && e.Version.Counter > r.clock.Counter) {
		r.clock = Version{Wall: e.Version.Wall, Counter: e.Version.Counter}
	}
}

func (r *Replica) Timer(_ sim.TimerID, tag any) {
	switch t := tag.(type) {
	case pushTag:
		for _, p := range r.env.Peers() {
			r.env.Send(p, Push{Entries: []Pushed{t.entry}})
		}
	case antiEntropyTag:
		if peers := r.env.Peers(); len(peers) > 0 && len(r.keys) > 0 {
			r.env.Send(peers[r.env.Rand().IntN(len(peers))], Push{Entries: r.Entries()})
		}
		r.env.After(r.cfg.AntiEntropyInterval, antiEntropyTag{})
	}
}

// Entries lists the replica's entries, by key.
func (r *Replica) Entries() []Pushed {
	out := make([]Pushed, 0, len(r.keys))
	for _, k := range r.keys {
		e := r.data[k]
		out = append(out, Pushed{Key: k, Value: e.value, Found: e.found, Version: e.version})
	}
	return out
}

// SameValues reports whether r and o hold the same found keys with the
// same values, whatever their versions: what comparing the maps of their
// found entries would say, without building them.
func (r *Replica) SameValues(o *Replica) bool {
	found := 0
	for _, k := range r.keys {
		e := r.data[k]
		if !e.found {
			continue
		}
		found++
		if oe, ok := o.data[k]; !ok || !oe.found || oe.value != e.value {
			return false
		}
	}
	for _, k := range o.keys {
		if o.data[k].found {
			found--
		}
	}
	return found == 0
}
