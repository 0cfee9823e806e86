package cache

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// fakeEnv drives one node by hand: the test sets the clock and reads what
// the node sent.
type fakeEnv struct {
	id   sim.HostID
	now  time.Duration
	sent []sentMsg
	rng  *rand.Rand
}

type sentMsg struct {
	to  sim.HostID
	msg any
}

func newFakeEnv(id sim.HostID) *fakeEnv {
	return &fakeEnv{id: id, rng: rand.New(rand.NewPCG(1, 2))}
}

func (e *fakeEnv) ID() sim.HostID                       { return e.id }
func (e *fakeEnv) Name() string                         { return "fake" }
func (e *fakeEnv) Peers() []sim.HostID                  { return nil }
func (e *fakeEnv) Now() time.Duration                   { return e.now }
func (e *fakeEnv) Send(to sim.HostID, msg any)          { e.sent = append(e.sent, sentMsg{to, msg}) }
func (e *fakeEnv) After(time.Duration, any) sim.TimerID { return 1 }
func (e *fakeEnv) Cancel(sim.TimerID) bool              { return false }
func (e *fakeEnv) Rand() *rand.Rand                     { return e.rng }
func (e *fakeEnv) Storage() sim.Storage                 { return nil }
func (e *fakeEnv) Logf(string, ...any)                  {}

// last returns the last message sent, which must be a T.
func last[T any](t *testing.T, e *fakeEnv) T {
	t.Helper()
	if len(e.sent) == 0 {
		t.Fatal("nothing was sent")
	}
	m, ok := e.sent[len(e.sent)-1].msg.(T)
	if !ok {
		t.Fatalf("last message is %T, not %T", e.sent[len(e.sent)-1].msg, m)
	}
	return m
}

func startServer(t *testing.T, cfg Config) (*Server, *fakeEnv) {
	t.Helper()
	f, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := f().(*Server)
	env := newFakeEnv(1)
	s.Start(env)
	return s, env
}

const reader, writer = sim.HostID(5), sim.HostID(6)

// staleSetRace plays the race of "Scaling Memcache at Facebook", 3.2.1: a
// reader misses and reads version 1 from the database; a writer commits
// version 2 and deletes the key; the reader's fill of version 1 arrives
// last. It returns what the cache holds at the end.
func staleSetRace(t *testing.T, cfg Config) (version uint64, ok bool) {
	s, env := startServer(t, cfg)
	s.Receive(reader, Get{Req: 1, Key: "k"})
	miss := last[GetReply](t, env)
	if miss.Hit || miss.Wait {
		t.Fatalf("first get of an empty cache: %+v, want a miss", miss)
	}
	s.Receive(writer, Delete{Req: 1, Key: "k"})
	s.Receive(reader, Set{Key: "k", Value: "old", Found: true, Version: 1, Token: miss.Token})
	_, _, v, ok := s.Entry("k")
	return v, ok
}

func TestALeaseTokenInvalidatedByADeleteRefusesTheStaleSet(t *testing.T) {
	if v, ok := staleSetRace(t, DefaultConfig()); ok {
		t.Fatalf("the cache kept the stale fill at version %d", v)
	}
}

func TestWithoutLeasesTheStaleSetStays(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Bugs.NoLeases = true
	if v, ok := staleSetRace(t, cfg); !ok || v != 1 {
		t.Fatalf("without leases the stale fill should stay; the cache holds version %d (present %v)", v, ok)
	}
}

