package simrun

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// seedRange is the half-open range [Lo, Hi).
type seedRange struct {
	Lo uint64 `json:"lo"`
	Hi uint64 `json:"hi"`
}

func (r seedRange) len() uint64 { return r.Hi - r.Lo }

func parseSeeds(s string) (seedRange, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return seedRange{}, fmt.Errorf("-seeds %q must be A:B, the seeds from A up to but not including B", s)
	}
	lo, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		return seedRange{}, fmt.Errorf("-seeds %q: A is not a seed: %v", s, err)
	}
	hi, err := strconv.ParseUint(b, 10, 64)
	if err != nil {
		return seedRange{}, fmt.Errorf("-seeds %q: B is not a seed: %v", s, err)
	}
	if hi <= lo {
		return seedRange{}, fmt.Errorf("-seeds %q: B must be greater than A", s)
	}
	return seedRange{lo, hi}, nil
}

// shard is "i/n": the i-th of n parts, counting from 0.
type shard struct{ I, N int }

func parseShard(s string) (shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf("-shard %q must be i/n with 0 <= i < n (e.g. 0/4)", s)
	}
	return shard{i, n}, nil
}

// of returns the shard's part of r: contiguous, and the parts of all n
// shards cover r exactly once. The 128-bit arithmetic keeps it exact for
// any range.
func (sh shard) of(r seedRange) seedRange {
	cut := func(k int) uint64 {
		hi, lo := bits.Mul64(r.len(), uint64(k))
		q, _ := bits.Div64(hi, lo, uint64(sh.N))
		return r.Lo + q
	}
	return seedRange{cut(sh.I), cut(sh.I + 1)}
}

// sweepReport is what a sweep writes with -json, and what merge reads. The
// file holds results only, so that the same sweep writes the same bytes at
// any -j and on any machine: the wall-clock figures are printed, not
// written, and each failure's own wall times are cleared.
type sweepReport struct {
	Scenario string `json:"scenario"`
	// Source is the scenario file the sweep ran, empty for a built-in:
	// what a replay hint must name.
	Source      string              `json:"source,omitempty"`
	Seeds       seedRange           `json:"seeds"` // the whole range asked for
	Shard       shard               `json:"shard"`
	Ran         seedRange           `json:"ran"` // this shard's part
	Tally       *scenarios.Tally    `json:"tally"`
	Failures    []*scenarios.Result `json:"failures,omitempty"` // those of the lowest seeds, in seed order
	Worst       []worstLatency      `json:"worst_latency,omitempty"`
	Events      uint64              `json:"events"`
	WallSeconds float64             `json:"-"`
	SeedsPerSec float64             `json:"-"`

	origin string // where merge read it: a file, or a line of a log
}

type worstLatency struct {
	Seed uint64             `json:"seed"`
	P99  scenarios.Duration `json:"p99"`
	Max  scenarios.Duration `json:"max"`
}

const (
	keepFailures = 20
	keepWorst    = 5
	// maxJobs bounds -j: a world is single-threaded, so workers beyond the
	// cores only add memory, a few megabytes each.
	maxJobs = 256
)

