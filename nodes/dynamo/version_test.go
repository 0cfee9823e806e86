package dynamo

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/detsim/detsim/sim"
)

func put(o Object, node int64, counter uint64, past VV, value string) Object {
	return o.Put(Sibling{Dot: Dot{node, counter}, Past: past, Value: value})
}

func TestConcurrentWritesBecomeSiblingsAndAContextSupersedesThem(t *testing.T) {
	var o Object
	o = put(o, 1, 1, nil, "a")
	o = put(o, 1, 2, nil, "b") // a blind write: concurrent with a
	if got := o.Live(); !cmp.Equal(got, []string{"a", "b"}) {
		t.Fatalf("siblings = %v, want [a b]", got)
	}
	ctx := o.Context()
	o = put(o, 2, 1, ctx, "ab")
	if got := o.Live(); !cmp.Equal(got, []string{"ab"}) {
		t.Fatalf("after a write with the read context, siblings = %v, want [ab]", got)
	}
}

func TestMergeKeepsWhatTheOtherReplicaHasNotSeen(t *testing.T) {
	base := put(Object{}, 1, 1, nil, "a")
	left := put(base, 1, 2, base.Context(), "left")   // supersedes a
	right := put(base, 2, 1, base.Context(), "right") // also supersedes a, concurrently
	m := left.Merge(right)
	if got := m.Live(); !cmp.Equal(got, []string{"left", "right"}) {
		t.Fatalf("merge = %v, want [left right]", got)
	}
	if !m.Equal(right.Merge(left)) || !m.Equal(m.Merge(left)) || !m.Equal(m.Merge(base)) {
		t.Fatal("merge is not commutative and idempotent, or an old version came back")
	}
}

func TestATombstoneDominatesWhatItsContextSaw(t *testing.T) {
	o := put(Object{}, 1, 1, nil, "a")
	del := o.Put(Sibling{Dot: Dot{2, 1}, Past: o.Context(), Tombstone: true})
	if !del.Deleted() || len(del.Live()) != 0 {
		t.Fatalf("after a delete: %+v", del)
	}
	if m := o.Merge(del); !m.Deleted() {
		t.Fatalf("a stale replica's value survived the tombstone: %+v", m)
	}
}

func TestLastWriteWinsKeepsOneOfConcurrentWrites(t *testing.T) {
	a := Object{Siblings: []Sibling{{Dot: Dot{1, 1}, Value: "a", Time: 10}}}
	b := Object{Siblings: []Sibling{{Dot: Dot{2, 1}, Value: "b", Time: 11}}}
	if got := a.lwwMerge(b).Live(); !cmp.Equal(got, []string{"b"}) {
		t.Fatalf("lww merge = %v, want [b]", got)
	}
}

func TestObjectsAndReadsSurviveTheirEncodings(t *testing.T) {
	o := put(Object{}, 3, 7, VV{{1, 2}, {4, 9}}, "x|1:y")
	o = o.Put(Sibling{Dot: Dot{clientNodes + 2, 1}, Tombstone: true, Time: -5})
	got, err := decodeObject(appendObject(nil, o))
	if err != nil || !got.Equal(o) {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, o)
	}
	if _, err := decodeObject(appendObject(nil, o)[:5]); err == nil {
		t.Fatal("a truncated object decoded")
	}
	r := Read{Context: EncodeContext(o.Context()), Values: []string{"", "a|b", "3:c"}, Dots: []Dot{{1, 2}, {clientNodes, 9}, {-1, 1}}}
	back, err := DecodeRead(EncodeRead(r))
	if err != nil || !cmp.Equal(back, r) {
		t.Fatalf("read = %+v, %v; want %+v", back, err, r)
	}
	for _, bad := range []string{"1:x", "2:1,1:1", "1:0", "|9:ab", "|1:2:5:ab", "|1:2:ab"} {
		if _, err := DecodeRead(bad); err == nil {
			t.Errorf("DecodeRead(%q) accepted bad input", bad)
		}
	}
}

func TestPreferenceListsHoldNDistinctServers(t *testing.T) {
	r, err := NewRing([]sim.HostID{0, 1, 2, 3, 4}, 8)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int]int{}
	for i := 0; i < 200; i++ {
		p := r.Preference(SetKey(i), 3)
		if len(p) != 3 || p[0] == p[1] || p[1] == p[2] || p[0] == p[2] {
			t.Fatalf("preference list %v", p)
		}
		counts[int(p[0])]++
	}
	for s := 0; s < 5; s++ {
		if counts[s] < 10 {
			t.Errorf("server %d coordinates only %d of 200 keys: %v", s, counts[s], counts)
		}
	}
}

func TestDescendsAgreesWithTheContexts(t *testing.T) {
	a := put(Object{}, 1, 1, nil, "a")
	b := put(a, 2, 5, a.Context(), "b")
	c := put(Object{}, 3, 1, nil, "c")
	for _, x := range []Object{{}, a, b, c, b.Merge(c)} {
		for _, y := range []Object{{}, a, b, c, b.Merge(c)} {
			if got, want := x.Descends(y), x.Context().Descends(y.Context()); got != want {
				t.Errorf("%v descends %v: %v, contexts say %v", x.Live(), y.Live(), got, want)
			}
		}
	}
}

