package dynamo

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/internal/jsondur"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Workload configures the store's workload clients: each runs one
// operation at a time, with think time between them, over set keys
// ("s0".., the set-add workload after Jepsen's set-full) and register keys
// ("r0".., for staleness and deletes). Once its clock reads StopAt it reads
// every key once more: the final reads the set-full check judges by.
type Workload struct {
	Client client.Config `json:"client"`
	// SetKeys and RegisterKeys are how many keys of each kind there are.
	SetKeys      int `json:"set_keys"`
	RegisterKeys int `json:"register_keys"`
	Mix          Mix `json:"mix"`
	// The pause before each operation is drawn uniformly from [ThinkMin,
	// ThinkMax] (local clock).
	ThinkMin time.Duration `json:"think_min"`
	ThinkMax time.Duration `json:"think_max"`
	// StopAt is when a client stops its workload (local clock); 0 never
	// stops. FinalDelay later, when every write has had time to settle, it
	// reads every key once: the final reads.
	StopAt     time.Duration `json:"stop_at"`
	FinalDelay time.Duration `json:"final_delay"`
	// SiblingsMax bounds the siblings any read may return (0: unbounded);
	// the set-full check fails a read past it.
	SiblingsMax int `json:"siblings_max"`
	// ConvergenceBound is how soon after the later of the heal and
	// StopAt every key's replicas must agree (checked by a harness that
	// watches them, such as dynamosys); 0 checks no bound.
	ConvergenceBound time.Duration `json:"convergence_bound"`
}

// Mix weighs the operations: Add to a set, Read a set, Write, Get and
// Delete a register.
type Mix struct {
	Add    int `json:"add"`
	Read   int `json:"read"`
	Write  int `json:"write"`
	Get    int `json:"get"`
	Delete int `json:"delete"`
}

func (m Mix) total() int { return m.Add + m.Read + m.Write + m.Get + m.Delete }

// DefaultWorkload adds to three sets and reads and writes two registers.
func DefaultWorkload() Workload {
	cfg := client.DefaultConfig()
	cfg.TimeoutAttempt = 150 * time.Millisecond
	return Workload{
		Client:       cfg,
		SetKeys:      3,
		RegisterKeys: 2,
		Mix:          Mix{Add: 4, Read: 2, Write: 2, Get: 3},
		ThinkMin:     5 * time.Millisecond,
		ThinkMax:     30 * time.Millisecond,
		FinalDelay:   1500 * time.Millisecond,
		// Anti-entropy visits one range per server every 200ms: a few
		// seconds cover every range of a five-server ring.
		ConvergenceBound: 3 * time.Second,
	}
}

// KeysMax bounds the keys of a workload: each client holds every key's
// name, and reads every key at the end, so a mistyped count would fill
// memory before the run began.
const KeysMax = 100_000

// Validate names the first bad field.
func (w Workload) Validate() error {
	if err := w.Client.Validate(); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	switch {
	case w.SetKeys < 0 || w.RegisterKeys < 0 || w.SetKeys+w.RegisterKeys == 0:
		return fmt.Errorf("set_keys (%d) and register_keys (%d) must not be negative, and not both 0", w.SetKeys, w.RegisterKeys)
	case w.SetKeys > KeysMax || w.RegisterKeys > KeysMax || w.SetKeys+w.RegisterKeys > KeysMax:
		return fmt.Errorf("set_keys (%d) and register_keys (%d) must hold at most %d keys together", w.SetKeys, w.RegisterKeys, KeysMax)
	case max(w.Mix.Add, w.Mix.Read, w.Mix.Write, w.Mix.Get, w.Mix.Delete) > client.MixWeightMax:
		return fmt.Errorf("mix: weights must be at most %d (%+v)", client.MixWeightMax, w.Mix)
	case w.Mix.Add < 0 || w.Mix.Read < 0 || w.Mix.Write < 0 || w.Mix.Get < 0 || w.Mix.Delete < 0 || w.Mix.total() == 0:
		return fmt.Errorf("mix: weights must be >= 0 and not all 0 (%+v)", w.Mix)
	case (w.Mix.Add > 0 || w.Mix.Read > 0) && w.SetKeys == 0:
		return fmt.Errorf("mix: add and read need set_keys")
	case (w.Mix.Write > 0 || w.Mix.Get > 0 || w.Mix.Delete > 0) && w.RegisterKeys == 0:
		return fmt.Errorf("mix: write, get and delete need register_keys")
	case w.ThinkMin < 0 || w.ThinkMax < w.ThinkMin:
		return fmt.Errorf("think_min (%v) and think_max (%v) must satisfy 0 <= min <= max", w.ThinkMin, w.ThinkMax)
	case w.StopAt < 0 || w.FinalDelay < 0:
		return fmt.Errorf("stop_at (%v) and final_delay (%v) must not be negative", w.StopAt, w.FinalDelay)
	case w.ConvergenceBound < 0:
		return fmt.Errorf("convergence_bound is negative (%v)", w.ConvergenceBound)
	case w.SiblingsMax < 0:
		return fmt.Errorf("siblings_max is negative (%d)", w.SiblingsMax)
	}
	return nil
}

