package checker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLineBytes is the longest line the JSON Lines readers accept. Lines are
// read one at a time, so a large file costs memory for its history only.
const MaxLineBytes = 64 << 20

// ErrTooManyOps is the error of a reader given more operations than
// JSONLOptions.MaxOps allows, wrapped in a *LineError naming the line.
var ErrTooManyOps = errors.New("more operations than the reader may hold")

// LineError is a malformed line in a JSON Lines history.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// jsonOp is one line as read. Pointers tell an absent field from a zero
// one; return and output are raw to tell null from absent.
type jsonOp struct {
	Process  *int            `json:"process"`
	Call     *int64          `json:"call"`
	Return   json.RawMessage `json:"return"`
	Kind     *string         `json:"kind"`
	Key      *string         `json:"key"`
	Value    *string         `json:"value"`
	Want     *string         `json:"want"`
	From     *int            `json:"from"`
	To       *int            `json:"to"`
	Amount   *int64          `json:"amount"`
	Balances *[]int64        `json:"balances"`
	Output   json.RawMessage `json:"output"`
}

type jsonOutput struct {
	Value    *string  `json:"value"`
	Found    *bool    `json:"found"`
	OK       *bool    `json:"ok"`
	Balances *[]int64 `json:"balances"`
}

// kindSpec says which fields an operation kind takes.
type kindSpec struct {
	in  []string // input fields, all required
	out []string // output fields required when the operation completed
}

var jsonKinds = map[string]map[string]kindSpec{
	"kv": {
		"get":    {in: []string{"key"}, out: []string{"found"}},
		"put":    {in: []string{"key", "value"}},
		"append": {in: []string{"key", "value"}, out: []string{"value"}},
		"delete": {in: []string{"key"}, out: []string{"found"}},
		"cas":    {in: []string{"key", "want", "value"}, out: []string{"ok"}},
	},
	"register": {
		"read":  {out: []string{"value"}},
		"write": {in: []string{"value"}},
		"cas":   {in: []string{"want", "value"}, out: []string{"ok"}},
	},
	"bank": {
		"transfer": {in: []string{"from", "to", "amount"}, out: []string{"ok"}},
		"read":     {out: []string{"balances"}},
	},
}

// Output fields each model knows; others are errors, since they usually
// mean the file was written for another model.
var jsonOutputs = map[string][]string{
	"kv":       {"value", "found", "ok"},
	"register": {"value", "ok"},
	"bank":     {"ok", "balances"},
}

func (r *jsonOp) inputs() []string {
	var s []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"key", r.Key != nil}, {"value", r.Value != nil}, {"want", r.Want != nil},
		{"from", r.From != nil}, {"to", r.To != nil}, {"amount", r.Amount != nil},
		{"balances", r.Balances != nil},
	} {
		if f.set {
			s = append(s, f.name)
		}
	}
	return s
}

func (o *jsonOutput) fields() []string {
	var s []string
	if o.Value != nil {
		s = append(s, "value")
	}
	if o.Found != nil {
		s = append(s, "found")
	}
	if o.OK != nil {
		s = append(s, "ok")
	}
	if o.Balances != nil {
		s = append(s, "balances")
	}
	return s
}

// line is a validated operation line.
type line struct {
	process int
	call    time.Duration
	ret     time.Duration
	done    bool // false: return was null, the operation is pending
	// unobserved: it returned, but its output was not observed (output
	// null).
	unobserved bool
	kind       string
	rec        jsonOp
	out        jsonOutput
}

