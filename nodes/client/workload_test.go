package client

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	detnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

func validConfig() Config {
	c := DefaultConfig()
	c.ID, c.Servers = 1, []sim.HostID{0, 1, 2}
	return c
}

func TestConfigValidate(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if err := DefaultConfig().Validate(); err == nil {
		t.Error("DefaultConfig without ID and Servers validated")
	}
	for field, mutate := range map[string]func(*Config){
		"id":              func(c *Config) { c.ID = 0 },
		"servers":         func(c *Config) { c.Servers = nil },
		"timeout_attempt": func(c *Config) { c.TimeoutAttempt = 0 },
		"deadline":        func(c *Config) { c.Deadline = -1 },
		"attempts_max":    func(c *Config) { c.AttemptsMax = -1 },
		"backoff_base":    func(c *Config) { c.BackoffBase = -1 },
		"backoff_max":     func(c *Config) { c.BackoffMax = c.BackoffBase - 1 },
		"breaker_reset":   func(c *Config) { c.BreakerReset = 0 },
	} {
		c := validConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), field+": ") {
			t.Errorf("bad %s: error %v does not name it", field, err)
		}
	}
	c := validConfig()
	c.Servers = []sim.HostID{0, 1, 0}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "servers") {
		t.Errorf("duplicate server: %v", err)
	}
	c = validConfig()
	c.BreakerFailures, c.BreakerReset = 0, 0
	if err := c.Validate(); err != nil {
		t.Errorf("a disabled breaker needs no reset timeout: %v", err)
	}
}

func validWorkload() WorkloadConfig {
	c := DefaultWorkloadConfig()
	c.Client = validConfig()
	return c
}

func TestWorkloadConfigValidate(t *testing.T) {
	if err := validWorkload().Validate(); err != nil {
		t.Fatalf("valid workload: %v", err)
	}
	// Errors name the field as the scenario's JSON writes it, and say
	// what it must be and what it is.
	for want, mutate := range map[string]func(*WorkloadConfig){
		"client.id: must be set":                          func(c *WorkloadConfig) { c.Client.ID = 0 },
		"client.deadline: must be positive (is 0s)":       func(c *WorkloadConfig) { c.Client.Deadline = 0 },
		"keys: must be in [1, 1000000] (is 0)":            func(c *WorkloadConfig) { c.Keys = 0 },
		"keys: must be in [1, 1000000] (is 1000000000)":   func(c *WorkloadConfig) { c.Keys = 1_000_000_000 },
		"key_dist: must be uniform or zipf (is unset)":    func(c *WorkloadConfig) { c.KeyDist = 0 },
		"zipf_s: must be in (0, 64] for zipf keys (is 0)": func(c *WorkloadConfig) { c.KeyDist, c.ZipfS = KeyZipf, 0 },
		"mix: needs a positive weight":                    func(c *WorkloadConfig) { c.Mix = Mix{} },
		"mix.delete: must be in [0, 1000000] (is -1)":     func(c *WorkloadConfig) { c.Mix.Delete = -1 },
		"mix.get: must be in [0, 1000000] (is 1000001)":   func(c *WorkloadConfig) { c.Mix.Get = 1_000_001 },
		"think_min: must be >= 0":                         func(c *WorkloadConfig) { c.ThinkMin = -1 },
		"think_max: must be >= think_min":                 func(c *WorkloadConfig) { c.ThinkMin, c.ThinkMax = 2, 1 },
		"ops_max: must be >= 0 (is -1)":                   func(c *WorkloadConfig) { c.OpsMax = -1 },
		"stop_at: must be >= 0":                           func(c *WorkloadConfig) { c.StopAt = -1 },
	} {
		c := validWorkload()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want %s...", err, want)
		}
	}
}

func TestConfigJSON(t *testing.T) {
	in := validWorkload()
	in.KeyDist = KeyZipf
	in.Client.RefusalDefinite = true
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"key_dist":"zipf"`, `"timeout_attempt":"50ms"`, `"think_max":"10ms"`, `"servers":[0,1,2]`, `"refusal_definite":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var out WorkloadConfig
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", in, out)
	}
	if err := json.Unmarshal([]byte(`{"key_dist":"pareto"}`), &out); err == nil {
		t.Error("unknown key distribution decoded")
	}
	var zero WorkloadConfig
	if b, err := json.Marshal(zero); err != nil || !strings.Contains(string(b), `"key_dist":""`) {
		t.Errorf("an unset config does not encode: %s, %v", b, err)
	}
}

