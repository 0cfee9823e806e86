package checker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Consistency is a consistency model of transactional histories. Those
// checked form a chain: each implies all below it.
type Consistency uint8

const (
	// ConsistencyNone: the history satisfies none of the models below.
	ConsistencyNone Consistency = iota
	// ReadUncommitted (Adya's PL-1): no G0.
	ReadUncommitted
	// ReadCommitted (PL-2): no G0 and no G1 (G1a, G1b, G1c).
	ReadCommitted
	// SnapshotIsolation as far as dependency cycles show it: no G0, no
	// G1, no G-single, no G-nonadjacent and no lost update, for every
	// cycle of a snapshot-isolated history holds two adjacent
	// anti-dependencies (Fekete et al., "Making snapshot isolation
	// serializable", 2005). Histories carry no start and commit
	// timestamps, so the part of PL-SI that needs them (G-SIa) is not
	// checked.
	SnapshotIsolation
	// RepeatableRead (Adya's PL-2.99): no G0, no G1 and no G2-item (a cycle
	// with any anti-dependency). A history of single-key operations has
	// no predicates, so it is repeatable read exactly when it is
	// serializable; it is named so that a check can ask for it.
	RepeatableRead
	// Serializable (PL-3): no dependency cycle at all.
	Serializable
	// StrongSessionSerializable: serializable in an order that also keeps
	// each process's transactions in the order it ran them.
	StrongSessionSerializable
	// StrictSerializable: serializable in an order that also keeps
	// real-time order (a transaction that completed before another was
	// invoked comes first).
	StrictSerializable
)

var consistencyNames = [...]string{
	ConsistencyNone:           "none",
	ReadUncommitted:           "read-uncommitted",
	ReadCommitted:             "read-committed",
	SnapshotIsolation:         "snapshot-isolation",
	RepeatableRead:            "repeatable-read",
	Serializable:              "serializable",
	StrongSessionSerializable: "strong-session-serializable",
	StrictSerializable:        "strict-serializable",
}

func (c Consistency) String() string {
	if int(c) < len(consistencyNames) {
		return consistencyNames[c]
	}
	return fmt.Sprintf("Consistency(%d)", uint8(c))
}

// MarshalText makes models read well in JSON results.
func (c Consistency) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// ParseConsistency reads a model by its String name.
func ParseConsistency(s string) (Consistency, error) {
	for c, name := range consistencyNames {
		if name == s && Consistency(c) != ConsistencyNone {
			return Consistency(c), nil
		}
	}
	return ConsistencyNone, fmt.Errorf("unknown consistency model %q (want %s)", s, strings.Join(consistencyNames[ReadUncommitted:], ", "))
}

// DepKind is a kind of edge in the dependency graph: why one transaction
// must come before another.
type DepKind uint8

const (
	// DepWW: write-write, the second overwrote (or appended after) the
	// first's write.
	DepWW DepKind = 1 << iota
	// DepWR: write-read, the second read the first's write.
	DepWR
	// DepRW: read-write (anti-dependency), the second overwrote (or
	// appended after) the version the first read.
	DepRW
	// DepProcess: both ran on one process, the first before the second.
	DepProcess
	// DepRealtime: the first completed before the second was invoked.
	DepRealtime
)

const depData = DepWW | DepWR | DepRW

func (k DepKind) String() string {
	switch k {
	case DepWW:
		return "ww"
	case DepWR:
		return "wr"
	case DepRW:
		return "rw"
	case DepProcess:
		return "process"
	case DepRealtime:
		return "realtime"
	}
	return fmt.Sprintf("DepKind(%d)", uint8(k))
}

