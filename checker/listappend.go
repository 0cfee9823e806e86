package checker

import (
	"fmt"
	"slices"
	"time"
)

// CheckListAppend checks a history of transactions over lists (Elle's
// list-append): micro-operations append a value to a key's list, or read
// the whole list. Each value must be appended to a key at most once, by
// one transaction; reads of ok transactions carry their lists.
//
// The version order of each key is its longest read, as the lists are
// themselves the history of the key. The error is for a history that
// cannot be checked: a micro-operation other than append or r, a value
// appended twice, a process running two transactions at once.
func CheckListAppend(txns []Txn, opts TxnOptions) (TxnResult, error) {
	start := time.Now()
	if err := validateTxns(txns, "list-append", MopAppend, MopRead); err != nil {
		return TxnResult{}, err
	}
	// Sized for every append at once: grown one insert at a time, the
	// map rehashed itself at every doubling.
	appends := 0
	for i := range txns {
		for _, m := range txns[i].Mops {
			if m.Kind == MopAppend {
				appends++
			}
		}
	}
	la := &listAppend{txns: txns, keyIndex: map[string]int32{}, appender: make(map[listElem]int32, appends), appends: make([]listAppendRef, 0, appends)}
	la.an = txnAnalysis{txns: txns, inGraph: make([]bool, len(txns)), explain: la.explain}
	if err := la.index(); err != nil {
		return TxnResult{}, err
	}
	la.internal()
	la.versions()
	la.readAnomalies()
	la.dependencies()
	la.unreadAppends()
	return la.an.finish(opts, start), nil
}

type listElem struct {
	key int32
	val int
}

// listAppendRef is one append, and its place among its transaction's
// appends to the key.
type listAppendRef struct {
	txn, mop int32
	key      int32
	val      int
	ordinal  int32 // how many appends to the key the transaction made before
	final    bool
}

// listRead is a read of a committed transaction.
type listRead struct {
	txn, mop int32
	key      int32
}

type listAppend struct {
	txns     []Txn
	keys     []string
	keyIndex map[string]int32
	appends  []listAppendRef
	appender map[listElem]int32 // into appends
	reads    []listRead         // in history order
	excluded []bool             // by read: not consistent enough to order versions by
	tangled  []bool             // by key: some read of it was excluded
	order    []keyOrder         // by key
	an       txnAnalysis
}

func (la *listAppend) key(k string) int32 {
	if i, ok := la.keyIndex[k]; ok {
		return i
	}
	i := int32(len(la.keys))
	la.keys = append(la.keys, k)
	la.keyIndex[k] = i
	return i
}

func (la *listAppend) index() error {
	var txnAppends []int32 // the current transaction's appends, into appends
	for ti := range la.txns {
		t := &la.txns[ti]
		if t.Status == TxnOK {
			la.an.inGraph[ti] = true
		}
		txnAppends = txnAppends[:0]
		for mi, m := range t.Mops {
			k := la.key(m.Key)
			switch m.Kind {
			case MopAppend:
				e := listElem{k, m.Value}
				if prev, dup := la.appender[e]; dup {
					who := fmt.Sprintf("T%d and T%d both append", la.txns[la.appends[prev].txn].ID, t.ID)
					if la.appends[prev].txn == int32(ti) {
						who = fmt.Sprintf("T%d appends", t.ID)
					}
					return fmt.Errorf("checker: %s %d to %q: list-append needs each value appended to a key once", who, m.Value, m.Key)
				}
				la.appender[e] = int32(len(la.appends))
				txnAppends = append(txnAppends, int32(len(la.appends)))
				la.appends = append(la.appends, listAppendRef{txn: int32(ti), mop: int32(mi), key: k, val: m.Value})
			case MopRead:
				if t.Status != TxnOK {
					continue
				}
				if m.Found {
					return fmt.Errorf("checker: T%d, micro-operation %d: a read of %q returned the integer %d; list-append reads return lists",
						t.ID, mi, m.Key, m.Value)
				}
				la.reads = append(la.reads, listRead{int32(ti), int32(mi), k})
			}
		}
		// Each append's rank among the transaction's appends to its key,
		// and which is the last.
		for i, ai := range txnAppends {
			a := &la.appends[ai]
			a.final = true
			for _, bi := range txnAppends[:i] {
				if b := &la.appends[bi]; b.key == a.key {
					a.ordinal++
					b.final = false
				}
			}
		}
	}
	la.excluded = make([]bool, len(la.reads))
	la.order = make([]keyOrder, len(la.keys))
	la.tangled = make([]bool, len(la.keys))
	return nil
}

