package checker

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
)

// jsonTxn is a transaction line in this project's own shape: one line per
// transaction, as the other models have one line per operation.
type jsonTxn struct {
	Process *int            `json:"process"`
	Call    *int64          `json:"call"`
	Return  json.RawMessage `json:"return"`
	Kind    *string         `json:"kind"`
	Status  *string         `json:"status"`
	Mops    json.RawMessage `json:"mops"`
}

// jepsenOp is one line of a Jepsen history rendered as JSON: an invocation
// or a completion, paired by process. Fields not listed (index, error,
// and whatever a test adds) are ignored, as Jepsen's checkers do.
type jepsenOp struct {
	Type    json.RawMessage `json:"type"`
	F       json.RawMessage `json:"f"`
	Process json.RawMessage `json:"process"`
	Time    *int64          `json:"time"`
	Value   json.RawMessage `json:"value"`
}

// txnShape tells JSON's two line shapes apart: a Jepsen op has "type".
type txnShape struct {
	Type json.RawMessage `json:"type"`
}

// ReadTxns reads a transactional history, one record a line, in one of
// three shapes (docs/HISTORY_FORMAT.md), the same in every line of a file:
//
//   - this project's, one line per transaction:
//     {"process":0,"call":1000,"return":2500,"kind":"txn","status":"ok","mops":[["append","x",1],["r","y",[1,2]]]}
//   - Jepsen's op maps as JSON, an invocation and a completion per
//     transaction, paired by process:
//     {"type":"invoke","f":"txn","process":0,"time":1000,"value":[["append","x",1],["r","y",null]]}
//     {"type":"ok","f":"txn","process":0,"time":2500,"value":[["append","x",1],["r","y",[1,2]]]}
//   - the same op maps in EDN, as Jepsen's history.edn has them:
//     {:type :ok, :f :txn, :process 0, :time 2500, :value [[:append :x 1] [:r :y [1 2]]]}
//
// Transaction ids follow line order (of the invocations, for Jepsen's
// shape). Anything malformed is a *LineError naming the line.
func ReadTxns(r io.Reader) ([]Txn, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	var (
		txns  []Txn
		n     int
		shape fileShape // unknown until the first line says
	)
	jepsen := &jepsenReader{open: map[int]TxnID{}, openLine: map[TxnID]int{}}
	for sc.Scan() {
		n++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		line := lineShape(text)
		if shape == shapeUnknown {
			shape = line
		}
		if line != shape {
			return nil, &LineError{n, fmt.Errorf("%s in a file of %s", line.one(), shape)}
		}
		var err error
		switch line {
		case shapeEDN:
			if text[0] == ';' {
				continue
			}
			if text, err = ednToJSON(text); err == nil {
				txns, err = jepsen.add(txns, text, n)
			}
		case shapeJepsen:
			txns, err = jepsen.add(txns, text, n)
		default:
			var t Txn
			t, err = readTxnLine(text)
			t.ID = TxnID(len(txns))
			txns = append(txns, t)
		}
		if err != nil {
			return nil, &LineError{n, err}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{n + 1, fmt.Errorf("line longer than %d bytes", MaxLineBytes)}
		}
		return nil, &LineError{n + 1, err}
	}
	// Jepsen invocations never completed stay indeterminate, as in Jepsen.
	return txns, nil
}

// fileShape is which of the accepted shapes a file's lines have.
type fileShape uint8

const (
	shapeUnknown fileShape = iota
	shapeTxn               // this project's transaction lines
	shapeJepsen            // Jepsen's op maps as JSON
	shapeEDN               // Jepsen's op maps as EDN (history.edn)
)

func (s fileShape) String() string {
	switch s {
	case shapeTxn:
		return `transaction lines (without "type")`
	case shapeJepsen:
		return `Jepsen ops in JSON (with "type")`
	case shapeEDN:
		return "Jepsen ops in EDN"
	}
	return "lines"
}

func (s fileShape) one() string {
	switch s {
	case shapeTxn:
		return `a transaction line (without "type")`
	case shapeJepsen:
		return `a Jepsen op in JSON (with "type")`
	}
	return "a Jepsen op in EDN"
}