// MarshalText makes dependency kinds read well in JSON results.
func (k DepKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// AnomalyClass is a kind of anomaly, named as Adya and Elle name them.
type AnomalyClass uint8

const (
	// G0 (dirty write): a cycle of write-write dependencies.
	G0 AnomalyClass = iota + 1
	// G1a (aborted read): a committed transaction read a write of one that
	// aborted.
	G1a
	// G1b (intermediate read): a committed transaction read a version that
	// its writer later overwrote in the same transaction.
	G1b
	// G1c (circular information flow): a cycle of write-write and
	// write-read dependencies, with at least one write-read.
	G1c
	// GSingle (read skew): a cycle with exactly one anti-dependency.
	GSingle
	// GNonadjacent: a cycle with two or more anti-dependencies, no two of
	// them adjacent (a long fork). Snapshot isolation forbids it.
	GNonadjacent
	// G2Item (write skew): a cycle with two or more anti-dependencies, two
	// of them adjacent. Snapshot isolation allows it.
	G2Item
	// Internal: a transaction's read disagrees with its own earlier reads
	// and writes of the key.
	Internal
	// DuplicateElements: a read of a list holds an element twice.
	DuplicateElements
	// GarbageRead: a read saw a value that no transaction wrote.
	GarbageRead
	// IncompatibleOrder: two reads of a list where neither is a prefix of
	// the other, so no single order of appends explains both.
	IncompatibleOrder
	// LostUpdate: two committed transactions read the same version of a
	// register and both wrote it. Snapshot isolation forbids it; in a
	// list-append history it shows as a G-single cycle instead.
	LostUpdate
)

var anomalyClassNames = [...]string{
	G0: "G0", G1a: "G1a", G1b: "G1b", G1c: "G1c", GSingle: "G-single", GNonadjacent: "G-nonadjacent", G2Item: "G2-item",
	Internal: "internal", DuplicateElements: "duplicate-elements", GarbageRead: "garbage-read",
	IncompatibleOrder: "incompatible-order", LostUpdate: "lost-update",
}

func (c AnomalyClass) String() string {
	if c >= G0 && int(c) < len(anomalyClassNames) {
		return anomalyClassNames[c]
	}
	return fmt.Sprintf("AnomalyClass(%d)", uint8(c))
}

// MarshalText makes anomaly classes read well in JSON results.
func (c AnomalyClass) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Dependency is one edge of a cycle.
type Dependency struct {
	From, To    TxnID
	Kind        DepKind
	Explanation string // why From must precede To
}

// Anomaly is one anomaly found, with the transactions that form it.
type Anomaly struct {
	Class AnomalyClass
	// Via is DepProcess or DepRealtime for a cycle that needs process or
	// real-time order besides the data dependencies, and 0 otherwise.
	Via DepKind
	// Txns are the transactions involved: for a cycle, in cycle order
	// from the smallest id; otherwise the reader first.
	Txns []TxnID
	// Cycle, for a cycle, holds its edges: Cycle[i] goes from Txns[i] to
	// Txns[i+1], and the last back to Txns[0].
	Cycle []Dependency
	// Key is the key concerned, for anomalies about one key.
	Key string
	// Explanation is a few lines for humans.
	Explanation string
}

// Name is the class, with the order the cycle needs: "G-single",
// "G1c-process", "G2-item-realtime".
func (a Anomaly) Name() string {
	if a.Via != 0 {
		return a.Class.String() + "-" + a.Via.String()
	}
	return a.Class.String()
}

// RulesOut is the weakest model the anomaly rules out; every stronger one
// is ruled out with it.
func (a Anomaly) RulesOut() Consistency {
	switch {
	case a.Via == DepRealtime:
		return StrictSerializable
	case a.Via == DepProcess:
		return StrongSessionSerializable
	}
	switch a.Class {
	case G1a, G1b, G1c:
		return ReadCommitted
	case GSingle, GNonadjacent, LostUpdate:
		return SnapshotIsolation
	case G2Item:
		return RepeatableRead
	}
	// G0, and what no execution of any model can return.
	return ReadUncommitted
}

// TxnOptions tunes CheckListAppend and CheckRWRegister. The zero value
// keeps every anomaly.
type TxnOptions struct {
	// AnomaliesPerClassMax keeps at most this many anomalies of each name
	// in TxnResult.Anomalies (TxnResult.Counts counts them all); 0 keeps
	// all of them.
	AnomaliesPerClassMax int

	_ struct{}
}

// TxnResult is what a transactional check found.
type TxnResult struct {
	Txns       int // transactions in the history
	TxnsOK     int // committed
	TxnsInfo   int // indeterminate
	TxnsFailed int // aborted
	Edges      int // edges of the dependency graph

	// Anomalies found, ordered by class, then Via, then as the history
	// gives them: the same history always gives the same list.
	Anomalies []Anomaly
	// Counts is how many anomalies of each Name were found, including
	// those AnomaliesPerClassMax left out.
	Counts map[string]int

	// Strongest is the strongest model the history satisfies.
	Strongest Consistency
	// Undecided, unless ConsistencyNone, is the model just above
	// Strongest, which the check could neither confirm nor rule out: the
	// search for a G-single or G-nonadjacent cycle ran out of budget on a
	// huge tangle of dependencies, where it found only cycles with
	// adjacent anti-dependencies.
	Undecided Consistency

	Elapsed time.Duration // wall time spent
}

// Verdict says whether the history satisfies model c: Ok, Illegal, or
// Unknown when the check could not tell.
func (r TxnResult) Verdict(c Consistency) Verdict {
	switch {
	case c <= r.Strongest:
		return Ok
	case c == r.Undecided:
		return Unknown
	}
	return Illegal
}

func (r TxnResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d txns (%d ok, %d info, %d failed), %d dependencies: ", r.Txns, r.TxnsOK, r.TxnsInfo, r.TxnsFailed, r.Edges)
	if r.Strongest == ConsistencyNone {
		b.WriteString("satisfies none of the models checked")
	} else {
		fmt.Fprintf(&b, "%v", r.Strongest)
	}
	if r.Undecided != ConsistencyNone {
		fmt.Fprintf(&b, " (%v undecided)", r.Undecided)
	}
	if len(r.Anomalies) == 0 {
		b.WriteString(", no anomalies")
	} else {
		names := make([]string, 0, len(r.Counts))
		for name := range r.Counts {
			names = append(names, name)
		}
		slices.Sort(names)
		for i, name := range names {
			sep := ", "
			if i == 0 {
				sep = "; anomalies: "
			}
			fmt.Fprintf(&b, "%s%s x%d", sep, name, r.Counts[name])
		}
	}
	fmt.Fprintf(&b, "; checked in %v", r.Elapsed.Round(time.Microsecond))
	return b.String()
}

// depEdge is one edge of the dependency graph, between indices into the
// history. key, a, b and initial say why, for the explanation: what they
// hold depends on the model and the kind.
type depEdge struct {
	from, to int32
	kind     DepKind
	initial  bool // rw-register: the read saw the initial nil
	key      int32
	a, b     int
}

// txnAnalysis is what the model-specific part hands to the common one.
type txnAnalysis struct {
	txns      []Txn
	inGraph   []bool // committed, or indeterminate with a write seen
	edges     []depEdge
	anomalies []Anomaly
	// explain says why e holds, for the data dependencies.
	explain func(e depEdge) string
}

// validateTxns checks what both models need: unique ids, processes >= 0,
// completions after calls, and each process running one transaction at a
// time. kinds are the micro-operations the model allows.
func validateTxns(txns []Txn, model string, kinds ...MopKind) error {
	order := make([]int32, len(txns))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Or(cmp.Compare(txns[a].ID, txns[b].ID), cmp.Compare(a, b)) })
	for i := 1; i < len(order); i++ {
		if a, b := order[i-1], order[i]; txns[a].ID == txns[b].ID {
			return fmt.Errorf("checker: transactions %d and %d of the history both have id %d", a, b, txns[a].ID)
		}
	}
	for _, t := range txns {
		if t.Process < 0 {
			return fmt.Errorf("checker: T%d: process %d is negative", t.ID, t.Process)
		}
		if t.Status > TxnFailed {
			return fmt.Errorf("checker: T%d: status %v", t.ID, t.Status)
		}
		if t.Status != TxnInfo && t.Return < t.Call {
			return fmt.Errorf("checker: T%d: return %v is before call %v", t.ID, t.Return, t.Call)
		}
		for j, m := range t.Mops {
			if !slices.Contains(kinds, m.Kind) {
				return fmt.Errorf("checker: T%d, micro-operation %d: %v is not a %s micro-operation", t.ID, j, m.Kind, model)
			}
		}
	}
	sortByProcess(txns, order)
	for i := 1; i < len(order); i++ {
		prev, next := &txns[order[i-1]], &txns[order[i]]
		if prev.Process == next.Process && prev.Status != TxnInfo && next.Call < prev.Return {
			return fmt.Errorf("checker: process %d invoked T%d at %v, before its T%d returned at %v: a process runs one transaction at a time",
				next.Process, next.ID, next.Call, prev.ID, prev.Return)
		}
	}
	return nil
}

