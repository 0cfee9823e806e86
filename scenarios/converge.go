package scenarios

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/detsim/detsim/checker"
)

// ConvergenceSampleEvery is how often, in virtual time, the heal phase's
// replicas are compared while a scenario checks convergence: the
// resolution of the time to converge. A world hook takes each sample
// after the first event at or past its time (a sample of its own would be
// an event, and change the trace hash); between events no replica
// changes, so a sample is late by at most the gap between two events.
const ConvergenceSampleEvery = 20 * time.Millisecond

// ConvergenceTime is when a run's replicas converged after the heal: the
// first sample from which they were equal, every member up, at every
// sample to the end of the run.
type ConvergenceTime struct {
	// HealedAt is the heal: the end of the fault phase, when every fault
	// is undone.
	HealedAt Duration `json:"healed_at"`
	// ConvergedAt is when the replicas converged, and After how long
	// after the heal; both are -1 when they differ at the end (never).
	// A sample at ConvergedAt found them equal, and the one before it,
	// at most SampleEvery earlier while events are dense, did not.
	ConvergedAt Duration `json:"converged_at"`
	After       Duration `json:"after"`
	// FirstEqualAfter is how long after the heal a sample first found
	// the replicas equal, -1 if none did: while clients keep writing,
	// replicas agree between writes long before they stay equal (once
	// the writes stop), and this is when the side that fell behind had
	// caught up.
	FirstEqualAfter Duration `json:"first_equal_after"`
	// WritesEndAt is the later of the heal and the last write a client
	// invoked that did not fail (a write in flight keeps replicas
	// apart), and AfterWrites how long after it the replicas converged
	// (0 when they already had, -1 never): the repair alone, without
	// the time the workload kept writing.
	WritesEndAt Duration `json:"writes_end_at"`
	AfterWrites Duration `json:"after_writes"`
	SampleEvery Duration `json:"sample_every"`
}

// Converged reports whether the replicas converged before the end.
func (c ConvergenceTime) Converged() bool { return c.ConvergedAt >= 0 }

func (c ConvergenceTime) String() string {
	if !c.Converged() {
		return fmt.Sprintf("never, after the heal at %v", c.HealedAt)
	}
	return fmt.Sprintf("%v after the heal at %v", c.After, c.HealedAt)
}

// convergeTracker samples the replicas from the heal on.
type convergeTracker struct {
	r      *run
	healAt time.Duration
	next   time.Duration
	// since is the start of the current run of equal samples, or -1;
	// first the first equal sample, or -1.
	since, first time.Duration
}

func newConvergeTracker(r *run) *convergeTracker {
	t := &convergeTracker{r: r, healAt: r.s.FaultPhase.D(), next: r.s.FaultPhase.D(), since: -1, first: -1}
	r.w.AddHook(t.hook)
	return t
}

func (t *convergeTracker) hook() error {
	now := t.r.w.Now()
	if now < t.next {
		return nil
	}
	t.next = now + ConvergenceSampleEvery
	t.sample(now, t.equal())
	return nil
}

func (t *convergeTracker) sample(now time.Duration, equal bool) {
	switch {
	case !equal:
		t.since = -1
	case t.since < 0:
		t.since = now
		if t.first < 0 {
			t.first = now
		}
	}
}

// equal reports whether every member is up and the replicas are equal,
// as the convergence check at the end judges them. States go-cmp cannot
// compare count as unequal; the check at the end names the problem. A
// system's own ReplicasEqual answers without the states being built.
func (t *convergeTracker) equal() (equal bool) {
	for _, id := range t.r.sys.Members() {
		if !t.r.w.Host(id).Up() {
			return false
		}
	}
	defer func() {
		if recover() != nil {
			equal = false
		}
	}()
	if replicasEqual := t.r.sys.ReplicasEqual; replicasEqual != nil {
		return replicasEqual()
	}
	return ReplicaStatesEqual(t.r.sys.Replicas())
}

// ReplicaStatesEqual reports whether every replica's state equals the
// first's, as the convergence sampling judges them: the judgement a
// system's Instance.ReplicasEqual must agree with. It panics where go-cmp
// cannot compare the states.
func ReplicaStatesEqual(replicas []checker.Replica) bool {
	for _, rep := range replicas[min(1, len(replicas)):] {
		// reflect.DeepEqual is the fast path; go-cmp, which the check at
		// the end uses, also honours Equal methods.
		if !reflect.DeepEqual(replicas[0].State, rep.State) &&
			(deepEqualDecides(reflect.TypeOf(rep.State)) || !gocmp.Equal(replicas[0].State, rep.State)) {
			return false
		}
	}
	return true
}

// deepEqualDecides reports whether reflect.DeepEqual's "unequal" is also
// go-cmp's for values of type t: nothing in it has an Equal method, which
// go-cmp would honour, and no interface could hide one. Then a sample
// spares go-cmp's second, slower walk over replicas that differ, which is
// nearly every sample while clients write.
func deepEqualDecides(t reflect.Type) bool {
	if t == nil {
		return false
	}
	if v, ok := deepEqualDecidesCache.Load(t); ok {
		return v.(bool)
	}
	v := plainForDeepEqual(t, map[reflect.Type]bool{})
	deepEqualDecidesCache.Store(t, v)
	return v
}

var deepEqualDecidesCache sync.Map // reflect.Type -> bool; sweep workers share it

