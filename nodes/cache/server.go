package cache

import (
	"time"

	"github.com/detsim/detsim/sim"
)

// Server is a cache server: entries in bounded memory with LRU eviction,
// lease tokens on misses, version-checked fills. It keeps nothing on disk:
// a restarted server starts empty.
type Server struct {
	cfg    Config
	env    sim.Env
	mem    *lru
	leases map[string]lease // looked up, never ranged over
	token  uint64           // the last token handed out
}

// lease is the latest token of a key. A delete or an invalidation zeroes
// token, so no set can carry it any more; issued still spaces the next
// token LeaseInterval after this one.
type lease struct {
	token  uint64
	issued time.Duration
}

// NewServer returns a factory for cache servers.
func NewServer(cfg Config) (sim.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return func() sim.Node { return &Server{cfg: cfg} }, nil
}

func (s *Server) Start(env sim.Env) {
	s.env = env
	s.mem = newLRU(s.cfg.MemoryMax)
	s.leases = map[string]lease{}
	// Tokens of an earlier incarnation must not match this one's.
	s.token = env.Rand().Uint64() >> 2
	if s.cfg.Observer != nil {
		s.cfg.Observer.CacheStarted(env.ID())
	}
}

func (s *Server) Timer(sim.TimerID, any) {}

func (s *Server) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case Get:
		s.env.Send(from, s.get(m))
	case Set:
		s.set(m)
		if m.Update {
			s.env.Send(from, SetReply{Req: m.Req})
		}
	case Delete:
		s.drop(m.Key)
		s.env.Send(from, DeleteReply{Req: m.Req})
	case Invalidate:
		s.invalidate(m)
		s.env.Send(from, InvalidateAck{Index: m.Index})
	default:
		s.env.Logf("cache: ignoring unexpected message %T", msg)
	}
}

func (s *Server) get(m Get) GetReply {
	if e, ok := s.mem.get(m.Key); ok {
		return GetReply{Req: m.Req, Key: m.Key, Hit: true, Value: e.value, Found: e.found, Version: e.version}
	}
	if s.cfg.Bugs.NoLeases {
		return GetReply{Req: m.Req, Key: m.Key}
	}
	now := s.env.Now()
	if l, ok := s.leases[m.Key]; ok && now-l.issued < s.cfg.LeaseInterval {
		if s.cfg.Observer != nil {
			s.cfg.Observer.LeaseWait(s.env.ID(), m.Key)
		}
		return GetReply{Req: m.Req, Key: m.Key, Wait: true}
	}
	s.token++
	s.leases[m.Key] = lease{token: s.token, issued: now}
	return GetReply{Req: m.Req, Key: m.Key, Token: s.token}
}

func (s *Server) set(m Set) {
	if !m.Update && !s.cfg.Bugs.NoLeases {
		l, ok := s.leases[m.Key]
		if !ok || m.Token == 0 || l.token != m.Token {
			s.env.Logf("cache: fill refused: its lease was invalidated or superseded")
			return
		}
		l.token = 0
		s.leases[m.Key] = l
	}
	if e, ok := s.mem.peek(m.Key); ok && e.version >= m.Version && !s.cfg.Bugs.FillUnversioned {
		s.env.Logf("cache: fill refused: not newer than the entry")
		return
	}
	s.store(entry{key: m.Key, value: m.Value, found: m.Found, version: m.Version})
}

// drop removes key and invalidates its lease.
func (s *Server) drop(key string) {
	if l, ok := s.leases[key]; ok {
		l.token = 0
		s.leases[key] = l
	}
	if s.mem.remove(key) && s.cfg.Observer != nil {
		s.cfg.Observer.CacheRemoved(s.env.ID(), key, false)
	}
}

// invalidate refreshes an older entry with the committed value: the key
// stays hot, and an entry that is absent stays absent.
func (s *Server) invalidate(m Invalidate) {
	if l, ok := s.leases[m.Key]; ok {
		l.token = 0
		s.leases[m.Key] = l
	}
	e, ok := s.mem.peek(m.Key)
	if !ok || (e.version >= m.Version && !s.cfg.Bugs.InvalidateUnordered) {
		return
	}
	s.store(entry{key: m.Key, value: m.Value, found: m.Found, version: m.Version})
}

func (s *Server) store(e entry) {
	evicted, stored := s.mem.put(e)
	if !stored {
		s.env.Logf("cache: entry larger than the whole memory; not stored")
		s.drop(e.key)
		return
	}
	if s.cfg.Observer == nil {
		return
	}
	s.cfg.Observer.CacheStored(s.env.ID(), e.key, e.version)
	for _, k := range evicted {
		s.cfg.Observer.CacheRemoved(s.env.ID(), k, true)
	}
}

// Entry is what the server holds for key.
func (s *Server) Entry(key string) (value string, found bool, version uint64, ok bool) {
	e, ok := s.mem.peek(key)
	if !ok {
		return "", false, 0, false
	}
	return e.value, e.found, e.version, true
}

// Each calls fn with every entry the server holds, most recently used
// first, as Keys and Entry would give them, without building a list: the
// harness reads every server's entries every few virtual milliseconds.
func (s *Server) Each(fn func(key, value string, found bool, version uint64)) {
	s.mem.each(func(e *entry) { fn(e.key, e.value, e.found, e.version) })
}

// Len is how many entries the server holds.
func (s *Server) Len() int { return len(s.mem.index) }

// Keys lists the keys the server holds, most recently used first.
func (s *Server) Keys() []string {
	var out []string
	for _, e := range s.mem.entries() {
		out = append(out, e.key)
	}
	return out
}
