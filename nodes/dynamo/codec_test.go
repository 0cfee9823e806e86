package dynamo

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// strconvEntry is how scanContext reads an entry without its fast path.
func strconvEntry(part string) (Entry, bool) {
	node, counter, found := strings.Cut(part, ":")
	n, err1 := strconv.ParseInt(node, 10, 64)
	c, err2 := strconv.ParseUint(counter, 10, 64)
	return Entry{Node: n, Counter: c}, found && err1 == nil && err2 == nil
}

// TestPlainEntriesParseAsStrconvReadsThem holds the fast path to
// strconv: what it takes, strconv takes with the same value, on edge
// cases and on random entries over a small alphabet.
func TestPlainEntriesParseAsStrconvReadsThem(t *testing.T) {
	parts := []string{"", ":", "1:", ":1", "-:1", "-1:1", "+1:1", "1:+1", "1:-1", "01:002", "-0:7",
		"999999999999999999:1", "9999999999999999999:1", "-9223372036854775808:1", "9223372036854775807:1",
		"1:18446744073709551615", "1:18446744073709551616", "1:9999999999999999999", "1:99999999999999999999",
		"1:2:3", "1 :2", "1:2 ", "a:1", "1:a", "1099511627777:42"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789-+:a"
	for range 20000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		parts = append(parts, string(b))
	}
	taken := 0
	for _, p := range parts {
		fast, ok := parsePlainEntry(p)
		want, wantOK := strconvEntry(p)
		if ok && (!wantOK || fast != want) {
			t.Fatalf("%q: fast path read %+v, strconv %+v (ok %v)", p, fast, want, wantOK)
		}
		if ok {
			taken++
		}
	}
	if taken < 100 {
		t.Fatalf("the fast path took only %d entries", taken)
	}
}

func TestContextsRoundTripAndBadOnesAreNamed(t *testing.T) {
	v := VV{{-3, 1}, {0, 9}, {7, 18446744073709551615}, {1 << 40, 12}}
	got, err := DecodeContext(EncodeContext(v))
	if err != nil || !slices.Equal(got, v) {
		t.Fatalf("round trip of %v: %v, %v", v, got, err)
	}
	for _, bad := range []string{"1:0", "2:1,1:1", "1:1,1:2", "1:1,", "x", "1:1,,2:1", "+1:1,1:1"} {
		if _, err := DecodeContext(bad); err == nil || !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("%q: %v, want an error that quotes it", bad, err)
		}
	}
}

func TestAReadDecodesAlikeIntoLentSlices(t *testing.T) {
	reads := []Read{
		{Context: "1:2"},
		{Context: "1:2,3:4", Values: []string{"1,2,3"}, Dots: []Dot{{3, 4}}},
		{Context: "1:2", Values: []string{"a|b", "", "c"}, Dots: []Dot{{1, 1}, {1, 2}, {2, 1}}},
		{Context: "1:9", Values: []string{"a", "b", "c", "d", "e", "f"}, Dots: []Dot{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}}},
	}
	var values [4]string
	var dots [4]Dot
	for _, r := range reads {
		text := EncodeRead(r)
		want, err := DecodeRead(text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRead(text, values[:0], dots[:0])
		if err != nil || !cmp.Equal(got, want) || !cmp.Equal(want, r, cmpopts.EquateEmpty()) {
			t.Errorf("%q: lent %+v (%v), fresh %+v, want %+v", text, got, err, want, r)
		}
	}
}
