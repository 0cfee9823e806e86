package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/system"
)

// Step is one step of a scenario's script (Nemesis.Script): the form in
// which a test such as MIT 6.5840's is written, one thing after another.
// "Disconnect the leader; a new leader must be elected within 5s; no
// operation of a minority client completes for 1s; reconnect the old
// leader." A step does one of three things:
//
//   - an action: Do, on the servers Target names (disconnect, connect,
//     crash, restart, pause, resume), or Fault, any fault of the schedule
//     (a partition, a link fault, a system's own);
//   - an assertion (Assert), at the moment or over a window;
//   - a block (Steps) run Repeat times in a row.
//
// Steps run in order. A step runs At a time, or After the end of the
// previous step (plus a draw up to AfterMax): an action ends when it runs,
// an assertion when its window (Assert.For or Assert.Within) closes, a
// block when its last step ends. So a script reads like the test it
// mirrors, and its timing is fixed before the run starts: every draw
// comes from the script's own random stream.
type Step struct {
	// At is the step's time, from the start of the run; unset, the step
	// follows the previous one After (up to AfterMax).
	At       *Duration `json:"at,omitempty"`
	After    Duration  `json:"after,omitempty"`
	AfterMax Duration  `json:"after_max,omitempty"`

	// Do is an action on the servers Target names: disconnect (cut the
	// server off from every other server; clients still reach it, as the
	// lab's tester still hands a cut-off leader commands), connect (undo
	// that: it talks again with every server that is not itself
	// disconnected), crash, restart, pause or resume.
	Do string `json:"do,omitempty"`
	// Target names servers when the step runs: "leader" (the current
	// leader, if any), "follower", "random", "up", "down", "cut" (the
	// servers the script has disconnected), "all", a
	// server's name, "$name" (the servers an earlier step bound with As)
	// or "!$name" (every server but those). "follower" and "random" pick
	// among the servers the script has not disconnected, if any are left.
	// Count picks that many of those a word names (follower, random, up,
	// down); 0 means one, and "all", "up" and "down" without a count mean
	// all of them.
	Target string `json:"target,omitempty"`
	Count  int    `json:"count,omitempty"`
	// Fault is a fault as the schedule writes it, without "at"; its target
	// may name a binding too. It strikes each server the target names.
	Fault *Fault `json:"fault,omitempty"`

	// Assert is an assertion about the cluster; see Assertion.
	Assert *Assertion `json:"assert,omitempty"`

	// Steps are a block, run Repeat times (0 means once).
	Steps  []Step `json:"steps,omitempty"`
	Repeat int    `json:"repeat,omitempty"`

	// When makes an action conditional: it runs only if the cluster is in
	// that state when its time comes ("crash the leader if there is one").
	When *Condition `json:"when,omitempty"`
	// Chance, if set, makes an action or a block random: it runs with
	// this probability, drawn from the script's stream (churn). A block's
	// draw is made when the script is laid out, each round apart.
	Chance float64 `json:"chance,omitempty"`
	// As binds a name to the servers the step hit, or, for an assertion
	// that a leader exists, to the leader it found; later steps target
	// them as "$name" ("the leader of the previous fault").
	As string `json:"as,omitempty"`
}

