package checker

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadTxnsOwnShape(t *testing.T) {
	in := `{"process":0,"call":1000,"return":2500,"kind":"txn","status":"ok","mops":[["append","x",1],["r","y",[1,2]],["r","z",null],["r",7,[]]]}

{"process":1,"call":1200,"return":null,"kind":"txn","status":"info","mops":[["append","x",2],["r","x",[9]]]}
  {"process":2,"call":1300,"return":1400,"kind":"txn","status":"fail","mops":[["w","k",3],["r","k",4]]}  ` + "\r" + `
{"process":3,"call":5,"return":6,"kind":"txn","status":"ok","mops":[["w","k",3],["r","k",4],["r","j",null]]}`
	txns, err := ReadTxns(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Txn{
		{ID: 0, Process: 0, Call: 1000, Return: 2500, Status: TxnOK, Mops: []Mop{AppendMop("x", 1), ReadMop("y", 1, 2), ReadMop("z"), {Kind: MopRead, Key: "7", List: []int{}}}},
		// An indeterminate or failed transaction's read results are unknown.
		{ID: 1, Process: 1, Call: 1200, Status: TxnInfo, Mops: []Mop{AppendMop("x", 2), ReadMop("x")}},
		{ID: 2, Process: 2, Call: 1300, Return: 1400, Status: TxnFailed, Mops: []Mop{WriteMop("k", 3), ReadMop("k")}},
		{ID: 3, Process: 3, Call: 5, Return: 6, Status: TxnOK, Mops: []Mop{WriteMop("k", 3), ReadValueMop("k", 4), ReadMop("j")}},
	}
	if diff := cmp.Diff(want, txns); diff != "" {
		t.Errorf("txns (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := WriteTxns(&buf, txns); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTxns(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(txns, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, buf.String())
	}
}

func TestReadTxnsJepsenShape(t *testing.T) {
	in := `{"type":"invoke","f":"txn","process":0,"time":10,"value":[["append",5,1],["r",6,null]],"index":0}
{"type":":invoke","f":":txn","process":1,"time":11,"value":[[":append",6,2]],"index":1}
{"type":"info","f":"start-partition","process":"nemesis","time":12,"value":"majority"}
{"type":"ok","f":"txn","process":0,"time":20,"value":[["append",5,1],["r",6,[2]]],"index":2}
{"type":"invoke","f":"txn","process":2,"time":21,"value":[["r",5,null]]}
{"type":"fail","f":"txn","process":1,"time":22,"value":[["append",6,2]],"error":"conflict"}
{"type":"invoke","f":"txn","process":1,"time":23,"value":[["append",6,3]]}
{"type":"info","f":"txn","process":2,"time":30,"value":[["r",5,null]]}`
	txns, err := ReadTxns(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Txn{
		{ID: 0, Process: 0, Call: 10, Return: 20, Status: TxnOK, Mops: []Mop{AppendMop("5", 1), ReadMop("6", 2)}},
		{ID: 1, Process: 1, Call: 11, Return: 22, Status: TxnFailed, Mops: []Mop{AppendMop("6", 2)}},
		{ID: 2, Process: 2, Call: 21, Status: TxnInfo, Mops: []Mop{ReadMop("5")}},
		{ID: 3, Process: 1, Call: 23, Status: TxnInfo, Mops: []Mop{AppendMop("6", 3)}},
	}
	if diff := cmp.Diff(want, txns); diff != "" {
		t.Errorf("txns (-want +got):\n%s", diff)
	}
}

func TestReadTxnsWithoutTimesUsesLineOrder(t *testing.T) {
	in := `{"type":"invoke","f":"txn","process":0,"value":[["w","x",1]]}
{"type":"ok","f":"txn","process":0,"value":[["w","x",1]]}
{"type":"invoke","f":"txn","process":0,"value":[["r","x",null]]}
{"type":"ok","f":"txn","process":0,"value":[["r","x",1]]}`
	txns, err := ReadTxns(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if txns[0].Call != 1 || txns[0].Return != 2 || txns[1].Call != 3 || txns[1].Return != 4 {
		t.Errorf("times %+v", txns)
	}
}

func TestReadTxnsErrors(t *testing.T) {
	const ok0 = `{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[]}` + "\n"
	const inv0 = `{"type":"invoke","f":"txn","process":0,"time":1,"value":[["append","x",1]]}` + "\n"
	tests := []struct {
		in   string
		line int
		want string
	}{
		{`not json`, 1, "bad JSON"},
		{`[1]`, 1, "want a JSON object"},
		{ok0 + `{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[],"extra":1}`, 2, `unknown field "extra"`},
		{`{"process":0,"call":1,"return":2,"status":"ok","mops":[]}`, 1, `missing field "kind"`},
		{`{"process":0,"call":1,"return":2,"kind":"put","status":"ok","mops":[]}`, 1, `kind "put" is not "txn"`},
		{`{"call":1,"return":2,"kind":"txn","status":"ok","mops":[]}`, 1, `missing field "process"`},
		{`{"process":-2,"call":1,"return":2,"kind":"txn","status":"ok","mops":[]}`, 1, "process -2 is negative"},
		{`{"process":0,"return":2,"kind":"txn","status":"ok","mops":[]}`, 1, `missing field "call"`},
		{`{"process":0,"call":1,"kind":"txn","status":"ok","mops":[]}`, 1, `missing field "return"`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","mops":[]}`, 1, `missing field "status"`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"done","mops":[]}`, 1, `unknown status "done"`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"info","mops":[]}`, 1, "info transaction's return must be null"},
		{`{"process":0,"call":1,"return":null,"kind":"txn","status":"ok","mops":[]}`, 1, "return is null for a transaction with status ok"},
		{`{"process":0,"call":5,"return":2,"kind":"txn","status":"ok","mops":[]}`, 1, "return 2 is before call 5"},
		{`{"process":0,"call":1,"return":"2","kind":"txn","status":"ok","mops":[]}`, 1, `field "return": want an integer or null`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok"}`, 1, `missing field "mops"`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":{}}`, 1, `field "mops": want an array`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["append","x"]]}`, 1, "mops[0]: want [f, key, value]"},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["incr","x",1]]}`, 1, `mops[0]: unknown micro-operation "incr"`},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["append",true,1]]}`, 1, "key: want a string or an integer"},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["append","x","a"]]}`, 1, "append of x: want an integer value"},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["r","x",[1,"a"]]]}`, 1, "read of x: want a list of integers"},
		{`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["r","x",{}]]}`, 1, "read of x: want null, an integer or a list"},
		{ok0 + inv0, 2, `a Jepsen op in JSON (with "type") in a file of transaction lines`},
		{inv0 + ok0, 2, `a transaction line (without "type") in a file of Jepsen ops in JSON`},
		{inv0 + inv0, 2, "process 0 invokes again while its transaction of line 1 is open"},
		{`{"type":"ok","f":"txn","process":0,"time":1,"value":[]}`, 1, "process 0 completes a transaction it never invoked"},
		{`{"type":"invoke","f":"read","process":0,"time":1,"value":[]}`, 1, `field "f": want "txn", got "read"`},
		{`{"type":"invoke","f":"txn","process":"n1","time":1,"value":[]}`, 1, `field "process": want an integer >= 0 or "nemesis"`},
		{inv0 + `{"type":"ok","f":"txn","time":2,"value":[["append","x",1]]}`, 2, `some ops have "process" and others not`},
		{`{"f":"txn","process":0,"time":1,"value":[]}` + "\n", 1, `unknown field "f"`},
		{`{:f :txn, :process 0, :time 1, :value []}`, 1, `missing field "type"`},
		{`{:type :invoke, :f :txn, :process 0, :time 1, :value [[:append 1 2]`, 1, "bad EDN at byte 67: unexpected end of line"},
		{`{:type :invoke} {}`, 1, "trailing data after the value"},
		{`{:type :invoke, :process 0, :value [[:r 1 "x]]}`, 1, "unterminated string"},
		{`{:type :invoke, :process 0, :value [[:r 1 nil] }`, 1, `unexpected '}'`},
		{inv0 + `{:type :ok, :f :txn, :process 0, :time 2, :value [[:append "x" 1]]}`, 2, "a Jepsen op in EDN in a file of Jepsen ops in JSON"},
		{`{"type":"start","f":"txn","process":0,"time":1,"value":[]}`, 1, `unknown type "start"`},
		{`{"type":7,"f":"txn","process":0,"time":1,"value":[]}`, 1, `field "type": want a string`},
		{`{"type":"invoke","f":"txn","process":0,"time":1}`, 1, `missing field "value"`},
		{inv0 + `{"type":"ok","f":"txn","process":0,"value":[["append","x",1]]}`, 2, `some ops have "time" and others not`},
		{inv0 + `{"type":"ok","f":"txn","process":0,"time":0,"value":[["append","x",1]]}`, 2, "completion at 0 is before its invocation at 1"},
		{inv0 + `{"type":"ok","f":"txn","process":0,"time":2,"value":[]}`, 2, "0 micro-operations completed for the 1 invoked"},
		{inv0 + `{"type":"ok","f":"txn","process":0,"time":2,"value":[["append","x",2]]}`, 2, "value[0] is [append x 2], but the invocation had [append x 1]"},
	}
	for _, tt := range tests {
		_, err := ReadTxns(strings.NewReader(tt.in))
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: error %v, want a *LineError", tt.in, err)
			continue
		}
		if le.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n got %v\nwant line %d: ...%s...", tt.in, err, tt.line, tt.want)
		}
	}
}

