package nodetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
)

// checkSameSeed runs every base, and a crash schedule of the calm one,
// twice in this process and once in each child process: every run of a
// seed must leave the same trace hash.
func (s *suite) checkSameSeed() []string {
	var fails []string
	seed := s.opts.Seed
	runs := append(append([]scenarios.Scenario(nil), s.bases...), s.reshaped("crashes", seed, s.crashFaults))
	var jobs []childRun
	var want []string
	for _, sc := range runs {
		h1, err := s.runHashOnly(sc, seed)
		if err != nil {
			fails = append(fails, fmt.Sprintf("scenario %s: %v", sc.Name, err))
			continue
		}
		h2, err := s.runHashOnly(sc, seed)
		if err != nil {
			fails = append(fails, fmt.Sprintf("scenario %s: %v", sc.Name, err))
			continue
		}
		if h1 != h2 {
			fails = append(fails, s.divergence(sc, seed, fmt.Sprintf("two runs in this process gave trace hashes %s and %s", h1, h2)))
			continue
		}
		jobs = append(jobs, childRun{Scenario: sc, Seed: seed})
		want = append(want, h1)
	}
	if s.opts.InProcessOnly || len(jobs) == 0 {
		return fails
	}
	hashes, errs := s.inChildren(jobs)
	for c, procs := range childProcs {
		got, err := hashes[c], errs[c]
		if err != nil {
			fails = append(fails, err.Error())
			continue
		}
		for i, h := range got {
			if h == want[i] {
				continue
			}
			what := fmt.Sprintf("a child process at GOMAXPROCS=%d gave trace hash %s, this process %s", procs, h, want[i])
			fails = append(fails, s.childDivergence(procs, jobs[i], what))
		}
	}
	return fails
}

// checkSeedsDiffer runs the calm base with two seeds: if both give one
// run, the seed reaches nothing, and no sweep explores anything.
func (s *suite) checkSeedsDiffer() []string {
	a, b := s.opts.Seed, s.opts.Seed+1
	ha, err := s.runHashOnly(s.base, a)
	if err != nil {
		return []string{err.Error()}
	}
	hb, err := s.runHashOnly(s.base, b)
	if err != nil {
		return []string{err.Error()}
	}
	if ha == hb {
		return []string{fmt.Sprintf("scenario %s: seeds %d and %d gave the same trace hash %s: the seed decides nothing in the run", s.base.Name, a, b, ha)}
	}
	return nil
}

// checkCrashRestart crashes servers at points drawn from each seed, and
// once the whole cluster: every invariant must hold throughout, the
// history must be what the system promises, and once healed the
// system must serve and converge.
func (s *suite) checkCrashRestart() []string {
	fails, results := s.runPassing("crashes", s.crashFaults, nil)
	crashed := 0
	for _, r := range results {
		crashed += r.Counter(string(scenarios.ProbeCrash))
	}
	if len(results) == s.opts.Seeds && crashed == 0 {
		fails = append(fails, fmt.Sprintf("no crash struck in %d runs of %s: the check proved nothing", len(results), s.base.Name))
	}
	return fails
}

// checkHostileNetwork pauses servers, steps, strobes and skews their
// clocks, on a network that duplicates and reorders: the invariants must
// hold, and once healed the system must serve and converge. Histories are
// not judged here: a protocol may rightly trust clocks for its reads.
func (s *suite) checkHostileNetwork() []string {
	fails, _ := s.runPassing("hostile", s.hostileFaults, func(sc *scenarios.Scenario) {
		sc.Checks.History = false
		sc.Network.FIFO = s.opts.FIFO
		if !s.opts.NoDuplicates {
			sc.Network.DupRatio = max(sc.Network.DupRatio, 0.05)
		}
		if sc.Network.Latency.Kind == "constant" {
			d := sc.Network.Latency.D
			sc.Network.Latency = scenarios.Latency{Kind: "uniform", Min: d / 2, Max: 2*d + scenarios.Duration(time.Millisecond)}
		}
	})
	return fails
}

// checkMessages runs every base, watching each message between its send
// and its delivery.
func (s *suite) checkMessages() []string {
	var fails []string
	for _, sc := range s.bases {
		o, err := s.run(sc, s.opts.Seed, false)
		if err != nil {
			fails = append(fails, fmt.Sprintf("scenario %s: %v", sc.Name, err))
			continue
		}
		if o.changed != nil {
			fails = append(fails, fmt.Sprintf("scenario %s, seed %d: %v", sc.Name, o.seed, o.changed))
		}
	}
	return fails
}

