package dynamo

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
)

// OpKind is an operation of the store's workloads.
type OpKind uint8

const (
	// OpAdd adds Element to the set under Key by read-merge-write: a get,
	// then a put of the union of the siblings plus the element, with the
	// get's causal context.
	OpAdd OpKind = iota + 1
	// OpRead reads the set under Key (the union of its siblings).
	OpRead
	// OpWrite writes Value to the register Key with the context the client
	// last read there.
	OpWrite
	// OpGet reads the register Key.
	OpGet
	// OpDelete reads the register Key and deletes what it read.
	OpDelete
)

var opKindNames = [...]string{OpAdd: "add", OpRead: "read", OpWrite: "write", OpGet: "get", OpDelete: "delete"}

func (k OpKind) String() string {
	if k >= OpAdd && int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// Op is one recorded operation of a workload client.
type Op struct {
	ID     checker.OpID
	Client int
	Kind   OpKind
	Key    string
	// Element is the element an add adds; Value the value a write writes.
	Element int
	Value   string
	// Elements is what a read of a set saw; Values what a get of a
	// register saw (every live sibling), or what a delete removed, and
	// Dots the siblings' dots, by value.
	Elements []int
	Values   []string
	Dots     []Dot
	Found    bool
	// Siblings is how many siblings a read or get returned.
	Siblings int
	// Final marks the reads every client makes of every key once the
	// workload has stopped.
	Final  bool
	Call   time.Duration
	Return time.Duration
	Status checker.OpStatus
}

// History records the operations of the store's workload clients in true
// virtual time. It is a checker.Recorded: its check is set-full.
type History struct {
	now func() time.Duration
	ops opLog
	// SiblingsMax bounds the siblings of any read; 0 leaves them unbounded.
	SiblingsMax int

	changes  int // operations recorded or finished, for the cache
	cached   *SetReport
	cachedAt int
	stale    *checker.Staleness
	staleAt  int

	// texts are the parses of set texts the workload clients recording
	// here share (clientNode.elements).
	texts setTexts
}

// NewHistory returns an empty history that stamps times with now (true
// virtual time, such as sim.World.Now).
func NewHistory(now func() time.Duration) *History { return &History{now: now} }

// opLog holds operations in blocks of opBlock, so that appending never
// moves one: a slice of them would copy (and clear) the whole history each
// time it doubled.
type opLog struct {
	blocks [][]Op
	n      int
}

// opBlock operations make a block of some 20 KB, within the allocator's
// small size classes.
const opBlock = 128

func (l *opLog) add(op Op) checker.OpID {
	if l.n%opBlock == 0 {
		l.blocks = append(l.blocks, make([]Op, 0, opBlock))
	}
	b := &l.blocks[len(l.blocks)-1]
	op.ID = checker.OpID(l.n)
	*b = append(*b, op)
	l.n++
	return op.ID
}

func (l *opLog) at(id checker.OpID) *Op { return &l.blocks[id/opBlock][id%opBlock] }

func (l *opLog) len() int { return l.n }

// all yields every operation in OpID order, in place.
func (l *opLog) all() iter.Seq[*Op] {
	return func(yield func(*Op) bool) {
		for _, b := range l.blocks {
			for i := range b {
				if !yield(&b[i]) {
					return
				}
			}
		}
	}
}

func (h *History) invoke(op Op) checker.OpID {
	op.Call = h.now()
	op.Status = checker.OpPending
	h.changes++
	return h.ops.add(op)
}

func (h *History) complete(id checker.OpID, fill func(*Op)) {
	op := h.ops.at(id)
	if op.Status != checker.OpPending {
		panic(fmt.Sprintf("dynamo: history: operation %d completed twice", id))
	}
	if fill != nil {
		fill(op)
	}
	op.Return, op.Status = h.now(), checker.OpCompleted
	h.changes++
}

func (h *History) fail(id checker.OpID) {
	h.ops.at(id).Status = checker.OpFailed
	h.changes++
}

// Len is the number of operations recorded.
func (h *History) Len() int { return h.ops.len() }

// Ops returns a copy of every operation, by OpID.
func (h *History) Ops() []Op {
	out := make([]Op, 0, h.ops.len())
	for _, b := range h.ops.blocks {
		out = append(out, b...)
	}
	return out
}

var _ checker.Recorded = (*History)(nil)

func (h *History) Model() string     { return "dynamo" }
func (h *History) CheckName() string { return "set-full" }

// Summaries describes every operation, in OpID order. The texts are
// written into one buffer and cut from one string, rather than allocated
// one by one.
func (h *History) Summaries() []checker.OpSummary {
	out := h.Outlines()
	b := make([]byte, 0, 40*len(out)) // about the length of a text
	ends := make([]int, 0, len(out))
	for op := range h.ops.all() {
		b = appendDescription(b, op)
		ends = append(ends, len(b))
	}
	texts, start := string(b), 0
	for i, end := range ends {
		out[i].Text = texts[start:end]
		start = end
	}
	return out
}

// Outlines is Summaries without the texts (checker.Outliner): a passing
// run's result never reads them, so it need not write them.
func (h *History) Outlines() []checker.OpSummary {
	out := make([]checker.OpSummary, 0, h.ops.len())
	for op := range h.ops.all() {
		out = append(out, checker.OpSummary{ID: op.ID, Client: op.Client, Call: op.Call, Return: op.Return, Status: op.Status,
			Partition: op.Key, Writes: op.Kind == OpAdd || op.Kind == OpWrite || op.Kind == OpDelete})
	}
	return out
}

func appendDescription(b []byte, op *Op) []byte {
	if op.Final {
		b = append(b, "final "...)
	}
	b = append(b, op.Kind.String()...)
	b = append(b, '(')
	b = append(b, op.Key...)
	switch op.Kind {
	case OpAdd:
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(op.Element), 10)
	case OpWrite:
		b = append(b, ", "...)
		b = appendQuote(b, op.Value)
	}
	b = append(b, ')')
	switch op.Status {
	case checker.OpPending:
		return append(b, " -> ? (unknown)"...)
	case checker.OpFailed:
		return append(b, " -> failed (never applied)"...)
	}
	switch op.Kind {
	case OpRead:
		b = append(b, " -> "...)
		b = strconv.AppendInt(b, int64(len(op.Elements)), 10)
		b = append(b, " elements, "...)
		b = strconv.AppendInt(b, int64(op.Siblings), 10)
		b = append(b, " siblings"...)
	case OpGet, OpDelete:
		if op.Kind == OpGet {
			b = append(b, " -> ["...)
		} else {
			b = append(b, " -> removed ["...)
		}
		for i, v := range op.Values {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendQuote(b, v)
		}
		b = append(b, ']')
	default:
		b = append(b, " -> ok"...)
	}
	return b
}