func (la *listAppend) list(r listRead) []int { return la.txns[r.txn].Mops[r.mop].List }

func (la *listAppend) anomaly(a Anomaly) { la.an.anomalies = append(la.an.anomalies, a) }

// internal checks each committed transaction's reads against its own
// earlier reads and appends of the same key.
func (la *listAppend) internal() {
	type state struct {
		key      string
		known    bool  // list is the whole list
		list     []int // when known; else the transaction's own appends since its start
		appended bool  // since the last read
	}
	var states []state
	for ti := range la.txns {
		t := &la.txns[ti]
		if t.Status != TxnOK {
			continue
		}
		states = states[:0]
		for mi, m := range t.Mops {
			if m.Kind == MopRead {
				la.futureRead(t, mi)
			}
			i := slices.IndexFunc(states, func(s state) bool { return s.key == m.Key })
			if i < 0 {
				states = append(states, state{key: m.Key})
				i = len(states) - 1
			}
			s := &states[i]
			if m.Kind == MopAppend {
				s.list = append(slices.Clip(s.list), m.Value)
				s.appended = true
				continue
			}
			switch {
			case s.known && !slices.Equal(m.List, s.list):
				had := "its own appends had made it"
				if !s.appended {
					had = "it had read"
				}
				la.anomaly(Anomaly{Class: Internal, Txns: []TxnID{t.ID}, Key: m.Key, Explanation: fmt.Sprintf(
					"internal: T%d read %q = %s, but %s %s", t.ID, m.Key, showList(m.List), had, showList(s.list))})
			case !s.known && len(s.list) > 0 && (len(m.List) < len(s.list) || !slices.Equal(m.List[len(m.List)-len(s.list):], s.list)):
				la.anomaly(Anomaly{Class: Internal, Txns: []TxnID{t.ID}, Key: m.Key, Explanation: fmt.Sprintf(
					"internal: T%d read %q = %s, after appending %s to it itself", t.ID, m.Key, showList(m.List), showList(s.list))})
			}
			s.known, s.list, s.appended = true, m.List, false
		}
	}
}

// futureRead reports a read that holds what its own transaction
// appends only later.
func (la *listAppend) futureRead(t *Txn, mi int) {
	m := &t.Mops[mi]
	for _, later := range t.Mops[mi+1:] {
		if later.Kind == MopAppend && later.Key == m.Key && slices.Contains(m.List, later.Value) {
			la.anomaly(Anomaly{Class: Internal, Txns: []TxnID{t.ID}, Key: m.Key, Explanation: fmt.Sprintf(
				"internal: T%d read %q = %s, with %d, before appending it itself", t.ID, m.Key, showList(m.List), later.Value)})
			return
		}
	}
}

// keyOrder is what the longest read of a key says, by position.
type keyOrder struct {
	list   []int   // the longest read
	append []int32 // into appends; -1 where nobody appended the element
	// The first position of an element nobody appended, of one an aborted
	// transaction appended, and of the second sight of an element; each
	// len(list) when there is none. list[:dup] is the version order.
	garbage, failed, dup int
}

