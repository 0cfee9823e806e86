package dynamo

import (
	"cmp"
	"math/bits"
	"slices"
	"time"
)

// Dot is one write event: the Counter-th event issued by server Node. A
// server's counter is global over its keys and durable, so a dot is never
// issued twice, not even after a tombstone has been reaped and the key
// forgotten.
type Dot struct {
	Node    int64
	Counter uint64
}

// VV is a version vector: for each server, the highest counter of its dots
// that a version has seen. Entries are sorted by Node and have Counter > 0.
type VV []Entry

// Entry is one server's counter in a VV.
type Entry struct {
	Node    int64
	Counter uint64
}

// Get is v's counter for node (0 when absent).
func (v VV) Get(node int64) uint64 {
	if len(v) <= 8 {
		// A ring's few servers: a scan beats a search.
		for _, e := range v {
			if e.Node >= node {
				if e.Node == node {
					return e.Counter
				}
				return 0
			}
		}
		return 0
	}
	i, ok := slices.BinarySearchFunc(v, node, func(e Entry, n int64) int { return cmp.Compare(e.Node, n) })
	if !ok {
		return 0
	}
	return v[i].Counter
}

// Covers reports whether v has seen dot d.
func (v VV) Covers(d Dot) bool { return v.Get(d.Node) >= d.Counter }

// Descends reports whether v has seen everything o has.
func (v VV) Descends(o VV) bool {
	for _, e := range o {
		if v.Get(e.Node) < e.Counter {
			return false
		}
	}
	return true
}

// Join returns the entrywise maximum of v and o, as a new VV.
func (v VV) Join(o VV) VV { return v.joinInto(make(VV, 0, max(len(v), len(o))), o) }

// joinInto is Join, appended to out.
func (v VV) joinInto(out, o VV) VV {
	i, j := 0, 0
	for i < len(v) || j < len(o) {
		switch {
		case j == len(o) || (i < len(v) && v[i].Node < o[j].Node):
			out = append(out, v[i])
			i++
		case i == len(v) || o[j].Node < v[i].Node:
			out = append(out, o[j])
			j++
		default:
			out = append(out, Entry{v[i].Node, max(v[i].Counter, o[j].Counter)})
			i++
			j++
		}
	}
	return out
}

// with returns v with dot d added.
func (v VV) with(d Dot) VV {
	i, ok := slices.BinarySearchFunc(v, d.Node, func(e Entry, n int64) int { return cmp.Compare(e.Node, n) })
	if ok {
		if v[i].Counter >= d.Counter {
			return v
		}
		out := slices.Clone(v)
		out[i].Counter = d.Counter
		return out
	}
	out := make(VV, 0, len(v)+1)
	out = append(append(append(out, v[:i]...), Entry{d.Node, d.Counter}), v[i:]...)
	return out
}

// pruned is v without all but its keep entries of highest counter (the
// node breaks ties): Bugs.PruneClocks.
func pruned(v VV, keep int) VV {
	if len(v) <= keep {
		return v
	}
	byCounter := slices.Clone(v)
	slices.SortFunc(byCounter, func(a, b Entry) int {
		if c := cmp.Compare(b.Counter, a.Counter); c != 0 {
			return c
		}
		return cmp.Compare(a.Node, b.Node)
	})
	out := byCounter[:keep]
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Node, b.Node) })
	return out
}

// Sibling is one concurrent version of a key: a dotted version vector (its
// dot and the causal past its writer had read) and the value it wrote, or a
// tombstone.
type Sibling struct {
	Dot  Dot
	Past VV
	// Value is the written value; empty for a tombstone.
	Value     string
	Tombstone bool
	// Time is the coordinator's clock at the write: the order of
	// last-write-wins, and the age of a tombstone.
	Time time.Duration
}

// clock is everything the sibling has seen: its past and its own dot.
func (s Sibling) clock() VV { return s.Past.with(s.Dot) }

// Object is the state of one key on one replica: its siblings, sorted by
// dot, none of which has seen another. An Object is immutable once built:
// every change makes a new one, so objects are shared freely between a
// replica's memory, its messages and its observers.
type Object struct {
	Siblings []Sibling
}