// Assertion is what a step asserts. Leader and SameTerm are states at a
// moment: at once, or, with Within, at some moment before Within has
// passed (a new leader is elected within 5s). The rest are bounds over
// the window [step, step+For).
type Assertion struct {
	// Leader is "one": a live leader that can exchange messages with a
	// majority of the members, and is not disconnected; or "none": no
	// connected server leads (a disconnected one may still think it does,
	// as in the lab).
	Leader string `json:"leader,omitempty"`
	// SameTerm: every live, connected member is in the same term
	// (system.Instance.Term).
	SameTerm bool `json:"same_term,omitempty"`
	// CutOffLeaders is "none": no live server that cannot exchange
	// messages with a majority of the members (or is disconnected)
	// believes it leads (system.Instance.Leads). With Within, a leader
	// that loses its quorum steps down within the bound (CheckQuorum).
	CutOffLeaders string   `json:"cut_off_leaders,omitempty"`
	Within        Duration `json:"within,omitempty"`

	// For is the window of the bounds below.
	For Duration `json:"for,omitempty"`
	// Ops bounds the client operations invoked in the window that also
	// complete in it (one invoked before and answered after counts for
	// neither side): Clients names whose (all when empty). Nothing that
	// a cut-off minority is asked commits ({"max": 0}); a majority
	// commits ({"min": 1}).
	Ops     *Bound   `json:"ops,omitempty"`
	Clients []string `json:"clients,omitempty"`
	// Counters bound how much each of the system's counters grows in the
	// window (with For zero: its value at the moment).
	Counters map[string]Bound `json:"counters,omitempty"`
	// Messages bounds the messages between servers in the window.
	Messages *MessageBound `json:"messages,omitempty"`
	// DiskBytesMax bounds every server's durable bytes (sim.Host.DiskBytes),
	// at the step and, with For, at the end of the window: a log that is
	// never compacted breaks it.
	DiskBytesMax int `json:"disk_bytes_max,omitempty"`
}

// Bound is a closed range of counts; an absent Max is no upper bound.
type Bound struct {
	Min int  `json:"min,omitempty"`
	Max *int `json:"max,omitempty"`
}

func (b Bound) holds(n int) bool { return n >= b.Min && (b.Max == nil || n <= *b.Max) }

func (b Bound) String() string {
	if b.Max == nil {
		return fmt.Sprintf("at least %d", b.Min)
	}
	if b.Min == 0 {
		return fmt.Sprintf("at most %d", *b.Max)
	}
	return fmt.Sprintf("between %d and %d", b.Min, *b.Max)
}

// MessageBound is a budget of the messages servers send each other in an
// assertion's window: MIT 6.5840's TestCount and TestRPCBytes, and its
// heartbeat rate limit.
type MessageBound struct {
	// Type restricts the count to one message type, as the trace labels
	// it ("raft.Heartbeat"); empty counts every message between servers.
	Type string `json:"type,omitempty"`
	// Max bounds the messages; PerOpMax the messages per client operation
	// that completed in the window (for a budget per committed entry).
	Max      *int    `json:"max,omitempty"`
	PerOpMax float64 `json:"per_op_max,omitempty"`
	// PerLinkPerSecondMax bounds the rate on each link, from one server to
	// another: a leader's heartbeats to each follower.
	PerLinkPerSecondMax float64 `json:"per_link_per_second_max,omitempty"`
	// BytesMax and BytesPerOpMax bound the bytes of every message between
	// servers (not of one Type).
	BytesMax      *int    `json:"bytes_max,omitempty"`
	BytesPerOpMax float64 `json:"bytes_per_op_max,omitempty"`
}

// Condition is a state of the cluster that a conditional action waits on.
type Condition struct {
	// Leader is "one" (a leader as Assertion.Leader means it) or "none".
	Leader string `json:"leader,omitempty"`
	// UpBelow: fewer than this many servers are up; ConnectedBelow:
	// fewer than this many are connected (not disconnected by the script).
	UpBelow        int `json:"up_below,omitempty"`
	ConnectedBelow int `json:"connected_below,omitempty"`
}

// Check names of a script's assertions.
const (
	// CheckAssert: a state or window assertion of the script failed.
	CheckAssert = "assert"
	// CheckCost: a message or byte budget of the script was exceeded.
	CheckCost = "cost"
	// CheckDisk: a server's durable bytes exceeded the script's bound.
	CheckDisk = "disk"
)

// Script actions (Step.Do).
const (
	DoDisconnect = "disconnect"
	DoConnect    = "connect"
)

var scriptActions = []string{DoDisconnect, DoConnect, string(FaultCrash), string(FaultRestart), string(FaultPause), string(FaultResume)}

var scriptTargetWords = []string{"leader", "follower", "random", "up", "down", "cut", "all"}

// MaxScriptSteps bounds a script's steps once its blocks are unrolled.
const MaxScriptSteps = 100_000

// hasAssertions reports whether a script asserts anything: a check that
// can fail.
func hasAssertions(steps []Step) bool {
	for _, st := range steps {
		if st.Assert != nil || hasAssertions(st.Steps) {
			return true
		}
	}
	return false
}