// appendQuote is strconv.AppendQuote, which for the workload's values
// (printable ASCII without quotes or backslashes) only adds the quotes.
func appendQuote(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Staleness measures the register operations as a key-value history
// (checker.MeasureStaleness): a get reads its latest sibling by write time.
// The measure passes over failed operations, so the history it measures
// holds only the others of the registers, and the OpIDs it reports are
// mapped back to this history's.
func (h *History) Staleness() (checker.Staleness, bool) {
	if h.stale == nil || h.staleAt != h.changes {
		kv, ids := h.kvHistory()
		st := checker.MeasureStaleness(kv)
		for i := range st.StaleReads {
			st.StaleReads[i].Op = ids[st.StaleReads[i].Op]
		}
		for i, id := range st.UnexplainedOps {
			st.UnexplainedOps[i] = ids[id]
		}
		h.stale, h.staleAt = &st, h.changes
	}
	return *h.stale, true
}

// kvHistory is the register operations that did not fail as a key-value
// history, and the OpID in h of each of its operations.
func (h *History) kvHistory() (*checker.History[checker.KVInput, checker.KVOutput], []checker.OpID) {
	kv := &checker.History[checker.KVInput, checker.KVOutput]{}
	var ids []checker.OpID
	for op := range h.ops.all() {
		if op.Kind == OpAdd || op.Kind == OpRead || op.Status == checker.OpFailed {
			continue
		}
		in := checker.KVInput{Kind: checker.KVGet, Key: op.Key}
		switch op.Kind {
		case OpWrite:
			in = checker.KVInput{Kind: checker.KVPut, Key: op.Key, Value: op.Value}
		case OpDelete:
			in = checker.KVInput{Kind: checker.KVDelete, Key: op.Key}
		}
		id := kv.Invoke(op.Client, in, op.Call)
		ids = append(ids, op.ID)
		if op.Status == checker.OpCompleted {
			var out checker.KVOutput
			if op.Kind == OpGet && len(op.Values) > 0 {
				out = checker.KVOutput{Value: op.Values[len(op.Values)-1], Found: true}
			}
			if op.Kind == OpDelete {
				out.Found = len(op.Values) > 0
			}
			kv.Complete(id, out, op.Return)
		}
	}
	return kv, ids
}

// SetReport is what the set-full analysis found, after Jepsen's set-full:
// for every acknowledged add, whether the final reads hold it (lost if
// not), whether some read after its acknowledgement missed it (stale),
// whether any read began after it (never-read if none), and the time from
// its acknowledgement to the first read after which every read held it.
type SetReport struct {
	Acked, Lost, Stale, NeverRead int
	LostOps                       []checker.OpID
	LostElements                  map[string][]int
	// Visibility is the time to visibility over acknowledged adds that
	// were read, nearest rank.
	VisibilityP50, VisibilityP99, VisibilityMax time.Duration
	// Resurrected counts deletes a final read undid: it returned a
	// sibling (by its dot) that the delete had read, and so superseded.
	// A value can come back legitimately under another dot: a write that
	// timed out on one replica, unseen by the delete, is concurrent with
	// it; so siblings are matched by dot, not by value.
	Resurrected    int
	ResurrectedOps []checker.OpID // the deletes
	// SiblingCounts[k] is how many reads returned k siblings.
	SiblingCounts map[int]int
	SiblingsMax   int
	// SiblingsP50 and SiblingsP99 are percentiles of siblings per read.
	SiblingsP50, SiblingsP99 int
	SiblingsOver             []checker.OpID // reads past the bound
	FinalReads               int
}

// Analyze runs the set-full analysis. It is cached until the next
// operation is recorded.
func (h *History) Analyze() SetReport {
	if h.cached != nil && h.cachedAt == h.changes {
		return *h.cached
	}
	rep := h.analyze()
	h.cached, h.cachedAt = &rep, h.changes
	return rep
}

func (h *History) analyze() SetReport {
	rep := SetReport{LostElements: map[string][]int{}, SiblingCounts: map[int]int{}}
	type read struct {
		call  time.Duration
		els   []int // sorted
		final bool
	}
	// An acknowledged add, by its element, for the walk over the reads.
	type add struct {
		element int
		id      checker.OpID
	}
	// What the analysis gathers per key, the keys numbered in the order
	// they first appear.
	type perKey struct {
		reads  []read
		finals []*Op // the final reads and gets
		adds   []add
	}
	var keys []perKey
	index := map[string]int{}
	keyOf := func(k string) *perKey {
		i, ok := index[k]
		if !ok {
			i = len(keys)
			index[k] = i
			keys = append(keys, perKey{})
		}
		return &keys[i]
	}
	// Siblings per read, counted in an array while they are few.
	var siblingCounts [16]int
	for op := range h.ops.all() {
		if op.Status != checker.OpCompleted {
			continue
		}
		if op.Kind == OpRead || op.Kind == OpGet {
			if op.Siblings >= 0 && op.Siblings < len(siblingCounts) {
				siblingCounts[op.Siblings]++
			} else {
				rep.SiblingCounts[op.Siblings]++
			}
			rep.SiblingsMax = max(rep.SiblingsMax, op.Siblings)
			if h.SiblingsMax > 0 && op.Siblings > h.SiblingsMax {
				rep.SiblingsOver = append(rep.SiblingsOver, op.ID)
			}
		}
		if op.Final {
			rep.FinalReads++
			pk := keyOf(op.Key)
			pk.finals = append(pk.finals, op)
		}
		switch op.Kind {
		case OpRead:
			pk := keyOf(op.Key)
			pk.reads = append(pk.reads, read{op.Call, op.Elements, op.Final})
		case OpAdd:
			pk := keyOf(op.Key)
			pk.adds = append(pk.adds, add{op.Element, op.ID})
		}
	}
	for k, n := range siblingCounts {
		if n > 0 {
			rep.SiblingCounts[k] += n
		}
	}
	has := func(r read, e int) bool { _, ok := slices.BinarySearch(r.els, e); return ok }
	// lastMiss[id] is, for the acknowledged add id, the index of the last
	// read of its key that missed its element, or -1.
	lastMiss := make([]int32, h.ops.len())
	finalReads := make([][]read, len(keys))
	for ki := range keys {
		pk := &keys[ki]
		rs := pk.reads
		slices.SortStableFunc(rs, func(a, b read) int { return cmp.Compare(a.call, b.call) })
		for _, r := range rs {
			if r.final {
				finalReads[ki] = append(finalReads[ki], r)
			}
		}
		// Walking the reads from the last, the elements every later read
		// held shrink by those the current read misses: one merge of two
		// sorted lists per read finds every element's last miss, where a
		// search per add and read would cost a logarithm more.
		held := pk.adds
		slices.SortStableFunc(held, func(a, b add) int { return cmp.Compare(a.element, b.element) })
		for _, a := range held {
			lastMiss[a.id] = -1
		}
		for i := len(rs) - 1; i >= 0 && len(held) > 0; i-- {
			if i+1 < len(rs) && sameInts(rs[i].els, rs[i+1].els) {
				continue // what is held, the later read held: this one holds it too
			}
			kept, els, j := held[:0], rs[i].els, 0
			for _, a := range held {
				for j < len(els) && els[j] < a.element {
					j++
				}
				if j < len(els) && els[j] == a.element {
					kept = append(kept, a)
				} else {
					lastMiss[a.id] = int32(i)
				}
			}
			held = kept
		}
	}
	var vis []time.Duration
	for op := range h.ops.all() {
		switch {
		case op.Kind == OpAdd && op.Status == checker.OpCompleted:
			rep.Acked++
			ki := index[op.Key]
			all := keys[ki].reads
			first, _ := slices.BinarySearchFunc(all, op.Return, func(r read, t time.Duration) int {
				if r.call <= t {
					return -1
				}
				return 1
			})
			after := all[first:]
			if len(after) == 0 {
				rep.NeverRead++
				continue
			}
			lost := false
			for _, f := range finalReads[ki] {
				if f.call > op.Return && !has(f, op.Element) {
					lost = true
					break
				}
			}
			if lost {
				rep.Lost++
				rep.LostOps = append(rep.LostOps, op.ID)
				rep.LostElements[op.Key] = append(rep.LostElements[op.Key], op.Element)
				continue
			}
			missAfter := -1 // the last read after the add that missed it, by index in after
			if i := int(lastMiss[op.ID]); i >= first {
				missAfter = i - first
			}
			if missAfter >= 0 {
				rep.Stale++
			}
			if missAfter+1 < len(after) {
				vis = append(vis, max(0, after[missAfter+1].call-op.Return))
			}
		case op.Kind == OpDelete && op.Status == checker.OpCompleted && len(op.Dots) > 0:
			ki, ok := index[op.Key]
			if !ok {
				continue
			}
			for _, f := range keys[ki].finals {
				if f.Call > op.Return && f.Kind == OpGet && slices.ContainsFunc(f.Dots, func(d Dot) bool { return slices.Contains(op.Dots, d) }) {
					rep.Resurrected++
					rep.ResurrectedOps = append(rep.ResurrectedOps, op.ID)
					break
				}
			}
		}
	}
	total := 0
	for _, k := range sortedInts(rep.SiblingCounts) {
		total += rep.SiblingCounts[k]
	}
	seen := 0
	for _, k := range sortedInts(rep.SiblingCounts) {
		seen += rep.SiblingCounts[k]
		if rep.SiblingsP50 == 0 && seen*2 > total {
			rep.SiblingsP50 = k
		}
		if rep.SiblingsP99 == 0 && seen*100 > total*99 {
			rep.SiblingsP99 = k
		}
	}
	if len(vis) > 0 {
		slices.Sort(vis)
		rank := func(p float64) time.Duration { return vis[min(len(vis)-1, int(p*float64(len(vis))))] }
		rep.VisibilityP50, rep.VisibilityP99, rep.VisibilityMax = rank(0.5), rank(0.99), vis[len(vis)-1]
	}
	return rep
}

// sameInts reports whether a and b are one slice (elements are never
// changed once parsed, and reads of one text share its parse).
func sameInts(a, b []int) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// String is the report as a person reads it.
func (r SetReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d acknowledged adds: %d lost, %d stale, %d never read; time to visibility p50 %v p99 %v max %v",
		r.Acked, r.Lost, r.Stale, r.NeverRead, r.VisibilityP50, r.VisibilityP99, r.VisibilityMax)
	if r.Resurrected > 0 {
		fmt.Fprintf(&b, "; %d deletes undone (resurrected)", r.Resurrected)
	}
	var counts []string
	for _, k := range sortedInts(r.SiblingCounts) {
		counts = append(counts, fmt.Sprintf("%d:%d", k, r.SiblingCounts[k]))
	}
	fmt.Fprintf(&b, "; siblings per read %s (max %d)", strings.Join(counts, " "), r.SiblingsMax)
	return b.String()
}