func TestGenerator(t *testing.T) {
	cfg := validWorkload()
	cfg.Keys = 10
	draw := func(cfg WorkloadConfig, n int) []Op {
		g := NewGenerator(cfg, rand.New(rand.NewPCG(7, 7)), "c1-1.")
		ops := make([]Op, n)
		for i := range ops {
			ops[i] = g.Next()
		}
		return ops
	}
	a, b := draw(cfg, 500), draw(cfg, 500)
	if !slices.Equal(a, b) {
		t.Fatal("same stream, different operations")
	}
	kinds := map[OpKind]int{}
	values := map[string]bool{}
	for _, op := range a {
		kinds[op.Kind]++
		if op.Kind == OpPut || op.Kind == OpAppend || op.Kind == OpCAS {
			if values[op.Value] || !strings.HasPrefix(op.Value, "c1-1.") {
				t.Fatalf("value %q repeated or without the prefix", op.Value)
			}
			values[op.Value] = true
		}
	}
	// Mix 4:2:2:1:1 over 500 draws.
	for k, want := range map[OpKind]int{OpGet: 200, OpPut: 100, OpAppend: 100, OpDelete: 50, OpCAS: 50} {
		if got := kinds[k]; got < want*6/10 || got > want*14/10 {
			t.Errorf("%v drawn %d times, want about %d", k, got, want)
		}
	}

	cfg.Mix = Mix{Get: 1}
	for _, op := range draw(cfg, 100) {
		if op.Kind != OpGet {
			t.Fatalf("get-only mix drew %v", op.Kind)
		}
	}

	count := func(ops []Op) []int {
		c := make([]int, cfg.Keys)
		for _, op := range ops {
			var i int
			fmt.Sscanf(op.Key, "k%d", &i)
			c[i]++
		}
		return c
	}
	uni := count(draw(cfg, 5000))
	for i, n := range uni {
		if n < 350 || n > 650 {
			t.Errorf("uniform: key %d drawn %d times of 5000", i, n)
		}
	}
	cfg.KeyDist, cfg.ZipfS = KeyZipf, 1.5
	zipf := count(draw(cfg, 5000))
	if zipf[0] < 2000 || zipf[0] <= zipf[1] || zipf[1] <= zipf[9] {
		t.Errorf("zipf: counts %v are not skewed toward k0", zipf)
	}
}

func TestGeneratorCASWantsWhatItSaw(t *testing.T) {
	cfg := validWorkload()
	cfg.Keys, cfg.Mix = 1, Mix{CAS: 1}
	g := NewGenerator(cfg, rand.New(rand.NewPCG(1, 1)), "p")
	if op := g.Next(); op.Want != "" {
		t.Errorf("first cas wants %q, want \"\"", op.Want)
	}
	g.Observe(Op{Kind: OpGet, Key: "k0"}, Result{Value: "x", Found: true})
	if op := g.Next(); op.Want != "x" {
		t.Errorf("cas after get x wants %q", op.Want)
	}
	op := g.Next()
	g.Observe(op, Result{OK: true})
	if next := g.Next(); next.Want != op.Value {
		t.Errorf("cas after a successful cas to %q wants %q", op.Value, next.Want)
	}
	g.Observe(Op{Kind: OpAppend, Key: "k0"}, Result{Value: "xy"})
	if op := g.Next(); op.Want != "xy" {
		t.Errorf("cas after append wants %q", op.Want)
	}
	g.Observe(Op{Kind: OpDelete, Key: "k0"}, Result{Found: true})
	if op := g.Next(); op.Want != "" {
		t.Errorf("cas after delete wants %q", op.Want)
	}
}

func (tb *testbed) addWorkload(cfg WorkloadConfig) (*Workload, sim.HostID) {
	tb.t.Helper()
	w, err := NewWorkload(cfg, tb.rec)
	if err != nil {
		tb.t.Fatal(err)
	}
	id, err := tb.w.AddHost(sim.HostConfig{Name: fmt.Sprintf("w%d", cfg.Client.ID), Factory: w.Node})
	if err != nil {
		tb.t.Fatal(err)
	}
	return w, id
}