// readJSONL reads model's lines and hands each operation to add. init, if
// not nil, receives an "init" line, which must come first.
func readJSONL(r io.Reader, model string, maxLine, maxOps int, add func(l *line), init func(rec *jsonOp) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	n, ops := 0, 0
	for sc.Scan() {
		n++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if err := checkText(text); err != nil {
			return &LineError{n, err}
		}
		var l line
		if err := decodeStrict(text, &l.rec); err != nil {
			return &LineError{n, err}
		}
		if l.rec.Kind != nil && *l.rec.Kind == "init" && init != nil {
			if ops > 0 {
				return &LineError{n, errors.New("init must be the first line")}
			}
			if err := init(&l.rec); err != nil {
				return &LineError{n, err}
			}
			ops++
			continue
		}
		if err := l.validate(model); err != nil {
			return &LineError{n, err}
		}
		if maxOps > 0 && ops >= maxOps {
			return &LineError{n, fmt.Errorf("%w: %d", ErrTooManyOps, maxOps)}
		}
		ops++
		add(&l)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineError{n + 1, fmt.Errorf("line longer than %d bytes", maxLine)}
		}
		return &LineError{n + 1, err}
	}
	return nil
}

// checkText rejects what encoding/json would silently replace with
// U+FFFD: bytes that are not UTF-8, and \u escapes of lone surrogates.
// Replacing them would make different values equal (a write of byte 0xff
// and a read of 0xfe would both be U+FFFD), and a check must see the
// values the system saw.
func checkText(text []byte) error {
	if !utf8.Valid(text) {
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRune(text[i:])
			if r == utf8.RuneError && size <= 1 {
				return fmt.Errorf("invalid UTF-8 at byte %d (0x%02x): JSON text must be UTF-8; encode binary values (as hex or base64) before writing them", i+1, text[i])
			}
			i += size
		}
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' || i+1 >= len(text) {
			continue
		}
		i++ // the escaped byte; a \\ pair is skipped whole
		if text[i] != 'u' {
			continue
		}
		r, ok := hex4(text[i+1:])
		if !ok || !utf16IsSurrogate(r) {
			continue
		}
		at := i // the u of the first escape
		lo, ok := rune(0), false
		if rest := text[i+5:]; len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
			lo, ok = hex4(rest[2:])
		}
		if r >= 0xdc00 || !ok || !(lo >= 0xdc00 && lo < 0xe000) {
			return fmt.Errorf("\\u%04x at byte %d is a lone UTF-16 surrogate, which is no character", r, at)
		}
		i += 10 // past both escapes
	}
	return nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func utf16IsSurrogate(r rune) bool { return r >= 0xd800 && r < 0xe000 }