func cmdSweep(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	seedsFlag := fs.String("seeds", "", "seed range A:B (A inclusive, B exclusive)")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "worlds run at once")
	shardFlag := fs.String("shard", "0/1", "run only shard i of n")
	jsonPath := fs.String("json", "", "write the results as JSON to this file; - writes them to stdout as one line, and the summary to stderr")
	memory := memoryFlag(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "sweep", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "sweep", errors.New("needs exactly one scenario name (simrun sweep NAME -seeds A:B)"))
	}
	if *seedsFlag == "" {
		return fail(stderr, "sweep", errors.New("needs -seeds A:B"))
	}
	seeds, err := parseSeeds(*seedsFlag)
	if err != nil {
		return fail(stderr, "sweep", err)
	}
	sh, err := parseShard(*shardFlag)
	if err != nil {
		return fail(stderr, "sweep", err)
	}
	if *jobs < 1 || *jobs > maxJobs {
		return fail(stderr, "sweep", fmt.Errorf("-j %d: must be in [1, %d] (worlds run at once; this machine has %d cores)", *jobs, maxJobs, runtime.NumCPU()))
	}
	budget, err := parseSize("-memory", *memory)
	if err != nil {
		return fail(stderr, "sweep", err)
	}
	s, err := loadScenario(pos[0])
	if err != nil {
		return fail(stderr, "sweep", err)
	}
	summary := stdout
	if *jsonPath == "-" {
		summary = stderr
	}
	defer watchMemory(budget, stderr, "sweep "+pos[0], exitInternal)()
	rep, err := sweep(s, seeds, sh, *jobs, newProgress(stderr))
	if err != nil {
		var p *workerPanic
		if errors.As(err, &p) {
			return internalFailure(stderr, p.value, p.stack)
		}
		return fail(stderr, "sweep", err)
	}
	if strings.HasSuffix(pos[0], ".json") {
		rep.Source = pos[0]
	}
	printSweep(summary, rep)
	switch *jsonPath {
	case "":
	case "-":
		if err := writeJSONLine(stdout, rep); err != nil {
			return fail(stderr, "sweep", err)
		}
	default:
		if err := writeJSON(*jsonPath, rep); err != nil {
			return fail(stderr, "sweep", err)
		}
		fmt.Fprintf(summary, "results written to %s\n", *jsonPath)
	}
	return sweepExit(rep.Tally, sh.N > 1)
}

// sweepExit: 1 if any seed misbehaved or the seed set as a whole did (a
// probe never fired, an expected bug never showed), else 3 if some
// verdicts were unknown, else 0.
//
// A shard sees only part of the seeds, so what must hold of the seed set as
// a whole is judged when the shards are merged, not by each shard.
func sweepExit(t *scenarios.Tally, shard bool) int {
	setLevel := len(t.Problems()) - len(t.Bad)
	if shard {
		setLevel = 0
	}
	switch {
	case t.BadCount > t.Unknown || setLevel > 0:
		return exitFail
	case t.Unknown > 0:
		return exitUnknown
	}
	return exitPass
}

// workerPanic is a panic in a sweep's worker, carried to the sweep's own
// goroutine: a panic in another goroutine would end the process before
// run could report it.
type workerPanic struct {
	seed  uint64
	value any
	stack []byte
}

func (p *workerPanic) Error() string { return fmt.Sprintf("seed %d: panic: %v", p.seed, p.value) }

