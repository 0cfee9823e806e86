package checker

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadKV(t *testing.T) {
	in := `{"process":0,"call":1000,"return":2500,"kind":"put","key":"x","value":"a","output":{}}

{"process":1,"call":1200,"return":3000,"kind":"get","key":"x","output":{"found":true,"value":"a"}}
  {"process":2,"call":1300,"return":null,"kind":"cas","key":"x","want":"a","value":"b"}  ` + "\r" + `
{"process":3,"call":5,"return":6,"kind":"delete","key":"y","output":{"found":false,"ok":true}}`
	h, err := ReadKV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Op[KVInput, KVOutput]{
		{ID: 0, Client: 0, In: put("x", "a"), Call: 1000, Return: 2500, Status: OpCompleted},
		{ID: 1, Client: 1, In: get("x"), Out: found("a"), Call: 1200, Return: 3000, Status: OpCompleted},
		{ID: 2, Client: 2, In: cas("x", "a", "b"), Call: 1300, Status: OpPending},
		{ID: 3, Client: 3, In: del("y"), Call: 5, Return: 6, Status: OpCompleted}, // ok is not delete's
	}
	if diff := cmp.Diff(want, h.Ops()); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

func TestReadErrors(t *testing.T) {
	const put0 = `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}}` + "\n"
	tests := []struct {
		model, in string
		line      int
		want      string
	}{
		{"kv", put0 + `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}`, 2, "bad JSON"},
		{"kv", put0 + "\n" + `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}}}`, 3, "bad JSON"},
		{"kv", `not json`, 1, "bad JSON"},
		{"kv", `[1,2]`, 1, "want a JSON object"},
		{"kv", `"x"`, 1, "want a JSON object"},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}} {}`, 1, "trailing data"},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"put","key":"x","vlaue":"a","output":{}}`, 1, `unknown field "vlaue"`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"incr","key":"x","output":{}}`, 1, `unknown kind "incr" for the kv model (want append, cas, delete, get, put)`},
		{"kv", `{"process":0,"call":1,"return":2,"key":"x","output":{}}`, 1, `missing field "kind"`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"init","balances":[1]}`, 1, `unknown kind "init"`},
		{"kv", `{"call":1,"return":2,"kind":"get","key":"x","output":{"found":false}}`, 1, `missing field "process"`},
		{"kv", `{"process":-1,"call":1,"return":2,"kind":"get","key":"x","output":{"found":false}}`, 1, "process -1 is negative"},
		{"kv", `{"process":0.5,"call":1,"return":2,"kind":"get","key":"x","output":{"found":false}}`, 1, `field "process": want an integer`},
		{"kv", `{"process":0,"call":"1","return":2,"kind":"get","key":"x","output":{"found":false}}`, 1, `field "call": want an integer`},
		{"kv", `{"process":0,"call":1e30,"return":2,"kind":"get","key":"x","output":{"found":false}}`, 1, `field "call": want an integer`},
		{"kv", `{"process":0,"return":2,"kind":"get","key":"x","output":{"found":false}}`, 1, `missing field "call"`},
		{"kv", `{"process":0,"call":1,"kind":"get","key":"x","output":{"found":false}}`, 1, `missing field "return"`},
		{"kv", `{"process":0,"call":1,"return":"2","kind":"get","key":"x","output":{"found":false}}`, 1, `field "return": want an integer or null`},
		{"kv", `{"process":0,"call":200,"return":100,"kind":"get","key":"x","output":{"found":false}}`, 1, "return 100 is before call 200"},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","output":{"found":false}}`, 1, `missing field "key" for get`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"put","key":"x","output":{}}`, 1, `missing field "value" for put`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"cas","key":"x","value":"b","output":{"ok":true}}`, 1, `missing field "want" for cas`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","want":"b","output":{}}`, 1, `field "want" is not used by put`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","amount":3,"output":{"found":false}}`, 1, `field "amount" is not used by get`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x"}`, 1, `missing field "output"`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","output":[]}`, 1, "output: want a JSON object"},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","output":{}}`, 1, `missing output field "found" for get`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","output":{"found":true}}`, 1, `missing output field "value" for get`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","output":{"found":"yes"}}`, 1, `output: field "found": want true or false`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","output":{"found":false,"size":3}}`, 1, `output: unknown field "size"`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"get","key":"x","output":{"found":false,"balances":[]}}`, 1, `output field "balances" is not used by the kv model`},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"cas","key":"x","want":"","value":"b","output":{}}`, 1, `missing output field "ok" for cas`},
		{"kv", `{"process":0,"call":1,"return":null,"kind":"get","key":"x","output":{"found":false}}`, 1, "output given for an operation whose return is null"},
		{"register", `{"process":0,"call":1,"return":2,"kind":"read","key":"x","output":{"value":""}}`, 1, `field "key" is not used by read`},
		{"register", `{"process":0,"call":1,"return":2,"kind":"get","output":{"value":""}}`, 1, `unknown kind "get" for the register model`},
		{"register", `{"process":0,"call":1,"return":2,"kind":"read","output":{"found":true}}`, 1, `output field "found" is not used by the register model`},
		{"bank", `{"process":0,"call":1,"return":2,"kind":"transfer","from":0,"to":1,"output":{"ok":true}}`, 1, `missing field "amount" for transfer`},
		{"bank", `{"process":0,"call":1,"return":2,"kind":"transfer","from":0,"to":1,"amount":-5,"output":{"ok":true}}`, 1, "negative amount -5"},
		{"bank", `{"process":0,"call":1,"return":2,"kind":"transfer","from":-1,"to":1,"amount":5,"output":{"ok":true}}`, 1, "negative account"},
		{"bank", `{"process":0,"call":1,"return":2,"kind":"read","output":{"balances":null}}`, 1, `missing output field "balances" for read`},
		{"bank", `{"process":0,"call":1,"return":2,"kind":"read","output":{"balances":[1,"2"]}}`, 1, `output: field "balances": want an integer`},
		{"bank", `{"process":0,"call":1,"return":2,"kind":"read","output":{"balances":[1]}}` + "\n" + `{"kind":"init","balances":[1]}`, 2, "init must be the first line"},
		{"bank", `{"kind":"init","balances":[1],"process":0}`, 1, "an init line holds kind and balances only"},
		{"bank", `{"kind":"init"}`, 1, "an init line holds kind and balances only"},
		{"kv", `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}}` + "\n" + "{\"process\":0,\"call\":3,\"return\":4,\"kind\":\"put\",\"key\":\"x\",\"value\":\"\xff\",\"output\":{}}", 2, "invalid UTF-8 at byte 66 (0xff)"},
		{"kv", `{"process":0,"call":3,"return":4,"kind":"put","key":"x","value":"\ud800","output":{}}`, 1, `\ud800 at byte 66 is a lone UTF-16 surrogate`},
		{"kv", `{"process":0,"call":3,"return":4,"kind":"put","key":"x","value":"\udc00\ud800","output":{}}`, 1, "lone UTF-16 surrogate"},
	}
	for _, tt := range tests {
		var err error
		switch tt.model {
		case "kv":
			_, err = ReadKV(strings.NewReader(tt.in))
		case "register":
			_, err = ReadRegister(strings.NewReader(tt.in))
		case "bank":
			_, _, err = ReadBank(strings.NewReader(tt.in))
		}
		var le *LineError
		if !errors.As(err, &le) || le.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s\n  error %v\n  want line %d: ...%s", tt.model, tt.in, err, tt.line, tt.want)
		}
	}
}