// versions takes each key's longest read for its version order, and reads
// it element by element, once: every read that is a prefix of it (all of
// them, in a history without anomalies) is then checked by position alone.
// It marks the indeterminate transactions whose appends were seen, which
// puts them in the graph.
func (la *listAppend) versions() {
	longest := make([]int32, len(la.keys))
	for i := range longest {
		longest[i] = -1
	}
	for ri, r := range la.reads {
		if l := longest[r.key]; l < 0 || len(la.list(r)) > len(la.list(la.reads[l])) {
			longest[r.key] = int32(ri)
		}
	}
	stamp := make([]int32, len(la.appends))
	for k, ri := range longest {
		ko := &la.order[k]
		if ri < 0 {
			continue
		}
		ko.list = la.list(la.reads[ri])
		n := len(ko.list)
		ko.append = make([]int32, n)
		ko.garbage, ko.failed, ko.dup = n, n, n
		var garbageSeen map[int]bool
		for p, x := range ko.list {
			ai, ok := la.appender[listElem{int32(k), x}]
			if !ok {
				ko.append[p] = -1
				ko.garbage = min(ko.garbage, p)
				if garbageSeen == nil {
					garbageSeen = map[int]bool{}
				}
				if garbageSeen[x] {
					ko.dup = min(ko.dup, p)
				}
				garbageSeen[x] = true
				continue
			}
			ko.append[p] = ai
			if stamp[ai] == ri+1 {
				ko.dup = min(ko.dup, p)
			}
			stamp[ai] = ri + 1
			switch w := la.appends[ai].txn; la.txns[w].Status {
			case TxnFailed:
				ko.failed = min(ko.failed, p)
			case TxnInfo:
				la.an.inGraph[w] = true
			}
		}
	}
}

// readAnomalies checks every committed read: garbage, duplicates, aborted
// reads, and reads that are not prefixes of their key's longest.
func (la *listAppend) readAnomalies() {
	type incompatible struct {
		first int32 // read
		n     int
	}
	bad := map[int32]*incompatible{}
	var badKeys []int32
	for ri, r := range la.reads {
		list, ko := la.list(r), &la.order[r.key]
		if len(list) > len(ko.list) || !slices.Equal(list, ko.list[:len(list)]) {
			la.excluded[ri], la.tangled[r.key] = true, true
			if la.elementAnomalies(r) {
				continue
			}
			if b, ok := bad[r.key]; ok {
				b.n++
				continue
			}
			bad[r.key] = &incompatible{int32(ri), 1}
			badKeys = append(badKeys, r.key)
			continue
		}
		t := &la.txns[r.txn]
		key := la.keys[r.key]
		if ko.garbage < len(list) {
			la.garbage(t, key, list, list[ko.garbage])
		}
		if ko.dup < len(list) {
			la.duplicate(t, key, list, list[ko.dup])
			la.excluded[ri], la.tangled[r.key] = true, true
		}
		if ko.failed < len(list) {
			la.aborted(t, key, list, list[ko.failed], la.appends[ko.append[ko.failed]].txn)
		}
	}
	for _, k := range badKeys {
		b := bad[k]
		r := la.reads[b.first]
		t := &la.txns[r.txn]
		var longest *Txn
		for _, lr := range la.reads {
			if lr.key == k && len(la.list(lr)) == len(la.order[k].list) {
				longest = &la.txns[lr.txn]
				break
			}
		}
		expl := fmt.Sprintf("incompatible-order: T%d read %q = %s and T%d read it = %s: neither is a prefix of the other",
			t.ID, la.keys[k], showList(la.list(r)), longest.ID, showList(la.order[k].list))
		if b.n > 1 {
			expl += fmt.Sprintf(" (and %d more reads of the key disagree with the longest)", b.n-1)
		}
		la.anomaly(Anomaly{Class: IncompatibleOrder, Txns: []TxnID{t.ID, longest.ID}, Key: la.keys[k], Explanation: expl})
	}
}

// elementAnomalies checks a read that is not a prefix of its key's
// longest, element by element, and says whether it holds duplicates.
func (la *listAppend) elementAnomalies(r listRead) (dup bool) {
	t := &la.txns[r.txn]
	list := la.list(r)
	key := la.keys[r.key]
	seen := map[int]bool{}
	garbage, aborted := false, false
	for _, x := range list {
		if seen[x] && !dup {
			dup = true
			la.duplicate(t, key, list, x)
		}
		seen[x] = true
		ai, ok := la.appender[listElem{r.key, x}]
		if !ok {
			if !garbage {
				garbage = true
				la.garbage(t, key, list, x)
			}
			continue
		}
		switch w := la.appends[ai].txn; la.txns[w].Status {
		case TxnFailed:
			if !aborted {
				aborted = true
				la.aborted(t, key, list, x, w)
			}
		case TxnInfo:
			la.an.inGraph[w] = true
		}
	}
	return dup
}