// finish adds process and real-time order, finds the cycles, and decides
// the models.
func (an *txnAnalysis) finish(opts TxnOptions, start time.Time) TxnResult {
	txns := an.txns
	var res TxnResult
	res.Txns = len(txns)
	for _, t := range txns {
		switch t.Status {
		case TxnOK:
			res.TxnsOK++
		case TxnInfo:
			res.TxnsInfo++
		case TxnFailed:
			res.TxnsFailed++
		}
	}
	an.edges = orderEdges(txns, an.inGraph, an.edges)
	g := newDepGraph(len(txns), an.edges)
	an.edges = nil
	res.Edges = len(g.edges)

	cs := cycleSearch{g: g, an: an, s: newSearcher(g)}
	undecidedSI := cs.findCycles()

	anomalies := append(an.anomalies, cs.found...)
	slices.SortStableFunc(anomalies, func(a, b Anomaly) int {
		return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.Via, b.Via))
	})
	res.Counts = map[string]int{}
	ruledOut := StrictSerializable + 1
	for _, a := range anomalies {
		name := a.Name()
		res.Counts[name]++
		ruledOut = min(ruledOut, a.RulesOut())
		if opts.AnomaliesPerClassMax == 0 || res.Counts[name] <= opts.AnomaliesPerClassMax {
			res.Anomalies = append(res.Anomalies, a)
		}
	}
	res.Strongest = ruledOut - 1
	if undecidedSI && res.Strongest == SnapshotIsolation {
		// Only a cycle with several anti-dependencies was found where one
		// with a single one may hide.
		res.Strongest, res.Undecided = ReadCommitted, SnapshotIsolation
	}
	res.Elapsed = time.Since(start)
	return res
}