func TestReadTxnsRefusesOverlongLines(t *testing.T) {
	long := `{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[` + strings.Repeat(`["append","x",1],`, MaxLineBytes/17) + `["append","x",1]]}`
	_, err := ReadTxns(strings.NewReader(long))
	var le *LineError
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("error %v", err)
	}
}

// TestTxnFormatDoc checks the transactional examples of
// docs/HISTORY_FORMAT.md, whose code fences give the model and the
// strongest consistency model: ```json rw-register snapshot-isolation
func TestTxnFormatDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/HISTORY_FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, chunk := range strings.Split(string(doc), "```json ")[1:] {
		head, body, _ := strings.Cut(chunk, "\n")
		body, _, _ = strings.Cut(body, "```")
		model, strongest, _ := strings.Cut(head, " ")
		txns, err := ReadTxns(strings.NewReader(body))
		if err != nil {
			t.Errorf("example %q: %v", head, err)
			continue
		}
		check := CheckListAppend
		if model == "rw-register" {
			check = CheckRWRegister
		}
		res, err := check(txns, TxnOptions{})
		if err != nil || res.Strongest.String() != strongest {
			t.Errorf("example %q: %v, %v", head, res, err)
		}
		blocks++
	}
	if blocks != 2 {
		t.Errorf("found %d examples, want 2", blocks)
	}
}