func TestWorkloadStopsAfterOps(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	cfg := validWorkload()
	cfg.Client = tb.config(9)
	cfg.OpsMax = 20
	w, _ := tb.addWorkload(cfg)
	tb.run(time.Minute)
	st := w.Stats()
	if st.Invoked != 20 || st.OK != 20 || len(st.Latencies) != 20 || len(tb.rec.ops) != 20 {
		t.Fatalf("stats %+v, %d recorded; want 20 ok", st, len(tb.rec.ops))
	}
	for _, l := range st.Latencies {
		if l != 2*latency {
			t.Errorf("latency %v, want one round trip", l)
		}
	}
	values := map[string]bool{}
	for i, o := range tb.rec.ops {
		if o.client != 9 || !o.complete {
			t.Errorf("op %d: %+v", i, o)
		}
		if i > 0 && o.call < tb.rec.ops[i-1].ret {
			t.Errorf("op %d called at %v before op %d returned: not one at a time", i, o.call, i-1)
		}
		if v := o.op.Value; v != "" {
			if values[v] || !strings.HasPrefix(v, "c9-1.") {
				t.Errorf("written value %q repeated or misnamed", v)
			}
			values[v] = true
		}
	}
}

func TestWorkloadStopsAt(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	cfg := validWorkload()
	cfg.Client = tb.config(9)
	cfg.OpsMax, cfg.StopAt = 0, 100*ms
	cfg.ThinkMin, cfg.ThinkMax = 5*ms, 5*ms
	w, _ := tb.addWorkload(cfg)
	tb.run(time.Minute)
	// Each op: 5ms of think time and a 2ms round trip; the ops start at
	// 5, 12, 19, ..., 96ms: 14 of them.
	if st := w.Stats(); st.Invoked != 14 || st.OK != 14 {
		t.Errorf("stats %+v, want 14 ops", st)
	}
	if last := tb.rec.ops[len(tb.rec.ops)-1].call; last >= cfg.StopAt {
		t.Errorf("an op started at %v, after StopAt", last)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 99: 99, 100: 100, 0.1: 1, 0: 1} {
		if got := Percentile(s, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if s[0] != 100 {
		t.Error("Percentile sorted its argument")
	}
	if Percentile(nil, 50) != 0 {
		t.Error("no samples")
	}
}

// Two workload clients against three servers whose leadership moves, over
// a network that loses, duplicates and reorders: the same seed gives the
// same run and history, another seed another.
func TestWorkloadDeterministic(t *testing.T) {
	type run struct {
		hash  uint64
		ops   []histOp
		stats []Stats
	}
	do := func(seed uint64) run {
		tb := newTestbed(t, seed, 3)
		must(t, tb.net.SetDefault(detnet.Link{
			Latency:   detnet.Uniform{Min: ms / 2, Max: 8 * ms},
			LossRatio: 0.1,
			DupRatio:  0.05,
		}))
		tb.kv.leader = 0
		for i := 1; i < 20; i++ {
			tb.w.At(time.Duration(i)*50*ms, func() { tb.kv.leader = sim.HostID(i % 3) })
		}
		var ws []*Workload
		for id := uint64(1); id <= 2; id++ {
			cfg := validWorkload()
			cfg.Client = tb.config(id)
			cfg.Client.BreakerFailures, cfg.Client.BreakerReset = 3, 20*ms
			cfg.KeyDist, cfg.OpsMax = KeyZipf, 150
			w, _ := tb.addWorkload(cfg)
			ws = append(ws, w)
		}
		tb.run(time.Minute)
		r := run{hash: tb.w.Hash(), ops: tb.rec.ops}
		for _, w := range ws {
			st := w.Stats()
			if st.Invoked != 150 || st.OK+st.Failed+st.Unknown != st.Invoked {
				t.Errorf("seed %d: stats %+v", seed, st)
			}
			r.stats = append(r.stats, st)
		}
		return r
	}
	a, b, c := do(42), do(42), do(43)
	if a.hash != b.hash || !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different runs: hash %#x vs %#x", a.hash, b.hash)
	}
	if a.hash == c.hash || reflect.DeepEqual(a.ops, c.ops) {
		t.Errorf("seeds 42 and 43 gave the same run (hash %#x)", a.hash)
	}
	// The faults were real: every verdict occurred.
	st := a.stats[0]
	st.Failed += a.stats[1].Failed
	st.Unknown += a.stats[1].Unknown
	if st.Failed == 0 || st.Unknown == 0 {
		t.Errorf("stats %+v: the faults never showed", a.stats)
	}
}

// Key names are "k<i>" whether they come from the generator's table of
// names or, past its bound, are made afresh.
func TestGeneratorKeyNames(t *testing.T) {
	cfg := validWorkload()
	cfg.Keys = keyNamesMax + 10
	g := NewGenerator(cfg, rand.New(rand.NewPCG(1, 1)), "p")
	for _, i := range []int{5, 0, 5, keyNamesMax - 1, keyNamesMax, keyNamesMax + 9} {
		if got, want := g.key(i), "k"+strconv.Itoa(i); got != want {
			t.Fatalf("key %d is named %q, want %q", i, got, want)
		}
	}
}