// lineShape tells the shapes apart by a line's first bytes, or, for JSON,
// by whether the object has "type". A line that is not JSON counts as a
// transaction line, which reports the JSON error.
func lineShape(text []byte) fileShape {
	if text[0] == ';' || text[0] == '#' {
		return shapeEDN
	}
	if text[0] == '{' {
		if rest := bytes.TrimLeft(text[1:], " \t,"); len(rest) > 0 && rest[0] == ':' {
			return shapeEDN
		}
	}
	// Only a line that names "type" somewhere can have it: the others,
	// most of a large file, skip decoding it twice.
	var probe txnShape
	if bytes.Contains(text, []byte(`"type"`)) && json.Unmarshal(text, &probe) == nil && probe.Type != nil {
		return shapeJepsen
	}
	return shapeTxn
}

func readTxnLine(text []byte) (Txn, error) {
	rec, ok := parseTxnLineFast(text)
	if !ok {
		rec = jsonTxn{}
		if err := decodeStrict(text, &rec); err != nil {
			return Txn{}, err
		}
	}
	var t Txn
	switch {
	case rec.Kind == nil:
		return t, errors.New(`missing field "kind" (want "txn")`)
	case *rec.Kind != "txn":
		return t, fmt.Errorf(`kind %q is not "txn"`, *rec.Kind)
	case rec.Process == nil:
		return t, errors.New(`missing field "process"`)
	case *rec.Process < 0:
		return t, fmt.Errorf("process %d is negative", *rec.Process)
	case rec.Call == nil:
		return t, errors.New(`missing field "call"`)
	case rec.Status == nil:
		return t, errors.New(`missing field "status" (ok, fail or info)`)
	case rec.Return == nil:
		return t, errors.New(`missing field "return" (null for an indeterminate transaction)`)
	case rec.Mops == nil:
		return t, errors.New(`missing field "mops"`)
	}
	t.Process, t.Call = *rec.Process, time.Duration(*rec.Call)
	switch *rec.Status {
	case "ok":
		t.Status = TxnOK
	case "fail":
		t.Status = TxnFailed
	case "info":
		t.Status = TxnInfo
	default:
		return t, fmt.Errorf("unknown status %q (want ok, fail or info)", *rec.Status)
	}
	null := string(rec.Return) == "null"
	switch {
	case t.Status == TxnInfo && !null:
		return t, errors.New(`an info transaction's return must be null: when it took effect, if ever, is unknown`)
	case t.Status != TxnInfo && null:
		return t, fmt.Errorf("return is null for a transaction with status %v (use info when the outcome is unknown)", t.Status)
	case !null:
		ret, err := strconv.ParseInt(string(rec.Return), 10, 64)
		if err != nil {
			return t, fmt.Errorf(`field "return": want an integer or null, got %s`, rec.Return)
		}
		if ret < *rec.Call {
			return t, fmt.Errorf("return %d is before call %d", ret, *rec.Call)
		}
		t.Return = time.Duration(ret)
	}
	mops, err := decodeMops(rec.Mops, "mops", t.Status == TxnOK)
	if err != nil {
		return t, err
	}
	t.Mops = mops
	return t, nil
}

// decodeMops decodes an array of Elle micro-operations, [f key value]
// triples. Read results are kept only when withResults.
func decodeMops(raw json.RawMessage, field string, withResults bool) ([]Mop, error) {
	if mops, ok := parseMopsFast(raw, withResults); ok {
		return mops, nil
	}
	return decodeMopsSlowly(raw, field, withResults)
}

// decodeMopsSlowly is decodeMops by encoding/json, for what the fast
// parser leaves: it reads any JSON, and names what is wrong.
func decodeMopsSlowly(raw json.RawMessage, field string, withResults bool) ([]Mop, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
		return nil, fmt.Errorf("field %q: want an array of [f, key, value] micro-operations, got %s", field, abbreviate(raw))
	}
	mops := make([]Mop, len(elems))
	for i, e := range elems {
		m, err := decodeMop(e, withResults)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		mops[i] = m
	}
	return mops, nil
}