// MarshalJSON writes durations as strings.
func (w Workload) MarshalJSON() ([]byte, error) {
	type plain Workload
	return json.Marshal(struct {
		plain
		ThinkMin   jsondur.Duration `json:"think_min"`
		ThinkMax   jsondur.Duration `json:"think_max"`
		StopAt     jsondur.Duration `json:"stop_at"`
		Bound      jsondur.Duration `json:"convergence_bound"`
		FinalDelay jsondur.Duration `json:"final_delay"`
	}{plain(w), jsondur.Duration(w.ThinkMin), jsondur.Duration(w.ThinkMax), jsondur.Duration(w.StopAt), jsondur.Duration(w.ConvergenceBound), jsondur.Duration(w.FinalDelay)})
}

// UnmarshalJSON reads durations as strings or nanoseconds and rejects
// unknown fields; absent fields keep their value.
func (w *Workload) UnmarshalJSON(b []byte) error {
	type plain Workload
	return jsondur.Strict(b, &struct {
		*plain
		ThinkMin   *jsondur.Duration `json:"think_min"`
		ThinkMax   *jsondur.Duration `json:"think_max"`
		StopAt     *jsondur.Duration `json:"stop_at"`
		Bound      *jsondur.Duration `json:"convergence_bound"`
		FinalDelay *jsondur.Duration `json:"final_delay"`
	}{(*plain)(w), jsondur.Of(&w.ThinkMin), jsondur.Of(&w.ThinkMax), jsondur.Of(&w.StopAt), jsondur.Of(&w.ConvergenceBound), jsondur.Of(&w.FinalDelay)})
}

// SetKey and RegisterKey name the workload's keys. The names of the first
// few are made once for every client and server: a key compared with
// its own name compares pointers.
func SetKey(i int) string      { return keyName(&setKeyNames, "s", i) }
func RegisterKey(i int) string { return keyName(&registerKeyNames, "r", i) }

const namedKeys = 64

var setKeyNames, registerKeyNames = keyNames("s"), keyNames("r")

func keyNames(prefix string) (names [namedKeys]string) {
	for i := range names {
		names[i] = prefix + strconv.Itoa(i)
	}
	return names
}

func keyName(names *[namedKeys]string, prefix string, i int) string {
	if i >= 0 && i < namedKeys {
		return names[i]
	}
	return prefix + strconv.Itoa(i)
}

// NewClient returns a factory of workload client nodes that record into h.
// cfg.Client.ID and Servers name the client and the servers it may ask.
func NewClient(cfg Workload, h *History) (sim.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dynamo: workload: %w", err)
	}
	keys := workloadKeys{sets: make([]string, cfg.SetKeys), registers: make([]string, cfg.RegisterKeys)}
	for i := range keys.sets {
		keys.sets[i] = SetKey(i)
	}
	for i := range keys.registers {
		keys.registers[i] = RegisterKey(i)
	}
	return func() sim.Node { return &clientNode{cfg: cfg, h: h, keys: keys} }, nil
}

// workloadKeys are the names of the workload's keys, made once rather
// than at every operation.
type workloadKeys struct {
	sets, registers []string
}