func TestInvalidUTF8IsNotReplaced(t *testing.T) {
	// encoding/json alone reads both values as U+FFFD, and the history
	// would check as Ok.
	in := "{\"process\":0,\"call\":1,\"return\":2,\"kind\":\"put\",\"key\":\"x\",\"value\":\"\xff\",\"output\":{}}\n" +
		"{\"process\":0,\"call\":3,\"return\":4,\"kind\":\"get\",\"key\":\"x\",\"output\":{\"found\":true,\"value\":\"\xfe\"}}\n"
	_, err := CheckJSONL(strings.NewReader(in), "kv", JSONLOptions{})
	var le *LineError
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Fatalf("got %v, want an invalid UTF-8 error on line 1", err)
	}
}

func TestEscapesThatAreCharactersAreRead(t *testing.T) {
	in := `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"\\u00ff \ud83d\ude00 \u00e9","output":{}}` + "\n" +
		`{"process":0,"call":3,"return":4,"kind":"get","key":"x","output":{"found":true,"value":"\\u00ff 😀 é"}}`
	res, err := CheckJSONL(strings.NewReader(in), "kv", JSONLOptions{})
	if err != nil || res.Verdict != Ok {
		t.Fatalf("%v %v", res, err)
	}
}

func TestCompletedOperationWithUnobservedOutput(t *testing.T) {
	// An append that returned without its value (porcupine's own KV test
	// logs have them): it took effect by its return, whatever it gave.
	base := `{"process":0,"call":1,"return":2,"kind":"append","key":"x","value":"a","output":null}` + "\n"
	ok := base + `{"process":1,"call":3,"return":4,"kind":"get","key":"x","output":{"found":true,"value":"a"}}`
	res, err := CheckJSONL(strings.NewReader(ok), "kv", JSONLOptions{})
	if err != nil || res.Verdict != Ok {
		t.Fatalf("read after the append: %v %v", res, err)
	}
	// Returned means it took effect by then: unlike a pending one, it
	// cannot come after a read that followed its return.
	missed := base + `{"process":1,"call":3,"return":4,"kind":"get","key":"x","output":{"found":false}}`
	res, err = CheckJSONL(strings.NewReader(missed), "kv", JSONLOptions{})
	if err != nil || res.Verdict != Illegal {
		t.Fatalf("read that missed a returned append: %v %v", res, err)
	}
	h, err := ReadKV(strings.NewReader(missed))
	if err != nil {
		t.Fatal(err)
	}
	if op := h.Op(0); op.Status != OpCompleted || !op.Unobserved {
		t.Fatalf("op 0 is %+v", op)
	}
	var b strings.Builder
	if err := WriteKV(&b, h); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); !strings.Contains(first, `"return":2`) || !strings.Contains(first, `"output":null`) {
		t.Fatalf("written as %s", first)
	}
	again, err := ReadKV(strings.NewReader(b.String()))
	if err != nil || !again.Op(0).Unobserved {
		t.Fatalf("read back: %v %+v", err, again.Op(0))
	}
}