func decodeMop(raw json.RawMessage, withResult bool) (Mop, error) {
	var triple []json.RawMessage
	if err := json.Unmarshal(raw, &triple); err != nil || len(triple) != 3 {
		return Mop{}, fmt.Errorf("want [f, key, value], got %s", abbreviate(raw))
	}
	var m Mop
	var f string
	if err := json.Unmarshal(triple[0], &f); err != nil {
		return m, fmt.Errorf("f: want a string, got %s", abbreviate(triple[0]))
	}
	switch strings.TrimPrefix(f, ":") {
	case "append":
		m.Kind = MopAppend
	case "r":
		m.Kind = MopRead
	case "w":
		m.Kind = MopWrite
	default:
		return m, fmt.Errorf("unknown micro-operation %q (want append, r or w)", f)
	}
	key, err := decodeKey(triple[1])
	if err != nil {
		return m, err
	}
	m.Key = key
	v := triple[2]
	if m.Kind != MopRead {
		n, err := decodeInt(v)
		if err != nil {
			return m, fmt.Errorf("%v of %s: want an integer value, got %s", m.Kind, key, abbreviate(v))
		}
		m.Value = n
		return m, nil
	}
	if !withResult || string(v) == "null" {
		return m, nil
	}
	if len(v) > 0 && v[0] == '[' {
		var list []int
		if err := json.Unmarshal(v, &list); err != nil {
			return m, fmt.Errorf("read of %s: want a list of integers, got %s", key, abbreviate(v))
		}
		m.List = list
		return m, nil
	}
	n, err := decodeInt(v)
	if err != nil {
		return m, fmt.Errorf("read of %s: want null, an integer or a list of integers, got %s", key, abbreviate(v))
	}
	m.Value, m.Found = n, true
	return m, nil
}

// decodeKey takes a string or an integer key (Jepsen's keys are often
// integers); an integer key names the same key as its decimal string.
func decodeKey(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	if n, err := decodeInt(raw); err == nil {
		return strconv.Itoa(n), nil
	}
	return "", fmt.Errorf("key: want a string or an integer, got %s", abbreviate(raw))
}

func decodeInt(raw json.RawMessage) (int, error) {
	n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
	return int(n), err
}

func abbreviate(raw []byte) string {
	const most = 40
	if len(raw) == 0 {
		return "nothing"
	}
	if len(raw) > most {
		return string(raw[:most]) + "..."
	}
	return string(raw)
}

// jepsenReader pairs Jepsen invocations with their completions.
type jepsenReader struct {
	open     map[int]TxnID // process -> its invocation awaiting completion
	openLine map[TxnID]int
	ops      int
	timed    int // ops with "time", to refuse a file that mixes
	withProc int // ops with "process", likewise
}

func (j *jepsenReader) everyOrNone(hasProcess, hasTime bool) error {
	j.ops++
	if hasTime {
		j.timed++
	}
	if hasProcess {
		j.withProc++
	}
	switch {
	case j.timed != 0 && j.timed != j.ops:
		return errors.New(`some ops have "time" and others not: give it on every op or on none`)
	case j.withProc != 0 && j.withProc != j.ops:
		return errors.New(`some ops have "process" and others not: give it on every op or on none`)
	}
	return nil
}