type clientNode struct {
	cfg   Workload
	keys  workloadKeys
	h     *History
	env   sim.Env
	c     *client.Client
	ctx   map[string]string // the context last read, by key
	made  int               // elements and values made by this incarnation
	final int               // final reads made; -1 before they begin
	// texts holds the parses of the set texts the history's clients
	// last wrote and read (History.texts): reads mostly see a version some
	// client wrote or read before.
	texts *setTexts

	// cur is the operation in flight: the client library runs one at a
	// time, so its outcome callbacks, gotten and put, are bound once
	// (getDone, putDone) and find the operation here instead of in a
	// closure made for each.
	cur struct {
		id      checker.OpID
		key     string
		then    afterGet
		element int // an add's element
	}
	getDone, putDone func(client.Outcome)
}

// afterGet is what follows a get's outcome.
type afterGet uint8

const (
	afterGetPause  afterGet = iota // a read or a get: think, then the next operation
	afterGetAdd                    // an add's read: write the set with the element
	afterGetDelete                 // a delete's read: delete what it read
)

type thinkTimer struct{}

// finalTimer starts the final reads.
type finalTimer struct{}

func (n *clientNode) Start(env sim.Env) {
	n.env = env
	c, err := client.New(env, n.cfg.Client, nil)
	if err != nil {
		panic(fmt.Sprintf("dynamo: workload client: %v", err))
	}
	n.c, n.ctx, n.final, n.texts = c, map[string]string{}, -1, &n.h.texts
	n.getDone, n.putDone = n.gotten, n.put
	n.pause()
}

func (n *clientNode) Receive(from sim.HostID, msg any) { n.c.Receive(from, msg) }

func (n *clientNode) Timer(id sim.TimerID, tag any) {
	if n.c.Timer(id, tag) {
		return
	}
	switch tag.(type) {
	case thinkTimer:
		n.next()
	case finalTimer:
		n.finalRead()
	}
}

func (n *clientNode) pause() {
	d := n.cfg.ThinkMin
	if n.cfg.ThinkMax > n.cfg.ThinkMin {
		d += time.Duration(n.env.Rand().Int64N(int64(n.cfg.ThinkMax - n.cfg.ThinkMin + 1)))
	}
	n.env.After(d, thinkTimer{})
}

func (n *clientNode) id() int { return int(n.c.ID()) }

// unique makes a number no other operation of any client uses: the client,
// its incarnation and a count.
func (n *clientNode) unique() int {
	n.made++
	return (n.id()*1_000+int(n.c.Epoch()%1_000))*1_000_000 + n.made
}

func (n *clientNode) next() {
	if n.final >= 0 {
		n.finalRead()
		return
	}
	if now := n.env.Now(); n.cfg.StopAt > 0 && now >= n.cfg.StopAt {
		n.env.After(n.cfg.StopAt+n.cfg.FinalDelay-now, finalTimer{})
		return
	}
	m := n.cfg.Mix
	x := n.env.Rand().IntN(m.total())
	rng := n.env.Rand()
	switch {
	case x < m.Add:
		n.add(n.keys.sets[rng.IntN(n.cfg.SetKeys)])
	case x < m.Add+m.Read:
		n.read(n.keys.sets[rng.IntN(n.cfg.SetKeys)], false)
	case x < m.Add+m.Read+m.Write:
		n.write(n.keys.registers[rng.IntN(n.cfg.RegisterKeys)])
	case x < m.Add+m.Read+m.Write+m.Get:
		n.get(n.keys.registers[rng.IntN(n.cfg.RegisterKeys)], false)
	default:
		n.delete(n.keys.registers[rng.IntN(n.cfg.RegisterKeys)])
	}
}

// finalRead reads every key once, in order, then stops.
func (n *clientNode) finalRead() {
	n.final++
	switch i := n.final; {
	case i < n.cfg.SetKeys:
		n.read(n.keys.sets[i], true)
	case i < n.cfg.SetKeys+n.cfg.RegisterKeys:
		n.get(n.keys.registers[i-n.cfg.SetKeys], true)
	}
}

