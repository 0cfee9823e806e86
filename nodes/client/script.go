package client

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detsim/detsim/internal/jsondur"
)

// Script replaces the operations a workload draws with fixed ones: the
// form of MIT 6.5840's tests, where each client appends to a key of its
// own, with values of a set size, and reads its key back at the end.
type Script struct {
	// Ops run in order, each Times times.
	Ops []ScriptOp `json:"ops"`
	// Loop starts the ops again after the last, until the workload stops;
	// without it the client stops after the last (and its final reads).
	Loop bool `json:"loop,omitempty"`
	// FinalRead gets every key the client's ops touched, in the order it
	// first touched them, once the ops are done, the workload's stop_at or
	// ops_max is reached, or a round ends: a final read of each key.
	FinalRead bool `json:"final_read,omitempty"`
}

// ScriptOp is one operation of a Script.
type ScriptOp struct {
	// Op is the kind: get, put, append or delete.
	Op string `json:"op"`
	// Key is the key; empty means the client's own, "k<(id-1) mod keys>",
	// so that with as many keys as clients each client has one to itself.
	Key string `json:"key,omitempty"`
	// Value is what put and append write; empty writes a value unique to
	// the operation. ValueBytes pads the value to that many bytes.
	Value      string `json:"value,omitempty"`
	ValueBytes int    `json:"value_bytes,omitempty"`
	// Times repeats the operation; 0 means once.
	Times int `json:"times,omitempty"`
}

// Round is a stretch of time, by the client's clock, in which a workload
// issues operations: between rounds its clients pause (an operation in
// flight at the end of a round finishes first).
type Round struct {
	From  time.Duration `json:"from"`
	Until time.Duration `json:"until"`
}

// MarshalJSON writes the times as duration strings.
func (r Round) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		From  jsondur.Duration `json:"from"`
		Until jsondur.Duration `json:"until"`
	}{jsondur.Duration(r.From), jsondur.Duration(r.Until)})
}

// UnmarshalJSON reads the times as strings or nanoseconds, and rejects
// unknown fields.
func (r *Round) UnmarshalJSON(b []byte) error {
	return jsondur.Strict(b, &struct {
		From  *jsondur.Duration `json:"from"`
		Until *jsondur.Duration `json:"until"`
	}{jsondur.Of(&r.From), jsondur.Of(&r.Until)})
}

// Bounds of a script: every operation is an event and a history entry, and
// a value is copied with every message that carries it.
const (
	ScriptOpsMax    = 10_000
	ScriptTimesMax  = 1_000_000
	ValueBytesMax   = 1 << 20
	RoundsMax       = 10_000
	scriptKindNames = "get, put, append or delete"
)

var scriptKinds = map[string]OpKind{"get": OpGet, "put": OpPut, "append": OpAppend, "delete": OpDelete}

func (s *Script) validate() error {
	if len(s.Ops) == 0 {
		return fmt.Errorf("ops: must list at least one operation")
	}
	if len(s.Ops) > ScriptOpsMax {
		return fmt.Errorf("ops: %d operations, more than %d", len(s.Ops), ScriptOpsMax)
	}
	for i, op := range s.Ops {
		bad := func(field, format string, args ...any) error {
			return fmt.Errorf("ops[%d].%s: %s", i, field, fmt.Sprintf(format, args...))
		}
		if _, ok := scriptKinds[op.Op]; !ok {
			return bad("op", "must be %s (is %q)", scriptKindNames, op.Op)
		}
		if op.Times < 0 || op.Times > ScriptTimesMax {
			return bad("times", "must be in [0, %d] (is %d)", ScriptTimesMax, op.Times)
		}
		if op.ValueBytes < 0 || op.ValueBytes > ValueBytesMax {
			return bad("value_bytes", "must be in [0, %d] (is %d)", ValueBytesMax, op.ValueBytes)
		}
		if (op.Value != "" || op.ValueBytes > 0) && op.Op != "put" && op.Op != "append" {
			return bad("value", "only put and append write a value (op is %s)", op.Op)
		}
		if len(op.Value) > max(op.ValueBytes, ValueBytesMax) {
			return bad("value", "is %d bytes, more than %d", len(op.Value), ValueBytesMax)
		}
		if strings.TrimSpace(op.Key) != op.Key {
			return bad("key", "has leading or trailing space (%q)", op.Key)
		}
	}
	return nil
}

func validateRounds(rounds []Round) error {
	if len(rounds) > RoundsMax {
		return fmt.Errorf("rounds: %d rounds, more than %d", len(rounds), RoundsMax)
	}
	for i, r := range rounds {
		switch {
		case r.From < 0:
			return fmt.Errorf("rounds[%d].from: must be >= 0 (is %v)", i, r.From)
		case r.Until <= r.From:
			return fmt.Errorf("rounds[%d].until: must be after from (%v) (is %v)", i, r.From, r.Until)
		case i > 0 && r.From < rounds[i-1].Until:
			return fmt.Errorf("rounds[%d].from: must not be before the previous round's until (%v) (is %v)", i, rounds[i-1].Until, r.From)
		}
	}
	return nil
}

// scriptRun is where one incarnation of a client is in its script.
type scriptRun struct {
	s      *Script
	own    string
	prefix string
	op     int // the next op
	times  int // times the next op has run
	n      int // values written, for unique values
	keys   []string
	reads  []string // final reads still to do
	ended  bool     // the ops are done (the script does not loop)
}

func newScriptRun(s *Script, clientID uint64, keys int, prefix string) *scriptRun {
	return &scriptRun{s: s, own: "k" + strconv.FormatUint((clientID-1)%uint64(keys), 10), prefix: prefix}
}

// finalReads queues a read of every key the script touched, unless it
// reads nothing at the end or the reads are queued already.
func (r *scriptRun) finalReads() {
	if r.s.FinalRead && len(r.reads) == 0 {
		r.reads = slices.Clone(r.keys)
	}
}

// next is the next operation: a final read that is due, else the script's
// next op; false once the script has ended and read what it had to.
func (r *scriptRun) next() (Op, bool) {
	if len(r.reads) > 0 {
		k := r.reads[0]
		r.reads = r.reads[1:]
		return Op{Kind: OpGet, Key: k}, true
	}
	if r.ended {
		return Op{}, false
	}
	so := r.s.Ops[r.op]
	op := Op{Kind: scriptKinds[so.Op], Key: so.Key}
	if op.Key == "" {
		op.Key = r.own
	}
	if !slices.Contains(r.keys, op.Key) {
		r.keys = append(r.keys, op.Key)
	}
	if op.Kind == OpPut || op.Kind == OpAppend {
		op.Value = so.Value
		if op.Value == "" {
			r.n++
			op.Value = r.prefix + strconv.Itoa(r.n) + ";"
		}
		if pad := so.ValueBytes - len(op.Value); pad > 0 {
			op.Value += strings.Repeat(".", pad)
		}
	}
	if r.times++; r.times >= max(1, so.Times) {
		r.op, r.times = r.op+1, 0
		if r.op == len(r.s.Ops) {
			r.op = 0
			if !r.s.Loop {
				r.ended = true
				r.finalReads()
			}
		}
	}
	return op, true
}

// roundAt is the round that is on or next at local time now, and whether
// now is inside it; -1 when every round is over.
func roundAt(rounds []Round, now time.Duration) (int, bool) {
	for i, r := range rounds {
		if now < r.Until {
			return i, now >= r.From
		}
	}
	return -1, false
}
