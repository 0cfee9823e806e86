package dynamo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// PBS measures probabilistically bounded staleness (Bailis et al., VLDB
// 2012): the probability that a read t after a write's commit sees it, for
// N=3 replicas under the WARS model. A write goes to every replica (delay
// W), which acknowledges (A); the write commits at the W-th
// acknowledgement. t later a read goes to every replica (R), which answers
// (S); the read takes the first R answers and is consistent if one of them
// holds the write, that is if the write reached that replica before the
// read did.
//
// RunPBS runs this on the simulator, with the store's replicas (read
// repair and anti-entropy off) and a coordinator that speaks their
// protocol; DirectPBS samples the same model without the simulator, as a
// cross-check.

// WARS is a delay model: one latency per one-way message kind. WANDelay,
// if set, is added to every message to and from every replica but one,
// drawn at random for each operation: the replica in the coordinator's
// data centre.
type WARS struct {
	Name       string
	W, A, R, S simnet.Latency
	WANDelay   time.Duration
}

// Quorum is one (R, W) pair over N replicas.
type Quorum struct {
	R, W int
	// N is how many replicas hold the key; 0 is the paper's 3. RunPBS
	// runs 3 only.
	N int
}

func (q Quorum) replicas() int {
	if q.N == 0 {
		return 3
	}
	return q.N
}

// PBSQuorums are the pairs the tables show.
var PBSQuorums = []Quorum{{R: 1, W: 1}, {R: 1, W: 2}, {R: 2, W: 1}}

// PBSTimes are the read delays after commit the tables show.
var PBSTimes = []time.Duration{0, 1 * time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}

func exponential(ratePerMs float64) simnet.Exponential {
	return simnet.Exponential{Mean: time.Duration(float64(float64(time.Millisecond) / ratePerMs))}
}

func pareto(minMs, alpha float64) simnet.Pareto {
	return simnet.Pareto{Min: time.Duration(float64(minMs * float64(time.Millisecond))), Alpha: alpha}
}

func mixture(w1 float64, a simnet.Latency, b simnet.Latency) simnet.Mixture {
	return simnet.Mixture{Parts: []simnet.Weighted{{Weight: w1, Latency: a}, {Weight: 1 - w1, Latency: b}}}
}

// The production-fitted distributions of the paper (section 5.2).
var (
	lnkdSSD  = mixture(0.9122, pareto(0.235, 10), exponential(1.66))
	lnkdDisk = mixture(0.38, pareto(1.05, 1.51), exponential(0.183))
	ymmrW    = mixture(0.939, pareto(3, 3.35), exponential(0.0028))
	ymmrARS  = mixture(0.982, pareto(1.5, 3.8), exponential(0.0217))
)

// PBSModels are the paper's delay models: LNKD-SSD, LNKD-DISK, YMMR, WAN,
// and the synthetic exponentials (A = R = S at rate 1/ms, W at the rate
// named).
func PBSModels() []WARS {
	out := []WARS{
		{Name: "LNKD-SSD", W: lnkdSSD, A: lnkdSSD, R: lnkdSSD, S: lnkdSSD},
		{Name: "LNKD-DISK", W: lnkdDisk, A: lnkdSSD, R: lnkdSSD, S: lnkdSSD},
		{Name: "YMMR", W: ymmrW, A: ymmrARS, R: ymmrARS, S: ymmrARS},
		{Name: "WAN", W: lnkdDisk, A: lnkdSSD, R: lnkdSSD, S: lnkdSSD, WANDelay: 75 * time.Millisecond},
	}
	for _, rate := range []float64{0.1, 0.2, 0.5, 1, 2, 4} {
		ars := exponential(1)
		out = append(out, WARS{Name: fmt.Sprintf("exp W=%g", rate), W: exponential(rate), A: ars, R: ars, S: ars})
	}
	return out
}

// PBSResult is P(consistent read) for one model and quorum, at each of
// Times, over Trials writes.
type PBSResult struct {
	Model      string
	Quorum     Quorum
	Times      []time.Duration
	Consistent []int // reads that saw the write, by time
	Trials     int
}

// P is the estimated probability at time index i.
func (r PBSResult) P(i int) float64 { return float64(r.Consistent[i]) / float64(r.Trials) }

// Halfwidth is the half-width of the 95% confidence interval at i (normal
// approximation, with a floor of one trial's weight so that p = 0 or 1 is
// not taken as certain).
func (r PBSResult) Halfwidth(i int) float64 {
	p := r.P(i)
	return float64(1.96*math.Sqrt(float64(p*(1-p))/float64(r.Trials))) + 1/float64(r.Trials)
}

