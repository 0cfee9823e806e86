package client

import (
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
)

// WorkloadConfig configures one workload client host: a Jepsen-style
// process that runs one operation at a time, with think time between them.
type WorkloadConfig struct {
	_ struct{} // forces keyed literals

	Client Config `json:"client"`

	// Keys is how many keys the workload touches: "k0".."k<Keys-1>".
	Keys    int     `json:"keys"`
	KeyDist KeyDist `json:"key_dist"`
	// ZipfS is the Zipf exponent (> 0) when KeyDist is KeyZipf.
	ZipfS float64 `json:"zipf_s"`
	Mix   Mix     `json:"mix"`

	// The pause before each operation is drawn uniformly from
	// [ThinkMin, ThinkMax] (local clock).
	ThinkMin time.Duration `json:"think_min"`
	ThinkMax time.Duration `json:"think_max"`

	// The workload stops after OpsMax operations (0: no limit), and issues
	// none once its local clock reads StopAt or later (0: no limit). A
	// restarted client host starts its count afresh.
	OpsMax int           `json:"ops_max"`
	StopAt time.Duration `json:"stop_at"`

	// Script, if set, gives the operations instead of Keys, KeyDist and
	// Mix drawing them (Keys still names the client's own key).
	Script *Script `json:"script,omitempty"`
	// Rounds, if set, are the only times the client issues operations;
	// between them it pauses, and after the last it stops.
	Rounds []Round `json:"rounds,omitempty"`
}

// ScenarioWorkloadConfig is DefaultWorkloadConfig with no operation limit:
// in a scenario, clients run until the harness stops them.
func ScenarioWorkloadConfig() WorkloadConfig {
	wl := DefaultWorkloadConfig()
	wl.OpsMax = 0
	return wl
}

// DefaultWorkloadConfig returns a small mixed workload over DefaultConfig.
// Client.ID and Client.Servers are left for the scenario to fill in.
func DefaultWorkloadConfig() WorkloadConfig {
	return WorkloadConfig{
		Client:   DefaultConfig(),
		Keys:     5,
		KeyDist:  KeyUniform,
		ZipfS:    1,
		Mix:      Mix{Get: 4, Put: 2, Append: 2, Delete: 1, CAS: 1},
		ThinkMin: 0,
		ThinkMax: 10 * time.Millisecond,
		OpsMax:   100,
	}
}

// KeysMax bounds WorkloadConfig.Keys: the generator keeps a name (and,
// for zipf, a weight) per key, and no check needs more keys than that to
// find a bug in.
const KeysMax = 1_000_000

// MixWeightMax bounds each weight of a Mix, so that their sum cannot
// overflow.
const MixWeightMax = 1_000_000

