package dynamo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Storage keys: a replica's objects under "d/<key>", hints under
// "h/<target>/<key>", what a fallback wrote as coordinator under
// "o/<key>", the dot counter at "counter" and the boot count at "boot".
const (
	prefixData  = "d/"
	prefixHint  = "h/"
	prefixOwn   = "o/"
	keyCounter  = "counter"
	keyBoot     = "boot"
	clientNodes = int64(1) << 40 // dot nodes of Bugs.ClientClocks: clientNodes + client id
)

// Node is one server of the store: a replica for the keys whose
// preference lists name it, a fallback for others, and a coordinator for
// any client request it receives.
type Node struct {
	cfg  Config
	env  sim.Env
	st   sim.Storage // env.Storage(), taken once: the view is the incarnation's
	self sim.HostID
	ring *Ring

	// byKey is what the server knows of each key it has met: its copy,
	// and what is derived from the key or the copy, found in one lookup.
	byKey map[string]*keyState
	// met are the same states in the order the server met their keys: a
	// workload of a few keys finds its state faster by a scan than by the
	// map.
	met  []*keyState
	keys []*keyState // of the keys this replica holds a copy of, sorted by key
	buf  []byte      // scratch for encodings; storage copies what it is given
	// hintKeys are the storage keys of hints, made once each rather than
	// at every write.
	hintKeys map[hintKey]string
	hints    map[hintKey]Object
	// own is, per key, the merge of every object this server wrote as a
	// fallback coordinator. A dot's counter claims every earlier dot of
	// its server for the key (a context that has seen (s, 7) has seen
	// (s, 5)), which holds only if the server's every write of the key
	// includes its earlier ones or what superseded them; a fallback hands
	// its hints off and forgets them, so it keeps this memory instead.
	own     map[string]Object
	counter uint64 // the last dot counter issued; durable

	// live are the requests this server coordinates that have not ended,
	// in the order they began: a server has a few at a time, which a scan
	// finds faster than a map.
	live    []*request
	free    []*request // ended requests, for newRequest to reuse
	nextReq uint64
	// clients is what this coordinator remembers of each client that
	// asked it (clientState), in the order they first asked; clientAt
	// indexes them by client once there are more than a scan should pass.
	clients  []clientState
	clientAt map[uint64]int
	forwards map[uint64]sim.HostID // forwarded puts: id -> the client to answer

	aeNext   int   // the anti-entropy sweep's position, from 1; 0 before it starts
	aeRanges []int // the ranges this server is a primary of, found at the first sweep
	// trees are the Merkle trees of the ranges, by range, kept until a
	// key of theirs changes: most exchanges find the trees equal, and the
	// next one over the same range would hash the same leaves again.
	trees []merkleTree

	boot      uint64
	beats     []beat          // by position in ring.Servers()
	beatsSent bool            // a gossip shares beats: the next change copies them (ownBeats)
	beatsFree []beat          // room for the next copies of beats
	heard     []time.Duration // local time each heartbeat last advanced
	serverPos []int           // by host id: the server's position in ring.Servers(), or -1
}

type hintKey struct {
	target sim.HostID
	key    string
}

// keyState is a server's state for one key.
type keyState struct {
	key  string
	obj  Object // this replica's copy
	held bool   // obj is held (the key is in Node.keys), even if empty
	// digest hashes the key with obj's encoding, for the Merkle trees:
	// made when a tree first needs it after a change of obj.
	digest   uint64
	digestOK bool
	read     encodedRead // the last answer to a get of the key, if readOK
	readOK   bool
	want     string // the last context a put of the key carried here, if wantOK
	wantCtx  VV     // want, decoded
	wantOK   bool
	// storageKey ("d/<key>"), the key's range on the ring and its leaf in
	// a Merkle tree depend on the key alone: they are made once.
	storageKey string
	ringRange  int
	merkleLeaf uint64
}

// state is key's keyState, made on first use.
func (n *Node) state(key string) *keyState {
	if s := n.find(key); s != nil {
		return s
	}
	s := &keyState{key: key, storageKey: prefixData + key, ringRange: n.ring.RangeOf(key), merkleLeaf: hash64(key) % merkleLeaves}
	n.byKey[key] = s
	n.met = append(n.met, s)
	return s
}

// scannedKeys is how many keys find scans before it takes the map.
const scannedKeys = 16

// find is key's keyState, or nil if the server has not met the key.
func (n *Node) find(key string) *keyState {
	if len(n.met) > scannedKeys {
		return n.byKey[key]
	}
	for _, s := range n.met {
		// The workload's keys differ in their last character, and are
		// mostly of one length: comparing it first spares most calls to
		// compare the strings.
		if len(s.key) == len(key) && (len(key) == 0 || s.key[len(key)-1] == key[len(key)-1]) && s.key == key {
			return s
		}
	}
	return nil
}

func byKey(s *keyState, key string) int { return strings.Compare(s.key, key) }

// New returns a factory of store servers. The servers of the ring are the
// host and its peers (sim.HostConfig.Peers), which must be the same set on
// every server.
func New(cfg Config) (sim.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dynamo: %w", err)
	}
	return func() sim.Node { return &Node{cfg: cfg} }, nil
}