// Empty reports whether the object holds no sibling (the key is unknown).
func (o Object) Empty() bool { return len(o.Siblings) == 0 }

// Context is the causal context of the object: the join of every
// sibling's clock. A put that carries it supersedes every sibling here.
func (o Object) Context() VV {
	switch len(o.Siblings) {
	case 0:
		return nil
	case 1:
		return o.Siblings[0].clock()
	}
	// The first clock, then a join and a raise per sibling, as each
	// clock is the past with the dot: built in two scratch buffers on the
	// stack, which take turns as a join's input and output, and copied
	// out once.
	var bufA, bufB [16]Entry
	c, next := append(VV(bufA[:0]), o.Siblings[0].Past...), VV(bufB[:0])
	c = raised(c, o.Siblings[0].Dot)
	for _, s := range o.Siblings[1:] {
		joined := c.joinInto(next[:0], s.Past)
		c, next = raised(joined, s.Dot), c
	}
	return slices.Clone(c)
}

// raised is v after v.raise(d), where v may share its array: what raise
// does through a pointer, which would move a caller's buffer to the heap.
func raised(v VV, d Dot) VV {
	i, ok := slices.BinarySearchFunc(v, d.Node, func(e Entry, n int64) int { return cmp.Compare(e.Node, n) })
	if ok {
		v[i].Counter = max(v[i].Counter, d.Counter)
		return v
	}
	return slices.Insert(v, i, Entry{d.Node, d.Counter})
}

// raise sets v's counter for d.Node to at least d.Counter, in place when
// v has an entry for it.
func (v *VV) raise(d Dot) {
	i, ok := slices.BinarySearchFunc(*v, d.Node, func(e Entry, n int64) int { return cmp.Compare(e.Node, n) })
	if ok {
		(*v)[i].Counter = max((*v)[i].Counter, d.Counter)
		return
	}
	*v = slices.Insert(*v, i, Entry{d.Node, d.Counter})
}

// Covers reports whether o has seen dot d: one of its siblings is d or
// has it in its past.
func (o Object) Covers(d Dot) bool {
	for _, s := range o.Siblings {
		if (s.Dot.Node == d.Node && s.Dot.Counter >= d.Counter) || s.Past.Covers(d) {
			return true
		}
	}
	return false
}