func hasActions(steps []Step) bool {
	for _, st := range steps {
		if st.Do != "" || st.Fault != nil || hasActions(st.Steps) {
			return true
		}
	}
	return false
}

// validateScript checks the steps of a script in order, with the names
// earlier steps bind, and the latest time each step may run at: actions
// must fall in the fault phase, and windows close before the run ends.
func validateScript(s *Scenario, sys *system.System) error {
	bound := map[string]bool{}
	n := 0
	end := s.FaultPhase.D() + s.HealPhase.D()
	var walk func(path string, steps []Step, reps int, t time.Duration, inBlock bool) (time.Duration, error)
	walk = func(path string, steps []Step, reps int, t time.Duration, inBlock bool) (time.Duration, error) {
		for i := range steps {
			st := &steps[i]
			p := fmt.Sprintf("%s[%d]", path, i)
			if err := st.validate(s, sys, bound, end); err != nil {
				return 0, fmt.Errorf("%s: %w", p, err)
			}
			if inBlock && st.At != nil {
				return 0, fmt.Errorf("%s: at: a step inside a block runs after the one before it, not at a time", p)
			}
			at := t + max(st.After.D(), st.AfterMax.D())
			if st.At != nil {
				at = st.At.D()
			}
			if len(st.Steps) > 0 {
				times := max(1, st.Repeat)
				// Every round of a block lasts as long as its first, at most.
				round, err := walk(p+".steps", st.Steps, times*reps, 0, true)
				if err != nil {
					return 0, err
				}
				t = at + time.Duration(times)*round
				if hasActions(st.Steps) && t > s.FaultPhase.D() {
					return 0, fmt.Errorf("%s: its actions may run until %v, past the fault phase (%v)", p, t, s.FaultPhase)
				}
				continue
			}
			if n += reps; n > MaxScriptSteps {
				return 0, fmt.Errorf("%s: the script unrolls to more than %d steps", p, MaxScriptSteps)
			}
			if st.As != "" {
				bound[st.As] = true
			}
			t = at + st.length()
			if !inBlock {
				if err := st.fits(s, at); err != nil {
					return 0, fmt.Errorf("%s: %w", p, err)
				}
			}
		}
		return t, nil
	}
	last, err := walk("script", s.Nemesis.Script, 1, 0, false)
	if err != nil {
		return err
	}
	if last > end {
		return fmt.Errorf("script: its steps may run until %v, past the end of the run (%v)", last, end)
	}
	return nil
}

// fits checks that a step that may run as late as at fits the run.
func (st *Step) fits(s *Scenario, at time.Duration) error {
	if (st.Do != "" || st.Fault != nil) && at >= s.FaultPhase.D() {
		return fmt.Errorf("may run at %v: actions run in the fault phase [0, %v)", at, s.FaultPhase)
	}
	if end := s.FaultPhase.D() + s.HealPhase.D(); at+st.length() > end {
		return fmt.Errorf("may run until %v, past the end of the run (%v)", at+st.length(), end)
	}
	return nil
}