// checkTwin runs the calm base, traced, beside its twin, whose network
// deep-copies every message: the two traces must be the same, message
// body for message body.
func (s *suite) checkTwin() []string {
	twin, err := twinOf(s.sys)
	if err != nil {
		return []string{err.Error()}
	}
	seed := s.opts.Seed
	a, err := s.run(s.base, seed, true)
	if err != nil {
		return []string{fmt.Sprintf("scenario %s: %v", s.base.Name, err)}
	}
	tw := s.base.Clone()
	tw.System.Kind = twin.Name()
	b, err := s.run(tw, seed, true)
	if err != nil {
		return []string{fmt.Sprintf("scenario %s with every message deep-copied: %v", s.base.Name, err)}
	}
	if bytes.Equal(a.trace, b.trace) {
		return nil
	}
	hashes := fmt.Sprintf("trace hashes %s and %s", a.result.TraceHash, b.result.TraceHash)
	if a.result.TraceHash == b.result.TraceHash {
		hashes = "one trace hash, which does not cover message bodies: only their contents differ"
	}
	return []string{fmt.Sprintf("scenario %s, seed %d: the run parts from its twin whose network deep-copies every message "+
		"(%s): a message shares memory with a node that mutates it (a net.Cloner that shares mutable memory?)\n%s",
		s.base.Name, seed, hashes, describeDiff(a.trace, b.trace, "as the system copies messages", "every message deep-copied"))}
}

// runPassing runs the calm base reshaped with faults for every seed; each
// run must pass and keep its messages unchanged in flight.
func (s *suite) runPassing(name string, faults func(*rand.Rand, time.Duration) []scenarios.Fault, adjust func(*scenarios.Scenario)) ([]string, []*scenarios.Result) {
	var fails []string
	var results []*scenarios.Result
	for i := 0; i < s.opts.Seeds; i++ {
		seed := s.opts.Seed + uint64(i)
		sc := s.reshaped(name, seed, faults)
		if adjust != nil {
			adjust(&sc)
		}
		o, err := s.run(sc, seed, false)
		if err != nil {
			if strings.Contains(err.Error(), "refusal_definite") {
				err = fmt.Errorf("%w (set Options.NoDuplicates for a system whose clients rely on it)", err)
			}
			fails = append(fails, fmt.Sprintf("scenario %s: %v", sc.Name, err))
			break
		}
		results = append(results, o.result)
		if msg := verdict(o); msg != "" {
			fails = append(fails, msg+s.replayHint(sc, seed, o.result))
		}
		if o.changed != nil {
			fails = append(fails, fmt.Sprintf("scenario %s, seed %d: %v", sc.Name, seed, o.changed))
		}
	}
	return fails, results
}

// replayHint writes the failure spec of a run to a file of its own and
// says how to replay it.
func (s *suite) replayHint(sc scenarios.Scenario, seed uint64, r *scenarios.Result) string {
	dir := s.opts.SpecDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "nodetest-"+sc.System.Kind+"-"); err != nil {
			return ""
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-seed-%d.json", sc.Name, seed))
	f, err := os.Create(path)
	if err != nil {
		return ""
	}
	err = scenarios.NewSpec(sc, seed, r).Encode(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ""
	}
	return "\n  replay: simrun replay " + path + " (in a main that registers the system, such as its own)"
}

var crashTargets = []string{"leader", "follower", "random"}

// crashFaults are Options.Crashes crashes, each restarted after a while,
// and one kill-all.
func (s *suite) crashFaults(r *rand.Rand, phase time.Duration) []scenarios.Fault {
	var out []scenarios.Fault
	add := func(f scenarios.Fault) {
		if f.At < scenarios.Duration(phase) {
			out = append(out, f)
		}
	}
	holdMax := max(int64(min(phase/4, 2*time.Second)), 1)
	for i := 0; i < s.opts.Crashes; i++ {
		at := scenarios.Duration(r.Int64N(int64(phase)))
		add(scenarios.Fault{At: at, Kind: scenarios.FaultCrash, Target: crashTargets[r.IntN(len(crashTargets))]})
		add(scenarios.Fault{At: at + scenarios.Duration(10*time.Millisecond+time.Duration(r.Int64N(holdMax))), Kind: scenarios.FaultRestart})
	}
	add(scenarios.Fault{At: scenarios.Duration(phase/4 + time.Duration(r.Int64N(max(int64(phase/2), 1)))), Kind: scenarios.FaultKillAll,
		For: scenarios.Duration(10*time.Millisecond + time.Duration(r.Int64N(holdMax/2+1)))})
	return out
}

