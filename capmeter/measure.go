package capmeter

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/scenarios"
)

// Seed is what one run of one (system, partition) pair measured.
type Seed struct {
	Seed uint64 `json:"seed"`
	// Requests and Served count the operations invoked during the
	// partition by clients on each side, and those answered successfully
	// before the heal (within the client's deadline: a client gives up on
	// the others, and an answer after the heal is not the partition's).
	Requests Sides `json:"requests"`
	Served   Sides `json:"served"`
	// Violated: the history check found the history illegal (not
	// linearizable, or a transactional anomaly).
	Violated bool `json:"violated"`
	// HistoryChecked: the history was checked at all.
	HistoryChecked bool `json:"history_checked"`
	// Anomalies are the failed checks' names, history and invariants.
	Anomalies  []string             `json:"anomalies,omitempty"`
	Staleness  *scenarios.Staleness `json:"staleness,omitempty"`
	LostWrites int                  `json:"lost_writes"`
	Counters   map[string]int       `json:"counters,omitempty"`
	Latency    []time.Duration      `json:"-"`
	// ServeAgain is how long after the heal every client had an
	// operation answered; -1 when some client never was.
	ServeAgain scenarios.Duration `json:"serve_again"`
	// Converged: the servers' replicas were equal at the end of the heal
	// phase; ConvergenceChecked is false when the system reports no
	// replicas to compare.
	Converged          bool `json:"converged"`
	ConvergenceChecked bool `json:"convergence_checked"`
	// ConvergeAfter is how long after the heal the replicas became equal
	// for good (scenarios.ConvergenceTime), -1 if never; AfterWrites how
	// long after the later of the heal and the clients' last write. Both
	// are -1 when convergence is not checked.
	ConvergeAfter scenarios.Duration `json:"converge_after"`
	AfterWrites   scenarios.Duration `json:"converge_after_writes"`
	// Consistency is the seed's point on the consistency axis: 0 for a
	// violated history, else the fraction of reads that were not stale
	// (1 when reads are not measured).
	Consistency float64 `json:"consistency"`

	result *scenarios.Result
}

// Sides holds one count per side of the partition.
type Sides struct {
	Majority int `json:"majority"`
	Minority int `json:"minority"`
}

// Row is one (system, partition) pair over the seeds.
type Row struct {
	System    string `json:"system"`
	Partition string `json:"partition"`
	Scenario  string `json:"scenario"`
	Seeds     int    `json:"seeds"`
	// Availability per side, and over both: the mean over seeds of each
	// seed's served/requests, with its standard deviation; -1 when no
	// client stood on that side.
	AvailabilityMajority Stat `json:"availability_majority"`
	AvailabilityMinority Stat `json:"availability_minority"`
	Availability         Stat `json:"availability"`
	Consistency          Stat `json:"consistency"`
	// ViolatedRatio is the fraction of checked seeds whose history was
	// illegal; -1 when no history was checked.
	ViolatedRatio float64            `json:"violated_ratio"`
	Anomalies     []string           `json:"anomalies,omitempty"`
	StaleRatio    float64            `json:"stale_ratio"`
	StaleForMax   scenarios.Duration `json:"stale_for_max"`
	LostWrites    int                `json:"lost_writes"`
	Counters      map[string]float64 `json:"counters,omitempty"`
	// Latency of successful operations during the partition, all seeds.
	LatencyP50 scenarios.Duration `json:"latency_p50"`
	LatencyP99 scenarios.Duration `json:"latency_p99"`
	LatencyMax scenarios.Duration `json:"latency_max"`
	// ServeAgainMax is the slowest return to service after the heal over
	// the seeds; -1 when some seed never served every client again.
	ServeAgainMax scenarios.Duration `json:"serve_again_max"`
	// ConvergedRatio is the fraction of seeds whose replicas converged;
	// -1 when the system reports no replicas.
	ConvergedRatio float64 `json:"converged_ratio"`
	// ConvergeP50 and ConvergeMax are the time to converge after the
	// heal over the seeds that converged, -1 when none did;
	// ConvergeNever counts the seeds that never did. AfterWritesP50 and
	// AfterWritesMax are the same, counted from the clients' last write
	// when it came after the heal: the repair alone.
	ConvergeP50    scenarios.Duration `json:"converge_p50"`
	ConvergeMax    scenarios.Duration `json:"converge_max"`
	ConvergeNever  int                `json:"converge_never"`
	AfterWritesP50 scenarios.Duration `json:"converge_after_writes_p50"`
	AfterWritesMax scenarios.Duration `json:"converge_after_writes_max"`
	// FailingSeed is a seed whose history was illegal, else one with the
	// lowest availability; 0 when every seed served everything.
	FailingSeed uint64 `json:"failing_seed"`
	PerSeed     []Seed `json:"per_seed"`
}