func sortedInts(m map[int]int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Check judges the history: Illegal when an acknowledged add is missing
// from a final read, a deleted value comes back, or a read returned more
// siblings than the bound.
func (h *History) Check(checker.CheckOptions) checker.Result {
	rep := h.Analyze()
	res := checker.Result{Verdict: checker.Ok, Ops: h.ops.len(), Partitions: 1}
	for op := range h.ops.all() {
		if op.Status == checker.OpPending {
			res.OpsPending++
		}
		if op.Status == checker.OpFailed {
			res.OpsFailed++
		}
	}
	var problems []string
	var stuck []checker.OpID
	var key string
	if rep.Lost > 0 {
		keys := make([]string, 0, len(rep.LostElements))
		for k := range rep.LostElements {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		key = keys[0]
		var parts []string
		for _, k := range keys {
			els := slices.Clone(rep.LostElements[k])
			slices.Sort(els)
			more := ""
			if len(els) > 8 {
				more = fmt.Sprintf(" and %d more", len(els)-8)
				els = els[:8]
			}
			parts = append(parts, fmt.Sprintf("%s: %s%s", k, joinInts(els), more))
		}
		problems = append(problems, fmt.Sprintf("%d of %d acknowledged adds lost (%.0f%%: %s)", rep.Lost, rep.Acked, float64(100*rep.Lost)/float64(rep.Acked), strings.Join(parts, "; ")))
		stuck = append(stuck, rep.LostOps...)
	}
	if rep.Resurrected > 0 {
		problems = append(problems, fmt.Sprintf("%d deleted values came back in the final reads (deletes %v)", rep.Resurrected, rep.ResurrectedOps))
		stuck = append(stuck, rep.ResurrectedOps...)
		if key == "" {
			key = h.ops.at(rep.ResurrectedOps[0]).Key
		}
	}
	if len(rep.SiblingsOver) > 0 {
		problems = append(problems, fmt.Sprintf("%d reads returned more than %d siblings (max %d)", len(rep.SiblingsOver), h.SiblingsMax, rep.SiblingsMax))
		stuck = append(stuck, rep.SiblingsOver...)
		if key == "" {
			key = h.ops.at(rep.SiblingsOver[0]).Key
		}
	}
	if len(problems) > 0 {
		res.Verdict = checker.Illegal
		res.PartitionsIllegal = 1
		slices.Sort(stuck)
		res.Failure = &checker.Failure{Key: key, Stuck: slices.Compact(stuck), Explanation: strings.Join(problems, "; ") + " [" + rep.String() + "]"}
	}
	return res
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}