// orderEdges links the transactions in the graph by process order and by
// real-time order. Only committed transactions have a known completion, so
// only they start such edges.
//
// Real-time edges are kept O(n) as Elle keeps them: walking the history in
// time, a frontier holds the completed transactions that no later
// completed one follows. An invocation is linked from the frontier only;
// the rest of what completed before it is reached through the frontier.
func orderEdges(txns []Txn, inGraph []bool, edges []depEdge) []depEdge {
	type event struct {
		at     time.Duration
		invoke bool
		txn    int32
	}
	var events []event
	var nodes []int32
	for i, t := range txns {
		if !inGraph[i] {
			continue
		}
		nodes = append(nodes, int32(i))
		events = append(events, event{t.Call, true, int32(i)})
		if t.Status == TxnOK {
			events = append(events, event{t.Return, false, int32(i)})
		}
	}

	sortByProcess(txns, nodes)
	lastOK := int32(-1)
	for i, v := range nodes {
		if i > 0 && txns[nodes[i-1]].Process != txns[v].Process {
			lastOK = -1
		}
		if lastOK >= 0 {
			edges = append(edges, depEdge{from: lastOK, to: v, kind: DepProcess, key: -1})
		}
		if txns[v].Status == TxnOK {
			lastOK = v
		}
	}

	// At one instant invocations come first: real-time order needs the
	// completion strictly before the invocation.
	slices.SortFunc(events, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		if a.invoke != b.invoke {
			if a.invoke {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.txn, b.txn)
	})
	var frontier []int32
	for _, ev := range events {
		if ev.invoke {
			for _, p := range frontier {
				edges = append(edges, depEdge{from: p, to: ev.txn, kind: DepRealtime, key: -1})
			}
			continue
		}
		// What completed before this transaction was invoked is reached
		// through it from now on. (What of that left the frontier earlier
		// is not in it to drop.)
		call := txns[ev.txn].Call
		frontier = slices.DeleteFunc(frontier, func(p int32) bool { return txns[p].Return < call })
		frontier = append(frontier, ev.txn)
	}
	return edges
}

// depGraph is the dependency graph in compressed rows: the edges of node i
// are edges[start[i]:start[i+1]], ordered by target then kind, one per
// (from, to, kind).
type depGraph struct {
	start []int32
	edges []depEdge
}