// Stat is a mean with its standard deviation over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Table is the whole measurement.
type Table struct {
	Seeds int `json:"seeds"`
	// Rate is the suite's workload rate, in operations per second per
	// client.
	Rate       float64  `json:"rate"`
	Partitions []string `json:"partitions"`
	Rows       []Row    `json:"rows"`
}

// Job is one run to do.
type job struct {
	row  int
	seed uint64
}

// Run measures every (system, partition) pair of s over seeds 1..s.Seeds,
// on workers goroutines (each run is its own single-threaded world, so the
// table does not depend on how many). The built-in scenarios must be
// loaded.
func Run(s Suite, workers int) (*Table, error) {
	type pair struct {
		e  Entry
		p  Partition
		sc scenarios.Scenario
	}
	var pairs []pair
	for _, e := range s.Systems {
		for _, p := range s.Partitions {
			sc, err := s.Scenario(e, p)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, pair{e, p, sc})
		}
	}
	seeds := make([][]Seed, len(pairs))
	var jobs []job
	for i := range pairs {
		seeds[i] = make([]Seed, s.Seeds)
		for k := 0; k < s.Seeds; k++ {
			jobs = append(jobs, job{i, uint64(k + 1)})
		}
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				jb := jobs[j]
				pr := pairs[jb.row]
				res, err := scenarios.Run(pr.sc, jb.seed, scenarios.Options{CheckWorkers: 1})
				if err != nil {
					errs[j] = err
					continue
				}
				seeds[jb.row][jb.seed-1] = measure(s, pr.e, res)
			}
		}()
	}
	for j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	t := &Table{Seeds: s.Seeds, Rate: s.Rate}
	for _, p := range s.Partitions {
		t.Partitions = append(t.Partitions, p.Name)
	}
	for i, pr := range pairs {
		t.Rows = append(t.Rows, aggregate(pr.e, pr.p, pr.sc.Name, seeds[i]))
	}
	return t, nil
}