func (la *listAppend) garbage(t *Txn, key string, list []int, x int) {
	la.anomaly(Anomaly{Class: GarbageRead, Txns: []TxnID{t.ID}, Key: key, Explanation: fmt.Sprintf(
		"garbage-read: T%d read %q = %s, with %d, which no transaction appended", t.ID, key, showList(list), x)})
}

func (la *listAppend) duplicate(t *Txn, key string, list []int, x int) {
	la.anomaly(Anomaly{Class: DuplicateElements, Txns: []TxnID{t.ID}, Key: key, Explanation: fmt.Sprintf(
		"duplicate-elements: T%d read %q = %s, with %d more than once", t.ID, key, showList(list), x)})
}

func (la *listAppend) aborted(t *Txn, key string, list []int, x int, w int32) {
	la.anomaly(Anomaly{Class: G1a, Txns: []TxnID{t.ID, la.txns[w].ID}, Key: key, Explanation: fmt.Sprintf(
		"G1a: T%d read %q = %s, with %d, appended by T%d, which aborted", t.ID, key, showList(list), x, la.txns[w].ID)})
}

// committedAt is the transaction that appended the element at position p
// of key k's order, if it is known and did not abort.
func (la *listAppend) committedAt(ko *keyOrder, p int) (int32, bool) {
	ai := ko.append[p]
	if ai < 0 {
		return 0, false
	}
	w := la.appends[ai].txn
	return w, la.txns[w].Status != TxnFailed
}

// dependencies infers ww edges from the version orders, and wr, rw edges
// and intermediate reads from each read's place in its key's order.
func (la *listAppend) dependencies() {
	edges := &la.an.edges
	// A transaction's appends to a key must show in the order it made
	// them, none missing before one that shows: seen[t] counts t's appends
	// met on key seenKey[t] so far.
	seen := make([]int32, len(la.txns))
	seenKey := make([]int32, len(la.txns))
	for i := range seenKey {
		seenKey[i] = -1
	}
	for k := range la.order {
		ko := &la.order[k]
		prev := int32(-1)
		prevElem := 0
		reported := false
		for p, x := range ko.list[:ko.dup] {
			a, ok := la.committedAt(ko, p)
			if !ok {
				continue
			}
			if seenKey[a] != int32(k) {
				seenKey[a], seen[a] = int32(k), 0
			}
			if ap := la.appends[ko.append[p]]; ap.ordinal != seen[a] && !reported {
				reported = true
				la.outOfOrder(int32(k), a, ap)
			}
			seen[a]++
			if prev >= 0 && a != prev {
				*edges = append(*edges, depEdge{from: prev, to: a, kind: DepWW, key: int32(k), a: prevElem, b: x})
			}
			prev, prevElem = a, x
		}
	}
	for ri, r := range la.reads {
		if la.excluded[ri] {
			continue
		}
		ko := &la.order[r.key]
		// The transaction's own appends at the end of what it read are not
		// a dependency on anyone.
		n := len(la.list(r))
		for n > 0 {
			if a, ok := la.committedAt(ko, n-1); !ok || a != r.txn {
				break
			}
			n--
		}
		for p := n - 1; p >= 0; p-- {
			w, ok := la.committedAt(ko, p)
			if !ok {
				continue
			}
			*edges = append(*edges, depEdge{from: w, to: r.txn, kind: DepWR, key: r.key, a: ko.list[p]})
			if p == n-1 && !la.appends[ko.append[p]].final {
				t, wt := &la.txns[r.txn], &la.txns[w]
				key := la.keys[r.key]
				la.anomaly(Anomaly{Class: G1b, Txns: []TxnID{t.ID, wt.ID}, Key: key, Explanation: fmt.Sprintf(
					"G1b: T%d read %q = %s, ending in %d, which T%d appended before appending more to it", t.ID, key, showList(la.list(r)), ko.list[p], wt.ID)})
			}
			break
		}
		for p := n; p < ko.dup; p++ {
			a, ok := la.committedAt(ko, p)
			if !ok {
				continue
			}
			if a != r.txn {
				*edges = append(*edges, depEdge{from: r.txn, to: a, kind: DepRW, key: r.key, a: n, b: ko.list[p]})
			}
			break
		}
	}
}