// decode reads the answer to a get of key. An answer some client of the
// history decoded lately is not decoded again (setTexts): its slices are
// shared, and never changed.
func (n *clientNode) decode(key string, o client.Outcome) Read {
	text := o.Result.Value
	recent := n.texts.readsOf(key)
	if r, ok := recent.find(text); ok {
		return r
	}
	r, err := DecodeRead(text)
	if err != nil {
		panic(fmt.Sprintf("dynamo: client %d: a server answered a get with %v", n.id(), err))
	}
	recent.add(text, r)
	return r
}

// elements is elements(values). A value some client of the history wrote
// or parsed lately is not parsed again (setTexts); any other is parsed
// against the key's latest text: a set read mostly differs from the one
// before by a few elements inserted in the middle, so only the part
// between their common prefix and suffix is parsed. The slice is never
// changed.
func (n *clientNode) elements(key string, values []string) []int {
	recent := n.texts.of(key)
	latest, latestEls, ok := recent.latest()
	if len(values) != 1 {
		if !ok || len(values) == 0 {
			return elements(values)
		}
		// Siblings are near variants of the latest set as well.
		var union []int
		for _, v := range values {
			els, found := recent.find(v)
			if !found {
				els = reparse(latest, latestEls, v)
			}
			union = unite(union, els)
		}
		return union
	}
	if els, found := recent.find(values[0]); found {
		return els
	}
	var els []int
	if ok {
		els = reparse(latest, latestEls, values[0])
	} else {
		els = elements(values)
	}
	recent.add(values[0], els)
	return els
}

// reparse is elements of the canonical set encoding v, given the
// elements of another, prev: a merge of the two that takes each run of
// elements their texts share from prevEls, after a comparison of the
// texts, and parses only the elements v has that prev has not.
func reparse(prev string, prevEls []int, v string) []int {
	out := make([]int, 0, len(prevEls)+8)
	pi, vi, ei := 0, 0, 0 // prev[pi:] starts with prevEls[ei]; v[vi:] with the next element
	for vi < len(v) {
		if run := v[vi : vi+commonPrefix(prev[pi:], v[vi:])]; len(run) > 0 {
			if last := strings.LastIndexByte(run, ','); last >= 0 {
				same := strings.Count(run[:last+1], ",")
				if ei+same > len(prevEls) {
					return elements([]string{v})
				}
				out = append(out, prevEls[ei:ei+same]...)
				ei, pi, vi = ei+same, pi+last+1, vi+last+1
				if vi == len(v) {
					break
				}
			}
		}
		x, digits, next := parseElement(v, vi)
		vi = next
		if digits == 0 {
			continue
		}
		// Elements prev has and v has not are passed over.
		for ei < len(prevEls) && prevEls[ei] <= x {
			ei++
			if j := strings.IndexByte(prev[pi:], ','); j >= 0 {
				pi += j + 1
			} else {
				pi = len(prev)
			}
		}
		out = append(out, x)
	}
	return out
}

// commonPrefix is the length of the longest common prefix of a and b,
// compared in chunks first.
func commonPrefix(a, b string) int {
	n, k := min(len(a), len(b)), 0
	for _, chunk := range [...]int{64, 8, 1} {
		for k+chunk <= n && a[k:k+chunk] == b[k:k+chunk] {
			k += chunk
		}
	}
	return k
}

// parseElement parses the element of set at i: its value, its number of
// digits (0 for an empty element) and where the next one starts.
func parseElement(set string, i int) (e, digits, next int) {
	for ; i < len(set) && set[i] != ','; i++ {
		c := set[i]
		if c < '0' || c > '9' || digits > 18 {
			panic(fmt.Sprintf("dynamo: a set sibling holds %q, not a list of elements", set))
		}
		e, digits = e*10+int(c-'0'), digits+1
	}
	return e, digits, i + 1
}

