package cache

import (
	"testing"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// concurrentWrites has replicas a and b each take a put of one key before
// either hears of the other's, then hands each the other's push. It
// returns the values they end with.
func concurrentWrites(t *testing.T, cfg Config) (string, string) {
	f, err := NewReplica(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f().(*Replica), f().(*Replica)
	ea, eb := newFakeEnv(1), newFakeEnv(2)
	a.Start(ea)
	b.Start(eb)
	a.Receive(7, client.Request{Client: 1, Seq: 1, Op: client.Op{Kind: client.OpPut, Key: "k", Value: "from-a"}})
	b.Receive(8, client.Request{Client: 2, Seq: 1, Op: client.Op{Kind: client.OpPut, Key: "k", Value: "from-b"}})
	b.Receive(1, Push{Entries: a.Entries()})
	a.Receive(2, Push{Entries: b.Entries()})
	return a.data["k"].value, b.data["k"].value
}

func TestTheTutorialsVersionsDivergeOnConcurrentWrites(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = ModeReplicated
	cfg.Bugs.TutorialVersions = true
	if va, vb := concurrentWrites(t, cfg); va == vb {
		t.Fatalf("both replicas hold %q; the tutorial's versions should have kept each its own", va)
	}
}

func TestCorrectVersionsConvergeOnConcurrentWrites(t *testing.T) {
	for _, v := range []Versioning{VersionCounterNode, VersionHLC} {
		cfg := DefaultConfig()
		cfg.Mode = ModeReplicated
		cfg.Versioning = v
		if va, vb := concurrentWrites(t, cfg); va != vb {
			t.Errorf("%s: replicas hold %q and %q", v, va, vb)
		}
	}
}

func TestAReplicaKeepsOnlyNewerPushes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = ModeReplicated
	f, _ := NewReplica(cfg)
	r := f().(*Replica)
	r.Start(newFakeEnv(1))
	r.Receive(2, Push{Entries: []Pushed{{Key: "k", Value: "new", Found: true, Version: Version{Counter: 5, Node: 2}}}})
	r.Receive(3, Push{Entries: []Pushed{{Key: "k", Value: "old", Found: true, Version: Version{Counter: 4, Node: 3}}}})
	if got := r.data["k"].value; got != "new" {
		t.Fatalf("holds %q after an older push; want new", got)
	}
	r.Receive(9, client.Request{Client: 1, Seq: 1, Op: client.Op{Kind: client.OpPut, Key: "k", Value: "mine"}})
	if v := r.data["k"].version; !v.after(Version{Counter: 5, Node: 2}) {
		t.Fatalf("a local write took version %v, not after the one it replaced", v)
	}
}

var _ sim.Node = (*Replica)(nil)