func newDepGraph(n int, edges []depEdge) *depGraph {
	// A counting sort by source, then a sort of each node's few edges:
	// several times faster than sorting them all at once.
	start := make([]int32, n+1)
	for _, e := range edges {
		start[e.from+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	sorted := make([]depEdge, len(edges))
	next := slices.Clone(start[:n])
	for _, e := range edges {
		sorted[next[e.from]] = e
		next[e.from]++
	}
	kept := sorted[:0]
	for v := range n {
		out := sorted[start[v]:start[v+1]]
		// Stable: of the same edge found twice, the first found is kept,
		// and edges are found in an order fixed by the history.
		slices.SortStableFunc(out, func(x, y depEdge) int {
			return cmp.Or(cmp.Compare(x.to, y.to), cmp.Compare(x.kind, y.kind))
		})
		start[v] = int32(len(kept))
		for i, e := range out {
			if e.to == e.from || i > 0 && e.to == out[i-1].to && e.kind == out[i-1].kind {
				continue
			}
			kept = append(kept, e)
		}
	}
	start[n] = int32(len(kept))
	return &depGraph{start: start, edges: slices.Clip(kept)}
}

func (g *depGraph) out(v int32) []depEdge { return g.edges[g.start[v]:g.start[v+1]] }

// sccs finds the strongly connected components of the graph restricted
// to edges of the kinds in mask, by Tarjan's algorithm without recursion.
// It returns those of two nodes or more, each sorted, in order of their
// smallest node, and each node's component (-1 for the others).
func (g *depGraph) sccs(mask DepKind) ([][]int32, []int32) {
	n := int32(len(g.start) - 1)
	const unvisited = -1
	index := make([]int32, n)
	low := make([]int32, n)
	comp := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i], comp[i] = unvisited, -1
	}
	type frame struct{ v, next int32 }
	var frames []frame
	var stack []int32
	var comps [][]int32
	counter := int32(0)
	for root := int32(0); root < n; root++ {
		if index[root] != unvisited || g.start[root] == g.start[root+1] {
			continue
		}
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, root)
		onStack[root] = true
		frames = append(frames, frame{root, g.start[root]})
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			v := f.v
			if f.next < g.start[v+1] {
				e := &g.edges[f.next]
				f.next++
				if e.kind&mask == 0 {
					continue
				}
				w := e.to
				if index[w] == unvisited {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					frames = append(frames, frame{w, g.start[w]})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				p := frames[len(frames)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			i := len(stack) - 1
			for stack[i] != v {
				i--
			}
			members := stack[i:]
			for _, w := range members {
				onStack[w] = false
			}
			if len(members) > 1 {
				c := slices.Clone(members)
				slices.Sort(c)
				comps = append(comps, c)
			}
			stack = stack[:i]
		}
	}
	slices.SortFunc(comps, func(a, b []int32) int { return cmp.Compare(a[0], b[0]) })
	for ci, c := range comps {
		for _, v := range c {
			comp[v] = int32(ci)
		}
	}
	return comps, comp
}

// searcher runs breadth-first searches over the graph, reusing its
// arrays. budget bounds the edges a search may look at, where that is
// asked for.
type searcher struct {
	g      *depGraph
	seen   []uint32 // == stamp: reached in the current search
	stamp  uint32
	parent []int32 // the edge a node was reached by
	queue  []int32
	budget int
}

func newSearcher(g *depGraph) *searcher {
	n := len(g.start) - 1
	return &searcher{g: g, seen: make([]uint32, n), parent: make([]int32, n)}
}

func (s *searcher) reset() {
	s.stamp++
	if s.stamp == 0 {
		clear(s.seen)
		s.stamp = 1
	}
}

// reach searches from src over edges of the kinds in mask that stay inside
// component c. With bounded, it stops, returning false, when the budget
// runs out.
func (s *searcher) reach(src int32, mask DepKind, comp []int32, c int32, bounded bool) bool {
	s.reset()
	s.seen[src] = s.stamp
	s.queue = append(s.queue[:0], src)
	for qi := 0; qi < len(s.queue); qi++ {
		v := s.queue[qi]
		lo, hi := s.g.start[v], s.g.start[v+1]
		if bounded {
			if s.budget < int(hi-lo) {
				return false
			}
			s.budget -= int(hi - lo)
		}
		for ei := lo; ei < hi; ei++ {
			e := &s.g.edges[ei]
			if e.kind&mask == 0 || comp[e.to] != c || s.seen[e.to] == s.stamp {
				continue
			}
			s.seen[e.to] = s.stamp
			s.parent[e.to] = ei
			s.queue = append(s.queue, e.to)
		}
	}
	return true
}

func (s *searcher) reached(v int32) bool { return s.seen[v] == s.stamp }

// pathTo is the path the last search found from src to dst, as edge
// indices.
func (s *searcher) pathTo(src, dst int32) []int32 {
	var path []int32
	for v := dst; v != src; {
		ei := s.parent[v]
		path = append(path, ei)
		v = s.g.edges[ei].from
	}
	slices.Reverse(path)
	return path
}

// fewestRW finds a path from src to dst over edges of the kinds in mask
// inside component c, with the fewest anti-dependencies and, among those,
// short: a breadth-first search per number of rw edges taken.
func (s *searcher) fewestRW(src, dst int32, mask DepKind, comp []int32, c int32) []int32 {
	s.reset()
	s.seen[src] = s.stamp
	s.queue = append(s.queue[:0], src)
	var crossings []int32 // rw edges out of the current layer
	for {
		for qi := 0; qi < len(s.queue); qi++ {
			v := s.queue[qi]
			for ei := s.g.start[v]; ei < s.g.start[v+1]; ei++ {
				e := &s.g.edges[ei]
				if e.kind&mask == 0 || comp[e.to] != c || s.seen[e.to] == s.stamp {
					continue
				}
				if e.kind == DepRW {
					crossings = append(crossings, ei)
					continue
				}
				s.seen[e.to] = s.stamp
				s.parent[e.to] = ei
				if e.to == dst {
					return s.pathTo(src, dst)
				}
				s.queue = append(s.queue, e.to)
			}
		}
		s.queue = s.queue[:0]
		for _, ei := range crossings {
			e := &s.g.edges[ei]
			if s.seen[e.to] == s.stamp {
				continue
			}
			s.seen[e.to] = s.stamp
			s.parent[e.to] = ei
			if e.to == dst {
				return s.pathTo(src, dst)
			}
			s.queue = append(s.queue, e.to)
		}
		crossings = crossings[:0]
		if len(s.queue) == 0 {
			return nil
		}
	}
}

// gSingleBudget bounds the edges the search for G-single cycles looks at
// in one check. Only a history whose dependencies tangle into a huge
// cycle gets near it; then the check reports the cycles it did find and
// leaves snapshot isolation undecided rather than take minutes.
var gSingleBudget = 50_000_000 // a variable, so that a test can run it out

type cycleSearch struct {
	g     *depGraph
	an    *txnAnalysis
	s     *searcher
	ps    *pairSearcher // made when a G-nonadjacent search needs it
	found []Anomaly
}

// findCycles reports, as Elle does, per strongly connected component: G0
// in the ww graph, G1c in the ww+wr graph, G-single, or else
// G-nonadjacent, or else G2-item in the full dependency graph; then the
// cycles that need process order, then those that need real-time order.
// It returns whether the G-single or G-nonadjacent search ran out of
// budget.
func (cs *cycleSearch) findCycles() (undecided bool) {
	g, s := cs.g, cs.s
	// Every cycle is one of the whole graph: without one there, as in a
	// correct history, there is nothing to look for.
	if comps, _ := g.sccs(depData | DepProcess | DepRealtime); len(comps) == 0 {
		return false
	}
	comps, comp := g.sccs(DepWW)
	for ci, c := range comps {
		if starts := cs.edgesInside(c, comp, int32(ci), DepWW, 0, cycleStarts); starts != nil {
			cs.cycle(starts, DepWW, comp, int32(ci), len(c), 0)
		}
	}
	wrComps, wrComp := g.sccs(DepWW | DepWR)
	for ci, c := range wrComps {
		if starts := cs.edgesInside(c, wrComp, int32(ci), DepWR, 0, cycleStarts); starts != nil {
			cs.cycle(starts, DepWW|DepWR, wrComp, int32(ci), len(c), 0)
		}
	}
	s.budget = gSingleBudget
	allComps, allComp := g.sccs(depData)
	for ci, c := range allComps {
		single, exhausted := cs.gSingle(c, allComp, int32(ci), wrComp)
		if single != nil {
			cs.record(single, len(c), 0)
			continue
		}
		undecided = undecided || exhausted
		if !exhausted {
			fork, exhausted := cs.gNonadjacent(c, allComp, int32(ci))
			if fork != nil {
				cs.record(fork, len(c), 0)
				continue
			}
			undecided = undecided || exhausted
		}
		if starts := cs.edgesInside(c, allComp, int32(ci), DepRW, 0, cycleStarts); starts != nil {
			cs.cycle(starts, depData, allComp, int32(ci), len(c), 0)
		}
	}
	for _, via := range []DepKind{DepProcess, DepRealtime} {
		mask := depData | DepProcess
		if via == DepRealtime {
			mask |= DepRealtime
		}
		comps, comp := g.sccs(mask)
		for ci, c := range comps {
			// An edge that repeats a stronger one between the same pair
			// adds no cycle: those were reported already.
			if starts := cs.edgesInside(c, comp, int32(ci), via, mask&^via, cycleStarts); starts != nil {
				cs.cycle(starts, mask, comp, int32(ci), len(c), via)
			}
		}
	}
	return undecided
}

// edgesInside lists up to most edges of a kind in want between two nodes
// of component c, in node order, skipping pairs that also have an edge of
// a kind in redundant.
func (cs *cycleSearch) edgesInside(c []int32, comp []int32, ci int32, want, redundant DepKind, most int) []int32 {
	var found []int32
	for _, v := range c {
		out := cs.g.out(v)
		base := cs.g.start[v]
		for i, e := range out {
			if e.kind&want == 0 || comp[e.to] != ci {
				continue
			}
			if redundant != 0 && hasEdge(out, e.to, redundant) {
				continue
			}
			if found = append(found, base+int32(i)); len(found) == most {
				return found
			}
		}
	}
	return found
}

func hasEdge(out []depEdge, to int32, kinds DepKind) bool {
	i, _ := slices.BinarySearchFunc(out, to, func(e depEdge, to int32) int { return cmp.Compare(e.to, to) })
	for ; i < len(out) && out[i].to == to; i++ {
		if out[i].kind&kinds != 0 {
			return true
		}
	}
	return false
}

// cycleStarts is how many first edges the search for a component's cycle
// tries, keeping the cycle with the fewest anti-dependencies, then the
// shortest: a few searches more buy a cycle a person can follow.
const cycleStarts = 8

// cycle records, of the cycles through the edges starts, the one with the
// fewest anti-dependencies, then the shortest.
func (cs *cycleSearch) cycle(starts []int32, mask DepKind, comp []int32, c int32, size int, via DepKind) {
	var best []int32
	bestRW := 0
	for _, ei := range starts {
		e := &cs.g.edges[ei]
		path := cs.s.fewestRW(e.to, e.from, mask, comp, c)
		if path == nil {
			panic(fmt.Sprintf("checker: no path back from %d to %d inside their component", e.to, e.from))
		}
		cycle := append(path, ei)
		rw := 0
		for _, ej := range cycle {
			if cs.g.edges[ej].kind == DepRW {
				rw++
			}
		}
		if best == nil || rw < bestRW || rw == bestRW && len(cycle) < len(best) {
			best, bestRW = cycle, rw
		}
	}
	cs.record(best, size, via)
}

// rwEdge is an anti-dependency u -> v, ei its index in the graph's edges.
type rwEdge struct{ v, u, ei int32 }

// rwEdgesWithin lists the rw edges from the transactions of component c
// (numbered ci in comp) to others of the same component.
func (cs *cycleSearch) rwEdgesWithin(c []int32, comp []int32, ci int32) []rwEdge {
	var rws []rwEdge
	for _, u := range c {
		for i, e := range cs.g.out(u) {
			if e.kind == DepRW && comp[e.to] == ci {
				rws = append(rws, rwEdge{e.to, u, cs.g.start[u] + int32(i)})
			}
		}
	}
	return rws
}

// gSingle looks for a cycle of component c with exactly one
// anti-dependency: an rw edge u -> v and a path back from v to u over ww
// and wr edges. Searches start from each v once, for all its u. It
// returns nil if there is none, or if the budget ran out (exhausted).
func (cs *cycleSearch) gSingle(c []int32, comp []int32, ci int32, wrComp []int32) (cycle []int32, exhausted bool) {
	rws := cs.rwEdgesWithin(c, comp, ci)
	// Within one ww+wr component the path back is certain and short to
	// find.
	for _, r := range rws {
		if wrComp[r.u] >= 0 && wrComp[r.u] == wrComp[r.v] {
			cs.s.reach(r.v, DepWW|DepWR, wrComp, wrComp[r.v], false)
			return append(cs.s.pathTo(r.v, r.u), r.ei), false
		}
	}
	slices.SortFunc(rws, func(a, b rwEdge) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.u, b.u)) })
	for i := 0; i < len(rws); {
		v := rws[i].v
		j := i
		for j < len(rws) && rws[j].v == v {
			j++
		}
		if !cs.s.reach(v, DepWW|DepWR, comp, ci, true) {
			return nil, true
		}
		for _, r := range rws[i:j] {
			if cs.s.reached(r.u) {
				return append(cs.s.pathTo(v, r.u), r.ei), false
			}
		}
		i = j
	}
	return nil, false
}