// DirectPBS samples the WARS model directly: trials writes, each followed
// by one read at every time.
func DirectPBS(m WARS, q Quorum, times []time.Duration, trials int, seed uint64) PBSResult {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	res := PBSResult{Model: m.Name, Quorum: q, Times: slices.Clone(times), Consistent: make([]int, len(times)), Trials: trials}
	s := newWARSSample(q.replicas())
	for trial := 0; trial < trials; trial++ {
		commit := s.write(m, q, rng)
		for ti, t := range times {
			if s.read(m, q, rng, commit) <= t {
				res.Consistent[ti]++
			}
		}
	}
	return res
}

// warsSample holds one trial's delays.
type warsSample struct {
	w, ack  []time.Duration
	answers []warsAnswer
	sorted  []time.Duration
}

type warsAnswer struct {
	at, stale time.Duration
}

func newWARSSample(n int) *warsSample {
	return &warsSample{w: make([]time.Duration, n), ack: make([]time.Duration, n), answers: make([]warsAnswer, n), sorted: make([]time.Duration, n)}
}

// write samples a write to every replica and returns its commit time, the
// W-th acknowledgement, which is the write's latency.
func (s *warsSample) write(m WARS, q Quorum, rng *rand.Rand) time.Duration {
	local := rng.IntN(len(s.w))
	for i := range s.w {
		s.w[i] = m.W.Sample(rng) + m.wan(i, local)
		s.ack[i] = s.w[i] + m.A.Sample(rng) + m.wan(i, local)
	}
	copy(s.sorted, s.ack)
	slices.Sort(s.sorted)
	return s.sorted[q.W-1]
}

// read samples a read of the last write and returns the least t after
// commit at which it would have been consistent: a replica among the
// first R to answer holds the write once it arrives there, at t + its
// read delay after commit.
func (s *warsSample) read(m WARS, q Quorum, rng *rand.Rand, commit time.Duration) time.Duration {
	t, _ := s.readTimed(m, q, rng, commit)
	return t
}

// readTimed is read, and the read's latency: the R-th answer.
func (s *warsSample) readTimed(m WARS, q Quorum, rng *rand.Rand, commit time.Duration) (time.Duration, time.Duration) {
	local := rng.IntN(len(s.w))
	for i := range s.answers {
		r := m.R.Sample(rng) + m.wan(i, local)
		sd := m.S.Sample(rng) + m.wan(i, local)
		s.answers[i] = warsAnswer{at: r + sd, stale: s.w[i] - commit - r}
	}
	slices.SortFunc(s.answers, func(a, b warsAnswer) int { return cmp.Compare(a.at, b.at) })
	least := s.answers[0].stale
	for _, a := range s.answers[1:q.R] {
		least = min(least, a.stale)
	}
	return least, s.answers[q.R-1].at
}

// Visibility is a t-visibility (the paper's section 4): the least time
// after commit at which a read is consistent with probability P, and the
// same quantile of the operations' latencies.
type Visibility struct {
	Model  string
	Quorum Quorum
	P      float64
	Trials int
	// T is the least t >= 0 with P(consistent read t after commit) >= P.
	T time.Duration
	// ReadLatency (the R-th answer) and WriteLatency (the W-th
	// acknowledgement) are their P-th quantiles: the paper's L_r and L_w.
	ReadLatency, WriteLatency time.Duration
	// stale holds, sorted, each trial's least consistent t.
	stale []time.Duration
}

// PAt is the estimated probability that a read t after commit is
// consistent, from the same trials.
func (v Visibility) PAt(t time.Duration) float64 {
	n, _ := slices.BinarySearchFunc(v.stale, t, func(s, t time.Duration) int {
		if s <= t {
			return -1
		}
		return 1
	})
	return float64(n) / float64(v.Trials)
}

// DirectVisibility samples the WARS model directly: trials writes, each
// with one read whose delays are drawn once, so that each trial gives the
// least t at which its read is consistent; T is their P-th quantile. This
// is how the paper's own simulator finds the t for a p_st, and it agrees
// with DirectPBS at every t.
func DirectVisibility(m WARS, q Quorum, p float64, trials int, seed uint64) Visibility {
	rng := rand.New(rand.NewPCG(seed, 0x3c6ef372fe94f82b))
	v := Visibility{Model: m.Name, Quorum: q, P: p, Trials: trials, stale: make([]time.Duration, trials)}
	reads, writes := make([]time.Duration, trials), make([]time.Duration, trials)
	s := newWARSSample(q.replicas())
	for trial := 0; trial < trials; trial++ {
		commit := s.write(m, q, rng)
		v.stale[trial], reads[trial] = s.readTimed(m, q, rng, commit)
		writes[trial] = commit
	}
	slices.Sort(v.stale)
	slices.Sort(reads)
	slices.Sort(writes)
	k := min(trials-1, max(0, int(math.Ceil(float64(p*float64(trials))))-1))
	v.T, v.ReadLatency, v.WriteLatency = max(0, v.stale[k]), reads[k], writes[k]
	return v
}

