package twopc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// memStorage is the little of sim.Storage that the record writers use.
type memStorage struct {
	sim.Storage
	set map[string][]byte
}

func (m *memStorage) Set(key string, b []byte) { m.set[key] = bytes.Clone(b) } // as sim.Storage copies

// TestRecordsAreWhatJSONMarshalWrites writes random PREPARED records and
// decisions, with keys json.Marshal writes as they are and keys it
// escapes, nil and empty lists, and compares the bytes with
// json.Marshal's: the records on disk are the same as before they were
// encoded by hand, so every run is too.
func TestRecordsAreWhatJSONMarshalWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 17))
	keys := []string{"k1", "acct-7", "x y", `q"uote`, `back\slash`, "<tag>", "a&b", "tab\t", "é", "\u2028", "\x7f", ""}
	ints := func() []int {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []int{}
		}
		v := make([]int, 1+rng.IntN(4))
		for i := range v {
			v[i] = rng.IntN(2000) - 1000
		}
		return v
	}
	st := &memStorage{set: map[string][]byte{}}
	// One scratch for both kinds of record, as a node keeps it: each
	// encoding must overwrite whatever the last one left.
	var scratch []byte
	fellBack := 0
	for i := 0; i < 2000; i++ {
		rec := prepRecord{
			Txn:          TxnID{Client: rng.Uint64(), Seq: rng.Uint64N(1000)},
			Priority:     Priority{Start: time.Duration(rng.Int64()) - time.Duration(rng.Int64()), Client: rng.Uint64()},
			Participants: ints(),
			Client:       sim.HostID(rng.IntN(20) - 1),
		}
		if rng.IntN(4) > 0 {
			rec.Writes = []Op{}
			for range rng.IntN(4) {
				rec.Writes = append(rec.Writes, Op{Kind: OpKind(rng.IntN(4)), Key: keys[rng.IntN(len(keys))], Value: rng.IntN(1<<20) - 1<<19})
			}
		}
		if rng.IntN(4) > 0 {
			rec.Locks = []lockReq{}
			for range rng.IntN(4) {
				rec.Locks = append(rec.Locks, lockReq{Key: keys[rng.IntN(len(keys))], Exclusive: rng.IntN(2) == 0})
			}
		}
		want, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := appendPrepRecord(nil, &rec); !ok {
			fellBack++
		}
		putPrepared(st, "p", &rec, &scratch)
		if got := st.set["p"]; !bytes.Equal(got, want) {
			t.Fatalf("PREPARED record %+v:\nwritten %s\njson    %s", rec, got, want)
		}

		dec := coordRecord{Commit: rng.IntN(2) == 0, Participants: ints(), Client: sim.HostID(rng.IntN(20) - 1)}
		if want, err = json.Marshal(dec); err != nil {
			t.Fatal(err)
		}
		putDecision(st, "d", &dec, &scratch)
		if got := st.set["d"]; !bytes.Equal(got, want) {
			t.Fatalf("decision %+v:\nwritten %s\njson    %s", dec, got, want)
		}
	}
	if fellBack == 0 || fellBack > 1500 {
		t.Fatalf("%d of 2000 records fell back to json.Marshal: the test does not cover both paths", fellBack)
	}
}

func TestTxnKeysSortByNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 1000; i++ {
		id := TxnID{Client: rng.Uint64() >> rng.UintN(64), Seq: rng.Uint64() >> rng.UintN(64)}
		prefix := []string{prefixPrep, prefixCoord, "2pc/acc/12/", ""}[i%4]
		want := fmt.Sprintf("%s%020d.%020d", prefix, id.Client, id.Seq)
		if got := txnKey(prefix, id); got != want {
			t.Fatalf("txnKey(%q, %+v) = %q, want %q", prefix, id, got, want)
		}
		other := []string{prefixDone, prefixEnd, ""}[i%3]
		wantOther := fmt.Sprintf("%s%020d.%020d", other, id.Client, id.Seq)
		if a, b := txnKeys(prefix, other, id); a != want || b != wantOther {
			t.Fatalf("txnKeys(%q, %q, %+v) = %q, %q, want %q, %q", prefix, other, id, a, b, want, wantOther)
		}
	}
}

