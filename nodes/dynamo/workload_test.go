package dynamo

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/client"
)

func TestAnElementSplicedIntoASetEncodesAsTheWholeSetWould(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		var els []int
		for range rng.IntN(12) {
			els = append(els, rng.IntN(1_000_000_000))
		}
		slices.Sort(els)
		els = slices.Compact(els)
		e := rng.IntN(1_000_000_000)
		if slices.Contains(els, e) {
			continue
		}
		i, _ := slices.BinarySearch(els, e)
		want := encodeSet(slices.Insert(slices.Clone(els), i, e))
		if got := insertElement(encodeSet(els), i, e); got != want {
			t.Fatalf("%v plus %d at %d: spliced %q, encoded %q", els, e, i, got, want)
		}
	}
	if got := insertElement("1,2", 3, 9); got != "" {
		t.Fatalf("a position past the set's end spliced into %q", got)
	}
	if got := insertElement("", 1, 9); got != "" {
		t.Fatalf("a position past the empty set spliced into %q", got)
	}
}

func TestASetParsedAgainstTheOneReadBeforeHasTheElementsOfAFullParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	set := func() []int {
		var els []int
		for range rng.IntN(10) {
			els = append(els, rng.IntN(3)*rng.IntN(1000))
		}
		slices.Sort(els)
		return slices.Compact(els)
	}
	for trial := 0; trial < 20000; trial++ {
		prev, next := set(), set()
		if trial%2 == 0 {
			// Mostly the same set, grown or shrunk in a few places.
			next = slices.Clone(prev)
			for range 1 + rng.IntN(3) {
				if len(next) > 0 && rng.IntN(3) == 0 {
					i := rng.IntN(len(next))
					next = slices.Delete(next, i, i+1)
					continue
				}
				e := rng.IntN(3000)
				if i, found := slices.BinarySearch(next, e); !found {
					next = slices.Insert(next, i, e)
				}
			}
		}
		p, v := encodeSet(prev), encodeSet(next)
		got := reparse(p, elements([]string{p}), v)
		if want := elements([]string{v}); !slices.Equal(got, want) {
			t.Fatalf("%q after %q: parsed %v, want %v", v, p, got, want)
		}
	}
}

func TestTheElementsOfSiblingsAreTheirSortedUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 5000; trial++ {
		var values []string
		var want []int
		for range 1 + rng.IntN(4) {
			var els []int
			for range rng.IntN(8) {
				els = append(els, rng.IntN(50))
			}
			slices.Sort(els)
			els = slices.Compact(els)
			values = append(values, encodeSet(els))
			want = append(want, els...)
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if got := elements(values); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("siblings %q: elements %v, want %v", values, got, want)
		}
	}
	if got := elements([]string{"5,3", "4"}); !slices.Equal(got, []int{3, 4, 5}) {
		t.Fatalf("unsorted siblings %q: elements %v", []string{"5,3", "4"}, got)
	}
}

func TestASpliceAtTheParsedPlaceIsTheScannedSplice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	texts := []string{"", "7", "1,,2", ",3", "4,", "10,200,3000", "1,2,3,4"}
	for trial := 0; trial < 20000; trial++ {
		var els []int
		for range rng.IntN(12) {
			els = append(els, rng.IntN(3)*rng.IntN(100_000))
		}
		slices.Sort(els)
		els = slices.Compact(els)
		set := encodeSet(els)
		if trial%3 == 0 {
			// Not the set's parse, or not a canonical set: the splice
			// must still be the scanned one.
			set = texts[rng.IntN(len(texts))]
		}
		i, e := rng.IntN(len(els)+2), rng.IntN(1_000_000)
		if got, want := insertElementAfter(set, els, i, e), insertElement(set, i, e); got != want {
			t.Fatalf("%d at %d into %q (parse %v): %q, scanned %q", e, i, set, els, got, want)
		}
	}
}

func TestClientsSharingParsedTextsSeeTheElementsOfAFullParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	h := NewHistory(func() time.Duration { return 0 })
	clients := []*clientNode{{h: h, texts: &h.texts}, {h: h, texts: &h.texts}, {h: h, texts: &h.texts}}
	var versions [][]int // the sets written so far, of one key
	for trial := 0; trial < 5000; trial++ {
		next := []int{}
		if len(versions) > 0 {
			next = slices.Clone(versions[rng.IntN(len(versions))])
		}
		if e := rng.IntN(100_000); !slices.Contains(next, e) {
			i, _ := slices.BinarySearch(next, e)
			next = slices.Insert(next, i, e)
		}
		versions = append(versions, next)
		var values []string
		for range 1 + rng.IntN(2) {
			values = append(values, encodeSet(versions[max(0, len(versions)-1-rng.IntN(12))]))
		}
		c := clients[rng.IntN(len(clients))]
		got := c.elements("s0", values)
		if want := elements(values); !slices.Equal(got, want) {
			t.Fatalf("read of %q: %v, a full parse %v", values, got, want)
		}
		if rng.IntN(2) == 0 {
			c.texts.of("s0").add(encodeSet(next), next)
		}
	}
}

func TestDecimalDigitsIsTheLengthOfTheNumberWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	check := func(x int) {
		if got, want := decimalDigits(x), len(strconv.Itoa(x)); got != want {
			t.Fatalf("decimalDigits(%d) = %d, want %d", x, got, want)
		}
	}
	for p := 1; p > 0 && p <= math.MaxInt/10; p *= 10 {
		check(p - 1)
		check(p)
		check(p + 1)
	}
	check(math.MaxInt)
	for range 100000 {
		check(int(rng.Uint64() >> (1 + rng.IntN(63))))
	}
}

func TestClientsSharingDecodedReadsSeeWhatADecodeGives(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	h := NewHistory(func() time.Duration { return 0 })
	clients := []*clientNode{{h: h, texts: &h.texts}, {h: h, texts: &h.texts}}
	var texts []string
	for trial := 0; trial < 3000; trial++ {
		if len(texts) == 0 || rng.IntN(3) == 0 {
			var r Read
			for i := range rng.IntN(4) {
				r.Values = append(r.Values, strconv.Itoa(rng.IntN(1000)))
				r.Dots = append(r.Dots, Dot{Node: int64(i + 1), Counter: uint64(1 + rng.IntN(50))})
			}
			r.Context = EncodeContext(VV{{Node: 1, Counter: uint64(1 + rng.IntN(50))}, {Node: 2, Counter: uint64(1 + rng.IntN(50))}})
			texts = append(texts, EncodeRead(r))
		}
		text := texts[max(0, len(texts)-1-rng.IntN(12))]
		key := []string{"r0", "r1"}[rng.IntN(2)]
		got := clients[rng.IntN(len(clients))].decode(key, client.Outcome{Result: client.Result{Value: text}})
		want, err := DecodeRead(text)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q decoded as %+v, DecodeRead gives %+v", text, got, want)
		}
	}
}
