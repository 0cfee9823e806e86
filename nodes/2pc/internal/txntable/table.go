package txntable

import (
	"cmp"
	"slices"
)

// gapMax is how far past the end of its run an id may fall and still
// grow the run to hold it.
const gapMax = 1 << 12

// Table maps ids (client, seq) to values of type V. The zero Table is
// empty and ready to use. It is not safe for concurrent use.
type Table[V any] struct {
	runs  []*run[V] // in the order they were made
	index map[runKey]*run[V]
	// recent are the last runs looked up, scanned before index: a
	// moment's lookups concern a few clients.
	recent     [4]*run[V]
	recentNext int
	far        map[[2]uint64]V // ids no run holds
	n          int
}

type runKey struct{ client, incarnation uint64 }

// run holds the ids of one client's incarnation, by count.
type run[V any] struct {
	key  runKey
	vals []V
	has  []bool
}

func split(client, seq uint64) (runKey, uint64) {
	return runKey{client, seq >> 32}, seq & (1<<32 - 1)
}

// find returns the run of key, making it if create is set; nil if there is
// none and create is not set.
func (t *Table[V]) find(key runKey, create bool) *run[V] {
	for _, r := range t.recent {
		if r != nil && r.key == key {
			return r
		}
	}
	r := t.index[key]
	if r == nil {
		if !create {
			return nil
		}
		if t.index == nil {
			t.index = map[runKey]*run[V]{}
		}
		r = &run[V]{key: key}
		t.index[key] = r
		t.runs = append(t.runs, r)
	}
	t.recent[t.recentNext] = r
	t.recentNext = (t.recentNext + 1) % len(t.recent)
	return r
}

// Get returns the value of (client, seq), and whether there is one.
func (t *Table[V]) Get(client, seq uint64) (V, bool) {
	key, i := split(client, seq)
	if r := t.find(key, false); r != nil && i < uint64(len(r.vals)) && r.has[i] {
		return r.vals[i], true
	}
	if t.far != nil {
		v, ok := t.far[[2]uint64{client, seq}]
		return v, ok
	}
	var zero V
	return zero, false
}

// Set stores v as the value of (client, seq).
func (t *Table[V]) Set(client, seq uint64, v V) {
	key, i := split(client, seq)
	r := t.find(key, true)
	if i >= uint64(len(r.vals)) {
		if i >= uint64(len(r.vals))+gapMax {
			t.setFar(client, seq, v)
			return
		}
		n := int(i) + 1
		r.vals = slices.Grow(r.vals, n-len(r.vals))[:n]
		r.has = slices.Grow(r.has, n-len(r.has))[:n]
	}
	if t.far != nil {
		// The run may have grown over an id stored apart before.
		if _, ok := t.far[[2]uint64{client, seq}]; ok {
			delete(t.far, [2]uint64{client, seq})
			t.n--
		}
	}
	if !r.has[i] {
		r.has[i] = true
		t.n++
	}
	r.vals[i] = v
}

func (t *Table[V]) setFar(client, seq uint64, v V) {
	if t.far == nil {
		t.far = map[[2]uint64]V{}
	}
	if _, ok := t.far[[2]uint64{client, seq}]; !ok {
		t.n++
	}
	t.far[[2]uint64{client, seq}] = v
}

// Delete removes (client, seq) and its value.
func (t *Table[V]) Delete(client, seq uint64) {
	key, i := split(client, seq)
	if r := t.find(key, false); r != nil && i < uint64(len(r.vals)) && r.has[i] {
		var zero V
		r.has[i], r.vals[i] = false, zero
		t.n--
		return
	}
	if _, ok := t.far[[2]uint64{client, seq}]; ok {
		delete(t.far, [2]uint64{client, seq})
		t.n--
	}
}

// Len is the number of ids stored.
func (t *Table[V]) Len() int { return t.n }

// All visits every id and its value, in the order the package doc
// states, until yield returns false. yield must not change the table.
func (t *Table[V]) All(yield func(client, seq uint64, v V) bool) {
	for _, r := range t.runs {
		for i, ok := range r.has {
			if ok && !yield(r.key.client, r.key.incarnation<<32|uint64(i), r.vals[i]) {
				return
			}
		}
	}
	if len(t.far) == 0 {
		return
	}
	ids := make([][2]uint64, 0, len(t.far))
	for id := range t.far {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b [2]uint64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, id := range ids {
		if !yield(id[0], id[1], t.far[id]) {
			return
		}
	}
}