// hostileFaults are pauses, clock steps, a strobe and drifts.
func (s *suite) hostileFaults(r *rand.Rand, phase time.Duration) []scenarios.Fault {
	var out []scenarios.Fault
	at := func() scenarios.Duration { return scenarios.Duration(r.Int64N(int64(phase))) }
	hold := func() scenarios.Duration {
		return scenarios.Duration(5*time.Millisecond + time.Duration(r.Int64N(int64(time.Second))))
	}
	add := func(f scenarios.Fault) {
		if f.At < scenarios.Duration(phase) {
			out = append(out, f)
		}
	}
	for i := 0; i < 4; i++ {
		t := at()
		add(scenarios.Fault{At: t, Kind: scenarios.FaultPause, Target: crashTargets[r.IntN(len(crashTargets))]})
		add(scenarios.Fault{At: t + hold(), Kind: scenarios.FaultResume})
	}
	for i := 0; i < 4; i++ {
		step := time.Millisecond + time.Duration(r.Int64N(int64(500*time.Millisecond)))
		if r.IntN(2) == 0 {
			step = -step
		}
		add(scenarios.Fault{At: at(), Kind: scenarios.FaultClockStep, Target: crashTargets[r.IntN(len(crashTargets))], Step: scenarios.Duration(step)})
	}
	add(scenarios.Fault{At: at(), Kind: scenarios.FaultClockStrobe, Target: "random",
		Step:   scenarios.Duration(time.Millisecond + time.Duration(r.Int64N(int64(100*time.Millisecond)))),
		Period: scenarios.Duration(5*time.Millisecond + time.Duration(r.Int64N(int64(50*time.Millisecond)))), For: hold()})
	for i := 0; i < 2; i++ {
		add(scenarios.Fault{At: at(), Kind: scenarios.FaultClockDrift, Target: "random", Drift: float64(r.IntN(41)-20) / 1000})
	}
	return out
}

// divergence runs sc with seed twice more, traced, and says where the two
// runs part. Nondeterminism need not strike every time; a few tries find
// a pair that differs.
func (s *suite) divergence(sc scenarios.Scenario, seed uint64, what string) string {
	head := fmt.Sprintf("scenario %s, seed %d: %s", sc.Name, seed, what)
	for try := 0; try < 3; try++ {
		a, err := s.run(sc, seed, true)
		if err != nil {
			return head + ": " + err.Error()
		}
		b, err := s.run(sc, seed, true)
		if err != nil {
			return head + ": " + err.Error()
		}
		if a.result.TraceHash != b.result.TraceHash {
			return head + "\n" + describeDiff(a.trace, b.trace, "this process", "this process again")
		}
	}
	return head + "\n  (three more pairs of traced runs agreed with each other: the nondeterminism is rare)"
}

// childDivergence asks a child for the trace of job and compares it with
// this process's.
func (s *suite) childDivergence(procs int, job childRun, what string) string {
	head := fmt.Sprintf("scenario %s, seed %d: %s", job.Scenario.Name, job.Seed, what)
	here, err := s.run(job.Scenario, job.Seed, true)
	if err != nil {
		return head + ": " + err.Error()
	}
	there, err := s.childTrace(procs, job)
	if err != nil {
		return head + ": " + err.Error()
	}
	return head + "\n" + describeDiff(here.trace, there, "this process", fmt.Sprintf("the child at GOMAXPROCS=%d", procs))
}

const diffContext = 5

// describeDiff names the first record where two JSON traces part, with
// the records just before it.
func describeDiff(a, b []byte, nameA, nameB string) string {
	d, err := sim.DiffTraces(bytes.NewReader(a), bytes.NewReader(b), diffContext)
	if err != nil {
		return "  the traces cannot be compared: " + err.Error()
	}
	if d.Identical() {
		return "  yet their traces are the same, record for record: what differs is hashed but not traced"
	}
	var out strings.Builder
	fmt.Fprintf(&out, "  the runs part at record %d (A: %s, B: %s)", d.Same, nameA, nameB)
	if len(d.Before) > 0 {
		out.WriteString(", after:")
		for i := range d.Before {
			fmt.Fprintf(&out, "\n     %s", d.Before[i].String())
		}
	}
	for i, r := range []*sim.Record{d.A, d.B} {
		line := "(the trace ends here)"
		if r != nil {
			line = r.String()
		}
		fmt.Fprintf(&out, "\n  %c  %s", 'A'+i, line)
	}
	return out.String()
}