// sweep runs every seed of the shard with jobs workers (no more than there
// are seeds), one world per worker at a time, keeping counts and a few
// failures: memory does not grow with the number of seeds. The error is a
// seed that could not run: a *workerPanic, or an invalid scenario.
func sweep(s scenarios.Scenario, seeds seedRange, sh shard, jobs int, prog *progress) (*sweepReport, error) {
	part := sh.of(seeds)
	rep := &sweepReport{Scenario: s.Name, Seeds: seeds, Shard: sh, Ran: part, Tally: scenarios.NewTally(s)}
	start := time.Now()
	jobs = int(min(uint64(jobs), max(part.len(), 1)))
	next := make(chan uint64)
	results := make(chan *scenarios.Result, jobs)
	var mu sync.Mutex
	var firstErr error
	var errSeed uint64
	failed := func(seed uint64, err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil || seed < errSeed {
			firstErr, errSeed = err, seed
		}
	}
	runSeed := func(seed uint64) (r *scenarios.Result) {
		defer func() {
			if p := recover(); p != nil {
				failed(seed, &workerPanic{seed, p, debug.Stack()})
				r = nil
			}
		}()
		r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
		if err != nil {
			failed(seed, fmt.Errorf("seed %d: %w", seed, err))
			return nil
		}
		return r
	}
	var wg sync.WaitGroup
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range next {
				r := runSeed(seed)
				if r == nil {
					continue
				}
				r.History, r.Schedule = nil, nil
				r.Wall = 0
				if r.Lin != nil {
					r.Lin.Elapsed = 0
				}
				results <- r
			}
		}()
	}
	go func() {
		for seed := part.Lo; seed < part.Hi; seed++ {
			next <- seed
		}
		close(next)
		wg.Wait()
		close(results)
	}()
	prog.start(part.len())
	for r := range results {
		rep.Tally.Add(r)
		rep.Events += r.Events
		if r.Verdict != scenarios.Pass {
			i, _ := slices.BinarySearchFunc(rep.Failures, r.Seed, func(f *scenarios.Result, seed uint64) int { return cmp.Compare(f.Seed, seed) })
			if i < keepFailures {
				rep.Failures = slices.Insert(rep.Failures, i, r)
				rep.Failures = rep.Failures[:min(len(rep.Failures), keepFailures)]
			}
		}
		rep.Worst = append(rep.Worst, worstLatency{r.Seed, r.Latency.P99, r.Latency.Max})
		slices.SortFunc(rep.Worst, func(a, b worstLatency) int {
			if c := cmp.Compare(b.P99, a.P99); c != 0 {
				return c
			}
			return cmp.Compare(a.Seed, b.Seed)
		})
		if len(rep.Worst) > keepWorst {
			rep.Worst = rep.Worst[:keepWorst]
		}
		prog.update(rep.Tally)
	}
	prog.done()
	if firstErr != nil {
		return nil, firstErr
	}
	rep.WallSeconds = time.Since(start).Seconds()
	if rep.WallSeconds > 0 {
		rep.SeedsPerSec = float64(rep.Tally.Runs) / rep.WallSeconds
	}
	return rep, nil
}

// relaxGC lets the heap grow to eleven times what is live while a command
// runs, unless the user chose GOGC. A world's live heap is a few megabytes
// and short-lived, so at the default the collector runs constantly: it took
// 30% of the CPU of a single Raft run, and in a sweep, with every core busy
// running worlds, two workers did only 1.4 times the work of one. Every
// command's memory budget sets the runtime's soft limit (watchMemory),
// which keeps the total bounded. It returns what restores the previous
// setting.
func relaxGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	gc := debug.SetGCPercent(1000)
	return func() { debug.SetGCPercent(gc) }
}