func (j *jepsenReader) add(txns []Txn, text []byte, n int) ([]Txn, error) {
	var op jepsenOp
	if err := json.Unmarshal(text, &op); err != nil {
		return txns, jsonError(err)
	}
	if op.Type == nil {
		return txns, errors.New(`missing field "type" (invoke, ok, fail or info)`)
	}
	var typ string
	if err := json.Unmarshal(op.Type, &typ); err != nil {
		return txns, fmt.Errorf(`field "type": want a string, got %s`, abbreviate(op.Type))
	}
	typ = strings.TrimPrefix(typ, ":")
	process := 0
	if op.Process != nil {
		var name string
		if json.Unmarshal(op.Process, &name) == nil && strings.TrimPrefix(name, ":") == "nemesis" {
			return txns, nil // the nemesis' own ops: faults, not transactions
		}
		p, err := decodeInt(op.Process)
		if err != nil || p < 0 {
			return txns, fmt.Errorf(`field "process": want an integer >= 0 or "nemesis", got %s`, abbreviate(op.Process))
		}
		process = p
	}
	// A file may leave out process (then every op is of one process) or
	// time (then line order is time order), but on every line or none.
	if err := j.everyOrNone(op.Process != nil, op.Time != nil); err != nil {
		return txns, err
	}
	if op.F != nil {
		var f string
		json.Unmarshal(op.F, &f)
		if strings.TrimPrefix(f, ":") != "txn" {
			return txns, fmt.Errorf(`field "f": want "txn", got %s`, abbreviate(op.F))
		}
	}
	// Without times, the order of the lines is the order of the events.
	at := time.Duration(n)
	if op.Time != nil {
		at = time.Duration(*op.Time)
	}
	if op.Value == nil {
		return txns, errors.New(`missing field "value" (the micro-operations)`)
	}
	id, pending := j.open[process]
	switch typ {
	case "invoke":
		if pending {
			return txns, fmt.Errorf("process %d invokes again while its transaction of line %d is open", process, j.openLine[id])
		}
		mops, err := decodeMops(op.Value, "value", false)
		if err != nil {
			return txns, err
		}
		id = TxnID(len(txns))
		txns = append(txns, Txn{ID: id, Process: process, Mops: mops, Call: at})
		j.open[process] = id
		j.openLine[id] = n
		return txns, nil
	case "ok", "fail", "info":
	default:
		return txns, fmt.Errorf("unknown type %q (want invoke, ok, fail or info)", typ)
	}
	if !pending {
		return txns, fmt.Errorf("process %d completes a transaction it never invoked", process)
	}
	delete(j.open, process)
	delete(j.openLine, id)
	t := &txns[id]
	if at < t.Call {
		return txns, fmt.Errorf("completion at %d is before its invocation at %d", at, t.Call)
	}
	if typ == "info" {
		return txns, nil
	}
	mops, err := decodeMops(op.Value, "value", typ == "ok")
	if err != nil {
		return txns, err
	}
	if len(mops) != len(t.Mops) {
		return txns, fmt.Errorf("%d micro-operations completed for the %d invoked", len(mops), len(t.Mops))
	}
	for i, m := range mops {
		if inv := t.Mops[i]; m.Kind != inv.Kind || m.Key != inv.Key || m.Kind != MopRead && m.Value != inv.Value {
			return txns, fmt.Errorf("value[%d] is %v, but the invocation had %v", i, m, inv)
		}
	}
	t.Mops, t.Return = mops, at
	t.Status = TxnOK
	if typ == "fail" {
		t.Status = TxnFailed
	}
	return txns, nil
}

func rawOrNull(r json.RawMessage) *json.RawMessage {
	if r == nil {
		r = json.RawMessage("null")
	}
	return &r
}

// WriteTxns writes txns in this project's JSON Lines shape, one line per
// transaction, in slice order. Reads are written with their results only
// for committed transactions.
func WriteTxns(w io.Writer, txns []Txn) error {
	bw := bufio.NewWriter(w)
	var line []byte
	for _, t := range txns {
		if t.Status > TxnFailed {
			return fmt.Errorf("checker: transaction %d: status %v", t.ID, t.Status)
		}
		line = append(line[:0], `{"process":`...)
		line = strconv.AppendInt(line, int64(t.Process), 10)
		line = append(line, `,"call":`...)
		line = strconv.AppendInt(line, int64(t.Call), 10)
		line = append(line, `,"return":`...)
		if t.Status == TxnInfo {
			line = append(line, "null"...)
		} else {
			line = strconv.AppendInt(line, int64(t.Return), 10)
		}
		line = append(line, `,"kind":"txn","status":"`...)
		line = append(line, t.Status.String()...)
		line = append(line, `","mops":[`...)
		for i, m := range t.Mops {
			if m.Kind < MopAppend || m.Kind > MopWrite {
				return fmt.Errorf("checker: transaction %d, micro-operation %d: kind %v", t.ID, i, m.Kind)
			}
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, `["`...)
			line = append(line, m.Kind.String()...)
			line = append(line, `",`...)
			line = appendJSONString(line, m.Key)
			line = append(line, ',')
			switch {
			case m.Kind != MopRead || t.Status == TxnOK && m.List == nil && m.Found:
				line = strconv.AppendInt(line, int64(m.Value), 10)
			case t.Status == TxnOK && m.List != nil:
				line = append(line, '[')
				for j, x := range m.List {
					if j > 0 {
						line = append(line, ',')
					}
					line = strconv.AppendInt(line, int64(x), 10)
				}
				line = append(line, ']')
			default:
				line = append(line, "null"...)
			}
			line = append(line, ']')
		}
		line = append(line, "]}\n"...)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendJSONString appends s as a JSON string: as it is when nothing in it
// needs escaping, as encoding/json escapes it otherwise.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			quoted, _ := json.Marshal(s)
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