func (m WARS) wan(replica, local int) time.Duration {
	if m.WANDelay > 0 && replica != local {
		return m.WANDelay
	}
	return 0
}

// shifted adds a constant to a latency: the WAN's cross-datacentre hop.
type shifted struct {
	D time.Duration
	L simnet.Latency
}

func (s shifted) Sample(r *rand.Rand) time.Duration { return s.D + s.L.Sample(r) }
func (s shifted) Validate() error                   { return s.L.Validate() }
func (s shifted) String() string                    { return fmt.Sprintf("%v+%v", s.D, s.L) }

// RunPBS runs the experiment on the simulator: three replicas of the
// store, and coordinator hosts whose links to and from the replicas carry
// the W, A, R and S delays. Under a WAN model there are three writers and
// three readers, each in the data centre of one replica, and every
// operation picks one at random. Trials overlap in time, each on its own
// key, so they are independent.
func RunPBS(m WARS, q Quorum, times []time.Duration, trials int, seed uint64) (PBSResult, error) {
	if q.replicas() != 3 {
		return PBSResult{}, fmt.Errorf("dynamo: RunPBS runs N=3 only, not N=%d (DirectPBS takes any N)", q.N)
	}
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxTime: 24 * time.Hour})
	if err != nil {
		return PBSResult{}, err
	}
	net, err := simnet.New(w, simnet.Options{})
	if err != nil {
		return PBSResult{}, err
	}
	cfg := DefaultConfig()
	cfg.N, cfg.R, cfg.W = 3, q.R, q.W
	cfg.ReadRepair, cfg.AntiEntropyInterval = false, 0
	cfg.GossipInterval, cfg.FailAfter, cfg.HintInterval, cfg.ReapInterval = time.Hour, 2*time.Hour, time.Hour, time.Hour
	factory, err := New(cfg)
	if err != nil {
		return PBSResult{}, err
	}
	replicas := []sim.HostID{0, 1, 2}
	for _, id := range replicas {
		peers := slices.DeleteFunc(slices.Clone(replicas), func(p sim.HostID) bool { return p == id })
		if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("replica%d", id), Peers: peers, Factory: factory}); err != nil {
			return PBSResult{}, err
		}
	}
	ex := &pbsExperiment{w: w, q: q, times: times, res: PBSResult{Model: m.Name, Quorum: q, Times: slices.Clone(times), Consistent: make([]int, len(times)), Trials: trials}}
	sites := 1
	if m.WANDelay > 0 {
		sites = 3
	}
	add := func(name string, node sim.Node) sim.HostID {
		id, _ := w.AddHost(sim.HostConfig{Name: name, Factory: func() sim.Node { return node }})
		return id
	}
	for i := 0; i < sites; i++ {
		ex.writers = append(ex.writers, &pbsCoordinator{ex: ex})
		ex.writerIDs = append(ex.writerIDs, add(fmt.Sprintf("writer%d", i), ex.writers[i]))
	}
	for i := 0; i < sites; i++ {
		ex.readers = append(ex.readers, &pbsCoordinator{ex: ex})
		ex.readerIDs = append(ex.readerIDs, add(fmt.Sprintf("reader%d", i), ex.readers[i]))
	}
	link := func(from, to sim.HostID, l simnet.Latency, far bool) error {
		if far {
			l = shifted{D: m.WANDelay, L: l}
		}
		return net.SetLink(from, to, simnet.Link{Latency: l})
	}
	for site := 0; site < sites; site++ {
		for _, rep := range replicas {
			far := m.WANDelay > 0 && int(rep) != site
			for _, err := range []error{
				link(ex.writerIDs[site], rep, m.W, far), link(rep, ex.writerIDs[site], m.A, far),
				link(ex.readerIDs[site], rep, m.R, far), link(rep, ex.readerIDs[site], m.S, far),
			} {
				if err != nil {
					return PBSResult{}, err
				}
			}
		}
	}
	pick := w.Stream("pbs")
	const spacing = time.Millisecond
	for trial := 0; trial < trials; trial++ {
		key := fmt.Sprintf("t%d", trial)
		site := pick.IntN(sites)
		w.At(time.Duration(trial+1)*spacing, func() { ex.writers[site].write(key) })
	}
	ex.pick = pick
	// The replicas' periodic work never stops, so the run goes on until
	// every read is judged.
	for ex.reads < trials*len(times) {
		if out := w.RunFor(time.Second); out.Reason != sim.StopDeadline {
			return PBSResult{}, fmt.Errorf("dynamo: the PBS run ended with %v: %v", out.Reason, out.Err)
		}
	}
	if ex.commits != trials || ex.reads != trials*len(times) {
		return PBSResult{}, fmt.Errorf("dynamo: the PBS run committed %d of %d writes and finished %d of %d reads", ex.commits, trials, ex.reads, trials*len(times))
	}
	return ex.res, nil
}

