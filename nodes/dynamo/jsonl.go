package dynamo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
)

// HistoryModel is the name under which histories of the store's workload
// are read back (`simrun check -model dynamo`).
const HistoryModel = "dynamo"

func init() {
	if err := checker.RegisterHistoryModel(HistoryModel, func(r io.Reader) (checker.Recorded, error) { return ReadHistory(r) }); err != nil {
		panic(err)
	}
}

// jsonOutput and jsonOp are WriteJSONL's line format.
type jsonOutput struct {
	Elements []int    `json:"elements,omitempty"`
	Values   []string `json:"values,omitempty"`
	Dots     []string `json:"dots,omitempty"`
	Siblings int      `json:"siblings"`
}

type jsonOp struct {
	Process int         `json:"process"`
	Call    int64       `json:"call"`
	Return  *int64      `json:"return"`
	Kind    string      `json:"kind"`
	Key     string      `json:"key"`
	Element *int        `json:"element,omitempty"`
	Value   *string     `json:"value,omitempty"`
	Final   bool        `json:"final,omitempty"`
	Failed  bool        `json:"failed,omitempty"`
	Output  *jsonOutput `json:"output,omitempty"`
}

// WriteJSONL writes the history one operation per line, in the shape of
// docs/HISTORY_FORMAT.md: process, call, return (null while unknown) and
// kind (add, read, write, get, delete), then key, element (add), value
// (write), final (final reads), failed (certainly not applied), and for a
// completed read, get or delete an output with elements (read), values
// and dots ("node:counter"; a delete's are what it removed) and siblings.
// ReadHistory reads it back.
func (h *History) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	for op := range h.ops.all() {
		l := jsonOp{Process: op.Client, Call: int64(op.Call), Kind: op.Kind.String(), Key: op.Key, Final: op.Final, Failed: op.Status == checker.OpFailed}
		switch op.Kind {
		case OpAdd:
			l.Element = &op.Element
		case OpWrite:
			l.Value = &op.Value
		}
		if op.Status == checker.OpCompleted {
			ret := int64(op.Return)
			l.Return = &ret
			if op.Kind != OpAdd && op.Kind != OpWrite {
				out := &jsonOutput{Elements: op.Elements, Values: op.Values, Siblings: op.Siblings}
				for _, d := range op.Dots {
					out.Dots = append(out.Dots, fmt.Sprintf("%d:%d", d.Node, d.Counter))
				}
				l.Output = out
			}
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// ReadHistory reads what WriteJSONL wrote. Its errors name the line
// (*checker.LineError): bad JSON, an unknown field or kind, a missing or
// misplaced field, a return before its call.
func ReadHistory(r io.Reader) (*History, error) {
	h := &History{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), checker.MaxLineBytes)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		op, err := decodeLine(line)
		if err != nil {
			return nil, &checker.LineError{Line: n, Err: err}
		}
		h.ops.add(op)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dynamo: reading the history: %w", err)
	}
	h.now = func() time.Duration { return 0 }
	return h, nil
}

func decodeLine(line []byte) (Op, error) {
	var l jsonOp
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Op{}, err
	}
	op := Op{Client: l.Process, Key: l.Key, Final: l.Final, Call: time.Duration(l.Call), Status: checker.OpPending}
	for k := OpAdd; k <= OpDelete; k++ {
		if k.String() == l.Kind {
			op.Kind = k
		}
	}
	switch {
	case op.Kind == 0:
		return Op{}, fmt.Errorf("kind %q is not add, read, write, get or delete", l.Kind)
	case l.Process < 0:
		return Op{}, fmt.Errorf("process is negative (%d)", l.Process)
	case l.Key == "":
		return Op{}, errors.New("key is missing")
	case (op.Kind == OpAdd) != (l.Element != nil):
		return Op{}, errors.New("element is required for an add, and only there")
	case (op.Kind == OpWrite) != (l.Value != nil):
		return Op{}, errors.New("value is required for a write, and only there")
	case l.Failed && l.Return != nil:
		return Op{}, errors.New("a failed operation has no return")
	}
	if l.Element != nil {
		op.Element = *l.Element
	}
	if l.Value != nil {
		op.Value = *l.Value
	}
	if l.Failed {
		op.Status = checker.OpFailed
	}
	if l.Return != nil {
		if *l.Return < l.Call {
			return Op{}, fmt.Errorf("return %d is before call %d", *l.Return, l.Call)
		}
		op.Return, op.Status = time.Duration(*l.Return), checker.OpCompleted
	}
	wantsOutput := op.Status == checker.OpCompleted && op.Kind != OpAdd && op.Kind != OpWrite
	if wantsOutput != (l.Output != nil) {
		return Op{}, errors.New("output is required for a completed read, get or delete, and only there")
	}
	if o := l.Output; o != nil {
		if op.Kind != OpRead && len(o.Elements) > 0 {
			return Op{}, errors.New("output.elements belongs to a read")
		}
		if len(o.Dots) != len(o.Values) {
			return Op{}, fmt.Errorf("output has %d values and %d dots", len(o.Values), len(o.Dots))
		}
		op.Elements, op.Values, op.Siblings = o.Elements, o.Values, o.Siblings
		for _, d := range o.Dots {
			node, counter, ok := strings.Cut(d, ":")
			nv, err1 := strconv.ParseInt(node, 10, 64)
			cv, err2 := strconv.ParseUint(counter, 10, 64)
			if !ok || err1 != nil || err2 != nil {
				return Op{}, fmt.Errorf("output.dots: %q is not node:counter", d)
			}
			op.Dots = append(op.Dots, Dot{Node: nv, Counter: cv})
		}
	}
	return op, nil
}