func printSweep(w io.Writer, rep *sweepReport) {
	t := rep.Tally
	fmt.Fprintf(w, "%s seeds %d:%d", rep.Scenario, rep.Ran.Lo, rep.Ran.Hi)
	if rep.Shard.N > 1 {
		fmt.Fprintf(w, " (shard %d/%d of %d:%d)", rep.Shard.I, rep.Shard.N, rep.Seeds.Lo, rep.Seeds.Hi)
	}
	fmt.Fprintf(w, "\n  %d runs: %d pass, %d fail, %d unknown", t.Runs, t.Pass, t.Fail, t.Unknown)
	if t.Expect.Verdict == scenarios.Fail {
		fmt.Fprintf(w, " (expected to fail %s; %d did)", t.Expect.Check, t.FailedAsExpected)
	}
	if rep.WallSeconds > 0 { // a merge of JSON reports knows no wall time
		fmt.Fprintf(w, "\n  %.1f seeds/s, %.3gM events, %.1fs wall\n", rep.SeedsPerSec, float64(rep.Events)/1e6, rep.WallSeconds)
	} else {
		fmt.Fprintf(w, "\n  %.3gM events\n", float64(rep.Events)/1e6)
	}
	if len(rep.Worst) > 0 {
		fmt.Fprintf(w, "  worst p99 latency:")
		for _, l := range rep.Worst {
			fmt.Fprintf(w, " seed %d %v (max %v);", l.Seed, l.P99, l.Max)
		}
		fmt.Fprintln(w)
	}
	var probes []string
	for _, p := range sortedProbes(t.Fired) {
		if n := t.Fired[p]; n > 0 {
			probes = append(probes, fmt.Sprintf("%s %d", p, n))
		}
	}
	if len(probes) > 0 {
		fmt.Fprintf(w, "  probes fired in: %s\n", strings.Join(probes, ", "))
	}
	if len(t.Counters) > 0 {
		names := make([]string, 0, len(t.Counters))
		for name := range t.Counters {
			names = append(names, name)
		}
		slices.Sort(names)
		var parts []string
		for _, name := range names {
			c := t.Counters[name]
			parts = append(parts, fmt.Sprintf("%s %d (max %d)", name, c.Sum, c.Max))
		}
		fmt.Fprintf(w, "  counters: %s\n", strings.Join(parts, ", "))
	}
	if t.Staleness != nil {
		fmt.Fprintf(w, "  staleness: %s\n", t.Staleness)
	}
	if t.Convergence != nil {
		fmt.Fprintf(w, "  convergence: %s\n", t.Convergence)
	}
	source := rep.Scenario
	if rep.Source != "" {
		source = rep.Source
	}
	for _, r := range rep.Failures {
		fmt.Fprintf(w, "  %s seed %d: %s\n    replay: %s run %s -seed %d\n", r.Verdict, r.Seed, oneLine(r.Summary()), self, source, r.Seed)
	}
	problems := t.Problems()
	if rep.Shard.N > 1 {
		problems = t.Bad
		fmt.Fprintf(w, "  (probes and expected failures are judged over the whole range: simrun merge the shards)\n")
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "  %d problem(s) with what the scenario declares:\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(w, "    [%s] %s\n", p.Class, oneLine(p.String()))
		}
		if incidentalOnly(problems) {
			fmt.Fprintf(w, "  no check failed: the seed set did not exercise what the scenario declares\n")
		}
	} else {
		fmt.Fprintf(w, "  every seed behaved as the scenario declares\n")
	}
}

// incidentalOnly reports whether every problem is about the seed set
// (coverage, precondition) rather than a check that failed.
func incidentalOnly(problems []scenarios.Problem) bool {
	for _, p := range problems {
		if !p.Class.Incidental() {
			return false
		}
	}
	return true
}

// writeJSONLine writes v as one line in one write, so that a log collector
// that interleaves it with other output keeps it whole.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// progress draws a bar on a terminal and plain lines elsewhere (CI logs).
type progress struct {
	w       io.Writer
	tty     bool
	total   uint64
	started time.Time
	last    time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) start(total uint64) {
	if p == nil {
		return
	}
	p.total, p.started, p.last = total, time.Now(), time.Now()
}

func (p *progress) update(t *scenarios.Tally) {
	if p == nil || p.w == nil {
		return
	}
	now := time.Now()
	every := 2 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && uint64(t.Runs) != p.total {
		return
	}
	p.last = now
	rate := float64(t.Runs) / now.Sub(p.started).Seconds()
	if p.tty {
		const width = 30
		filled := int(uint64(width) * uint64(t.Runs) / max(p.total, 1))
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d seeds  %.0f/s  fail %d  unknown %d ", strings.Repeat("#", filled), strings.Repeat("-", width-filled), t.Runs, p.total, rate, t.Fail, t.Unknown)
		return
	}
	fmt.Fprintf(p.w, "progress: %d/%d seeds, %.0f/s, %d fail, %d unknown\n", t.Runs, p.total, rate, t.Fail, t.Unknown)
}

func (p *progress) done() {
	if p != nil && p.tty {
		fmt.Fprintln(p.w)
	}
}

func sortedProbes(fired map[scenarios.Probe]int) []scenarios.Probe {
	out := make([]scenarios.Probe, 0, len(fired))
	for p := range fired {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
