package checker

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// genOp is one operation of a generated key-value history.
type genOp struct {
	client  int
	in      KVInput
	out     KVOutput
	call    time.Duration
	ret     time.Duration
	pending bool
}

// genKV simulates a linearizable key-value store under concurrent clients:
// each operation takes effect at an instant inside its interval, in that
// order, against a map. A pending operation takes effect or not, at random,
// and its client gives up on it after a timeout. The store is written
// independently of KVModel, so that a shared bug cannot hide itself.
//
// Values are unique per key (puts write "v<n>", appends add "a<n>;"), which
// MeasureStaleness relies on.
func genKV(seed uint64, n, keys, clients int, pendingRatio float64) []genOp {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	store := map[string]string{}
	type inflight struct {
		op     genOp
		lin    time.Duration
		effect bool
	}
	counter := 0
	us := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo)) * time.Microsecond }
	start := func(c int, at time.Duration) inflight {
		counter++
		key := fmt.Sprintf("k%03d", rng.IntN(keys))
		var in KVInput
		switch r := rng.IntN(100); {
		case r < 45:
			in = KVInput{Kind: KVGet, Key: key}
		case r < 65:
			in = KVInput{Kind: KVPut, Key: key, Value: fmt.Sprintf("v%d", counter)}
		case r < 75:
			in = KVInput{Kind: KVAppend, Key: key, Value: fmt.Sprintf("a%d;", counter)}
		case r < 82:
			in = KVInput{Kind: KVDelete, Key: key}
		default:
			want := store[key]
			if rng.IntN(3) == 0 {
				want = fmt.Sprintf("v%d", 1+rng.IntN(counter))
			}
			in = KVInput{Kind: KVCAS, Key: key, Want: want, Value: fmt.Sprintf("v%d", counter)}
		}
		f := inflight{op: genOp{client: c, in: in, call: at}}
		f.lin = at + us(50, 2000)
		f.op.ret = f.lin + us(50, 2000)
		if rng.Float64() < pendingRatio {
			f.op.pending = true
			f.effect = rng.IntN(2) == 0
		}
		return f
	}
	cur := make([]inflight, clients)
	for c := range cur {
		cur[c] = start(c, us(0, 1000))
	}
	ops := make([]genOp, 0, n)
	for len(ops) < n {
		// The earliest linearization point goes next; every other client's
		// is later, and this client's next one is later still.
		c := 0
		for i := range cur {
			if cur[i].lin < cur[c].lin {
				c = i
			}
		}
		f := cur[c]
		if !f.op.pending || f.effect {
			f.op.out = applyStore(store, f.op.in)
		}
		ops = append(ops, f.op)
		end := f.op.ret
		if f.op.pending {
			end = f.op.call + 5*time.Millisecond
		}
		cur[c] = start(c, end+us(0, 500))
	}
	return ops
}

func applyStore(store map[string]string, in KVInput) KVOutput {
	old, found := store[in.Key]
	switch in.Kind {
	case KVGet:
		return KVOutput{Value: old, Found: found}
	case KVPut:
		store[in.Key] = in.Value
	case KVAppend:
		store[in.Key] = old + in.Value
		return KVOutput{Value: old + in.Value}
	case KVDelete:
		delete(store, in.Key)
		return KVOutput{Found: found}
	case KVCAS:
		if old == in.Want {
			store[in.Key] = in.Value
			return KVOutput{OK: true}
		}
	}
	return KVOutput{}
}

func buildKV(ops []genOp) *History[KVInput, KVOutput] {
	h := &History[KVInput, KVOutput]{}
	for _, op := range ops {
		id := h.Invoke(op.client, op.in, op.call)
		if !op.pending {
			h.Complete(id, op.out, op.ret)
		}
	}
	return h
}