func TestAPrunedContextNoLongerSupersedesTheSiblingItRead(t *testing.T) {
	var o Object
	o = put(o, 1, 5, nil, "a")
	o = put(o, 2, 9, o.Context(), "ab")
	o = put(o, 3, 7, o.Context(), "abc")
	ctx := o.Context() // 1:5 2:9 3:7
	if got := pruned(ctx, 2); !cmp.Equal(got, VV{{2, 9}, {3, 7}}) {
		t.Fatalf("pruned to two entries: %v, want the two of highest counter", got)
	}
	// Server 1 writes next with the context pruned: its sibling "abc" is
	// superseded only because server 3's entry survived.
	if got := put(o, 1, 6, pruned(ctx, 2), "abcd").Live(); !cmp.Equal(got, []string{"abcd"}) {
		t.Fatalf("siblings = %v, want [abcd]", got)
	}
	// Pruned to one entry, the context forgets server 3: the sibling the
	// writer read and merged stays, falsely concurrent.
	if got := put(o, 1, 6, pruned(ctx, 1), "abcd").Live(); !cmp.Equal(got, []string{"abcd", "abc"}) {
		t.Fatalf("siblings = %v, want [abcd abc]", got)
	}
}

func TestAReadOfOneSiblingEncodesAsTheGeneralEncoding(t *testing.T) {
	for _, o := range []Object{
		{},
		put(Object{}, 2, 5, nil, "a"),
		put(Object{}, 2, 5, VV{{1, 3}, {2, 4}, {7, 1}}, "1,2,3"),
		put(Object{}, 2, 5, VV{{2, 9}}, ""),
		put(Object{}, 9, 5, VV{{1, 3}, {2, 4}}, "x"),
		put(Object{}, 0, 5, VV{{1, 3}, {2, 4}}, "x"),
		{Siblings: []Sibling{{Dot: Dot{3, 1}, Past: VV{{1, 1}}, Tombstone: true}}},
		put(put(Object{}, 1, 1, nil, "a"), 2, 1, nil, "b"),
	} {
		live, dots := o.byTime()
		want := EncodeRead(Read{Context: EncodeContext(o.Context()), Values: live, Dots: dots})
		if got, n := encodeObjectRead(o); got != want || n != len(live) {
			t.Errorf("%+v: %q (%d live), want %q (%d)", o, got, n, want, len(live))
		}
	}
}

// TestMergeSharesAnInputOnlyWhenItIsTheMerge draws pairs of objects (from
// a few servers' writes, with repeated dots as Bugs.ClientClocks makes
// them, and unsorted lists) and checks that Merge, which returns one of
// its inputs when the merge is exactly it, always equals the merge built
// as a new object.
func TestMergeSharesAnInputOnlyWhenItIsTheMerge(t *testing.T) {
	object := objectGen()
	rapid.Check(t, func(t *rapid.T) {
		o, p := object.Draw(t, "o"), object.Draw(t, "p")
		got, want := o.Merge(p), mergeCopy(o, p)
		if o.Equal(p) || len(p.Siblings) == 0 || len(o.Siblings) == 0 {
			return // answered before the comparison of what each keeps
		}
		if !got.Equal(want) {
			t.Fatalf("Merge = %+v, want %+v", got, want)
		}
	})
}

// Descends, which passes over the siblings an object shares with the one
// it replaced, answers as the search of every dot does: for objects that
// share some siblings, as a replica's successive versions do, and for
// objects made by Put and Merge from each other.
func TestDescendsIsTheSearchOfEveryDot(t *testing.T) {
	object := objectGen()
	descendsBySearch := func(o, p Object) bool {
		for _, s := range p.Siblings {
			if !o.Covers(s.Dot) {
				return false
			}
			for _, e := range s.Past {
				if !o.Covers(Dot{e.Node, e.Counter}) {
					return false
				}
			}
		}
		return true
	}
	rapid.Check(t, func(t *rapid.T) {
		o, p := object.Draw(t, "o"), object.Draw(t, "p")
		// q shares some of o's siblings (the same values, pasts included)
		// beside p's.
		var q Object
		for i, s := range o.Siblings {
			if rapid.Bool().Draw(t, fmt.Sprintf("share%d", i)) {
				q.Siblings = append(q.Siblings, s)
			}
		}
		q.Siblings = append(q.Siblings, p.Siblings...)
		put := o.Put(Sibling{Dot: Dot{4, rapid.Uint64Range(1, 5).Draw(t, "dot")}, Past: p.Context(), Value: "x"})
		for _, pair := range [][2]Object{{o, p}, {o, q}, {q, o}, {o, o}, {put, o}, {o, put}, {o.Merge(p), o}, {o.Merge(p), p}, {p, o.Merge(p)}} {
			if got, want := pair[0].Descends(pair[1]), descendsBySearch(pair[0], pair[1]); got != want {
				t.Fatalf("%+v descends %+v: %v, the search says %v", pair[0], pair[1], got, want)
			}
		}
	})
}

