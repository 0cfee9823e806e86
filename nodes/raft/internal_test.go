package raft

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/kvstore"
	"github.com/detsim/detsim/sim"
)

func TestEncodings(t *testing.T) {
	ents := []Entry{
		{Index: 1, Term: 0, Kind: EntryConf, Members: []sim.HostID{0, 1, 2}},
		{Index: 2, Term: 1, Kind: EntryNoop},
		{Index: 3, Term: 1, Kind: EntryCommand, Cmd: client.Request{Client: 1 << 40, Seq: 3, Op: client.Op{Kind: client.OpCAS, Key: "k", Value: "v", Want: "w"}}},
	}
	for _, e := range ents {
		got, err := decodeEntry(appendEntry(nil, &e))
		if err != nil || !got.Equal(&e) {
			t.Fatalf("%v: got %v, %v", &e, &got, err)
		}
		b := appendEntry(nil, &e)
		if _, err := decodeEntry(b[:len(b)-1]); err == nil {
			t.Fatalf("%v: truncated record decoded", &e)
		}
	}
	if k := indexKey(prefixLog, 42); k != "raft/log/00000000000000000042" {
		t.Fatal(k)
	}
	if i, ok := keyIndex(prefixLog, indexKey(prefixLog, 1<<63)); !ok || i != 1<<63 {
		t.Fatal(i, ok)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		field string
		mut   func(*Config)
	}{
		{"ElectionTimeoutMin", func(c *Config) { c.ElectionTimeoutMin = 0 }},
		{"ElectionTimeoutMax", func(c *Config) { c.ElectionTimeoutMax = c.ElectionTimeoutMin }},
		{"HeartbeatInterval", func(c *Config) { c.HeartbeatInterval = c.ElectionTimeoutMin }},
		{"ReadMode", func(c *Config) { c.ReadMode = "quorum" }},
		{"CheckQuorum", func(c *Config) { c.ReadMode, c.CheckQuorum = ReadLease, false }},
		{"LeaseDriftBound", func(c *Config) { c.LeaseDriftBound = c.ElectionTimeoutMin }},
		{"SnapshotEntries", func(c *Config) { c.SnapshotEntries = -1 }},
		{"SnapshotTrailing", func(c *Config) { c.SnapshotTrailing = -1 }},
		{"AppendEntriesMax", func(c *Config) { c.AppendEntriesMax = 0 }},
		{"Members", func(c *Config) { c.Members = []sim.HostID{1, -1} }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.mut(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

func TestConfigJSON(t *testing.T) {
	c := DefaultConfig()
	c.Members = []sim.HostID{0, 1, 2}
	c.Bugs.CommitOldTerms = true
	c.Observer = nopObserver{}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"election_timeout_min":"300ms"`, `"read_mode":"index"`, `"commit_old_terms":true`, `"members":[0,1,2]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
	got := DefaultConfig()
	if err := json.Unmarshal([]byte(`{"pre_vote":false,"heartbeat_interval":"20ms","lease_drift_bound":25000000}`), &got); err != nil {
		t.Fatal(err)
	}
	if got.PreVote || got.HeartbeatInterval != 20*time.Millisecond || got.LeaseDriftBound != 25*time.Millisecond || !got.CheckQuorum || got.ElectionTimeoutMin != 300*time.Millisecond {
		t.Fatalf("decoding onto the defaults: %+v", got)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	c.Observer = nil
	if !slices.Equal(back.Members, c.Members) || back.Bugs != c.Bugs || back.ReadMode != c.ReadMode || back.ElectionTimeoutMax != c.ElectionTimeoutMax {
		t.Fatalf("round trip: %+v", back)
	}
}

// memStorage is a sim.Storage whose values a test can corrupt.
type memStorage struct {
	m       map[string][]byte
	corrupt map[string]bool
	syncs   int
}

func newMem() *memStorage { return &memStorage{m: map[string][]byte{}, corrupt: map[string]bool{}} }

func (s *memStorage) Get(key string) ([]byte, error) {
	if s.corrupt[key] {
		return nil, sim.ErrCorrupt
	}
	v, ok := s.m[key]
	if !ok {
		return nil, sim.ErrNotFound
	}
	return slices.Clone(v), nil
}
func (s *memStorage) Set(key string, v []byte) { s.m[key] = slices.Clone(v); delete(s.corrupt, key) }
func (s *memStorage) Delete(key string)        { delete(s.m, key); delete(s.corrupt, key) }
func (s *memStorage) Sync()                    { s.syncs++ }
func (s *memStorage) Keys(prefix string) []string {
	var ks []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func writeLog(d *disk, terms ...uint64) {
	for i, t := range terms {
		e := Entry{Index: uint64(i + 1), Term: t, Kind: EntryNoop}
		d.saveEntry(&e)
	}
}

func logTerms(r recovered) []uint64 {
	var ts []uint64
	for _, e := range r.ents {
		ts = append(ts, e.Term)
	}
	return ts
}

func TestRecoveryFromDamage(t *testing.T) {
	t.Run("hard state: a torn slot falls back to the other", func(t *testing.T) {
		st := newMem()
		d := disk{st: st}
		d.saveHard(3, 1)
		d.saveHard(4, 2) // the newer slot, then torn
		st.corrupt[keyHardB] = true
		r := (&disk{st: st}).load()
		if r.term != 3 || r.vote != 1 || len(r.damage) != 1 {
			t.Fatalf("term %d vote %v damage %v", r.term, r.vote, r.damage)
		}
		d2 := disk{st: st}
		d2.load()
		d2.saveHard(5, 0)
		if r := (&disk{st: st}).load(); r.term != 5 {
			t.Fatalf("after rewriting: term %d", r.term)
		}
	})
	t.Run("log: a torn entry and everything after it are dropped", func(t *testing.T) {
		st := newMem()
		d := disk{st: st}
		writeLog(&d, 1, 1, 2, 2, 3)
		st.corrupt[indexKey(prefixLog, 4)] = true
		r := (&disk{st: st}).load()
		if got := logTerms(r); !slices.Equal(got, []uint64{1, 1, 2}) {
			t.Fatalf("log terms %v", got)
		}
		if len(st.Keys(prefixLog)) != 3 || r.empty {
			t.Fatalf("keys left %v", st.Keys(prefixLog))
		}
	})
	t.Run("log: a gap ends the log", func(t *testing.T) {
		st := newMem()
		d := disk{st: st}
		writeLog(&d, 1, 1, 2, 2)
		st.Delete(indexKey(prefixLog, 2))
		if got := logTerms((&disk{st: st}).load()); !slices.Equal(got, []uint64{1}) {
			t.Fatalf("log terms %v", got)
		}
	})
	t.Run("snapshot: a torn newest falls back to the older, with its log", func(t *testing.T) {
		st := newMem()
		d := disk{st: st}
		writeLog(&d, 1, 1, 1, 2, 2, 2)
		kv := kvstore.New()
		d.saveSnapshot(&Snapshot{Index: 2, Term: 1, Members: []sim.HostID{0}, Data: kv.Encode()})
		d.saveSnapshot(&Snapshot{Index: 5, Term: 2, Members: []sim.HostID{0}, Data: kv.Encode()})
		st.corrupt[indexKey(prefixSnap, 5)] = true
		r := (&disk{st: st}).load()
		if r.snap.Index != 2 || !slices.Equal(logTerms(r), []uint64{1, 2, 2, 2}) || r.ents[0].Index != 3 {
			t.Fatalf("snapshot %d, log %v", r.snap.Index, logTerms(r))
		}
	})
	t.Run("snapshot over a conflicting log: the old log goes", func(t *testing.T) {
		st := newMem()
		d := disk{st: st}
		writeLog(&d, 1, 1, 2, 2, 2)
		d.saveSnapshot(&Snapshot{Index: 3, Term: 3, Data: kvstore.New().Encode()})
		r := (&disk{st: st}).load()
		if r.snap.Index != 3 || len(r.ents) != 0 || len(st.Keys(prefixLog)) != 0 {
			t.Fatalf("snapshot %d, log %v, keys %v", r.snap.Index, logTerms(r), st.Keys(prefixLog))
		}
	})
	t.Run("empty", func(t *testing.T) {
		if r := (&disk{st: newMem()}).load(); !r.empty || r.vote != sim.NoHost {
			t.Fatalf("%+v", r)
		}
	})
}

func TestLogBacktrackingHelpers(t *testing.T) {
	l := newLog(0, 0)
	for i, tm := range []uint64{1, 1, 2, 2, 2, 4} {
		l.append(Entry{Index: uint64(i + 1), Term: tm})
	}
	if got := l.lastIndexOfTerm(2); got != 5 {
		t.Fatal(got)
	}
	if got := l.lastIndexOfTerm(3); got != 0 {
		t.Fatal(got)
	}
	if got := l.firstIndexOfTerm(4); got != 3 {
		t.Fatal(got)
	}
	l.compact(3)
	if l.offset() != 3 || l.lastIndex() != 6 {
		t.Fatal(l.offset(), l.lastIndex())
	}
	if tm, ok := l.term(3); !ok || tm != 2 {
		t.Fatal(tm, ok)
	}
	if _, ok := l.term(2); ok {
		t.Fatal("compacted term readable")
	}
	if got := l.firstIndexOfTerm(5); got != 4 {
		t.Fatal(got)
	}
	if !l.upToDate(6, 4) || l.upToDate(5, 4) || !l.upToDate(1, 5) {
		t.Fatal("upToDate")
	}
}

type nopObserver struct{}

func (nopObserver) Started(*Node)                  {}
func (nopObserver) BecameLeader(*Node)             {}
func (nopObserver) Appended(*Node, *Entry, uint64) {}
func (nopObserver) Applied(*Node, *Entry)          {}
func (nopObserver) Restored(*Node, *Snapshot)      {}

// batchedWrites is a memStorage whose writes wait, grouped by the Sync
// that ended them, for a test to apply as much of them as a crash kept.
type batchedWrites struct {
	*memStorage
	batches [][]func(*memStorage)
	open    []func(*memStorage)
}

func (s *batchedWrites) Set(key string, v []byte) {
	v = slices.Clone(v)
	s.open = append(s.open, func(m *memStorage) { m.Set(key, v) })
}
func (s *batchedWrites) Delete(key string) {
	s.open = append(s.open, func(m *memStorage) { m.Delete(key) })
}
func (s *batchedWrites) Sync() { s.batches, s.open = append(s.batches, s.open), nil }

// TestSnapshotOverAConflictingLogSurvivesACrashAnywhere installs a
// snapshot over a log that conflicts at the snapshot's index and holds
// later entries of a higher term (a leader of term 4 appended them after
// an entry that the committed history of term 3 replaced), then crashes
// inside each of the install's syncs with any subset of that sync's
// writes on disk, as a disk that reorders unsynced writes leaves them:
// recovery finds either the old log untouched or the snapshot with no
// old entry after it.
func TestSnapshotOverAConflictingLogSurvivesACrashAnywhere(t *testing.T) {
	oldLog := []uint64{1, 1, 2, 4, 4}
	snap := Snapshot{Index: 3, Term: 3, Data: kvstore.New().Encode()}
	base := newMem()
	writeLog(&disk{st: base}, oldLog...)
	rec := &batchedWrites{memStorage: newMem()}
	(&disk{st: rec}).installSnapshot(&snap, 0, uint64(len(oldLog)), 0)
	if len(rec.open) != 0 || len(rec.batches) < 2 {
		t.Fatalf("the install left %d writes unsynced in %d syncs", len(rec.open), len(rec.batches))
	}
	for b, batch := range rec.batches {
		for subset := 0; subset < 1<<len(batch); subset++ {
			st := newMem()
			for k, v := range base.m {
				st.m[k] = slices.Clone(v)
			}
			for _, done := range rec.batches[:b] {
				for _, write := range done {
					write(st)
				}
			}
			for i, write := range batch {
				if subset&(1<<i) != 0 {
					write(st)
				}
			}
			r := (&disk{st: st}).load()
			switch {
			case r.snap.Index == snap.Index && len(r.ents) == 0:
			case r.snap.Index == 0 && slices.Equal(logTerms(r), oldLog):
			default:
				t.Fatalf("a crash in sync %d keeping writes %b of %d: recovered snapshot %d and log terms %v after it", b, subset, len(batch), r.snap.Index, logTerms(r))
			}
		}
	}
}
