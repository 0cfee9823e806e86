package checker

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
)

// Verdict is the outcome of a linearizability check.
type Verdict uint8

const (
	// Unknown: the search ran out of time before deciding. The zero value,
	// so that a verdict nobody set never reads as Ok.
	Unknown Verdict = iota
	// Ok: the history is linearizable.
	Ok
	// Illegal: the history is not linearizable. This is certain even when
	// the search also ran out of time elsewhere.
	Illegal
)

func (v Verdict) String() string {
	switch v {
	case Unknown:
		return "Unknown"
	case Ok:
		return "Ok"
	case Illegal:
		return "Illegal"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// MarshalText makes verdicts read well in JSON results.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Fault is an interval during which something was wrong in the run (a
// partition, a crash, a clock step), drawn on the visualisation's timeline
// so that a violation can be read against what caused it.
type Fault struct {
	Start, End  time.Duration // true time; End <= Start draws an instant
	Label       string        // short text drawn on the timeline
	Description string        // longer text shown on hover
	Host        string        // the host it concerns, "" for the whole cluster
	_           struct{}
}

// CheckOptions tunes Check. The zero value checks without a time limit and
// writes no file.
type CheckOptions struct {
	// Timeout bounds the search; 0 means no limit. When it runs out before
	// every partition is decided, the verdict is Unknown (or Illegal, if a
	// partition was already found illegal). An illegal partition is
	// searched again for its explanation, and a visualisation of several
	// partitions replays them, each with a budget of at least twice what
	// the first search took.
	Timeout time.Duration
	// MaxPartitionOps bounds the operations of one partition that the
	// search is given: porcupine's memory grows with them, so a larger
	// partition is left undecided (Unknown, counted in
	// PartitionsTooLarge) instead of risking the process. 0 means no
	// bound.
	MaxPartitionOps int
	// VisualizationPath, if set, is where porcupine's HTML visualisation
	// is written when the verdict is Illegal. It shows the illegal
	// partitions only: the others are noise when hunting a bug.
	VisualizationPath string
	// VisualizeAlways writes the visualisation whatever the verdict. When
	// the verdict is not Illegal, it shows every partition.
	VisualizeAlways bool
	// Annotations are drawn on the visualisation's timeline.
	Annotations []Fault
	// Workers is how many partitions are checked at once; 0 means
	// GOMAXPROCS. A sweep that already runs one world per core wants 1.
	Workers int

	_ struct{}
}

// Result is what Check found, with the counts that say how big the check
// was.
type Result struct {
	Verdict Verdict

	Ops        int // operations checked: completed and pending
	OpsPending int // of which pending, treated as returning at infinity
	OpsFailed  int // operations left out as certainly not taken effect

	Partitions        int // independent parts the history was split into
	PartitionsIllegal int
	PartitionsUnknown int // not decided: out of time, or too large
	// PartitionsTooLarge are the undecided partitions that were not
	// searched at all, having more than MaxPartitionOps operations.
	PartitionsTooLarge int

	Elapsed time.Duration // wall time spent, explanation included

	// Failure explains the smallest illegal partition; nil unless the
	// verdict is Illegal.
	Failure *Failure

	Visualization    string // the file written, "" if none
	VisualizationErr error  // why the visualisation could not be written
}

// Failure describes the smallest illegal partition, in terms of the
// partial linearizations porcupine found: the longest order of operations
// the model accepts, and the operations that could not follow it.
type Failure struct {
	// Key is the partition (for KVModel, the key); "" when the model is
	// not partitioned.
	Key string
	// Ops are the operations of the partition, by OpID.
	Ops []OpID
	// Linearized is the longest linearizable prefix found, in
	// linearization order.
	Linearized []OpID
	// Stuck are the operations that could have come next after
	// Linearized (invoked before the first of the others returned), none
	// of which the model accepts in the state Linearized leaves: the
	// culprits, by OpID.
	Stuck []OpID
	// NotLinearized are all the partition's operations missing from
	// Linearized, by OpID: Stuck and those invoked after.
	NotLinearized []OpID
	// Explanation is a short text for humans.
	Explanation string
}

func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %d ops (%d pending, %d failed) in %d partitions", r.Verdict, r.Ops, r.OpsPending, r.OpsFailed, r.Partitions)
	if r.PartitionsIllegal > 0 {
		fmt.Fprintf(&b, ", %d illegal", r.PartitionsIllegal)
	}
	if r.PartitionsUnknown > 0 {
		fmt.Fprintf(&b, ", %d undecided", r.PartitionsUnknown)
	}
	if r.PartitionsTooLarge > 0 {
		fmt.Fprintf(&b, " (%d of them too large to search)", r.PartitionsTooLarge)
	}
	fmt.Fprintf(&b, ", checked in %v", r.Elapsed.Round(time.Microsecond))
	if r.Failure != nil {
		b.WriteString("\n")
		b.WriteString(r.Failure.Explanation)
	}
	if r.Visualization != "" {
		fmt.Fprintf(&b, "\nvisualisation: %s", r.Visualization)
	}
	return b.String()
}

// part is one independently checked partition.
type part struct {
	key string
	ops []porcupine.Operation // Input, Output and Metadata hold a *checkedOp
}

// Check decides whether h is linearizable under m. Failed operations are
// left out; pending ones may take effect at any time after their call.
//
// Partitions are checked in parallel and each to the end (unless time runs
// out), so that which partition is reported as the smallest illegal one
// does not depend on scheduling.
func Check[S, In, Out any](m Model[S, In, Out], h *History[In, Out], opts CheckOptions) Result {
	start := time.Now()
	var res Result
	// Converted under the history's lock rather than from a copy of it
	// (Ops): clients may still be recording, and the conversion is the
	// copy.
	h.mu.Lock()
	all := h.ops
	ops := make([]porcupine.Operation, 0, len(all))
	carried := make([]checkedOp[In, Out], 0, len(all)) // never grown: ops point into it
	unobserved := 0
	for i := range all {
		op := &all[i]
		if op.Unobserved {
			unobserved++
		}
		ret := int64(op.Return)
		switch op.Status {
		case OpFailed:
			res.OpsFailed++
			continue
		case OpPending:
			res.OpsPending++
			// Returning after everything else is the same, to the
			// search, as never returning.
			ret = math.MaxInt64
		}
		carried = append(carried, checkedOp[In, Out]{
			id:  op.ID,
			in:  op.In,
			out: output[Out]{out: op.Out, known: op.Status == OpCompleted && !op.Unobserved},
		})
		c := &carried[len(carried)-1]
		ops = append(ops, porcupine.Operation{ClientId: op.Client, Input: c, Call: int64(op.Call), Output: c, Return: ret, Metadata: c})
	}
	h.mu.Unlock()
	res.Ops = len(ops)
	m.validate(res.OpsPending + unobserved)

	parts := partition(m, ops)
	res.Partitions = len(parts)
	pm := m.porcupine()
	searches := checkParts(pm, parts, opts, start)

	var illegal []*part
	var illegalSearches []*search
	for i := range searches {
		switch searches[i].verdict {
		case Illegal:
			illegal = append(illegal, &parts[i])
			illegalSearches = append(illegalSearches, &searches[i])
		case Unknown:
			res.PartitionsUnknown++
			if searches[i].tooLarge {
				res.PartitionsTooLarge++
			}
		}
	}
	res.PartitionsIllegal = len(illegal)
	switch {
	case len(illegal) > 0:
		res.Verdict = Illegal
	case res.PartitionsUnknown > 0:
		res.Verdict = Unknown
	default:
		res.Verdict = Ok
	}

	if res.Verdict == Illegal {
		// The explanation is about the smallest illegal partition (the
		// first in key order among equals), from the partial
		// linearizations its verbose search kept.
		best := 0
		for j, p := range illegal {
			if len(p.ops) < len(illegal[best].ops) {
				best = j
			}
		}
		var partials [][]int
		if all := illegalSearches[best].info.PartialLinearizations(); len(all) > 0 {
			partials = all[0]
		}
		res.Failure = explain(m, illegal[best], len(illegal), len(parts), partials, true)
	}
	if opts.VisualizationPath != "" && (opts.VisualizeAlways || res.Verdict == Illegal) {
		// The visualisation shows all the illegal partitions, or
		// everything when the verdict is not Illegal. One partition's own
		// search is enough; several are replayed together (porcupine
		// draws one search's result), bounded by what they took at first.
		var info porcupine.LinearizationInfo
		switch {
		case len(illegal) == 1:
			info = illegalSearches[0].info
		case res.Verdict == Illegal:
			info = replay(pm, illegal, illegalSearches, opts.Timeout)
		default:
			shown := make([]*part, len(parts))
			ran := make([]*search, len(parts))
			for i := range parts {
				shown[i], ran[i] = &parts[i], &searches[i]
			}
			info = replay(pm, shown, ran, opts.Timeout)
		}
		info.AddAnnotations(faultAnnotations(opts.Annotations))
		if err := porcupine.VisualizePath(pm, info, opts.VisualizationPath); err != nil {
			res.VisualizationErr = err
		} else {
			res.Visualization = opts.VisualizationPath
		}
	}
	res.Elapsed = time.Since(start)
	return res
}

// partition splits ops by m.Partition, ordering partitions by key so that
// results do not depend on map order.
func partition[S, In, Out any](m Model[S, In, Out], ops []porcupine.Operation) []part {
	if len(ops) == 0 {
		return nil
	}
	if m.Partition == nil {
		return []part{{ops: ops}}
	}
	index := map[string]int{}
	var parts []part
	for _, op := range ops {
		k := m.Partition(checkedOf[In, Out](op).in)
		i, ok := index[k]
		if !ok {
			i = len(parts)
			index[k] = i
			parts = append(parts, part{key: k})
		}
		parts[i].ops = append(parts[i].ops, op)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].key < parts[j].key })
	return parts
}