func (st *Step) validate(s *Scenario, sys *system.System, bound map[string]bool, end time.Duration) error {
	kinds := 0
	for _, on := range []bool{st.Do != "", st.Fault != nil, st.Assert != nil, len(st.Steps) > 0} {
		if on {
			kinds++
		}
	}
	switch {
	case kinds != 1:
		return fmt.Errorf("a step does exactly one of do, fault, assert or steps (this one does %d)", kinds)
	case st.At != nil && (st.After != 0 || st.AfterMax != 0):
		return fmt.Errorf("at and after are exclusive: a step runs at a time or after the previous one")
	case st.At != nil && (*st.At < 0 || st.At.D() >= end):
		return fmt.Errorf("at %v is outside the run [0, %v)", *st.At, end)
	case st.After < 0:
		return fmt.Errorf("after is negative (%v)", st.After)
	case st.AfterMax != 0 && st.AfterMax < st.After:
		return fmt.Errorf("after_max (%v) is less than after (%v)", st.AfterMax, st.After)
	case st.Repeat < 0 || st.Repeat > MaxScriptSteps:
		return fmt.Errorf("repeat must be in [0, %d] (is %d)", MaxScriptSteps, st.Repeat)
	case st.Repeat > 0 && len(st.Steps) == 0:
		return fmt.Errorf("repeat repeats a block: it needs steps")
	case st.Count < 0 || st.Count > s.Servers+s.Spares:
		return fmt.Errorf("count must be in [0, %d] (is %d)", s.Servers+s.Spares, st.Count)
	case st.When != nil && st.Do == "" && st.Fault == nil:
		return fmt.Errorf("when makes an action conditional: it needs do or fault")
	case st.Chance != 0 && st.Assert != nil:
		return fmt.Errorf("chance is for actions and blocks, not assertions")
	case !(st.Chance >= 0 && st.Chance <= 1):
		return fmt.Errorf("chance must be in [0, 1] (is %v)", st.Chance)
	case st.As != "" && !validBinding(st.As):
		return fmt.Errorf("as %q must be letters, digits, dashes and underscores", st.As)
	}
	if st.When != nil {
		if err := st.When.validate(s); err != nil {
			return fmt.Errorf("when: %w", err)
		}
	}
	target := st.Target
	switch {
	case st.Do != "":
		if !slices.Contains(scriptActions, st.Do) {
			return fmt.Errorf("do %q is not one of %s", st.Do, strings.Join(scriptActions, ", "))
		}
	case st.Fault != nil:
		f := *st.Fault
		if f.At != 0 {
			return fmt.Errorf("fault.at: a step's fault strikes at the step's time; set the step's at or after")
		}
		if st.Target != "" {
			return fmt.Errorf("target: a fault step names its target in fault.target")
		}
		target = f.Target
		f.Target = ""
		if err := f.validate(s, sys); err != nil {
			return fmt.Errorf("fault: %w", err)
		}
	case st.Assert != nil:
		if st.Target != "" || st.Count != 0 {
			return fmt.Errorf("target and count are for actions, not assertions")
		}
		if err := st.Assert.validate(s, sys); err != nil {
			return fmt.Errorf("assert: %w", err)
		}
		if st.As != "" && st.Assert.Leader != "one" {
			return fmt.Errorf("as binds the leader an assertion finds: it needs assert.leader \"one\"")
		}
	default:
		if st.Target != "" || st.Count != 0 || st.As != "" {
			return fmt.Errorf("target, count and as are for actions, not blocks")
		}
	}
	if st.Do != "" || st.Fault != nil {
		if err := validTarget(s, target, bound); err != nil {
			return err
		}
		if st.At != nil && st.At.D() >= s.FaultPhase.D() {
			return fmt.Errorf("at %v: actions run in the fault phase [0, %v)", *st.At, s.FaultPhase)
		}
	}
	return nil
}

func validTarget(s *Scenario, target string, bound map[string]bool) error {
	name, _ := strings.CutPrefix(target, "!")
	switch {
	case target == "" || slices.Contains(scriptTargetWords, target) || validHostName(s, target):
		return nil
	case strings.HasPrefix(name, "$"):
		if !bound[name[1:]] {
			return fmt.Errorf("target %q names no binding an earlier step made with as", target)
		}
		return nil
	}
	return fmt.Errorf("target %q is neither a server name, nor one of %s, nor a $binding", target, strings.Join(scriptTargetWords, ", "))
}

func validBinding(name string) bool {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return name != ""
}

func (c *Condition) validate(s *Scenario) error {
	switch {
	case c.Leader != "" && c.Leader != "one" && c.Leader != "none":
		return fmt.Errorf("leader must be one or none (is %q)", c.Leader)
	case c.UpBelow < 0 || c.UpBelow > s.Servers+s.Spares || c.ConnectedBelow < 0 || c.ConnectedBelow > s.Servers+s.Spares:
		return fmt.Errorf("up_below and connected_below must be in [0, %d] (are %d, %d)", s.Servers+s.Spares, c.UpBelow, c.ConnectedBelow)
	case c.Leader == "" && c.UpBelow == 0 && c.ConnectedBelow == 0:
		return fmt.Errorf("states no condition (leader, up_below or connected_below)")
	}
	return nil
}