func TestReadLongLines(t *testing.T) {
	long := strings.Repeat("v", 1<<20) // beyond bufio's default 64 KiB
	in := `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"` + long + `","output":{}}` + "\n" +
		`{"process":0,"call":3,"return":4,"kind":"get","key":"x","output":{"found":true,"value":"` + long + `"}}`
	res, err := CheckJSONL(strings.NewReader(in), "kv", JSONLOptions{})
	if err != nil || res.Verdict != Ok || res.Ops != 2 {
		t.Fatalf("%v %v", res, err)
	}
	short := `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}}`
	err = readJSONL(strings.NewReader(short+"\n"+short+"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"), "kv", 100, 0, func(*line) {}, nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "longer than 100 bytes") {
		t.Errorf("%v", err)
	}
}

// errReader fails after its data, as a network stream might.
type errReader struct{ data *strings.Reader }

func (r errReader) Read(p []byte) (int, error) {
	if r.data.Len() == 0 {
		return 0, errors.New("connection reset")
	}
	return r.data.Read(p)
}

func TestReadIOError(t *testing.T) {
	in := `{"process":0,"call":1,"return":2,"kind":"put","key":"x","value":"a","output":{}}` + "\n"
	_, err := ReadKV(errReader{strings.NewReader(in)})
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("%v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Run("kv", func(t *testing.T) {
		h := buildKV(genKV(7, 500, 5, 4, 0.1))
		h.Fail(h.Invoke(0, put("x", "failed"), 0))
		h.Complete(h.Invoke(0, get("weird"), 1), KVOutput{Value: "not found but a value"}, 1)
		var buf bytes.Buffer
		if err := WriteKV(&buf, h); err != nil {
			t.Fatal(err)
		}
		back, err := ReadKV(&buf)
		if err != nil {
			t.Fatal(err)
		}
		want := withoutFailed(h.Ops())
		if diff := cmp.Diff(want, back.Ops()); diff != "" {
			t.Errorf("(-written +read):\n%s", diff)
		}
	})
	t.Run("register", func(t *testing.T) {
		h := &History[RegisterInput, RegisterOutput]{}
		h.Complete(h.Invoke(0, RegisterInput{Kind: RegisterWrite, Value: "a\n\"<b>"}, 1), RegisterOutput{}, 2)
		h.Complete(h.Invoke(1, RegisterInput{Kind: RegisterCAS, Want: "a", Value: "b"}, 3), RegisterOutput{OK: true}, 4)
		h.Complete(h.Invoke(2, RegisterInput{Kind: RegisterRead}, 5), RegisterOutput{Value: "b"}, 6)
		h.Invoke(3, RegisterInput{Kind: RegisterRead}, 7)
		var buf bytes.Buffer
		if err := WriteRegister(&buf, h); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `"value":"a\n\"<b>"`) {
			t.Errorf("values should stay readable:\n%s", buf.String())
		}
		back, err := ReadRegister(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(h.Ops(), back.Ops()); diff != "" {
			t.Errorf("(-written +read):\n%s", diff)
		}
	})
	t.Run("bank", func(t *testing.T) {
		h := &History[BankInput, BankOutput]{}
		h.Complete(h.Invoke(0, BankInput{Kind: BankTransfer, From: 0, To: 1, Amount: 5}, 1), BankOutput{OK: true}, 2)
		h.Complete(h.Invoke(1, BankInput{Kind: BankRead}, 3), BankOutput{Balances: []int64{5, 5}}, 4)
		h.Invoke(2, BankInput{Kind: BankTransfer, From: 1, To: 0, Amount: 1}, 5)
		var buf bytes.Buffer
		if err := WriteBank(&buf, h, []int64{10, 0}); err != nil {
			t.Fatal(err)
		}
		back, initial, err := ReadBank(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(h.Ops(), back.Ops()); diff != "" || !cmp.Equal(initial, []int64{10, 0}) {
			t.Errorf("initial %v (-written +read):\n%s", initial, diff)
		}
	})
}