// decodeStrict decodes one JSON object, refusing unknown fields and
// anything after it.
func decodeStrict(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("bad JSON: trailing data after the object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("bad JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("want a JSON object, got %s", typ.Value)
		}
		return fmt.Errorf("field %q: want %s, got %s", typ.Field, jsonTypeName(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("bad JSON: unexpected end of line")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func jsonTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array of integers"
	}
	return t.String()
}

func (l *line) validate(model string) error {
	r := &l.rec
	if r.Kind == nil {
		return errors.New("missing field \"kind\"")
	}
	spec, ok := jsonKinds[model][*r.Kind]
	if !ok {
		return fmt.Errorf("unknown kind %q for the %s model (want %s)", *r.Kind, model, kindNames(model))
	}
	l.kind = *r.Kind
	if r.Process == nil {
		return errors.New("missing field \"process\"")
	}
	if *r.Process < 0 {
		return fmt.Errorf("process %d is negative", *r.Process)
	}
	l.process = *r.Process
	if r.Call == nil {
		return errors.New("missing field \"call\"")
	}
	l.call = time.Duration(*r.Call)
	switch {
	case r.Return == nil:
		return errors.New("missing field \"return\" (null for an operation whose outcome is unknown)")
	case string(r.Return) == "null":
	default:
		var ret int64
		if err := json.Unmarshal(r.Return, &ret); err != nil {
			return fmt.Errorf("field \"return\": want an integer or null, got %s", r.Return)
		}
		if ret < *r.Call {
			return fmt.Errorf("return %d is before call %d", ret, *r.Call)
		}
		l.ret, l.done = time.Duration(ret), true
	}
	for _, f := range r.inputs() {
		if !slices.Contains(spec.in, f) {
			return fmt.Errorf("field %q is not used by %s", f, l.kind)
		}
	}
	for _, f := range spec.in {
		if !slices.Contains(r.inputs(), f) {
			return fmt.Errorf("missing field %q for %s", f, l.kind)
		}
	}
	if r.From != nil && *r.From < 0 || r.To != nil && *r.To < 0 {
		return errors.New("negative account number")
	}
	if r.Amount != nil && *r.Amount < 0 {
		return fmt.Errorf("negative amount %d", *r.Amount)
	}

	hasOut := r.Output != nil && string(r.Output) != "null"
	if !l.done {
		if hasOut {
			return errors.New("output given for an operation whose return is null")
		}
		return nil
	}
	if r.Output == nil {
		return errors.New("missing field \"output\" for a completed operation: an object, or null when it returned without its output being observed")
	}
	if !hasOut {
		l.unobserved = true
		return nil
	}
	if err := decodeStrict(r.Output, &l.out); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	got := l.out.fields()
	for _, f := range got {
		if !slices.Contains(jsonOutputs[model], f) {
			return fmt.Errorf("output field %q is not used by the %s model", f, model)
		}
	}
	need := spec.out
	if model == "kv" && l.kind == "get" && l.out.Found != nil && *l.out.Found {
		need = []string{"found", "value"}
	}
	for _, f := range need {
		if !slices.Contains(got, f) {
			return fmt.Errorf("missing output field %q for %s", f, l.kind)
		}
	}
	return nil
}

func kindNames(model string) string {
	var names []string
	for k := range jsonKinds[model] {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func record[In, Out any](h *History[In, Out], l *line, in In, out Out) {
	id := h.Invoke(l.process, in, l.call)
	switch {
	case l.unobserved:
		h.CompleteUnobserved(id, l.ret)
	case l.done:
		h.Complete(id, out, l.ret)
	}
}

// ReadKV reads a key-value history in the JSON Lines format (see the
// package documentation). Operation ids follow line order.
func ReadKV(r io.Reader) (*History[KVInput, KVOutput], error) { return readKV(r, 0) }

func readKV(r io.Reader, maxOps int) (*History[KVInput, KVOutput], error) {
	h := &History[KVInput, KVOutput]{}
	kinds := map[string]KVKind{"get": KVGet, "put": KVPut, "append": KVAppend, "delete": KVDelete, "cas": KVCAS}
	err := readJSONL(r, "kv", MaxLineBytes, maxOps, func(l *line) {
		in := KVInput{Kind: kinds[l.kind], Key: deref(l.rec.Key), Value: deref(l.rec.Value), Want: deref(l.rec.Want)}
		// Only the fields the kind defines are kept, so that what the
		// format ignores cannot reach the model.
		var out KVOutput
		switch in.Kind {
		case KVGet:
			out.Value, out.Found = deref(l.out.Value), deref(l.out.Found)
		case KVAppend:
			out.Value = deref(l.out.Value)
		case KVDelete:
			out.Found = deref(l.out.Found)
		case KVCAS:
			out.OK = deref(l.out.OK)
		}
		record(h, l, in, out)
	}, nil)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// ReadRegister reads a register history in the JSON Lines format.
func ReadRegister(r io.Reader) (*History[RegisterInput, RegisterOutput], error) {
	return readRegister(r, 0)
}

func readRegister(r io.Reader, maxOps int) (*History[RegisterInput, RegisterOutput], error) {
	h := &History[RegisterInput, RegisterOutput]{}
	kinds := map[string]RegisterKind{"read": RegisterRead, "write": RegisterWrite, "cas": RegisterCAS}
	err := readJSONL(r, "register", MaxLineBytes, maxOps, func(l *line) {
		in := RegisterInput{Kind: kinds[l.kind], Value: deref(l.rec.Value), Want: deref(l.rec.Want)}
		var out RegisterOutput
		switch in.Kind {
		case RegisterRead:
			out.Value = deref(l.out.Value)
		case RegisterCAS:
			out.OK = deref(l.out.OK)
		}
		record(h, l, in, out)
	}, nil)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// ReadBank reads a bank history in the JSON Lines format. It also returns
// the balances of the optional first line {"kind":"init","balances":[...]},
// or nil without one.
func ReadBank(r io.Reader) (*History[BankInput, BankOutput], []int64, error) { return readBank(r, 0) }

func readBank(r io.Reader, maxOps int) (*History[BankInput, BankOutput], []int64, error) {
	h := &History[BankInput, BankOutput]{}
	var initial []int64
	kinds := map[string]BankKind{"transfer": BankTransfer, "read": BankRead}
	err := readJSONL(r, "bank", MaxLineBytes, maxOps, func(l *line) {
		in := BankInput{Kind: kinds[l.kind], From: deref(l.rec.From), To: deref(l.rec.To), Amount: deref(l.rec.Amount)}
		var out BankOutput
		switch in.Kind {
		case BankTransfer:
			out.OK = deref(l.out.OK)
		case BankRead:
			out.Balances = deref(l.out.Balances)
		}
		record(h, l, in, out)
	}, func(rec *jsonOp) error {
		if f := rec.inputs(); !slices.Equal(f, []string{"balances"}) || rec.Process != nil || rec.Call != nil || rec.Return != nil || rec.Output != nil {
			return errors.New("an init line holds kind and balances only")
		}
		initial = *rec.Balances
		if initial == nil {
			initial = []int64{}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return h, initial, nil
}

// JSONLOptions tunes CheckJSONL.
type JSONLOptions struct {
	Check CheckOptions
	// BankInitial are the initial balances for the bank model, used when
	// the file has no init line. If both are given they must agree.
	BankInitial []int64
	// MaxOps bounds the operations read, so that a file too large to
	// check fails fast (ErrTooManyOps) instead of filling memory; 0 means
	// no bound.
	MaxOps int

	_ struct{}
}

// CheckJSONL reads a history in the JSON Lines format and checks it for
// linearizability under model: "kv" (KVModel), "register" (RegisterModel)
// or "bank" (BankModel). The error is for input that cannot be checked: an
// unknown model or a malformed line (a *LineError).
func CheckJSONL(r io.Reader, model string, opts JSONLOptions) (Result, error) {
	switch model {
	case "kv":
		h, err := readKV(r, opts.MaxOps)
		if err != nil {
			return Result{}, err
		}
		return Check(KVModel(), h, opts.Check), nil
	case "register":
		h, err := readRegister(r, opts.MaxOps)
		if err != nil {
			return Result{}, err
		}
		return Check(RegisterModel(), h, opts.Check), nil
	case "bank":
		h, initial, err := readBank(r, opts.MaxOps)
		if err != nil {
			return Result{}, err
		}
		switch {
		case initial == nil && opts.BankInitial == nil:
			return Result{}, errors.New("checker: a bank history needs initial balances: an init line or JSONLOptions.BankInitial")
		case initial == nil:
			initial = opts.BankInitial
		case opts.BankInitial != nil && !slices.Equal(initial, opts.BankInitial):
			return Result{}, fmt.Errorf("checker: the init line's balances %v differ from JSONLOptions.BankInitial %v", initial, opts.BankInitial)
		}
		return Check(BankModel(initial...), h, opts.Check), nil
	}
	return Result{}, fmt.Errorf("checker: unknown model %q (want kv, register or bank)", model)
}

// jsonOpOut is one line as written: exactly the fields the reader needs.
type jsonOpOut struct {
	Process int            `json:"process"`
	Call    int64          `json:"call"`
	Return  *int64         `json:"return"`
	Kind    string         `json:"kind"`
	Key     *string        `json:"key,omitempty"`
	Value   *string        `json:"value,omitempty"`
	Want    *string        `json:"want,omitempty"`
	From    *int           `json:"from,omitempty"`
	To      *int           `json:"to,omitempty"`
	Amount  *int64         `json:"amount,omitempty"`
	Output  *jsonOutputOut `json:"output,omitempty"`
	// Unobserved writes "output": null, for a completed operation whose
	// output was not observed.
	Unobserved bool `json:"-"`
}

// MarshalJSON writes output null for an unobserved output, and leaves it
// out for a pending operation.
func (j *jsonOpOut) MarshalJSON() ([]byte, error) {
	type plain jsonOpOut
	var v any = (*plain)(j)
	if j.Unobserved {
		v = struct {
			*plain
			Output *struct{} `json:"output"`
		}{plain: (*plain)(j)}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

type jsonOutputOut struct {
	Value    *string  `json:"value,omitempty"`
	Found    *bool    `json:"found,omitempty"`
	OK       *bool    `json:"ok,omitempty"`
	Balances *[]int64 `json:"balances,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// writeJSONL writes the operations of h that were not failed, in OpID
// order; conv fills in the kind-specific fields.
func writeJSONL[In, Out any](w io.Writer, h *History[In, Out], first any, conv func(op *Op[In, Out], j *jsonOpOut)) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if first != nil {
		if err := enc.Encode(first); err != nil {
			return err
		}
	}
	for _, op := range h.Ops() {
		if op.Status == OpFailed {
			continue
		}
		j := jsonOpOut{Process: op.Client, Call: int64(op.Call)}
		if op.Status == OpCompleted {
			j.Return = ptr(int64(op.Return))
			j.Output = &jsonOutputOut{}
		}
		conv(&op, &j)
		if op.Unobserved {
			j.Output, j.Unobserved = nil, true
		}
		if err := enc.Encode(&j); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteKV writes h in the JSON Lines format, leaving out failed operations
// (a reader would drop them anyway).
func WriteKV(w io.Writer, h *History[KVInput, KVOutput]) error {
	return writeJSONL(w, h, nil, func(op *Op[KVInput, KVOutput], j *jsonOpOut) {
		j.Kind = op.In.Kind.String()
		j.Key = ptr(op.In.Key)
		switch op.In.Kind {
		case KVPut, KVAppend:
			j.Value = ptr(op.In.Value)
		case KVCAS:
			j.Value, j.Want = ptr(op.In.Value), ptr(op.In.Want)
		}
		if j.Output == nil {
			return
		}
		switch op.In.Kind {
		case KVGet:
			j.Output.Found = ptr(op.Out.Found)
			if op.Out.Found || op.Out.Value != "" {
				j.Output.Value = ptr(op.Out.Value)
			}
		case KVAppend:
			j.Output.Value = ptr(op.Out.Value)
		case KVDelete:
			j.Output.Found = ptr(op.Out.Found)
		case KVCAS:
			j.Output.OK = ptr(op.Out.OK)
		}
	})
}

// WriteRegister writes h in the JSON Lines format, leaving out failed
// operations.
func WriteRegister(w io.Writer, h *History[RegisterInput, RegisterOutput]) error {
	return writeJSONL(w, h, nil, func(op *Op[RegisterInput, RegisterOutput], j *jsonOpOut) {
		j.Kind = op.In.Kind.String()
		switch op.In.Kind {
		case RegisterWrite:
			j.Value = ptr(op.In.Value)
		case RegisterCAS:
			j.Value, j.Want = ptr(op.In.Value), ptr(op.In.Want)
		}
		if j.Output == nil {
			return
		}
		switch op.In.Kind {
		case RegisterRead:
			j.Output.Value = ptr(op.Out.Value)
		case RegisterCAS:
			j.Output.OK = ptr(op.Out.OK)
		}
	})
}

// WriteBank writes h in the JSON Lines format, with an init line holding
// initial unless it is nil, and leaving out failed operations.
func WriteBank(w io.Writer, h *History[BankInput, BankOutput], initial []int64) error {
	var first any
	if initial != nil {
		first = struct {
			Kind     string  `json:"kind"`
			Balances []int64 `json:"balances"`
		}{"init", initial}
	}
	return writeJSONL(w, h, first, func(op *Op[BankInput, BankOutput], j *jsonOpOut) {
		j.Kind = op.In.Kind.String()
		if op.In.Kind == BankTransfer {
			j.From, j.To, j.Amount = ptr(op.In.From), ptr(op.In.To), ptr(op.In.Amount)
		}
		if j.Output == nil {
			return
		}
		switch op.In.Kind {
		case BankTransfer:
			j.Output.OK = ptr(op.Out.OK)
		case BankRead:
			b := op.Out.Balances
			if b == nil {
				b = []int64{}
			}
			j.Output.Balances = &b
		}
	})
}