// Descends reports whether o has seen everything p has (o's context
// descends p's), without building either context.
func (o Object) Descends(p Object) bool {
	if o.same(p) {
		return true
	}
	for _, s := range p.Siblings {
		if o.holds(s) {
			continue
		}
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

// holds reports whether o has a sibling with s's dot and s's very past
// (one slice, shared): that sibling has seen s's dot and every entry of
// its past, so o has seen all s has. Objects copy the siblings they keep
// from the object they replace, so this spares most of Descends' searches.
func (o Object) holds(s Sibling) bool {
	for _, y := range o.Siblings {
		if y.Dot == s.Dot && len(y.Past) == len(s.Past) && (len(s.Past) == 0 || &y.Past[0] == &s.Past[0]) {
			return true
		}
	}
	return false
}

// Live are the values of the siblings that are not tombstones, in dot order.
func (o Object) Live() []string {
	var out []string
	for _, s := range o.Siblings {
		if !s.Tombstone {
			out = append(out, s.Value)
		}
	}
	return out
}

// byTime are the live values ordered by their write time, the latest
// last (the dot breaks ties): a client that must show one value shows the
// last.
func (o Object) byTime() ([]string, []Dot) {
	live := o.liveByTime(nil)
	if len(live) == 0 {
		return nil, nil
	}
	out, dots := make([]string, len(live)), make([]Dot, len(live))
	for i, s := range live {
		out[i], dots[i] = s.Value, s.Dot
	}
	return out, dots
}

// liveByTime appends the live siblings to buf in byTime's order.
func (o Object) liveByTime(buf []Sibling) []Sibling {
	live := buf[:0]
	for _, s := range o.Siblings {
		if !s.Tombstone {
			live = append(live, s)
		}
	}
	slices.SortStableFunc(live, func(a, b Sibling) int {
		if lwwAfter(a, b) {
			return 1
		}
		return -1
	})
	return live
}

// Deleted reports whether every sibling is a tombstone (and there is one).
func (o Object) Deleted() bool {
	if len(o.Siblings) == 0 {
		return false
	}
	for _, s := range o.Siblings {
		if !s.Tombstone {
			return false
		}
	}
	return true
}

// Equal reports whether o and p hold the same siblings. Objects are
// immutable and shared, so two copies of one object, the usual case, are
// known equal by their address.
func (o Object) Equal(p Object) bool {
	if o.same(p) {
		return true
	}
	return slices.EqualFunc(o.Siblings, p.Siblings, func(a, b Sibling) bool {
		return a.Dot == b.Dot && a.Value == b.Value && a.Tombstone == b.Tombstone && a.Time == b.Time && slices.Equal(a.Past, b.Past)
	})
}

// same reports whether o and p are one object: the same siblings at the
// same address.
func (o Object) same(p Object) bool {
	return len(o.Siblings) == len(p.Siblings) && (len(o.Siblings) == 0 || &o.Siblings[0] == &p.Siblings[0])
}

// Put returns o after a write of s coordinated here: the siblings that the
// writer's context (s.Past) has seen are superseded; the others stay, as
// concurrent versions.
func (o Object) Put(s Sibling) Object {
	out := Object{Siblings: make([]Sibling, 0, len(o.Siblings)+1)}
	for _, x := range o.Siblings {
		if !s.Past.Covers(x.Dot) {
			out.Siblings = append(out.Siblings, x)
		}
	}
	out.Siblings = append(out.Siblings, s)
	sortSiblings(out.Siblings)
	return out
}

// Merge returns the synchronisation of two replicas' objects: every
// sibling of either that no sibling of the other has seen. A dot names one
// event, so a sibling present in both is kept once.
func (o Object) Merge(p Object) Object {
	switch {
	case len(p.Siblings) == 0 || o.Equal(p):
		return o
	case len(o.Siblings) == 0 && distinctDots(p.Siblings):
		return p
	}
	// The usual merge is of an older version and a newer one, and its
	// result is the newer one's siblings: that object itself is returned,
	// shared, rather than a copy. (Sorted by dot with no dot twice, a list
	// is its own sorted, deduplicated copy.)
	if len(o.Siblings) <= 64 && len(p.Siblings) <= 64 {
		// What each side keeps, decided once for the tests above and for
		// the copy.
		ko, kp := keptMask(o.Siblings, p.Siblings), keptMask(p.Siblings, o.Siblings)
		if kp == fullMask(len(p.Siblings)) && ko == 0 && strictlySorted(p.Siblings) {
			return p
		}
		if ko == fullMask(len(o.Siblings)) && kp == 0 && strictlySorted(o.Siblings) {
			return o
		}
		return mergeKept(o, p, ko, kp)
	}
	if allKept(p.Siblings, o.Siblings) && noneKept(o.Siblings, p.Siblings) && strictlySorted(p.Siblings) {
		return p
	}
	if allKept(o.Siblings, p.Siblings) && noneKept(p.Siblings, o.Siblings) && strictlySorted(o.Siblings) {
		return o
	}
	return mergeCopy(o, p)
}

// keptMask has bit i set when a merge keeps xs[i] against others (kept),
// for at most 64 siblings.
func keptMask(xs, others []Sibling) uint64 {
	var m uint64
	for i, x := range xs {
		if kept(x, others) {
			m |= 1 << i
		}
	}
	return m
}

// fullMask has the low n bits set, n <= 64.
func fullMask(n int) uint64 {
	if n == 64 {
		return ^uint64(0)
	}
	return 1<<n - 1
}

// mergeKept is mergeCopy(o, p), given what each keeps (keptMask).
func mergeKept(o, p Object, ko, kp uint64) Object {
	out := Object{Siblings: make([]Sibling, 0, bits.OnesCount64(ko)+bits.OnesCount64(kp))}
	for i, x := range o.Siblings {
		if ko&(1<<i) != 0 {
			out.Siblings = append(out.Siblings, x)
		}
	}
	for j, y := range p.Siblings {
		if kp&(1<<j) == 0 {
			continue
		}
		if slices.ContainsFunc(out.Siblings, func(x Sibling) bool { return x.Dot == y.Dot }) {
			continue
		}
		out.Siblings = append(out.Siblings, y)
	}
	sortSiblings(out.Siblings)
	return out
}

// mergeCopy is Merge's result as a new object.
func mergeCopy(o, p Object) Object {
	out := Object{Siblings: make([]Sibling, 0, len(o.Siblings)+len(p.Siblings))}
	for _, x := range o.Siblings {
		if kept(x, p.Siblings) {
			out.Siblings = append(out.Siblings, x)
		}
	}
	for _, y := range p.Siblings {
		if !kept(y, o.Siblings) {
			continue
		}
		if slices.ContainsFunc(out.Siblings, func(x Sibling) bool { return x.Dot == y.Dot }) {
			continue
		}
		out.Siblings = append(out.Siblings, y)
	}
	sortSiblings(out.Siblings)
	return out
}

// kept reports whether a merge keeps x against the other replica's
// siblings: none of them has seen it, unless it is x itself.
func kept(x Sibling, others []Sibling) bool {
	for _, y := range others {
		if y.Dot != x.Dot && y.Past.Covers(x.Dot) {
			return false
		}
	}
	return true
}

// allKept reports whether a merge keeps every sibling of xs against
// others; noneKept whether it keeps none.
func allKept(xs, others []Sibling) bool {
	for _, x := range xs {
		if !kept(x, others) {
			return false
		}
	}
	return true
}

func noneKept(xs, others []Sibling) bool {
	for _, x := range xs {
		if kept(x, others) {
			return false
		}
	}
	return true
}

// strictlySorted reports whether the siblings' dots increase, as
// sortSiblings orders them, none twice.
func strictlySorted(s []Sibling) bool {
	for i := 1; i < len(s); i++ {
		a, b := s[i-1].Dot, s[i].Dot
		if a.Node > b.Node || (a.Node == b.Node && a.Counter >= b.Counter) {
			return false
		}
	}
	return true
}

// lwwPut and lwwMerge keep one sibling: the one with the latest time (the
// dot breaks ties). Concurrent writes are not detected; the losers vanish.
func (o Object) lwwMerge(p Object) Object {
	best := Object{}
	for _, s := range append(slices.Clone(o.Siblings), p.Siblings...) {
		if best.Empty() || lwwAfter(s, best.Siblings[0]) {
			best = Object{Siblings: []Sibling{s}}
		}
	}
	return best
}

func lwwAfter(a, b Sibling) bool {
	if a.Time != b.Time {
		return a.Time > b.Time
	}
	if a.Dot.Node != b.Dot.Node {
		return a.Dot.Node > b.Dot.Node
	}
	return a.Dot.Counter > b.Dot.Counter
}

// distinctDots reports whether no two of the sorted siblings s share a
// dot, which only Bugs.ClientClocks breaks.
func distinctDots(s []Sibling) bool {
	for i := 1; i < len(s); i++ {
		if s[i].Dot == s[i-1].Dot {
			return false
		}
	}
	return true
}

func sortSiblings(s []Sibling) {
	slices.SortFunc(s, func(a, b Sibling) int {
		if c := cmp.Compare(a.Dot.Node, b.Dot.Node); c != 0 {
			return c
		}
		return cmp.Compare(a.Dot.Counter, b.Dot.Counter)
	})
}

// clone returns a deep copy of o, for a value that must share nothing.
func (o Object) clone() Object {
	out := Object{Siblings: slices.Clone(o.Siblings)}
	for i := range out.Siblings {
		out.Siblings[i].Past = slices.Clone(out.Siblings[i].Past)
	}
	return out
}