// objectGen draws objects of up to four siblings of three servers, sorted
// or not, with repeated dots.
func objectGen() *rapid.Generator[Object] {
	sibling := rapid.Custom(func(t *rapid.T) Sibling {
		var past VV
		for node := int64(1); node <= 3; node++ {
			if c := rapid.Uint64Range(0, 4).Draw(t, "past"); c > 0 {
				past = append(past, Entry{node, c})
			}
		}
		return Sibling{
			Dot:       Dot{rapid.Int64Range(1, 3).Draw(t, "node"), rapid.Uint64Range(1, 5).Draw(t, "counter")},
			Past:      past,
			Value:     rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "value"),
			Tombstone: rapid.Bool().Draw(t, "tombstone"),
		}
	})
	return rapid.Custom(func(t *rapid.T) Object {
		sibs := rapid.SliceOfN(sibling, 0, 4).Draw(t, "siblings")
		if rapid.Bool().Draw(t, "sorted") {
			sortSiblings(sibs)
		}
		return Object{Siblings: sibs}
	})
}

func TestRangeOfIsTheFirstTokenAtOrAfterTheKeysHash(t *testing.T) {
	r, err := NewRing([]sim.HostID{0, 1, 2, 3, 4}, 8)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := 0
	for i := 0; i < 5000; i++ {
		key := SetKey(i)
		h := hash64(key)
		want := 0 // past the last token, the range wraps to the first
		for j, tok := range r.tokens {
			if tok.pos >= h {
				want = j
				break
			}
		}
		if h > r.tokens[len(r.tokens)-1].pos {
			wrapped++
		}
		if got := r.RangeOf(key); got != want {
			t.Fatalf("RangeOf(%q) = %d, want %d", key, got, want)
		}
	}
	if wrapped == 0 {
		t.Fatal("no key hashed past the last token: the wrap went untested")
	}
}

// A put's context found from the last read answered, or the last context
// decoded, is the one DecodeContext gives: for reads of objects of one
// sibling or several, pasts that are no context (unsorted, a node twice, a
// zero counter), and wants that are the read's context, another's, a
// longer one, or none.
func TestAPutsContextIsTheDecodedOne(t *testing.T) {
	object := objectGen()
	rapid.Check(t, func(t *rapid.T) {
		n := &Node{byKey: map[string]*keyState{}, ring: testRing(t)}
		for i := range rapid.IntRange(1, 6).Draw(t, "steps") {
			o := object.Draw(t, fmt.Sprintf("object%d", i))
			if rapid.Bool().Draw(t, fmt.Sprintf("zero%d", i)) && len(o.Siblings) > 0 && len(o.Siblings[0].Past) > 0 {
				o.Siblings[0].Past = slices.Clone(o.Siblings[0].Past)
				o.Siblings[0].Past[0].Counter = 0
			}
			if !o.Empty() {
				n.encodeRead("k", o)
			}
			read := n.state("k").read.text
			ctx, _, _ := strings.Cut(read, "|")
			wants := []string{ctx, ctx, read, ctx + ",9:9", EncodeContext(o.Context()), "", "1:1,1:2", rapid.SampledFrom([]string{"1:3", "2:1,3:4", "x"}).Draw(t, "other")}
			for _, want := range wants {
				got, err := n.decodeWant("k", want)
				wantCtx, wantErr := DecodeContext(want)
				if (err != nil) != (wantErr != nil) || !slices.Equal(got, wantCtx) {
					t.Fatalf("read %q, want %q: %v (%v), DecodeContext gives %v (%v)", read, want, got, err, wantCtx, wantErr)
				}
			}
		}
	})
}

func testRing(t *rapid.T) *Ring {
	r, err := NewRing([]sim.HostID{0, 1, 2}, 4)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Context, built in scratch buffers, is the fold its definition states:
// the first sibling's clock, joined with each later one's past and raised
// to its dot, for siblings sorted or not and pasts of repeated dots.
func TestContextIsTheJoinOfTheClocks(t *testing.T) {
	object := objectGen()
	wide := rapid.Custom(func(t *rapid.T) Object { // more entries than the scratch buffers hold
		var o Object
		for i := range rapid.IntRange(2, 6).Draw(t, "siblings") {
			var past VV
			for node := int64(0); node < 40; node += rapid.Int64Range(1, 4).Draw(t, fmt.Sprintf("step%d", i)) {
				past = append(past, Entry{node, rapid.Uint64Range(1, 9).Draw(t, "counter")})
			}
			o.Siblings = append(o.Siblings, Sibling{Dot: Dot{rapid.Int64Range(0, 45).Draw(t, "node"), 5}, Past: past})
		}
		return o
	})
	rapid.Check(t, func(t *rapid.T) {
		o := object.Draw(t, "o")
		if rapid.Bool().Draw(t, "wide") {
			o = wide.Draw(t, "wide object")
		}
		var want VV
		for i, s := range o.Siblings {
			if i == 0 {
				want = s.clock()
				continue
			}
			want = want.Join(s.Past)
			want.raise(s.Dot)
		}
		if got := o.Context(); !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("Context of %+v = %v, the fold gives %v", o, got, want)
		}
	})
}