// TestDecisionsReadAsJSONUnmarshalReadsThem reads random decisions, as
// putDecision writes them and then with bytes changed, cut or inserted,
// by hand and by json.Unmarshal: whatever the hand-written reader
// accepts, json.Unmarshal reads the same, and
// it accepts every record putDecision writes.
func TestDecisionsReadAsJSONUnmarshalReadsThem(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	var scratch []byte
	st := &memStorage{set: map[string][]byte{}}
	accepted, mutatedAccepted := 0, 0
	for i := 0; i < 20000; i++ {
		dec := coordRecord{Commit: rng.IntN(2) == 0, Client: sim.HostID(rng.IntN(40) - 1)}
		switch rng.IntN(4) {
		case 0:
		case 1:
			dec.Participants = []int{}
		default:
			for range 1 + rng.IntN(5) {
				dec.Participants = append(dec.Participants, rng.IntN(30)-3)
			}
		}
		if rng.IntN(50) == 0 {
			dec.Client = sim.HostID(rng.Int32())
		}
		putDecision(st, "d", &dec, &scratch)
		b := st.set["d"]
		mutated := i%2 == 1
		if mutated {
			b = mutate(rng, b)
		}
		var fast, slow coordRecord
		ok := parseDecision(b, &fast)
		err := json.Unmarshal(b, &slow)
		switch {
		case !mutated && !ok:
			t.Fatalf("putDecision wrote %s, which the reader refuses", b)
		case ok && err != nil:
			t.Fatalf("%s: read by hand as %+v, json.Unmarshal: %v", b, fast, err)
		case ok && !reflect.DeepEqual(fast, slow):
			t.Fatalf("%s: read by hand as %#v, by json.Unmarshal as %#v", b, fast, slow)
		case ok:
			accepted++
			if mutated {
				mutatedAccepted++
			}
		}
	}
	if accepted < 10000 || mutatedAccepted == 0 {
		t.Fatalf("%d records read by hand, %d of them changed: the test does not cover the reader", accepted, mutatedAccepted)
	}
}

// mutate changes, removes or inserts a byte of a copy of b, or cuts it
// short, favouring the bytes JSON is made of.
func mutate(rng *rand.Rand, b []byte) []byte {
	b = bytes.Clone(b)
	const alphabet = `0123456789-,[]{}":nultrefacoimpsx `
	c := alphabet[rng.IntN(len(alphabet))]
	i := rng.IntN(len(b))
	switch rng.IntN(4) {
	case 0:
		b[i] = c
	case 1:
		b = append(b[:i], b[i+1:]...)
	case 2:
		b = append(b[:i], append([]byte{c}, b[i:]...)...)
	default:
		b = b[:i]
	}
	return b
}

// TestCommittedRecordsAreTheListsEncoded commits random writes (appends
// mostly, register writes and adds, over keys with and without an opening
// value), with restarts that read the data back as Start does, and holds
// every record written to appendEncodedList of the value the old
// applyWrites computed: apply on the committed value.
func TestCommittedRecordsAreTheListsEncoded(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 23))
	keys := []string{"k0", "k1", "k2", "a0"}
	st := &memStorage{set: map[string][]byte{}}
	p := &Participant{st: st, data: map[string]*committed{}, cfg: Config{Initial: map[string]int{"a0": 100}}}
	want := map[string][]int{}
	value := func(k string) []int {
		if v, ok := want[k]; ok {
			return v
		}
		if v, ok := p.cfg.Initial[k]; ok {
			return []int{v}
		}
		return nil
	}
	for i := 0; i < 3000; i++ {
		if rng.IntN(200) == 0 {
			p.data = map[string]*committed{}
			for k, b := range st.set {
				v, err := decodeList(b)
				if err != nil {
					t.Fatal(err)
				}
				p.data[k[len(prefixData):]] = &committed{value: v, storeKey: k}
			}
		}
		var writes []Op
		for range 1 + rng.IntN(3) {
			op := Op{Kind: OpAppend, Key: keys[rng.IntN(len(keys))], Value: rng.IntN(1<<40) - 1<<39}
			switch rng.IntN(10) {
			case 0:
				op.Kind = OpWrite
			case 1:
				op.Kind, op.Value = OpAdd, rng.IntN(200)-100
			}
			writes = append(writes, op)
			want[op.Key] = apply(value(op.Key), op)
		}
		p.applyWrites(TxnID{}, writes)
		for _, op := range writes {
			k := prefixData + op.Key
			if got, w := st.set[k], appendEncodedList(nil, want[op.Key]); !bytes.Equal(got, w) {
				t.Fatalf("write %d, %+v: record %x, want %x (%v)", i, op, got, w, want[op.Key])
			}
			if !slices.Equal(p.value(op.Key), want[op.Key]) {
				t.Fatalf("write %d, %+v: value %v, want %v", i, op, p.value(op.Key), want[op.Key])
			}
		}
	}
}