func plainForDeepEqual(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true // a recursive type: decided where it started
	}
	seen[t] = true
	if _, ok := t.MethodByName("Equal"); ok {
		return false
	}
	if _, ok := reflect.PointerTo(t).MethodByName("Equal"); ok {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array, reflect.Slice, reflect.Pointer:
		return plainForDeepEqual(t.Elem(), seen)
	case reflect.Map:
		return plainForDeepEqual(t.Key(), seen) && plainForDeepEqual(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if !plainForDeepEqual(t.Field(i).Type, seen) {
				return false
			}
		}
		return true
	}
	return false // interfaces, funcs, channels: go-cmp decides
}

// finish takes the last sample, with the check at the end's verdict, and
// returns the time to converge; ops are the run's client operations.
func (t *convergeTracker) finish(equalAtEnd bool, ops []checker.OpSummary) *ConvergenceTime {
	t.sample(t.r.w.Now(), equalAtEnd)
	writesEnd := t.healAt
	for _, op := range ops {
		if op.Writes && op.Status != checker.OpFailed {
			writesEnd = max(writesEnd, op.Call)
		}
	}
	c := &ConvergenceTime{HealedAt: Duration(t.healAt), ConvergedAt: -1, After: -1, FirstEqualAfter: -1,
		WritesEndAt: Duration(writesEnd), AfterWrites: -1, SampleEvery: Duration(ConvergenceSampleEvery)}
	if t.first >= 0 {
		c.FirstEqualAfter = Duration(t.first - t.healAt)
	}
	if t.since >= 0 {
		c.ConvergedAt, c.After = Duration(t.since), Duration(t.since-t.healAt)
		c.AfterWrites = Duration(max(0, t.since-writesEnd))
	}
	return c
}

// judgeBound fails a run whose replicas converged later than the
// scenario's bound. Replicas that differ at the end already failed the
// convergence check, with what differs.
func (c *ConvergenceTime) judgeBound(within Duration, fail func(check, format string, args ...any)) {
	if within > 0 && c.Converged() && c.After > within {
		fail(CheckConvergence, "the replicas converged %v after the heal at %v, later than the bound of %v (sampled every %v)", c.After, c.HealedAt, within, c.SampleEvery)
	}
}

// convergenceBound is the object form of checks.convergence.
type convergenceBound struct {
	Within Duration `json:"within"`
}

// decodeConvergence reads checks.convergence: true, false, or
// {"within": "30s"}, which checks it with a bound.
func decodeConvergence(raw json.RawMessage) (on bool, within Duration, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false, 0, nil
	}
	if raw[0] != '{' {
		if err := json.Unmarshal(raw, &on); err != nil {
			return false, 0, fmt.Errorf(`checks.convergence: want true, false or {"within": "30s"} (is %s)`, raw)
		}
		return on, 0, nil
	}
	var b convergenceBound
	if err := decodeStrict(bytes.NewReader(raw), &b); err != nil {
		return false, 0, fmt.Errorf("checks.convergence: %v", err)
	}
	if b.Within <= 0 {
		return false, 0, fmt.Errorf("checks.convergence.within: must be positive (is %v)", b.Within)
	}
	return true, b.Within, nil
}

// encodeConvergence is checks.convergence as JSON: the bool, or the
// object when there is a bound.
func (c Checks) encodeConvergence() any {
	if c.ConvergenceWithin > 0 {
		return convergenceBound{Within: c.ConvergenceWithin}
	}
	if c.Convergence {
		return true
	}
	return nil
}

// ConvergenceTally sums up the times to converge of a seed set: how many
// seeds measured one, how many never converged, and the distribution of
// the others, in whole milliseconds, so that tallies of sweep shards merge
// exactly.
type ConvergenceTally struct {
	Seeds int `json:"seeds"`
	Never int `json:"never"`
	// Millis holds [milliseconds, seeds] pairs, by milliseconds.
	Millis [][2]int64 `json:"millis,omitempty"`
}

func (c *ConvergenceTally) add(ct ConvergenceTime) {
	c.Seeds++
	if !ct.Converged() {
		c.Never++
		return
	}
	c.addMillis(ct.After.D().Milliseconds(), 1)
}

func (c *ConvergenceTally) addMillis(ms, n int64) {
	i, found := slices.BinarySearchFunc(c.Millis, ms, func(p [2]int64, ms int64) int { return cmp.Compare(p[0], ms) })
	if found {
		c.Millis[i][1] += n
		return
	}
	c.Millis = slices.Insert(c.Millis, i, [2]int64{ms, n})
}

func (c *ConvergenceTally) merge(o ConvergenceTally) {
	c.Seeds += o.Seeds
	c.Never += o.Never
	for _, p := range o.Millis {
		c.addMillis(p[0], p[1])
	}
}

// Quantile is the q-th quantile (0 <= q <= 1) of the time to converge
// over the seeds that converged, to the millisecond; -1 when none did.
func (c ConvergenceTally) Quantile(q float64) Duration {
	var n int64
	for _, p := range c.Millis {
		n += p[1]
	}
	if n == 0 {
		return -1
	}
	rank := min(n-1, int64(float64(q*float64(n))))
	for _, p := range c.Millis {
		if rank < p[1] {
			return Duration(time.Duration(p[0]) * time.Millisecond)
		}
		rank -= p[1]
	}
	return -1
}

func (c ConvergenceTally) String() string {
	out := fmt.Sprintf("%d of %d seeds converged after the heal", c.Seeds-c.Never, c.Seeds)
	if c.Seeds > c.Never {
		out += fmt.Sprintf(", p50 %v, p99 %v, max %v", c.Quantile(0.5), c.Quantile(0.99), c.Quantile(1))
	}
	if c.Never > 0 {
		out += fmt.Sprintf("; %d never did", c.Never)
	}
	return out
}