// gNonadjacent looks for a cycle of component c whose anti-dependencies
// are never adjacent: an rw edge u -> v and a path back from v to u on
// which an rw edge never follows another, and whose last edge is not rw.
// The search runs over states (transaction, whether the edge into it was
// rw), from (v, rw) to (u, not rw); it starts from each v once, for all
// its u, and shares the G-single search's budget. It returns nil if there
// is no such cycle, or if the budget ran out (exhausted).
func (cs *cycleSearch) gNonadjacent(c []int32, comp []int32, ci int32) (cycle []int32, exhausted bool) {
	rws := cs.rwEdgesWithin(c, comp, ci)
	if len(rws) < 2 {
		return nil, false
	}
	slices.SortFunc(rws, func(a, b rwEdge) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.u, b.u)) })
	ps := cs.pairs()
	for i := 0; i < len(rws); {
		v := rws[i].v
		j := i
		for j < len(rws) && rws[j].v == v {
			j++
		}
		if !ps.reach(v, comp, ci, &cs.s.budget) {
			return nil, true
		}
		for _, r := range rws[i:j] {
			if ps.reached(2 * r.u) {
				return append(ps.pathTo(2*v+1, 2*r.u), r.ei), false
			}
		}
		i = j
	}
	return nil, false
}

func (cs *cycleSearch) pairs() *pairSearcher {
	if cs.ps == nil {
		n := 2 * (len(cs.g.start) - 1)
		cs.ps = &pairSearcher{g: cs.g, seen: make([]uint32, n), parent: make([]int32, n), from: make([]int32, n)}
	}
	return cs.ps
}

