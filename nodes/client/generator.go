package client

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/detsim/detsim/internal/detmath"
)

// KeyDist is how a workload picks keys.
type KeyDist uint8

const (
	// KeyUniform: every key equally often.
	KeyUniform KeyDist = iota + 1
	// KeyZipf: key i is drawn with probability proportional to
	// (1+i)^-ZipfS, so k0 is the hottest.
	KeyZipf
)

func (d KeyDist) String() string {
	switch d {
	case KeyUniform:
		return "uniform"
	case KeyZipf:
		return "zipf"
	}
	return fmt.Sprintf("KeyDist(%d)", uint8(d))
}

// MarshalText encodes d by name, so JSON says "uniform" or "zipf"; the
// unset zero value encodes as "" (and Validate rejects it).
func (d KeyDist) MarshalText() ([]byte, error) {
	switch d {
	case 0:
		return []byte{}, nil
	case KeyUniform, KeyZipf:
		return []byte(d.String()), nil
	}
	return nil, fmt.Errorf("client: invalid KeyDist %d", uint8(d))
}

// UnmarshalText decodes a name written by MarshalText.
func (d *KeyDist) UnmarshalText(b []byte) error {
	switch string(b) {
	case "":
		*d = 0
	case "uniform":
		*d = KeyUniform
	case "zipf":
		*d = KeyZipf
	default:
		return fmt.Errorf("client: unknown key distribution %q (want uniform or zipf)", b)
	}
	return nil
}

// Mix weighs the operation kinds of a workload: each kind is drawn with
// probability weight/sum. Weights are >= 0 and not all 0.
type Mix struct {
	Get    int `json:"get"`
	Put    int `json:"put"`
	Append int `json:"append"`
	Delete int `json:"delete"`
	CAS    int `json:"cas"`
}

func (m Mix) weights() [5]int { return [5]int{m.Get, m.Put, m.Append, m.Delete, m.CAS} }

var mixKinds = [5]OpKind{OpGet, OpPut, OpAppend, OpDelete, OpCAS}

// Generator draws a workload's operations: keys "k0".."k<Keys-1>" by
// KeyDist, kinds by Mix, and written values prefix+"1", prefix+"2", ...,
// unique as long as the prefix is. A cas wants the value the generator last
// saw at its key (through Observe), "" if none.
type Generator struct {
	r      *rand.Rand
	keys   int
	cdf    []float64 // zipf: cdf[i] is the weight of keys 0..i; nil: uniform
	mix    [5]int
	total  int
	prefix string
	n      int
	seen   map[string]string // key -> last value seen there; looked up, never ranged over
	// names are the keys' strings, made once each (the first
	// keyNamesMax keys): one allocation per key, not per operation.
	names []string
}

const keyNamesMax = 1 << 12

// NewGenerator draws from r by the key and mix fields of cfg, which must
// validate.
func NewGenerator(cfg WorkloadConfig, r *rand.Rand, prefix string) *Generator {
	g := &Generator{r: r, keys: cfg.Keys, mix: cfg.Mix.weights(), prefix: prefix, seen: map[string]string{}}
	for _, w := range g.mix {
		g.total += w
	}
	if cfg.KeyDist == KeyZipf {
		g.cdf = zipfCDF(cfg.Keys, cfg.ZipfS)
	}
	return g
}

// zipfCDF tabulates the cumulative weights (1+i)^-s. It uses detmath, not
// math (nor math/rand/v2's Zipf, which is built on math.Exp and math.Log),
// so that the table, and every key drawn from it, is the same on every
// machine.
func zipfCDF(keys int, s float64) []float64 {
	cdf := make([]float64, keys)
	sum := 0.0
	for i := range cdf {
		sum += detmath.Exp(float64(-s * detmath.Log(float64(i+1))))
		cdf[i] = sum
	}
	return cdf
}

// Next draws the next operation.
func (g *Generator) Next() Op {
	var i int
	if g.cdf != nil {
		u := float64(g.r.Float64() * g.cdf[len(g.cdf)-1])
		i = min(sort.SearchFloat64s(g.cdf, u), len(g.cdf)-1)
		if g.cdf[i] == u { // SearchFloat64s finds the first cdf >= u; we want > u
			i = min(i+1, len(g.cdf)-1)
		}
	} else {
		i = g.r.IntN(g.keys)
	}
	op := Op{Key: g.key(i)}
	w := g.r.IntN(g.total)
	for j, wj := range g.mix {
		if w < wj {
			op.Kind = mixKinds[j]
			break
		}
		w -= wj
	}
	switch op.Kind {
	case OpPut, OpAppend:
		op.Value = g.value()
	case OpCAS:
		op.Value, op.Want = g.value(), g.seen[op.Key]
	}
	return op
}

// key is the name of key i.
func (g *Generator) key(i int) string {
	if i >= keyNamesMax {
		return "k" + strconv.Itoa(i)
	}
	if i >= len(g.names) {
		g.names = append(g.names, make([]string, i+1-len(g.names))...)
	}
	if g.names[i] == "" {
		g.names[i] = "k" + strconv.Itoa(i)
	}
	return g.names[i]
}

func (g *Generator) value() string {
	g.n++
	return g.prefix + strconv.Itoa(g.n)
}

// Observe tells the generator the result of an operation that took effect,
// so that later cas operations want a value the key may hold.
func (g *Generator) Observe(op Op, res Result) {
	switch op.Kind {
	case OpGet:
		g.seen[op.Key] = res.Value // "" when not found: cas treats absent as ""
	case OpPut:
		g.seen[op.Key] = op.Value
	case OpAppend:
		g.seen[op.Key] = res.Value
	case OpDelete:
		g.seen[op.Key] = ""
	case OpCAS:
		if res.OK {
			g.seen[op.Key] = op.Value
		}
	}
}