// search is what the search of one partition found. info holds the
// partial linearizations that explanations and visualisations are drawn
// from, kept for illegal partitions only.
type search struct {
	verdict  Verdict
	tooLarge bool
	took     time.Duration
	info     porcupine.LinearizationInfo
}

// checkParts decides each partition within the shared deadline.
func checkParts(pm porcupine.Model, parts []part, opts CheckOptions, start time.Time) []search {
	searches := make([]search, len(parts))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(parts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(parts) {
					return
				}
				if opts.MaxPartitionOps > 0 && len(parts[i].ops) > opts.MaxPartitionOps {
					searches[i] = search{verdict: Unknown, tooLarge: true}
					continue
				}
				searches[i] = checkPart(pm, parts[i].ops, opts.Timeout, start)
			}
		}()
	}
	wg.Wait()
	return searches
}

// checkPart searches one partition, keeping what explains an illegal one.
//
// The search runs first without porcupine's verbose bookkeeping, which on
// every backtrack walks the whole stack of operations to record the
// longest prefix each one reached: on a long linearizable partition that
// doubles the search's cost, and a linearizable partition, the common
// case, never needs it. Only an illegal partition is searched again,
// verbosely, for its explanation; its first search was exhaustive, so the
// second explores the same tree and ends too. Its budget is at least
// twice the first search's, so whether it finishes does not depend on
// how busy the machine is.
func checkPart(pm porcupine.Model, ops []porcupine.Operation, timeout time.Duration, start time.Time) search {
	var left time.Duration // porcupine reads 0 as no limit
	if timeout > 0 {
		left = timeout - time.Since(start)
		if left <= 0 {
			return search{verdict: Unknown}
		}
	}
	began := time.Now()
	pm.Partition = nil
	res := porcupine.CheckOperationsTimeout(pm, ops, left)
	s := search{verdict: Unknown, took: time.Since(began)}
	switch res {
	case porcupine.Ok:
		s.verdict = Ok
	case porcupine.Illegal:
		s.verdict = Illegal
		var budget time.Duration
		if timeout > 0 {
			budget = max(timeout-time.Since(start), 2*s.took+time.Millisecond)
		}
		again, info := porcupine.CheckOperationsVerbose(pm, ops, budget)
		if again == porcupine.Illegal {
			s.info = info
		}
	}
	return s
}

