package kvstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/detsim/detsim/nodes/client"
)

func TestKVSemantics(t *testing.T) {
	kv := New()
	op := func(k client.OpKind, key, value, want string) client.Result {
		return kv.exec(client.Op{Kind: k, Key: key, Value: value, Want: want})
	}
	steps := []struct {
		kind             client.OpKind
		key, value, want string
		res              client.Result
	}{
		{client.OpGet, "a", "", "", client.Result{}},
		{client.OpCAS, "a", "x", "y", client.Result{}},
		{client.OpCAS, "a", "x", "", client.Result{OK: true}}, // absent reads as ""
		{client.OpGet, "a", "", "", client.Result{Value: "x", Found: true}},
		{client.OpAppend, "a", "yz", "", client.Result{Value: "xyz"}},
		{client.OpAppend, "b", "1", "", client.Result{Value: "1"}},
		{client.OpPut, "a", "p", "", client.Result{}},
		{client.OpCAS, "a", "q", "p", client.Result{OK: true}},
		{client.OpDelete, "a", "", "", client.Result{Found: true}},
		{client.OpDelete, "a", "", "", client.Result{}},
		{client.OpGet, "a", "", "", client.Result{}},
		{client.OpGet, "b", "", "", client.Result{Value: "1", Found: true}},
	}
	for i, s := range steps {
		if got := op(s.kind, s.key, s.value, s.want); got != s.res {
			t.Fatalf("step %d %v(%q, %q, want %q) = %+v, want %+v", i, s.kind, s.key, s.value, s.want, got, s.res)
		}
	}
}

func TestSessionsDeduplicate(t *testing.T) {
	kv := New()
	app := func(seq uint64) client.Result {
		return kv.Apply(client.Request{Client: 7, Seq: seq, Op: client.Op{Kind: client.OpAppend, Key: "k", Value: "x"}}, true)
	}
	if r := app(1); r.Value != "x" {
		t.Fatal(r)
	}
	if r := app(1); r.Value != "x" || kv.data["k"] != "x" {
		t.Fatalf("retry applied again: %+v, state %q", r, kv.data["k"])
	}
	if r := app(2); r.Value != "xx" {
		t.Fatal(r)
	}
	if r := app(1); r != (client.Result{}) || kv.data["k"] != "xx" {
		t.Fatalf("stale retry: %+v, state %q", r, kv.data["k"])
	}
	// Without dedup (bug NoSessionDedup) a retry applies twice.
	kv.Apply(client.Request{Client: 7, Seq: 2, Op: client.Op{Kind: client.OpAppend, Key: "k", Value: "x"}}, false)
	if kv.data["k"] != "xxx" {
		t.Fatalf("state %q", kv.data["k"])
	}
}

func TestEncodeRoundTrips(t *testing.T) {
	kv := New()
	kv.exec(client.Op{Kind: client.OpPut, Key: "a", Value: "1"})
	kv.exec(client.Op{Kind: client.OpPut, Key: "b", Value: ""})
	kv.Apply(client.Request{Client: 3, Seq: 9, Op: client.Op{Kind: client.OpCAS, Key: "a", Value: "2", Want: "1"}}, true)
	b := kv.Encode()
	got, err := Decode(b)
	if err != nil || !slices.Equal(got.Encode(), b) || got.sessions[3].res.OK != true {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := Decode(b[:len(b)-1]); err == nil {
		t.Fatal("truncated state decoded")
	}
}

func TestRequestsRoundTrip(t *testing.T) {
	req := client.Request{Client: 7, Seq: 300, Op: client.Op{Kind: client.OpCAS, Key: "k", Value: "new", Want: "old"}}
	b := EncodeRequest(req)
	got, err := DecodeRequest(b)
	if err != nil || got != req {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, err, req)
	}
	for _, bad := range [][]byte{b[:len(b)-1], append(slices.Clone(b), 0), nil} {
		if _, err := DecodeRequest(bad); !errors.Is(err, ErrDecode) {
			t.Fatalf("DecodeRequest(%x) = %v, want ErrDecode", bad, err)
		}
	}
}

// values is a Holder of fixed values.
type values map[string]string

func (v values) Value(k string) (string, bool) { s, ok := v[k]; return s, ok }

func TestSameValuesComparesEveryKeyOfEveryHolder(t *testing.T) {
	keys := []string{"a", "b"}
	cases := []struct {
		holders []Holder
		want    bool
	}{
		{nil, true},
		{[]Holder{values{"a": "1"}}, true},
		{[]Holder{values{"a": "1"}, values{"a": "1", "c": "not a key"}}, true},
		{[]Holder{values{"a": "1"}, values{"a": "1"}, values{"a": "2"}}, false},
		{[]Holder{values{"a": "1"}, values{"a": "1", "b": ""}}, false}, // absent is not empty
		{[]Holder{values{"b": "x"}, values{}}, false},
	}
	for i, c := range cases {
		if got := SameValues(keys, c.holders...); got != c.want {
			t.Errorf("case %d: SameValues = %v, want %v", i, got, c.want)
		}
	}
}