// elements is the union of the siblings of a set, sorted. Each sibling
// is a sorted encoding (encodeSet), so siblings are merged, not sorted.
func elements(values []string) []int {
	size := 0
	for _, v := range values {
		size += strings.Count(v, ",") + 1
	}
	out := make([]int, 0, size)
	starts := make([]int, 0, len(values))
	sorted := true
	for _, v := range values {
		starts = append(starts, len(out))
		e, digits := 0, 0
		for i := 0; i <= len(v); i++ {
			if i == len(v) || v[i] == ',' {
				if digits > 0 {
					if len(out) > starts[len(starts)-1] && out[len(out)-1] >= e {
						sorted = false
					}
					out = append(out, e)
				}
				e, digits = 0, 0
				continue
			}
			c := v[i]
			if c < '0' || c > '9' || digits > 18 {
				panic(fmt.Sprintf("dynamo: a set sibling holds %q, not a list of elements", v))
			}
			e, digits = e*10+int(c-'0'), digits+1
		}
	}
	switch {
	case len(values) == 1:
		return out
	case !sorted:
		slices.Sort(out)
		return slices.Compact(out)
	}
	union := out[:0:0]
	for i, start := range starts {
		end := len(out)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		union = unite(union, out[start:end])
	}
	return union
}

// unite is the union of two sorted lists of distinct elements, as a new list.
func unite(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return append(append(out, a[i:]...), b[j:]...)
}

func encodeSet(els []int) string {
	var t text
	t.Grow(11 * len(els))
	for i, e := range els {
		if i > 0 {
			t.WriteByte(',')
		}
		t.int(int64(e))
	}
	return t.String()
}

func (n *clientNode) do(op client.Op, done func(client.Outcome)) {
	if err := n.c.Do(op, done); err != nil {
		panic(fmt.Sprintf("dynamo: client %d: %v", n.id(), err))
	}
}

// getInto runs a get of key, records it as op (a read or get), and goes
// on as then says.
func (n *clientNode) getInto(op Op, then afterGet, element int) {
	n.cur.id, n.cur.key, n.cur.then, n.cur.element = n.h.invoke(op), op.Key, then, element
	n.do(client.Op{Kind: client.OpGet, Key: op.Key}, n.getDone)
}

// gotten is the outcome of the get in flight.
func (n *clientNode) gotten(o client.Outcome) {
	cur := n.cur
	if o.Verdict != client.VerdictOK {
		if o.Verdict == client.VerdictFailed {
			n.h.fail(cur.id)
		}
		n.afterGet(cur.then, cur.key, cur.element, Read{}, false)
		return
	}
	r := n.decode(cur.key, o)
	n.ctx[cur.key] = r.Context
	n.h.complete(cur.id, func(x *Op) {
		x.Siblings = len(r.Values)
		x.Found = o.Result.Found
		if x.Kind == OpRead {
			x.Elements = n.elements(cur.key, r.Values)
		} else {
			x.Values, x.Dots = r.Values, r.Dots
		}
	})
	n.afterGet(cur.then, cur.key, cur.element, r, true)
}

func (n *clientNode) afterGet(then afterGet, key string, element int, r Read, ok bool) {
	switch then {
	case afterGetAdd:
		n.addRead(key, element, r, ok)
	case afterGetDelete:
		n.deleteRead(key, r, ok)
	default:
		n.pause()
	}
}

func (n *clientNode) read(key string, final bool) {
	n.getInto(Op{Client: n.id(), Kind: OpRead, Key: key, Final: final}, afterGetPause, 0)
}

func (n *clientNode) get(key string, final bool) {
	n.getInto(Op{Client: n.id(), Kind: OpGet, Key: key, Final: final}, afterGetPause, 0)
}

// add is read-merge-write: the put carries the union of every sibling the
// get returned plus the new element, and the get's causal context, so it
// supersedes exactly what it merged.
func (n *clientNode) add(key string) {
	e := n.unique()
	n.getInto(Op{Client: n.id(), Kind: OpRead, Key: key}, afterGetAdd, e)
}

// addRead goes on with an add of e to key once its read r is in (ok) or
// has failed.
func (n *clientNode) addRead(key string, e int, r Read, ok bool) {
	addID := n.h.invoke(Op{Client: n.id(), Kind: OpAdd, Key: key, Element: e})
	if !ok {
		n.h.fail(addID) // nothing was written
		n.pause()
		return
	}
	els := n.elements(key, r.Values)
	i, _ := slices.BinarySearch(els, e)
	var value string
	if len(r.Values) == 1 {
		value = insertElementAfter(r.Values[0], els, i, e)
	}
	grown := make([]int, len(els)+1)
	copy(grown, els[:i])
	grown[i] = e
	copy(grown[i+1:], els[i:])
	if value == "" {
		value = encodeSet(grown)
	}
	// The next reads of key most likely return this value: its parse is
	// at hand.
	n.texts.of(key).add(value, grown)
	n.putThen(addID, client.Op{Kind: client.OpPut, Key: key, Value: value, Want: r.Context})
}