type tick uint8

const (
	tickGossip tick = iota + 1
	tickAntiEntropy
	tickHint
	tickReap
)

// A coordinated request's timer carries the *request itself: a pointer
// fits in the timer's tag without an allocation of its own. A request
// that has ended is not in reqs, and its timeout finds nothing to do.

// Start recovers the replica's objects, hints and dot counter from storage
// and starts the periodic work.
func (n *Node) Start(env sim.Env) {
	n.env, n.self = env, env.ID()
	servers := append(env.Peers(), n.self)
	ring, err := NewRing(servers, n.cfg.Vnodes)
	if err != nil {
		panic(err)
	}
	if err := n.cfg.validateServers(len(servers)); err != nil {
		panic("dynamo: " + err.Error())
	}
	n.ring = ring
	n.byKey, n.hints, n.own, n.hintKeys = map[string]*keyState{}, map[hintKey]Object{}, map[string]Object{}, map[hintKey]string{}
	n.clientAt, n.forwards = map[uint64]int{}, map[uint64]sim.HostID{}
	n.st = env.Storage()
	st := n.st
	for _, k := range st.Keys(prefixData) {
		if o, ok := n.load(k); ok {
			key := strings.TrimPrefix(k, prefixData)
			s := n.state(key)
			s.obj, s.held = o, true
			n.keys = append(n.keys, s)
		}
	}
	for _, k := range st.Keys(prefixHint) {
		target, key, ok := strings.Cut(strings.TrimPrefix(k, prefixHint), "/")
		var t int
		if _, err := fmt.Sscanf(target, "%d", &t); err != nil || !ok {
			env.Logf("dynamo: unreadable hint key %q", k)
			continue
		}
		if o, ok := n.load(k); ok {
			n.hints[hintKey{sim.HostID(t), key}] = o
		}
	}
	for _, k := range st.Keys(prefixOwn) {
		if o, ok := n.load(k); ok {
			n.own[strings.TrimPrefix(k, prefixOwn)] = o
		}
	}
	n.counter = n.readUint(keyCounter)
	n.boot = n.readUint(keyBoot) + 1
	st.Set(keyBoot, binary.BigEndian.AppendUint64(nil, n.boot))
	st.Sync()

	n.serverPos = make([]int, slices.Max(ring.servers)+1)
	for i := range n.serverPos {
		n.serverPos[i] = -1
	}
	for i, s := range ring.servers {
		n.serverPos[s] = i
	}
	n.beats = make([]beat, len(ring.servers))
	n.heard = make([]time.Duration, len(ring.servers))
	for i := range n.heard {
		n.heard[i] = env.Now()
	}
	n.beats[n.serverPos[n.self]] = beat{Boot: n.boot}

	n.every(tickGossip, n.cfg.GossipInterval)
	n.every(tickHint, n.cfg.HintInterval)
	n.every(tickReap, n.cfg.ReapInterval)
	if n.cfg.AntiEntropyInterval > 0 {
		n.every(tickAntiEntropy, n.cfg.AntiEntropyInterval)
	}
}

// every starts a periodic timer, its first firing at a random phase so
// that servers do not act in lockstep.
func (n *Node) every(t tick, d time.Duration) {
	n.env.After(time.Duration(n.env.Rand().Int64N(int64(d)))+1, t)
}

func (n *Node) load(storageKey string) (Object, bool) {
	b, err := n.st.Get(storageKey)
	if err == nil {
		o, err2 := decodeObject(b)
		if err2 == nil {
			return o, true
		}
		err = err2
	}
	// A corrupt object is dropped: anti-entropy and read repair restore it
	// from the other replicas.
	n.env.Logf("dynamo: %s unreadable (%v); dropped until repaired", storageKey, err)
	return Object{}, false
}

func (n *Node) readUint(key string) uint64 {
	b, err := n.st.Get(key)
	switch {
	case err == nil && len(b) == 8:
		return binary.BigEndian.Uint64(b)
	case errors.Is(err, sim.ErrNotFound):
		return 0
	}
	// A corrupt counter restarts far above any value it can have held, so
	// a dot is still never reused.
	n.env.Logf("dynamo: %s unreadable (%v); skipping ahead", key, err)
	return 1<<48 | uint64(n.env.Rand().Uint32())<<16
}

// Object returns this replica's copy of key (empty if it holds none).
func (n *Node) Object(key string) Object {
	if s := n.find(key); s != nil {
		return s.obj
	}
	return Object{}
}

// Keys lists the keys this replica holds, sorted.
func (n *Node) Keys() []string {
	out := make([]string, len(n.keys))
	for i, s := range n.keys {
		out[i] = s.key
	}
	return out
}

// Hints counts the hints this server holds for others.
func (n *Node) Hints() int { return len(n.hints) }

// Ring is the ring this server computes preference lists on.
func (n *Node) Ring() *Ring { return n.ring }

// Healthy reports whether the failure detector holds server s up.
func (n *Node) Healthy(s sim.HostID) bool { return n.healthyAt(s, n.env.Now()) }