type pbsExperiment struct {
	w                    *sim.World
	q                    Quorum
	times                []time.Duration
	res                  PBSResult
	writers, readers     []*pbsCoordinator
	writerIDs, readerIDs []sim.HostID
	pick                 *rand.Rand
	commits, reads       int
}

// committed schedules the reads of a write that just committed.
func (ex *pbsExperiment) committed(key string) {
	ex.commits++
	for ti, t := range ex.times {
		site := ex.pick.IntN(len(ex.readers))
		ex.w.After(t, func() { ex.readers[site].read(key, ti) })
	}
}

func (ex *pbsExperiment) readDone(ti int, fresh bool) {
	ex.reads++
	if fresh {
		ex.res.Consistent[ti]++
	}
}

// pbsCoordinator speaks the replicas' protocol directly: a writer sends
// one write to every replica and counts acknowledgements; a reader asks
// every replica and judges the first R answers.
type pbsCoordinator struct {
	ex   *pbsExperiment
	env  sim.Env
	next uint64
	ops  map[uint64]*pbsOp
}

type pbsOp struct {
	key      string
	time     int // the read's index in the times
	answers  int
	fresh    bool
	finished bool
}

func (c *pbsCoordinator) Start(env sim.Env)      { c.env, c.ops = env, map[uint64]*pbsOp{} }
func (c *pbsCoordinator) Timer(sim.TimerID, any) {}

func (c *pbsCoordinator) write(key string) {
	c.next++
	c.ops[c.next] = &pbsOp{key: key}
	obj := Object{}.Put(Sibling{Dot: Dot{Node: int64(c.env.ID()), Counter: c.next}, Value: "v"})
	for rep := sim.HostID(0); rep < 3; rep++ {
		c.env.Send(rep, replicate{Req: c.next, Key: key, Obj: obj, HintFor: sim.NoHost})
	}
}

func (c *pbsCoordinator) read(key string, ti int) {
	c.next++
	c.ops[c.next] = &pbsOp{key: key, time: ti}
	for rep := sim.HostID(0); rep < 3; rep++ {
		c.env.Send(rep, fetch{Req: c.next, Key: key, HintFor: sim.NoHost})
	}
}

func (c *pbsCoordinator) Receive(_ sim.HostID, msg any) {
	switch m := msg.(type) {
	case replicateAck:
		op, ok := c.ops[m.Req]
		if !ok {
			return
		}
		op.answers++
		if op.answers == c.ex.q.W {
			c.ex.committed(op.key)
		}
		if op.answers == 3 {
			delete(c.ops, m.Req)
		}
	case fetchReply:
		op, ok := c.ops[m.Req]
		if !ok {
			return
		}
		op.answers++
		if !op.finished {
			op.fresh = op.fresh || !m.Obj.Empty()
			if op.answers == c.ex.q.R {
				op.finished = true
				c.ex.readDone(op.time, op.fresh)
			}
		}
		if op.answers == 3 {
			delete(c.ops, m.Req)
		}
	}
}

// FormatPBS renders results as a table: one row per model and quorum, one
// column per time, each cell the percentage of consistent reads.
func FormatPBS(results []PBSResult) string {
	var b strings.Builder
	if len(results) == 0 {
		return ""
	}
	fmt.Fprintf(&b, "%-12s %-6s", "model", "R,W")
	for _, t := range results[0].Times {
		fmt.Fprintf(&b, " %8s", t)
	}
	b.WriteString("\n")
	for _, r := range results {
		fmt.Fprintf(&b, "%-12s %d,%d   ", r.Model, r.Quorum.R, r.Quorum.W)
		for i := range r.Times {
			fmt.Fprintf(&b, " %7.2f%%", 100*r.P(i))
		}
		b.WriteString("\n")
	}
	return b.String()
}