// insertElement is encodeSet of set's elements with e inserted at
// position i, spliced into set's encoding instead of rewritten: "" if set
// is not a canonical encoding with at least i elements.
func insertElement(set string, i, e int) string {
	if set == "" && i > 0 {
		return ""
	}
	at := 0
	for k := 0; k < i; k++ {
		j := strings.IndexByte(set[at:], ',')
		switch {
		case j >= 0:
			at += j + 1
		case k == i-1:
			at = len(set) + 1
		default:
			return ""
		}
	}
	var t text
	digits := strconv.AppendInt(t.digits[:0], int64(e), 10)
	t.Grow(len(set) + len(digits) + 1)
	switch {
	case set == "":
		t.Write(digits)
	case at > len(set):
		t.WriteString(set)
		t.WriteByte(',')
		t.Write(digits)
	default:
		t.WriteString(set[:at])
		t.Write(digits)
		t.WriteByte(',')
		t.WriteString(set[at:])
	}
	return t.String()
}

// insertElementAfter is insertElement(set, i, e), where els is most
// likely set's parse: the place of the i-th element is then the sum of the
// lengths of the elements before it, which is checked rather than
// scanned for.
func insertElementAfter(set string, els []int, i, e int) string {
	if i == 0 || i > len(els) {
		return insertElement(set, i, e)
	}
	at := i // the commas
	for _, x := range els[:i] {
		at += decimalDigits(x)
	}
	var t text
	digits := strconv.AppendInt(t.digits[:0], int64(e), 10)
	switch {
	case at <= len(set) && set[at-1] == ',' && strings.Count(set[:at], ",") == i:
		// after the i-th comma, where insertElement's scan would stop
		t.Grow(len(set) + len(digits) + 1)
		t.WriteString(set[:at])
		t.Write(digits)
		t.WriteByte(',')
		t.WriteString(set[at:])
		return t.String()
	case at == len(set)+1 && strings.Count(set, ",") == i-1:
		// past the last of exactly i elements
		t.Grow(len(set) + len(digits) + 1)
		t.WriteString(set)
		t.WriteByte(',')
		t.Write(digits)
		return t.String()
	}
	return insertElement(set, i, e)
}

// decimalDigits is the length of x >= 0 in decimal: from its length in
// bits (1233/4096 is just above log10(2)), corrected by one comparison.
func decimalDigits(x int) int {
	d := bits.Len64(uint64(x)) * 1233 >> 12
	if d < len(powersOf10) && uint64(x) >= powersOf10[d] {
		d++
	}
	return max(d, 1)
}

var powersOf10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

func (n *clientNode) write(key string) {
	v := "v" + strconv.Itoa(n.unique())
	id := n.h.invoke(Op{Client: n.id(), Kind: OpWrite, Key: key, Value: v})
	n.putThen(id, client.Op{Kind: client.OpPut, Key: key, Value: v, Want: n.ctx[key]})
}

// delete reads the register and deletes what it read.
func (n *clientNode) delete(key string) {
	n.getInto(Op{Client: n.id(), Kind: OpGet, Key: key}, afterGetDelete, 0)
}

func (n *clientNode) deleteRead(key string, r Read, ok bool) {
	if !ok {
		n.pause()
		return
	}
	id := n.h.invoke(Op{Client: n.id(), Kind: OpDelete, Key: key, Values: r.Values, Dots: r.Dots})
	n.putThen(id, client.Op{Kind: client.OpDelete, Key: key, Want: r.Context})
}

func (n *clientNode) putThen(id checker.OpID, op client.Op) {
	n.cur.id = id
	n.do(op, n.putDone)
}

// put is the outcome of the put or delete in flight.
func (n *clientNode) put(o client.Outcome) {
	switch o.Verdict {
	case client.VerdictOK:
		n.h.complete(n.cur.id, nil)
	case client.VerdictFailed:
		n.h.fail(n.cur.id)
	}
	n.pause()
}