// healthyAt is Healthy with the local clock read already: a request asks
// of several servers at one instant.
func (n *Node) healthyAt(s sim.HostID, now time.Duration) bool {
	if s == n.self {
		return true
	}
	if s < 0 || int(s) >= len(n.serverPos) || n.serverPos[s] < 0 {
		return false
	}
	return now-n.heard[n.serverPos[s]] < n.cfg.FailAfter
}

// store writes key's new object durably (data, or a hint for a target) and
// tells the observer.
func (n *Node) store(key string, hintFor sim.HostID, o Object) {
	st := n.st
	if hintFor != sim.NoHost && hintFor != n.self {
		hk := hintKey{hintFor, key}
		if _, had := n.hints[hk]; !had {
			n.count(CountHintStored, 1)
		}
		n.hints[hk] = o
		if !n.cfg.Bugs.UnsyncedHints {
			n.buf = appendObject(n.buf[:0], o)
			st.Set(n.hintStorageKey(hk), n.buf)
			st.Sync()
		}
		return
	}
	s := n.state(key)
	before := s.obj
	if !s.held {
		i, _ := slices.BinarySearchFunc(n.keys, key, byKey)
		n.keys = slices.Insert(n.keys, i, s)
		s.held = true
	}
	s.obj = o
	n.changed(s)
	n.buf = appendObject(n.buf[:0], o)
	st.Set(s.storageKey, n.buf)
	st.Sync()
	if n.cfg.Observer != nil {
		n.cfg.Observer.Stored(n.self, key, before, o)
	}
}

// hintStorageKey is "h/<target>/<key>".
func (n *Node) hintStorageKey(hk hintKey) string {
	if k, ok := n.hintKeys[hk]; ok {
		return k
	}
	k := formatHintKey(hk)
	n.hintKeys[hk] = k
	return k
}

func formatHintKey(hk hintKey) string {
	var b strings.Builder
	b.Grow(len(prefixHint) + 21 + len(hk.key))
	b.WriteString(prefixHint)
	b.WriteString(strconv.Itoa(int(hk.target)))
	b.WriteByte('/')
	b.WriteString(hk.key)
	return b.String()
}

// local is this server's copy of key, as a replica or as hintFor's fallback.
func (n *Node) local(key string, hintFor sim.HostID) Object {
	if hintFor != sim.NoHost && hintFor != n.self {
		return n.hints[hintKey{hintFor, key}]
	}
	return n.Object(key)
}

func (n *Node) merge(a, b Object) Object {
	if n.cfg.LastWriteWins {
		return a.lwwMerge(b)
	}
	return a.Merge(b)
}

func (n *Node) count(c Count, k int) {
	if n.cfg.Observer != nil && k != 0 {
		n.cfg.Observer.Count(n.self, c, k)
	}
}

// Receive handles client requests and server messages.
func (n *Node) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case client.Request:
		n.clientRequest(from, m, 0)
	case forwardPut:
		n.clientRequest(from, m.Req, m.ID)
	case forwardReply:
		if to, ok := n.forwards[m.ID]; ok {
			delete(n.forwards, m.ID)
			n.env.Send(to, m.Resp)
		}
	case replicate:
		if cur := n.local(m.Key, m.HintFor); cur.Empty() || !cur.Equal(m.Obj) {
			n.store(m.Key, m.HintFor, n.merge(cur, m.Obj))
		}
		n.env.Send(from, replicateAck{Req: m.Req})
	case replicateAck:
		n.replicated(from, m)
	case fetch:
		n.env.Send(from, fetchReply{Req: m.Req, Obj: n.local(m.Key, m.HintFor)})
	case fetchReply:
		n.fetched(from, m)
	case repair:
		n.repaired(m)
	case handoff:
		cur := n.Object(m.Key)
		if next := n.merge(cur, m.Obj); !next.Equal(cur) {
			n.store(m.Key, sim.NoHost, next)
		}
		n.env.Send(from, handoffAck{Key: m.Key, Obj: m.Obj})
	case handoffAck:
		n.handedOff(from, m)
	case gossip:
		n.gossiped(m)
	case aeTree:
		n.aeTreeReceived(from, m)
	case aeDiff:
		n.aeDiffReceived(from, m)
	case aeObjects:
		n.aeObjectsReceived(m)
	default:
		n.env.Logf("dynamo: unknown message %T from %v", msg, from)
	}
}

// Timer runs periodic work and request timeouts.
func (n *Node) Timer(_ sim.TimerID, tag any) {
	switch t := tag.(type) {
	case tick:
		switch t {
		case tickGossip:
			n.gossipRound()
			n.env.After(n.cfg.GossipInterval, t)
		case tickAntiEntropy:
			n.antiEntropyRound()
			n.env.After(n.cfg.AntiEntropyInterval, t)
		case tickHint:
			n.handoffRound()
			n.env.After(n.cfg.HintInterval, t)
		case tickReap:
			n.reapRound()
			n.env.After(n.cfg.ReapInterval, t)
		}
	case *request:
		n.timedOut(t.id)
	}
}