// FuzzReadTxns feeds arbitrary bytes to ReadTxns. Nothing may panic; an
// error must be a *LineError; a history that reads must survive writing
// and reading back unchanged, and both checks must take it or refuse it
// with an error, without panicking.
func FuzzReadTxns(f *testing.F) {
	f.Add([]byte(`{"process":0,"call":1,"return":2,"kind":"txn","status":"ok","mops":[["append","x",1],["r","x",[1]]]}`))
	f.Add([]byte(`{"process":0,"call":1,"return":null,"kind":"txn","status":"info","mops":[["w",3,1],["r","x",null]]}` + "\n" +
		`{"process":1,"call":1,"return":5,"kind":"txn","status":"ok","mops":[["r",3,1]]}`))
	f.Add([]byte(`{"type":"invoke","f":"txn","process":0,"time":1,"value":[["append",5,1]]}` + "\n" +
		`{"type":"ok","f":"txn","process":0,"time":2,"value":[["append",5,1]]}` + "\n" +
		`{"type":"invoke","f":":txn","process":1,"value":[["r",5,null]]}`))
	f.Add([]byte(`{"type":"info","process":"nemesis","f":"start"}`))
	f.Add([]byte("; comment\n{:type :invoke, :process 0, :f :txn, :value [[:append 1 2] [:r 1 nil]]}\n" +
		`#jepsen.history.Op{:type :ok, :process 0, :f :txn, :value [[:append 1 2] [:r 1 [2]]], :error #{"x" 1.5 \a}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		txns, err := ReadTxns(bytes.NewReader(data))
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteTxns(&buf, txns); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTxns(&buf)
		if err != nil || !cmp.Equal(txns, back) {
			t.Fatalf("round trip: %v\n%s", err, buf.String())
		}
		CheckListAppend(txns, TxnOptions{})
		CheckRWRegister(txns, TxnOptions{})
	})
}

func TestReadTxnsJepsenEDN(t *testing.T) {
	// As Jepsen writes history.edn: one op map per line, keywords,
	// integer keys, the nemesis' ops between, errors as nested data.
	in := `; a read skew: T1 sees T0's append to 1 but not its append to 2
{:index 0, :time 1000, :type :invoke, :process 0, :f :txn, :value [[:append 1 10] [:append 2 20]]}
{:index 1, :time 1100, :type :invoke, :process 1, :f :txn, :value [[:r 1 nil] [:r 2 nil]]}
#jepsen.history.Op{:index 2, :time 1200, :type :info, :process :nemesis, :f :start-partition, :value #{"n1" "n2"}}
{:index 3, :time 1300, :type :ok, :process 0, :f :txn, :value [[:append 1 10] [:append 2 20]]}
{:index 4, :time 1400, :type :ok, :process 1, :f :txn, :value [[:r 1 [10]] [:r 2 []]]}
{:index 5, :time 1500, :type :invoke, :process 2, :f :txn, :value [[:append 2 21]]}
{:index 6, :time 1600, :type :fail, :process 2, :f :txn, :value [[:append 2 21]], :error {:type "abort", :codes [40001 1.5e3], :msg "could not \"serialize\"\n"}}
{:index 7, :time 1700, :type :invoke, :process 3, :f :txn, :value [[:r 2 nil]]}
{:index 8, :time 1800, :type :ok, :process 3, :f :txn, :value [[:r 2 [20]]]}`
	txns, err := ReadTxns(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Txn{
		{ID: 0, Process: 0, Call: 1000, Return: 1300, Status: TxnOK, Mops: []Mop{AppendMop("1", 10), AppendMop("2", 20)}},
		{ID: 1, Process: 1, Call: 1100, Return: 1400, Status: TxnOK, Mops: []Mop{ReadMop("1", 10), {Kind: MopRead, Key: "2", List: []int{}}}},
		{ID: 2, Process: 2, Call: 1500, Return: 1600, Status: TxnFailed, Mops: []Mop{AppendMop("2", 21)}},
		{ID: 3, Process: 3, Call: 1700, Return: 1800, Status: TxnOK, Mops: []Mop{ReadMop("2", 20)}},
	}
	if diff := cmp.Diff(want, txns); diff != "" {
		t.Fatalf("txns (-want +got):\n%s", diff)
	}
	res, err := CheckListAppend(txns, TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Strongest != ReadCommitted || res.Counts["G-single"] != 1 {
		t.Errorf("%v", res)
	}
}

func TestReadTxnsEDNWithoutProcessOrTime(t *testing.T) {
	// Elle's own test histories leave out process, f and time: one
	// process, in line order.
	in := `{:index 0 :type :invoke :value [[:append 5 1]]}
{:index 1 :type :ok :value [[:append 5 1]]}
{:index 2 :type :invoke, :value [[:r 5 nil]]}
{:index 3 :type :ok, :value [[:r 5 [1]]]}`
	txns, err := ReadTxns(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Txn{
		{ID: 0, Call: 1, Return: 2, Status: TxnOK, Mops: []Mop{AppendMop("5", 1)}},
		{ID: 1, Call: 3, Return: 4, Status: TxnOK, Mops: []Mop{ReadMop("5", 1)}},
	}
	if diff := cmp.Diff(want, txns); diff != "" {
		t.Fatalf("txns (-want +got):\n%s", diff)
	}
}

// FuzzParseMopsFast: whatever the fast parser of micro-operations takes,
// encoding/json reads the same way.
func FuzzParseMopsFast(f *testing.F) {
	for _, s := range []string{
		`[["append","x",1],["r","x",[1,2]],["r",7,null],["w","k",-3],["r","k",4]]`,
		`[]`, ` [ [ ":append" , 5 , 1 ] ] `, `[["r","x",[]]]`, `[["r","x",[01]]]`, `[["append","x",1.5]]`,
		`[["r","\u0078",null]]`, `[["r","x",[9223372036854775808]]]`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, withResults bool) {
		fast, ok := parseMopsFast(data, withResults)
		if !ok {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("the fast parser took invalid JSON %q", data)
		}
		slow, err := decodeMopsSlowly(data, "mops", withResults)
		if err != nil || !cmp.Equal(fast, slow) {
			t.Fatalf("%q: fast %v, slow %v, %v", data, fast, slow, err)
		}
	})
}

// FuzzParseTxnLineFast: whatever the fast parser of transaction lines
// takes, encoding/json reads the same way.
func FuzzParseTxnLineFast(f *testing.F) {
	for _, s := range []string{
		`{"process":0,"call":1000,"return":2500,"kind":"txn","status":"ok","mops":[["append","x",1],["r","y",[1,2]]]}`,
		`{"process":1,"call":1,"return":null,"kind":"txn","status":"info","mops":[]}`,
		`{ "mops" : [ ["r", 3, null] ] , "process" : 2 }`,
		`{"process":0,"process":1}`, `{"Call":1}`, `{"kind":"t\u0078n"}`, `{"call":1e3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseTxnLineFast(data)
		if !ok {
			return
		}
		var slow jsonTxn
		if err := decodeStrict(data, &slow); err != nil || !cmp.Equal(fast, slow) {
			t.Fatalf("%q: fast %+v, slow %+v, %v", data, fast, slow, err)
		}
	})
}

// FuzzEDNToJSON: what the EDN reader takes becomes valid JSON.
func FuzzEDNToJSON(f *testing.F) {
	for _, s := range []string{
		`{:index 0, :type :invoke, :process 0, :f :txn, :value [[:append 1 5] [:r 2 nil]]}`,
		`#jepsen.history.Op{:a #{1 2.5 "x\n\u00e9"} :b (1 -2N 3M) #_ :gone :c \a, "k" {1 2}}`,
		`{:a 01 :b +5 :c 1/2 :d 1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ednToJSON(data)
		if err == nil && !json.Valid(out) {
			t.Fatalf("%q became invalid JSON %q", data, out)
		}
	})
}