func TestOneLeasePerKeyPerIntervalOthersWait(t *testing.T) {
	s, env := startServer(t, DefaultConfig())
	s.Receive(reader, Get{Req: 1, Key: "hot"})
	first := last[GetReply](t, env)
	s.Receive(writer, Get{Req: 1, Key: "hot"})
	if second := last[GetReply](t, env); !second.Wait || second.Token != 0 {
		t.Fatalf("a second misser within the interval got %+v, want to wait", second)
	}
	env.now += DefaultConfig().LeaseInterval
	s.Receive(writer, Get{Req: 2, Key: "hot"})
	third := last[GetReply](t, env)
	if third.Wait || third.Token == 0 || third.Token == first.Token {
		t.Fatalf("after the interval a misser got %+v, want a fresh token", third)
	}
	s.Receive(reader, Set{Key: "hot", Value: "v", Found: true, Version: 1, Token: first.Token})
	if _, _, _, ok := s.Entry("hot"); ok {
		t.Fatal("a superseded token's set was kept")
	}
	s.Receive(writer, Set{Key: "hot", Value: "v", Found: true, Version: 1, Token: third.Token})
	if _, _, v, ok := s.Entry("hot"); !ok || v != 1 {
		t.Fatal("the current token's set was refused")
	}
	s.Receive(reader, Get{Req: 2, Key: "hot"})
	if hit := last[GetReply](t, env); !hit.Hit || hit.Value != "v" {
		t.Fatalf("get after the fill: %+v, want a hit", hit)
	}
}

func TestAnOlderUpdateNeverOverwritesANewerOne(t *testing.T) {
	for _, bug := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Bugs.FillUnversioned = bug
		s, _ := startServer(t, cfg)
		s.Receive(writer, Set{Key: "k", Value: "v3", Found: true, Version: 3, Update: true})
		s.Receive(reader, Set{Key: "k", Value: "v2", Found: true, Version: 2, Update: true})
		_, _, v, _ := s.Entry("k")
		if want := map[bool]uint64{false: 3, true: 2}[bug]; v != want {
			t.Errorf("fill_unversioned=%v: holds version %d, want %d", bug, v, want)
		}
	}
}

func TestInvalidationsRefreshOnlyOlderEntries(t *testing.T) {
	for _, bug := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Bugs.InvalidateUnordered = bug
		s, env := startServer(t, cfg)
		s.Receive(writer, Set{Key: "k", Value: "v1", Found: true, Version: 1, Update: true})
		s.Receive(0, Invalidate{Index: 3, Key: "k", Value: "v3", Found: true, Version: 3})
		if ack := last[InvalidateAck](t, env); ack.Index != 3 {
			t.Fatalf("acknowledged %d, want 3", ack.Index)
		}
		s.Receive(0, Invalidate{Index: 2, Key: "k", Value: "v2", Found: true, Version: 2})
		val, _, v, _ := s.Entry("k")
		if want := map[bool]uint64{false: 3, true: 2}[bug]; v != want {
			t.Errorf("invalidate_unordered=%v: holds %q at version %d, want version %d", bug, val, v, want)
		}
		s.Receive(0, Invalidate{Index: 4, Key: "absent", Value: "x", Found: true, Version: 1})
		if _, _, _, ok := s.Entry("absent"); ok {
			t.Error("an invalidation filled a key the cache did not hold")
		}
	}
}

func TestEachGivesWhatKeysAndEntryGive(t *testing.T) {
	s, env := startServer(t, DefaultConfig())
	fill := func(key, value string, found bool, version uint64) {
		s.Receive(reader, Get{Req: version, Key: key})
		s.Receive(reader, Set{Key: key, Value: value, Found: found, Version: version, Token: last[GetReply](t, env).Token})
	}
	fill("a", "1", true, 1)
	fill("b", "", false, 2)
	fill("c", "3", true, 3)
	type held struct {
		key, value string
		found      bool
		version    uint64
	}
	var want, got []held
	for _, k := range s.Keys() {
		v, found, version, ok := s.Entry(k)
		if !ok {
			t.Fatalf("Keys lists %q, Entry does not find it", k)
		}
		want = append(want, held{k, v, found, version})
	}
	s.Each(func(k, v string, found bool, version uint64) { got = append(got, held{k, v, found, version}) })
	if len(want) != 3 || s.Len() != 3 || !slices.Equal(got, want) {
		t.Fatalf("Each gave %+v, Len %d; Keys and Entry give %+v", got, s.Len(), want)
	}
}