// pairSearcher runs breadth-first searches over the states of
// gNonadjacent: state 2t+1 is transaction t entered by an rw edge, 2t by
// a ww or wr edge.
type pairSearcher struct {
	g      *depGraph
	seen   []uint32
	stamp  uint32
	parent []int32 // the edge a state was reached by
	from   []int32 // the state it was reached from
	queue  []int32
}

// reach searches from state (v, entered by rw) over ww, wr and rw edges
// inside component c, never taking an rw edge out of a state entered by
// one. It stops, returning false, when budget runs out.
func (p *pairSearcher) reach(v int32, comp []int32, c int32, budget *int) bool {
	if p.stamp++; p.stamp == 0 {
		clear(p.seen)
		p.stamp = 1
	}
	src := 2*v + 1
	p.seen[src] = p.stamp
	p.queue = append(p.queue[:0], src)
	for qi := 0; qi < len(p.queue); qi++ {
		st := p.queue[qi]
		x, afterRW := st/2, st%2 == 1
		lo, hi := p.g.start[x], p.g.start[x+1]
		if *budget < int(hi-lo) {
			return false
		}
		*budget -= int(hi - lo)
		for ei := lo; ei < hi; ei++ {
			e := &p.g.edges[ei]
			if e.kind&depData == 0 || comp[e.to] != c {
				continue
			}
			next := 2 * e.to
			if e.kind == DepRW {
				if afterRW {
					continue
				}
				next++
			}
			if p.seen[next] == p.stamp {
				continue
			}
			p.seen[next] = p.stamp
			p.parent[next], p.from[next] = ei, st
			p.queue = append(p.queue, next)
		}
	}
	return true
}

