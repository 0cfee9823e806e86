package checker

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Staleness measures how often and by how much the reads of a key-value
// history were stale, for systems that promise less than linearizability.
//
// Only completed gets are reads. A read's version is the write whose value
// it returned: a completed put, a cas that returned OK, a completed append
// (identified by the value it returned), or a delete or the initial state
// for a read that found nothing. A pending put, cas or append also counts
// as a version (a pending append by the suffix it added), since it may have
// taken effect. A write must have been invoked before the read returned to
// explain it.
//
// A read is stale when some completed write to the key is newer than its
// version in real time: the write was invoked after the version's write
// completed, and completed before the read was invoked. Any linearizable
// history has no stale read, and every stale read is a linearizability
// violation. VersionsBehind counts those newer writes; StaleFor is the time
// from the first of them completing to the read's invocation (a lower
// bound on how long the value had been outdated).
//
// The measure assumes that written values are unique per key (the workload
// must write distinct values). Where a value was written more than once,
// the read is charged the least staleness any of its writers allows.
type Staleness struct {
	Reads      int     // reads measured: completed gets with an explained value
	ReadsStale int     // of which stale
	StaleRatio float64 // ReadsStale / Reads, 0 without reads

	VersionsBehindMax  int
	VersionsBehindMean float64 // over stale reads
	StaleForMax        time.Duration
	StaleForP99        time.Duration // over stale reads, nearest rank

	// StaleReads lists the stale reads, by OpID.
	StaleReads []StaleRead

	// Unexplained counts reads whose value no write invoked before the
	// read returned could have produced (a value from nowhere, or from the
	// future). They are not in Reads: they are a different anomaly.
	Unexplained    int
	UnexplainedOps []OpID
}

// StaleRead is one stale read.
type StaleRead struct {
	Op             OpID
	Key            string
	VersionsBehind int
	StaleFor       time.Duration
}

func (s Staleness) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d reads, %d stale (%.2f%%)", s.Reads, s.ReadsStale, 100*s.StaleRatio)
	if s.ReadsStale > 0 {
		fmt.Fprintf(&b, ", versions behind max %d mean %.2f, stale for max %v p99 %v",
			s.VersionsBehindMax, s.VersionsBehindMean, s.StaleForMax, s.StaleForP99)
	}
	if s.Unexplained > 0 {
		fmt.Fprintf(&b, ", %d unexplained", s.Unexplained)
	}
	return b.String()
}

// Times as ordered in the measure; pending operations return at +inf and
// the initial version was written at -inf.
const (
	timeNegInf = math.MinInt64
	timePosInf = math.MaxInt64
)

type kvValue struct {
	value string
	found bool
}

// versions are the writes of one value, by call, with the latest return
// among each prefix: the best explanation of a read is the writer that
// returned last among those invoked before the read returned, since a later
// version has fewer writes newer than it.
type versions struct {
	calls, rets []int64
}

func (v *versions) sort() {
	idx := make([]int, len(v.calls))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v.calls[idx[a]] < v.calls[idx[b]] })
	calls, rets := make([]int64, len(idx)), make([]int64, len(idx))
	for i, j := range idx {
		calls[i], rets[i] = v.calls[j], v.rets[j]
		if i > 0 {
			rets[i] = max(rets[i], rets[i-1])
		}
	}
	v.calls, v.rets = calls, rets
}

// latest returns the latest return among the writes invoked by t.
func (v *versions) latest(t int64) (int64, bool) {
	n := sort.Search(len(v.calls), func(i int) bool { return v.calls[i] > t })
	if n == 0 {
		return 0, false
	}
	return v.rets[n-1], true
}

type write struct{ call, ret int64 }

type keyData struct {
	byValue map[kvValue]*versions
	// completed writes by return, and the latest call among each prefix
	completed []write
	callMax   []int64
	// pending appends: the earliest call per appended suffix
	appends    map[string]int64
	appendLens []int
	queries    []staleQuery
}

// staleQuery is a stale read waiting for its count of newer writes.
type staleQuery struct {
	read    int   // index into Staleness.StaleReads
	version int64 // return of the read's version
	call    int64 // the read's call
}

func newKeyData() *keyData {
	return &keyData{
		byValue: map[kvValue]*versions{{}: {calls: []int64{timeNegInf}, rets: []int64{timeNegInf}}},
		appends: map[string]int64{},
	}
}

func (k *keyData) addVersion(val kvValue, call, ret int64) {
	v := k.byValue[val]
	if v == nil {
		v = &versions{}
		k.byValue[val] = v
	}
	v.calls = append(v.calls, call)
	v.rets = append(v.rets, ret)
}

func (k *keyData) finish() {
	for _, v := range k.byValue {
		v.sort()
	}
	sort.Slice(k.completed, func(i, j int) bool { return k.completed[i].ret < k.completed[j].ret })
	k.callMax = make([]int64, len(k.completed))
	for i, w := range k.completed {
		k.callMax[i] = w.call
		if i > 0 {
			k.callMax[i] = max(k.callMax[i], k.callMax[i-1])
		}
	}
	for suffix := range k.appends {
		if !slices.Contains(k.appendLens, len(suffix)) {
			k.appendLens = append(k.appendLens, len(suffix))
		}
	}
	slices.Sort(k.appendLens)
}

