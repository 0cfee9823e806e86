package sim

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// twoImages is the disk as its contract describes it: what the node sees,
// what would survive a crash, and the writes between them in order. The
// disk keeps undo records instead of the second image; with the same
// random draws, the two must be indistinguishable.
type twoImages struct {
	cur, durable map[string]diskValue
	pending      []undoWrite
	faults       StorageFaults
	rng          *rand.Rand
}

func (d *twoImages) apply(img map[string]diskValue, wr undoWrite, torn bool) {
	if wr.del {
		delete(img, wr.key)
		return
	}
	v := diskValue{b: wr.value}
	if torn {
		v = diskValue{b: wr.value[:len(wr.value)/2], corrupt: true}
	}
	img[wr.key] = v
}

func (d *twoImages) write(key string, value []byte, del bool) {
	wr := undoWrite{key: key, value: value, del: del}
	d.pending = append(d.pending, wr)
	d.apply(d.cur, wr, false)
}

func (d *twoImages) sync() {
	if len(d.pending) == 0 {
		return
	}
	if d.faults.LyingSyncRatio > 0 && d.rng.Float64() < d.faults.LyingSyncRatio {
		return
	}
	for _, wr := range d.pending {
		d.apply(d.durable, wr, false)
	}
	d.pending = d.pending[:0]
}

func (d *twoImages) crash() {
	kept := 0
	if len(d.pending) > 0 && d.faults.FlushedPrefixRatio > 0 && d.rng.Float64() < d.faults.FlushedPrefixRatio {
		kept = d.rng.IntN(len(d.pending) + 1)
	}
	for _, wr := range d.pending[:kept] {
		d.apply(d.durable, wr, false)
	}
	if kept < len(d.pending) && d.faults.TornWriteRatio > 0 && d.rng.Float64() < d.faults.TornWriteRatio {
		first := d.pending[kept]
		d.apply(d.durable, first, !first.del)
	}
	d.pending = d.pending[:0]
	clear(d.cur)
	for k, v := range d.durable {
		d.cur[k] = v
	}
}

func (d *twoImages) get(key string) ([]byte, error) {
	val, ok := d.cur[key]
	if !ok {
		return nil, ErrNotFound
	}
	if !val.corrupt && d.faults.CorruptReadRatio > 0 && d.rng.Float64() < d.faults.CorruptReadRatio {
		val.corrupt = true
		d.cur[key] = val
		if dv, ok := d.durable[key]; ok {
			dv.corrupt = true
			d.durable[key] = dv
		}
	}
	if val.corrupt {
		return nil, fmt.Errorf("key %q: %w", key, ErrCorrupt)
	}
	return slices.Clone(val.b), nil
}

// describe is what a reader can tell of an image: every key, its value,
// and whether it reads as corrupt.
func describe(img map[string]diskValue) string {
	keys := make([]string, 0, len(img))
	for k := range img {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q/%v ", k, img[k].b, img[k].corrupt)
	}
	return b.String()
}

// TestUndoRecordsBehaveAsTwoImages drives the disk and the two-image model
// with the same random writes, deletes, syncs, reads and crashes, every
// storage fault on, and compares every read and what each holds after
// every step.
func TestUndoRecordsBehaveAsTwoImages(t *testing.T) {
	for _, faults := range []StorageFaults{
		{TornWriteRatio: 0.5, LyingSyncRatio: 0.3, CorruptReadRatio: 0.2},
		{TornWriteRatio: 0.5, LyingSyncRatio: 0.3, CorruptReadRatio: 0.2, FlushedPrefixRatio: 0.6},
	} {
		undoRecordsBehaveAsTwoImages(t, faults)
	}
}

func undoRecordsBehaveAsTwoImages(t *testing.T, faults StorageFaults) {
	w, err := NewWorld(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 300; seed++ {
		d := newDisk(rand.New(rand.NewPCG(seed, 1)))
		d.faults = faults
		ref := &twoImages{cur: map[string]diskValue{}, durable: map[string]diskValue{}, faults: faults, rng: rand.New(rand.NewPCG(seed, 1))}
		ops := rand.New(rand.NewPCG(seed, 2))
		var trail []string
		for step := 0; step < 200; step++ {
			key := string(rune('a' + ops.IntN(4)))
			var op string
			switch r := ops.IntN(100); {
			case r < 35:
				v := []byte(fmt.Sprintf("v%d", step))
				op = "set " + key + " " + string(v)
				d.write(key, v, false)
				ref.write(key, v, false)
			case r < 45:
				op = "delete " + key
				d.write(key, nil, true)
				ref.write(key, nil, true)
			case r < 65:
				op = "sync"
				d.sync(w, 0)
				ref.sync()
			case r < 90:
				op = "get " + key
				got, gotErr := d.get(w, 0, key)
				want, wantErr := ref.get(key)
				if string(got) != string(want) || errors.Is(gotErr, ErrCorrupt) != errors.Is(wantErr, ErrCorrupt) || errors.Is(gotErr, ErrNotFound) != errors.Is(wantErr, ErrNotFound) {
					t.Fatalf("seed %d step %d: get %s = %q, %v; the two images give %q, %v\n%s", seed, step, key, got, gotErr, want, wantErr, strings.Join(trail, "\n"))
				}
			default:
				op = "crash"
				d.crash(w, 0)
				ref.crash()
			}
			trail = append(trail, op)
			if got, want := describe(maps.Collect(d.cur.all())), describe(ref.cur); got != want {
				t.Fatalf("seed %d step %d (%s): the disk holds %s; the two images give %s\n%s", seed, step, op, got, want, strings.Join(trail, "\n"))
			}
		}
	}
}