// replay searches the given partitions again, together, for a
// visualisation of them all. Its budget is the check's own timeout (zero:
// none), and at least twice what the first searches took: a search that
// finished once finishes again, so the page does not depend on how busy
// the machine was, and one that had to stop stops again.
func replay(pm porcupine.Model, parts []*part, first []*search, timeout time.Duration) porcupine.LinearizationInfo {
	var took time.Duration
	for _, s := range first {
		took += s.took
	}
	budget := timeout
	if budget > 0 {
		budget = max(budget, 2*took+time.Millisecond)
	}
	pm.Partition = func([]porcupine.Operation) [][]porcupine.Operation {
		out := make([][]porcupine.Operation, len(parts))
		for i, p := range parts {
			out[i] = p.ops
		}
		return out
	}
	_, info := porcupine.CheckOperationsVerbose(pm, nil, budget)
	return info
}

func faultAnnotations(faults []Fault) []porcupine.Annotation {
	out := make([]porcupine.Annotation, 0, len(faults))
	for _, f := range faults {
		// Porcupine draws annotations in rows by tag: one row per host,
		// and one for cluster-wide faults such as partitions.
		tag := "faults"
		if f.Host != "" {
			tag = "faults: " + f.Host
		}
		out = append(out, porcupine.Annotation{
			Tag:             tag,
			Start:           int64(f.Start),
			End:             int64(f.End),
			Description:     f.Label,
			Details:         f.Description,
			BackgroundColor: "#f8d7da",
		})
	}
	return out
}