// explain returns the return time of the best version a read of val that
// returned at ret can have read, or false if no write explains it.
func (k *keyData) explain(val kvValue, ret int64) (int64, bool) {
	if v := k.byValue[val]; v != nil {
		if r, ok := v.latest(ret); ok {
			return r, true
		}
	}
	if !val.found {
		return 0, false
	}
	for _, n := range k.appendLens {
		if n > len(val.value) {
			break
		}
		if call, ok := k.appends[val.value[len(val.value)-n:]]; ok && call <= ret {
			return timePosInf, true
		}
	}
	return 0, false
}

// firstNewer returns the return time of the first completed write newer
// than a version that returned at version: invoked after it.
func (k *keyData) firstNewer(version int64) (int64, bool) {
	// callMax is nondecreasing, so the first write with call > version
	// is where callMax first exceeds it.
	i := sort.Search(len(k.callMax), func(i int) bool { return k.callMax[i] > version })
	if i == len(k.callMax) {
		return 0, false
	}
	return k.completed[i].ret, true
}

// countNewer fills in VersionsBehind for the key's stale reads: the writes
// that returned before the read's call and were invoked after its
// version's return. Offline, with a Fenwick tree over call times, so that
// it costs O((writes + reads) log writes) however stale the reads are.
func (k *keyData) countNewer(stale []StaleRead) {
	if len(k.queries) == 0 {
		return
	}
	calls := make([]int64, len(k.completed))
	for i, w := range k.completed {
		calls[i] = w.call
	}
	slices.Sort(calls)
	// rank is how many write calls are <= t.
	rank := func(t int64) int { return sort.Search(len(calls), func(i int) bool { return calls[i] > t }) }
	tree := make([]int, len(calls)+1)
	add := func(i int) {
		for i++; i < len(tree); i += i & -i {
			tree[i]++
		}
	}
	sum := func(n int) int { // of the first n positions
		s := 0
		for ; n > 0; n -= n & -n {
			s += tree[n]
		}
		return s
	}
	sort.Slice(k.queries, func(i, j int) bool { return k.queries[i].call < k.queries[j].call })
	inserted := 0
	for _, q := range k.queries {
		for inserted < len(k.completed) && k.completed[inserted].ret < q.call {
			add(rank(k.completed[inserted].call) - 1)
			inserted++
		}
		stale[q.read].VersionsBehind = inserted - sum(rank(q.version))
	}
}

// MeasureStaleness measures the staleness of the reads in h. Failed
// operations are ignored. It costs O(n log n) in the history's length.
func MeasureStaleness(h *History[KVInput, KVOutput]) Staleness {
	ops := h.Ops()
	keys := map[string]*keyData{}
	key := func(k string) *keyData {
		d := keys[k]
		if d == nil {
			d = newKeyData()
			keys[k] = d
		}
		return d
	}
	for _, op := range ops {
		if op.Status == OpFailed {
			continue
		}
		d := key(op.In.Key)
		call, ret := int64(op.Call), int64(timePosInf)
		done := op.Status == OpCompleted
		if done {
			ret = int64(op.Return)
		}
		var val kvValue
		switch op.In.Kind {
		case KVPut:
			val = kvValue{op.In.Value, true}
		case KVCAS:
			if done && !op.Out.OK {
				continue
			}
			val = kvValue{op.In.Value, true}
		case KVAppend:
			if !done {
				if c, ok := d.appends[op.In.Value]; !ok || call < c {
					d.appends[op.In.Value] = call
				}
				continue
			}
			val = kvValue{op.Out.Value, true}
		case KVDelete:
			val = kvValue{}
		default:
			continue
		}
		d.addVersion(val, call, ret)
		if done {
			d.completed = append(d.completed, write{call: call, ret: ret})
		}
	}
	for _, d := range keys {
		d.finish()
	}

	var s Staleness
	for _, op := range ops {
		if op.Status != OpCompleted || op.In.Kind != KVGet {
			continue
		}
		d := key(op.In.Key)
		call := int64(op.Call)
		version, ok := d.explain(kvValue{op.Out.Value, op.Out.Found}, int64(op.Return))
		if !ok {
			s.Unexplained++
			s.UnexplainedOps = append(s.UnexplainedOps, op.ID)
			continue
		}
		s.Reads++
		if version >= call {
			continue // nothing newer can have completed before the read
		}
		first, ok := d.firstNewer(version)
		if !ok || first >= call {
			continue
		}
		staleFor := time.Duration(call - first)
		d.queries = append(d.queries, staleQuery{read: len(s.StaleReads), version: version, call: call})
		s.StaleReads = append(s.StaleReads, StaleRead{Op: op.ID, Key: op.In.Key, StaleFor: staleFor})
	}
	for _, d := range keys {
		d.countNewer(s.StaleReads)
	}

	s.ReadsStale = len(s.StaleReads)
	if s.Reads > 0 {
		s.StaleRatio = float64(s.ReadsStale) / float64(s.Reads)
	}
	if s.ReadsStale == 0 {
		s.StaleReads = nil
		return s
	}
	behind := 0
	staleFor := make([]time.Duration, 0, s.ReadsStale)
	for _, r := range s.StaleReads {
		behind += r.VersionsBehind
		s.VersionsBehindMax = max(s.VersionsBehindMax, r.VersionsBehind)
		s.StaleForMax = max(s.StaleForMax, r.StaleFor)
		staleFor = append(staleFor, r.StaleFor)
	}
	s.VersionsBehindMean = float64(behind) / float64(s.ReadsStale)
	slices.Sort(staleFor)
	rank := int(math.Ceil(0.99*float64(len(staleFor)))) - 1
	s.StaleForP99 = staleFor[max(rank, 0)]
	return s
}
