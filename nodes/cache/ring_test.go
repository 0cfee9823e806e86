package cache

import (
	"fmt"
	"testing"

	"github.com/detsim/detsim/sim"
)

func TestRingSpreadsKeysOverEveryServer(t *testing.T) {
	r, err := NewRing([]sim.HostID{1, 2, 3, 4}, 64)
	if err != nil {
		t.Fatal(err)
	}
	count := map[sim.HostID]int{}
	for i := 0; i < 4000; i++ {
		count[r.Owner(fmt.Sprintf("k%d", i))]++
	}
	for _, s := range []sim.HostID{1, 2, 3, 4} {
		if count[s] < 600 || count[s] > 1400 {
			t.Errorf("server %v owns %d of 4000 keys; want about 1000", s, count[s])
		}
	}
}

func TestRingMovesOnlyTheKeysOfAnAddedServer(t *testing.T) {
	before, _ := NewRing([]sim.HostID{1, 2, 3}, 64)
	after, _ := NewRing([]sim.HostID{1, 2, 3, 4}, 64)
	moved := 0
	for i := 0; i < 3000; i++ {
		k := fmt.Sprintf("k%d", i)
		if a, b := before.Owner(k), after.Owner(k); a != b {
			if b != 4 {
				t.Fatalf("key %s moved from %v to %v, not to the new server", k, a, b)
			}
			moved++
		}
	}
	if moved < 400 || moved > 1200 {
		t.Errorf("%d of 3000 keys moved to the new server; want about 750", moved)
	}
}

func TestRingRefusesBadServerLists(t *testing.T) {
	if _, err := NewRing(nil, 4); err == nil {
		t.Error("an empty ring was accepted")
	}
	if _, err := NewRing([]sim.HostID{1, 1}, 4); err == nil {
		t.Error("a ring listing a server twice was accepted")
	}
	if _, err := NewRing([]sim.HostID{1}, 0); err == nil {
		t.Error("a ring with no points was accepted")
	}
}

func TestLRUEvictsTheLeastRecentlyUsedWithinItsBudget(t *testing.T) {
	c := newLRU(3 * (2 + 1 + EntryOverhead)) // three entries of key "kN", value "v"
	for _, k := range []string{"k1", "k2", "k3"} {
		if ev, ok := c.put(entry{key: k, value: "v"}); !ok || len(ev) > 0 {
			t.Fatalf("put %s evicted %v (stored %v)", k, ev, ok)
		}
	}
	c.get("k1")
	ev, _ := c.put(entry{key: "k4", value: "v"})
	if len(ev) != 1 || ev[0] != "k2" {
		t.Fatalf("evicted %v; want [k2], the least recently used", ev)
	}
	if _, ok := c.peek("k1"); !ok {
		t.Error("k1, just used, was evicted")
	}
	if c.used > c.max {
		t.Errorf("uses %d bytes of %d", c.used, c.max)
	}
	if _, ok := c.put(entry{key: "big", value: string(make([]byte, c.max))}); ok {
		t.Error("an entry larger than the budget was stored")
	}
}

func TestVersionedAnswersRoundTrip(t *testing.T) {
	for _, v := range []string{"", "x", "a:b:c"} {
		s := encodeVersioned(7, v)
		ver, val, err := decodeVersioned(s)
		if err != nil || ver != 7 || val != v {
			t.Errorf("%q decoded to %d %q %v", s, ver, val, err)
		}
	}
	if _, _, err := decodeVersioned("novalue"); err == nil {
		t.Error("an answer without a version decoded")
	}
}