func (a *Assertion) validate(s *Scenario, sys *system.System) error {
	state := a.Leader != "" || a.SameTerm || a.CutOffLeaders != ""
	window := a.Ops != nil || len(a.Counters) > 0 || a.Messages != nil
	switch {
	case a.Leader != "" && a.Leader != "one" && a.Leader != "none":
		return fmt.Errorf("leader must be one or none (is %q)", a.Leader)
	case a.CutOffLeaders != "" && a.CutOffLeaders != "none":
		return fmt.Errorf("cut_off_leaders must be none (is %q)", a.CutOffLeaders)
	case !state && !window && a.DiskBytesMax == 0:
		return fmt.Errorf("asserts nothing (leader, same_term, cut_off_leaders, ops, counters, messages or disk_bytes_max)")
	case a.Within < 0 || a.For < 0:
		return fmt.Errorf("within and for must not be negative (are %v, %v)", a.Within, a.For)
	case a.Within > 0 && !state:
		return fmt.Errorf("within waits for a state (leader, same_term or cut_off_leaders)")
	case state && window:
		return fmt.Errorf("a state (leader, same_term) and a window bound (ops, counters, messages) go in separate steps")
	case (a.Ops != nil || a.Messages != nil) && a.For <= 0:
		return fmt.Errorf("ops and messages bound a window: they need a positive for")
	case a.DiskBytesMax < 0:
		return fmt.Errorf("disk_bytes_max is negative (%d)", a.DiskBytesMax)
	case len(a.Clients) > 0 && a.Ops == nil:
		return fmt.Errorf("clients restricts ops: it needs ops")
	case a.Ops != nil && s.Clients == 0:
		return fmt.Errorf("ops: the scenario has no clients")
	}
	for i, c := range a.Clients {
		if !validClientName(s, c) {
			return fmt.Errorf("clients[%d]: %q is not a client of the scenario (c1..c%d)", i, c, s.Clients)
		}
	}
	for _, name := range sortedKeys(a.Counters) {
		if !sys.HasCounter(name) {
			return fmt.Errorf("counters: %q is not a counter of the %s system", name, sys.Name())
		}
		if b := a.Counters[name]; b.Min < 0 || (b.Max != nil && *b.Max < b.Min) {
			return fmt.Errorf("counters.%s: min must be >= 0 and max >= min", name)
		}
	}
	if b := a.Ops; b != nil && (b.Min < 0 || (b.Max != nil && *b.Max < b.Min)) {
		return fmt.Errorf("ops: min must be >= 0 and max >= min")
	}
	if m := a.Messages; m != nil {
		switch {
		case m.Max == nil && m.PerOpMax == 0 && m.PerLinkPerSecondMax == 0 && m.BytesMax == nil && m.BytesPerOpMax == 0:
			return fmt.Errorf("messages: bounds nothing (max, per_op_max, per_link_per_second_max, bytes_max, bytes_per_op_max)")
		case m.Type != "" && (m.BytesMax != nil || m.BytesPerOpMax != 0):
			return fmt.Errorf("messages: bytes are counted over every type: drop type or the byte bounds")
		case (m.Max != nil && *m.Max < 0) || (m.BytesMax != nil && *m.BytesMax < 0) || m.PerOpMax < 0 || m.PerLinkPerSecondMax < 0 || m.BytesPerOpMax < 0:
			return fmt.Errorf("messages: bounds must not be negative")
		case (m.PerOpMax > 0 || m.BytesPerOpMax > 0) && s.Clients == 0:
			return fmt.Errorf("messages: per-operation budgets need clients")
		}
	}
	return nil
}

func validClientName(s *Scenario, name string) bool {
	for i := 0; i < s.Clients; i++ {
		if system.ClientName(i) == name {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// scriptFaultKinds lists the kinds of the faults a script's steps strike,
// so that a system sets up what its own faults need (Raft's admin client
// for transfer-leader) when only a script fires them.
func scriptFaultKinds(steps []Step) []FaultKind {
	var out []FaultKind
	for _, st := range steps {
		if st.Fault != nil {
			out = append(out, st.Fault.Kind)
		}
		out = append(out, scriptFaultKinds(st.Steps)...)
	}
	return out
}
