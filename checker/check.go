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
	// partition was already found illegal). The explanation and
	// visualisation of an Illegal verdict replay the failing partitions
	// with a fresh budget of the same size.
	Timeout time.Duration
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
	PartitionsUnknown int // not decided in time

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
	ops []porcupine.Operation // Metadata holds the OpID
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
	all := h.Ops()
	ops := make([]porcupine.Operation, 0, len(all))
	for _, op := range all {
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
		ops = append(ops, porcupine.Operation{
			ClientId: op.Client,
			Input:    op.In,
			Call:     int64(op.Call),
			Output:   output[Out]{out: op.Out, known: op.Status == OpCompleted},
			Return:   ret,
			Metadata: op.ID,
		})
	}
	res.Ops = len(ops)
	m.validate(res.OpsPending)

	parts := partition(m, ops)
	res.Partitions = len(parts)
	pm := m.porcupine()
	verdicts := checkParts(pm, parts, opts, start)

	var illegal []*part
	for i, v := range verdicts {
		switch v {
		case Illegal:
			illegal = append(illegal, &parts[i])
		case Unknown:
			res.PartitionsUnknown++
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

	visualise := opts.VisualizationPath != "" && (opts.VisualizeAlways || res.Verdict == Illegal)
	if res.Verdict == Illegal || visualise {
		// The explanation is about the smallest illegal partition (the
		// first in key order among equals); the visualisation shows all
		// the illegal ones, or everything when the verdict is not Illegal.
		best := 0
		for j, p := range illegal {
			if len(p.ops) < len(illegal[best].ops) {
				best = j
			}
		}
		var shown []*part
		switch {
		case !visualise:
			shown = illegal[best : best+1]
			best = 0
		case res.Verdict == Illegal:
			shown = illegal
		default:
			for i := range parts {
				shown = append(shown, &parts[i])
			}
		}
		done, info := checkVerbose(pm, shown, opts.Timeout)
		if res.Verdict == Illegal {
			var partials [][]int
			if all := info.PartialLinearizations(); best < len(all) {
				partials = all[best]
			}
			res.Failure = explain(m, shown[best], len(illegal), len(parts), partials, done)
		}
		if visualise {
			info.AddAnnotations(faultAnnotations(opts.Annotations))
			if err := porcupine.VisualizePath(pm, info, opts.VisualizationPath); err != nil {
				res.VisualizationErr = err
			} else {
				res.Visualization = opts.VisualizationPath
			}
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
		k := m.Partition(op.Input.(In))
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

// checkParts decides each partition within the shared deadline.
func checkParts(pm porcupine.Model, parts []part, opts CheckOptions, start time.Time) []Verdict {
	verdicts := make([]Verdict, len(parts))
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
				verdicts[i] = checkPart(pm, parts[i].ops, opts.Timeout, start)
			}
		}()
	}
	wg.Wait()
	return verdicts
}

func checkPart(pm porcupine.Model, ops []porcupine.Operation, timeout time.Duration, start time.Time) Verdict {
	var left time.Duration // porcupine reads 0 as no limit
	if timeout > 0 {
		left = timeout - time.Since(start)
		if left <= 0 {
			return Unknown
		}
	}
	switch porcupine.CheckOperationsTimeout(pm, ops, left) {
	case porcupine.Ok:
		return Ok
	case porcupine.Illegal:
		return Illegal
	}
	return Unknown
}

// checkVerbose re-runs the search on the given partitions, keeping the
// partial linearizations that explanations and visualisations are built
// from. It reports whether the search finished.
func checkVerbose(pm porcupine.Model, parts []*part, timeout time.Duration) (bool, porcupine.LinearizationInfo) {
	pm.Partition = func([]porcupine.Operation) [][]porcupine.Operation {
		out := make([][]porcupine.Operation, len(parts))
		for i, p := range parts {
			out[i] = p.ops
		}
		return out
	}
	res, info := porcupine.CheckOperationsVerbose(pm, nil, timeout)
	return res != porcupine.Unknown, info
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