// measure reads one run's result.
func measure(s Suite, e Entry, res *scenarios.Result) Seed {
	from, until := s.window()
	majority := map[int]bool{}
	for _, cs := range res.ClientSides {
		if cs.At.D() == from {
			majority[cs.Client] = cs.Majority
		}
	}
	out := Seed{Seed: res.Seed, result: res, ServeAgain: -1, Consistency: 1, ConvergeAfter: -1, AfterWrites: -1}
	if c := res.Convergence; c != nil {
		out.ConvergeAfter, out.AfterWrites = c.After, c.AfterWrites
	}
	var ops []checker.OpSummary
	if res.History != nil {
		ops = res.History.Summaries()
	}
	served := map[int]time.Duration{}
	for _, op := range ops {
		ok := op.Status == checker.OpCompleted
		if op.Call >= from && op.Call < until {
			req, srv := &out.Requests.Minority, &out.Served.Minority
			if majority[op.Client] {
				req, srv = &out.Requests.Majority, &out.Served.Majority
			}
			*req++
			if ok && op.Return <= until {
				*srv++
				out.Latency = append(out.Latency, op.Return-op.Call)
			}
		}
		if ok && op.Call >= until {
			if t, seen := served[op.Client]; !seen || op.Return < t {
				served[op.Client] = op.Return
			}
		}
	}
	clients := 0
	for _, cs := range res.ClientSides {
		if cs.At.D() == from {
			clients++
		}
	}
	if len(served) == clients && clients > 0 {
		var last time.Duration
		for _, t := range served {
			last = max(last, t)
		}
		out.ServeAgain = scenarios.Duration(last - until)
	}
	if res.Lin != nil {
		out.HistoryChecked = true
	}
	for _, r := range res.Reasons {
		if r.Verdict != scenarios.Fail {
			continue
		}
		if res.Lin != nil && r.Check == res.Lin.Check {
			out.Violated = true
		}
		if r.Check != scenarios.CheckConvergence && !slices.Contains(out.Anomalies, r.Check) {
			out.Anomalies = append(out.Anomalies, r.Check)
		}
	}
	out.ConvergenceChecked = slices.Contains(res.Checks, scenarios.CheckConvergence)
	out.Converged = out.ConvergenceChecked &&
		!slices.ContainsFunc(res.Reasons, func(r scenarios.Reason) bool { return r.Check == scenarios.CheckConvergence })
	out.Staleness = res.Staleness
	switch {
	case out.Violated:
		out.Consistency = 0
	case out.Staleness != nil && out.Staleness.Reads > 0:
		out.Consistency = 1 - out.Staleness.StaleRatio
	}
	if e.LostWritesCounter != "" {
		out.LostWrites = res.Counter(e.LostWritesCounter)
	}
	for _, c := range e.Counters {
		if out.Counters == nil {
			out.Counters = map[string]int{}
		}
		out.Counters[c] = res.Counter(c)
	}
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// stat is the mean and standard deviation of the non-negative xs; -1
// when there are none.
func stat(xs []float64) Stat {
	var n, sum float64
	for _, x := range xs {
		if x >= 0 {
			n++
			sum += x
		}
	}
	if n == 0 {
		return Stat{Mean: -1}
	}
	mean := sum / n
	var sq float64
	for _, x := range xs {
		if x >= 0 {
			d := x - mean
			sq += float64(d * d)
		}
	}
	return Stat{Mean: mean, Std: math.Sqrt(sq / n)}
}

func aggregate(e Entry, p Partition, scenario string, seeds []Seed) Row {
	row := Row{System: e.Label, Partition: p.Name, Scenario: scenario, Seeds: len(seeds), PerSeed: seeds, ViolatedRatio: -1}
	var maj, mnr, all, cons []float64
	var lat, converge, afterWrites []time.Duration
	checked, violated, converged, convergenceChecked, reads, stale := 0, 0, 0, 0, 0, 0
	worst, worstAvail := uint64(0), 2.0
	for _, sd := range seeds {
		maj = append(maj, ratio(sd.Served.Majority, sd.Requests.Majority))
		mnr = append(mnr, ratio(sd.Served.Minority, sd.Requests.Minority))
		a := ratio(sd.Served.Majority+sd.Served.Minority, sd.Requests.Majority+sd.Requests.Minority)
		all = append(all, a)
		cons = append(cons, sd.Consistency)
		lat = append(lat, sd.Latency...)
		if sd.HistoryChecked {
			checked++
		}
		if sd.Violated {
			violated++
			if worstAvail > -1 {
				worst, worstAvail = sd.Seed, -1
			}
		}
		if a >= 0 && a < worstAvail && a < 1 {
			worst, worstAvail = sd.Seed, a
		}
		if sd.Converged {
			converged++
		}
		if sd.ConvergenceChecked {
			convergenceChecked++
			if sd.ConvergeAfter >= 0 {
				converge = append(converge, sd.ConvergeAfter.D())
				afterWrites = append(afterWrites, sd.AfterWrites.D())
			} else {
				row.ConvergeNever++
			}
		}
		for _, an := range sd.Anomalies {
			if !slices.Contains(row.Anomalies, an) {
				row.Anomalies = append(row.Anomalies, an)
			}
		}
		if st := sd.Staleness; st != nil {
			reads += st.Reads
			stale += st.ReadsStale
			row.StaleForMax = max(row.StaleForMax, st.StaleForMax)
		}
		row.LostWrites += sd.LostWrites
		if sd.ServeAgain < 0 || row.ServeAgainMax < 0 {
			row.ServeAgainMax = -1
		} else {
			row.ServeAgainMax = max(row.ServeAgainMax, sd.ServeAgain)
		}
		for _, c := range e.Counters {
			if row.Counters == nil {
				row.Counters = map[string]float64{}
			}
			row.Counters[c] += float64(sd.Counters[c]) / float64(len(seeds))
		}
	}
	slices.Sort(row.Anomalies)
	row.AvailabilityMajority, row.AvailabilityMinority, row.Availability = stat(maj), stat(mnr), stat(all)
	row.Consistency = stat(cons)
	if checked > 0 {
		row.ViolatedRatio = float64(violated) / float64(checked)
	}
	row.StaleRatio = ratio(stale, reads)
	row.ConvergedRatio = ratio(converged, convergenceChecked)
	if len(lat) > 0 {
		row.LatencyP50, row.LatencyP99, row.LatencyMax = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 1)
	}
	row.ConvergeP50, row.ConvergeMax = quantile(converge, 0.5), quantile(converge, 1)
	row.AfterWritesP50, row.AfterWritesMax = quantile(afterWrites, 0.5), quantile(afterWrites, 1)
	row.FailingSeed = worst
	return row
}

// quantile is the p-th quantile of xs, which it sorts; -1 for none.
func quantile(xs []time.Duration, p float64) scenarios.Duration {
	if len(xs) == 0 {
		return -1
	}
	slices.Sort(xs)
	return scenarios.Duration(xs[min(len(xs)-1, int(float64(p*float64(len(xs)))))])
}

// Result returns the run behind a row's seed, for its artifacts; nil
// when the seed is not one of the row's.
func (r Row) Result(seed uint64) *scenarios.Result {
	for _, sd := range r.PerSeed {
		if sd.Seed == seed {
			return sd.result
		}
	}
	return nil
}

func (r Row) String() string { return fmt.Sprintf("%s/%s", r.System, r.Partition) }