func withoutFailed[In, Out any](ops []Op[In, Out]) []Op[In, Out] {
	var out []Op[In, Out]
	for _, op := range ops {
		if op.Status != OpFailed {
			op.ID = OpID(len(out))
			out = append(out, op)
		}
	}
	return out
}

func TestCheckJSONL(t *testing.T) {
	bank := `{"process":0,"call":0,"return":10,"kind":"transfer","from":0,"to":1,"amount":30,"output":{"ok":true}}
{"process":1,"call":20,"return":30,"kind":"read","output":{"balances":[70,30]}}`
	tests := []struct {
		name, model, in string
		opts            JSONLOptions
		want            Verdict
		err             string
	}{
		{"kv illegal", "kv", `{"process":0,"call":0,"return":10,"kind":"put","key":"k","value":"a","output":{}}
{"process":1,"call":20,"return":30,"kind":"get","key":"k","output":{"found":false}}`, JSONLOptions{}, Illegal, ""},
		{"empty", "register", ``, JSONLOptions{}, Ok, ""},
		{"bank with options", "bank", bank, JSONLOptions{BankInitial: []int64{100, 0}}, Ok, ""},
		{"bank with init line", "bank", `{"kind":"init","balances":[100,0]}` + "\n" + bank, JSONLOptions{}, Ok, ""},
		{"bank with both, agreeing", "bank", `{"kind":"init","balances":[100,0]}` + "\n" + bank, JSONLOptions{BankInitial: []int64{100, 0}}, Ok, ""},
		{"bank, other balances", "bank", bank, JSONLOptions{BankInitial: []int64{100, 1}}, Illegal, ""},
		{"bank with both, disagreeing", "bank", `{"kind":"init","balances":[100,0]}` + "\n" + bank, JSONLOptions{BankInitial: []int64{1, 1}}, Unknown, "differ"},
		{"bank without balances", "bank", bank, JSONLOptions{}, Unknown, "needs initial balances"},
		{"unknown model", "queue", ``, JSONLOptions{}, Unknown, `unknown model "queue"`},
		{"bad line", "kv", `{}`, JSONLOptions{}, Unknown, `line 1: missing field "kind"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := CheckJSONL(strings.NewReader(tt.in), tt.model, tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || res.Verdict != tt.want {
				t.Fatalf("%v, %v; want %v", res, err, tt.want)
			}
		})
	}
}

// TestFormatDoc checks the examples in docs/HISTORY_FORMAT.md, whose code
// fences say the model and the verdict: ```jsonl kv Ok
func TestFormatDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/HISTORY_FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, chunk := range strings.Split(string(doc), "```jsonl ")[1:] {
		head, body, _ := strings.Cut(chunk, "\n")
		body, _, _ = strings.Cut(body, "```")
		model, verdict, _ := strings.Cut(head, " ")
		res, err := CheckJSONL(strings.NewReader(body), model, JSONLOptions{})
		if err != nil || res.Verdict.String() != verdict {
			t.Errorf("example %q: %v, %v", head, res, err)
		}
		blocks++
	}
	if blocks != 4 {
		t.Errorf("found %d examples, want 4", blocks)
	}
}