// outOfOrder reports that the longest read of key k shows w's append ap
// without w's earlier appends to k before it, in the order w made them.
func (la *listAppend) outOfOrder(k, w int32, ap listAppendRef) {
	t := &la.txns[w]
	var mine []int
	for _, m := range t.Mops {
		if m.Kind == MopAppend && m.Key == la.keys[k] {
			mine = append(mine, m.Value)
		}
	}
	var reader *Txn
	for _, r := range la.reads {
		if r.key == k && len(la.list(r)) == len(la.order[k].list) {
			reader = &la.txns[r.txn]
			break
		}
	}
	la.anomaly(Anomaly{Class: IncompatibleOrder, Txns: []TxnID{reader.ID, t.ID}, Key: la.keys[k], Explanation: fmt.Sprintf(
		"incompatible-order: T%d appended %s to %q in that order, but T%d read it = %s, with %d and not so",
		t.ID, showList(mine), la.keys[k], reader.ID, showList(la.order[k].list), ap.val)})
}

// unreadAppends orders the committed appends no read saw (of committed
// transactions, and of indeterminate ones a read proved committed) after
// every element that reads did see: had one come before, every read of a
// later element would hold it. So each follows the key's last seen append
// (ww), and each transaction that read the whole of the key's order
// precedes it (rw); a shorter read precedes it through the ww edges. Keys
// whose reads disagree are left alone, and so is a key with so many unread
// appends and whole reads that linking them all would cost more than the
// rest of the graph.
func (la *listAppend) unreadAppends() {
	inOrder := make([]bool, len(la.appends))
	for k := range la.order {
		for _, ai := range la.order[k].append {
			if ai >= 0 {
				inOrder[ai] = true
			}
		}
	}
	unread := make([][]int32, len(la.keys)) // by key: into appends
	for ai, a := range la.appends {
		if !inOrder[ai] && !la.tangled[a.key] && la.an.inGraph[a.txn] {
			unread[a.key] = append(unread[a.key], int32(ai))
		}
	}
	whole := make([][]int32, len(la.keys)) // by key: transactions that read the whole order
	for ri, r := range la.reads {
		if ko := &la.order[r.key]; !la.excluded[ri] && len(unread[r.key]) > 0 && len(la.list(r)) == ko.dup {
			whole[r.key] = append(whole[r.key], r.txn)
		}
	}
	edges := &la.an.edges
	for k, tail := range unread {
		if len(tail) == 0 {
			continue
		}
		ko := &la.order[k]
		readers := whole[k]
		if len(readers)*len(tail) > 8*(len(readers)+len(tail))+1024 {
			continue
		}
		last, lastElem := int32(-1), 0
		for p := ko.dup - 1; p >= 0; p-- {
			if w, ok := la.committedAt(ko, p); ok {
				last, lastElem = w, ko.list[p]
				break
			}
		}
		for _, ai := range tail {
			a := la.appends[ai]
			if last >= 0 {
				*edges = append(*edges, depEdge{from: last, to: a.txn, kind: DepWW, key: int32(k), a: lastElem, b: a.val})
			}
			for _, r := range readers {
				*edges = append(*edges, depEdge{from: r, to: a.txn, kind: DepRW, key: int32(k), a: ko.dup, b: a.val})
			}
		}
	}
}

func (la *listAppend) explain(e depEdge) string {
	from, to := la.txns[e.from].ID, la.txns[e.to].ID
	key := la.keys[e.key]
	switch e.kind {
	case DepWW:
		return fmt.Sprintf("T%d appended %d to %q after T%d appended %d", to, e.b, key, from, e.a)
	case DepWR:
		return fmt.Sprintf("T%d saw T%d's append of %d to %q", to, from, e.a, key)
	case DepRW:
		if e.a == 0 {
			return fmt.Sprintf("T%d read %q empty, missing %d, which T%d appended", from, key, e.b, to)
		}
		return fmt.Sprintf("T%d read %q up to %d, missing %d, which T%d appended after it", from, key, la.order[e.key].list[e.a-1], e.b, to)
	}
	return e.kind.String()
}