// Validate reports the first field that is out of range, by its JSON path
// ("key_dist: must be uniform or zipf (is unset)", "client.deadline:
// ..."); a system prefixes the path of the workload in its scenario.
func (c WorkloadConfig) Validate() error {
	if err := c.Client.Validate(); err != nil {
		return fmt.Errorf("client.%w", err)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
	if c.Keys < 1 || c.Keys > KeysMax {
		return bad("keys", "must be in [1, %d] (is %d)", KeysMax, c.Keys)
	}
	switch c.KeyDist {
	case KeyUniform:
	case KeyZipf:
		if !(c.ZipfS > 0 && c.ZipfS <= 64) {
			return bad("zipf_s", "must be in (0, 64] for zipf keys (is %v)", c.ZipfS)
		}
	case 0:
		return bad("key_dist", "must be uniform or zipf (is unset)")
	default:
		return bad("key_dist", "must be uniform or zipf (is %d)", uint8(c.KeyDist))
	}
	total := 0
	for i, w := range c.Mix.weights() {
		if w < 0 || w > MixWeightMax {
			return bad("mix."+mixKinds[i].String(), "must be in [0, %d] (is %d)", MixWeightMax, w)
		}
		total += w
	}
	if total == 0 {
		return bad("mix", "needs a positive weight")
	}
	if c.ThinkMin < 0 {
		return bad("think_min", "must be >= 0 (is %v)", c.ThinkMin)
	}
	if c.ThinkMax < c.ThinkMin {
		return bad("think_max", "must be >= think_min (%v) (is %v)", c.ThinkMin, c.ThinkMax)
	}
	if c.OpsMax < 0 {
		return bad("ops_max", "must be >= 0 (is %d)", c.OpsMax)
	}
	if c.StopAt < 0 {
		return bad("stop_at", "must be >= 0 (is %v)", c.StopAt)
	}
	if c.Script != nil {
		if err := c.Script.validate(); err != nil {
			return fmt.Errorf("script.%w", err)
		}
	}
	return validateRounds(c.Rounds)
}

// Stats counts what a workload's operations came to, over every incarnation
// of its host. Operations in flight when the host crashed are in Invoked only.
type Stats struct {
	Invoked int `json:"invoked"`
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
	// Latencies of the operations that succeeded, by the host's local clock
	// (a clock step during an operation distorts its sample).
	Latencies []time.Duration `json:"latencies"`
}

// Workload builds workload client nodes and keeps their Stats. It is the
// observer's side: the nodes it builds keep their own state in themselves.
type Workload struct {
	cfg   WorkloadConfig
	rec   Recorder
	stats Stats
}

// NewWorkload checks cfg and returns a Workload whose Node method is the
// host's sim.Factory. rec receives every operation; it may be nil.
func NewWorkload(cfg WorkloadConfig, rec Recorder) (*Workload, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Client.Servers = slices.Clone(cfg.Client.Servers)
	return &Workload{cfg: cfg, rec: rec}, nil
}

// Node builds a fresh workload node; w.Node is a sim.Factory.
func (w *Workload) Node() sim.Node { return &workloadNode{w: w} }

// Stats returns a copy of the counters so far.
func (w *Workload) Stats() Stats {
	s := w.stats
	s.Latencies = slices.Clone(s.Latencies)
	return s
}

// workloadNode is one incarnation of a workload client host.
type workloadNode struct {
	w      *Workload
	env    sim.Env
	client *Client
	gen    *Generator
	script *scriptRun // nil: the generator draws the operations
	issued int
	done   func(Outcome) // n.finished, bound once
	// round is the round of the last operation, or -1; roundRead says
	// that its final reads are queued, stopRead the same at the stop.
	round               int
	roundRead, stopRead bool
}

// thinkTag marks the workload's pause timer.
type thinkTag struct{}

func (n *workloadNode) Start(env sim.Env) {
	n.env = env
	c, err := New(env, n.w.cfg.Client, n.w.rec)
	if err != nil {
		panic(err) // NewWorkload validated the config
	}
	n.client = c
	prefix := fmt.Sprintf("c%d-%d.", c.ID(), c.Epoch())
	n.gen = NewGenerator(n.w.cfg, env.Rand(), prefix)
	if s := n.w.cfg.Script; s != nil {
		n.script = newScriptRun(s, c.ID(), n.w.cfg.Keys, prefix)
	}
	n.round = -1
	n.done = n.finished
	n.pause()
}

func (n *workloadNode) Receive(from sim.HostID, msg any) {
	n.client.Receive(from, msg)
}

func (n *workloadNode) Timer(id sim.TimerID, tag any) {
	if n.client.Timer(id, tag) {
		return
	}
	if _, ok := tag.(thinkTag); ok {
		n.next()
	}
}

func (n *workloadNode) pause() {
	cfg := &n.w.cfg
	d := cfg.ThinkMin
	if span := cfg.ThinkMax - cfg.ThinkMin; span > 0 {
		d += time.Duration(n.env.Rand().Int64N(int64(span) + 1))
	}
	n.env.After(d, thinkTag{})
}

func (n *workloadNode) next() {
	cfg := &n.w.cfg
	now := n.env.Now()
	if len(cfg.Rounds) > 0 {
		i, in := roundAt(cfg.Rounds, now)
		if n.round >= 0 && i != n.round {
			// The round of the last operation is over: read back first.
			if n.script != nil && !n.roundRead {
				n.script.finalReads()
				n.roundRead = true
			}
			if n.script != nil && len(n.script.reads) > 0 {
				n.issue()
				return
			}
			n.round = -1
		}
		switch {
		case i < 0:
			n.stop()
			return
		case !in:
			n.env.After(cfg.Rounds[i].From-now, thinkTag{})
			return
		}
		n.round, n.roundRead = i, false
	}
	if (cfg.OpsMax > 0 && n.issued >= cfg.OpsMax) || (cfg.StopAt > 0 && now >= cfg.StopAt) {
		if n.script != nil && !n.stopRead {
			n.script.finalReads()
			n.stopRead = true
		}
		if n.script == nil || len(n.script.reads) == 0 {
			n.stop()
			return
		}
	}
	n.issue()
}

func (n *workloadNode) stop() {
	n.env.Logf("workload %d: stopped after %d ops", n.client.ID(), n.issued)
}

// issue runs the next operation: the script's, or one the generator draws.
func (n *workloadNode) issue() {
	op := Op{}
	if n.script != nil {
		var ok bool
		if op, ok = n.script.next(); !ok {
			n.stop()
			return
		}
	} else {
		op = n.gen.Next()
	}
	n.issued++
	n.w.stats.Invoked++
	if err := n.client.Do(op, n.done); err != nil {
		panic(err) // one operation at a time: the client cannot be busy here
	}
}

func (n *workloadNode) finished(o Outcome) {
	s := &n.w.stats
	switch o.Verdict {
	case VerdictOK:
		s.OK++
		s.Latencies = append(s.Latencies, o.Latency)
		n.gen.Observe(o.Op, o.Result)
	case VerdictFailed:
		s.Failed++
	default:
		s.Unknown++
	}
	n.pause()
}