func (p *pairSearcher) reached(st int32) bool { return p.seen[st] == p.stamp }

// pathTo is the path the last search found from state src to state dst,
// as edge indices.
func (p *pairSearcher) pathTo(src, dst int32) []int32 {
	var path []int32
	for st := dst; st != src; st = p.from[st] {
		path = append(path, p.parent[st])
	}
	slices.Reverse(path)
	return path
}

// record turns a cycle of edge indices into an Anomaly; size is that of
// the strongly connected component it was found in.
func (cs *cycleSearch) record(cycle []int32, size int, via DepKind) {
	// Start from the smallest transaction, so that the same cycle reads
	// the same however it was found.
	first := 0
	for i, ei := range cycle {
		if cs.g.edges[ei].from < cs.g.edges[cycle[first]].from {
			first = i
		}
	}
	cycle = append(cycle[first:], cycle[:first]...)
	txns := cs.an.txns
	var a Anomaly
	a.Via = via
	rw, wr := 0, false
	for _, ei := range cycle {
		e := cs.g.edges[ei]
		switch e.kind {
		case DepRW:
			rw++
		case DepWR:
			wr = true
		}
		from, to := txns[e.from].ID, txns[e.to].ID
		a.Txns = append(a.Txns, from)
		a.Cycle = append(a.Cycle, Dependency{From: from, To: to, Kind: e.kind, Explanation: cs.explain(e)})
	}
	adjacent := false
	for i, ei := range cycle {
		next := cycle[(i+1)%len(cycle)]
		adjacent = adjacent || cs.g.edges[ei].kind == DepRW && cs.g.edges[next].kind == DepRW
	}
	switch {
	case rw == 1:
		a.Class = GSingle
	case rw > 1 && !adjacent:
		a.Class = GNonadjacent
	case rw > 1:
		a.Class = G2Item
	case wr:
		a.Class = G1c
	default:
		a.Class = G0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: a cycle of %d transactions", a.Name(), len(cycle))
	if size > len(cycle) {
		fmt.Fprintf(&b, ", in a knot of %d that all depend on one another", size)
	}
	for _, ei := range cycle {
		t := &txns[cs.g.edges[ei].from]
		fmt.Fprintf(&b, "\n  T%d = %s", t.ID, describeMops(t))
	}
	for _, d := range a.Cycle {
		fmt.Fprintf(&b, "\n  T%d < T%d (%v): %s", d.From, d.To, d.Kind, d.Explanation)
	}
	a.Explanation = b.String()
	cs.found = append(cs.found, a)
}

func (cs *cycleSearch) explain(e depEdge) string {
	txns := cs.an.txns
	from, to := &txns[e.from], &txns[e.to]
	switch e.kind {
	case DepProcess:
		return fmt.Sprintf("T%d ran after T%d on process %d", to.ID, from.ID, from.Process)
	case DepRealtime:
		return fmt.Sprintf("T%d completed at %v, before T%d was invoked at %v", from.ID, from.Return, to.ID, to.Call)
	}
	return cs.an.explain(e)
}

// describeMops shows a transaction's micro-operations, abbreviated.
func describeMops(t *Txn) string {
	const most = 8
	var parts []string
	for i, m := range t.Mops {
		if i == most {
			parts = append(parts, fmt.Sprintf("... (%d more)", len(t.Mops)-most))
			break
		}
		switch {
		case t.Status != TxnOK && m.Kind == MopRead:
			parts = append(parts, fmt.Sprintf("[r %s]", m.Key))
		case m.Kind == MopRead && m.List != nil:
			parts = append(parts, fmt.Sprintf("[r %s %s]", m.Key, showList(m.List)))
		default:
			parts = append(parts, m.String())
		}
	}
	s := strings.Join(parts, " ")
	if t.Status != TxnOK {
		s += " (" + t.Status.String() + ")"
	}
	return s
}

// showList shows a list read, abbreviated in the middle when long.
func showList(l []int) string {
	const ends = 4
	if len(l) <= 2*ends+1 {
		return fmt.Sprint(l)
	}
	head := strings.Trim(fmt.Sprint(l[:ends]), "[]")
	tail := strings.Trim(fmt.Sprint(l[len(l)-ends:]), "[]")
	return fmt.Sprintf("[%s ... %s] (%d elements)", head, tail, len(l))
}

func txnList(ids []TxnID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("T%d", id)
	}
	return strings.Join(parts, ", ")
}
