package checker

import (
	"math"
	"sync/atomic"

	"github.com/anishathalye/porcupine"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func checkKV(t *testing.T, h kvHistory, want Verdict) Result {
	t.Helper()
	res := Check(KVModel(), h.History, CheckOptions{})
	if res.Verdict != want {
		t.Fatalf("verdict %v, want %v\n%v", res.Verdict, want, res)
	}
	if want == Illegal && res.Failure == nil {
		t.Fatalf("Illegal without a Failure")
	}
	if want != Illegal && res.Failure != nil {
		t.Fatalf("%v with a Failure: %v", want, res.Failure.Explanation)
	}
	return res
}

func TestKVLinearizable(t *testing.T) {
	tests := []struct {
		name  string
		build func(h kvHistory)
	}{
		{"empty", func(h kvHistory) {}},
		{"sequential", func(h kvHistory) {
			h.done(0, 0, 1, get("x"), notFound)
			h.done(0, 2, 3, put("x", "a"), none)
			h.done(0, 4, 5, get("x"), found("a"))
			h.done(0, 6, 7, appendKV("x", "b"), value("ab"))
			h.done(0, 8, 9, cas("x", "ab", "c"), okOut)
			h.done(0, 10, 11, cas("x", "ab", "d"), failOut)
			h.done(0, 12, 13, get("x"), found("c"))
			h.done(0, 14, 15, del("x"), existed)
			h.done(0, 16, 17, del("x"), notFound)
			h.done(0, 18, 19, cas("x", "", "e"), okOut) // absent reads as ""
			h.done(0, 20, 21, get("x"), found("e"))
		}},
		{"concurrent reads see either side of a write", func(h kvHistory) {
			h.done(0, 0, 10, put("x", "a"), none)
			h.done(1, 1, 2, get("x"), notFound)
			h.done(2, 3, 4, get("x"), found("a"))
			h.done(3, 11, 12, get("x"), found("a"))
		}},
		{"closed intervals touch", func(h kvHistory) {
			h.done(0, 0, 10, put("x", "a"), none)
			h.done(1, 10, 20, get("x"), notFound) // concurrent at t=10
		}},
		{"pending write seen later", func(h kvHistory) {
			h.pending(0, 0, put("x", "a"))
			h.done(1, 50, 60, get("x"), notFound)
			h.done(1, 70, 80, get("x"), found("a"))
		}},
		{"pending write never seen", func(h kvHistory) {
			h.pending(0, 0, put("x", "a"))
			h.done(1, 50, 60, get("x"), notFound)
		}},
		{"concurrent cas, one wins", func(h kvHistory) {
			h.done(0, 0, 1, put("x", "a"), none)
			h.done(1, 10, 20, cas("x", "a", "b"), okOut)
			h.done(2, 10, 20, cas("x", "a", "c"), failOut)
			h.done(3, 30, 40, get("x"), found("b"))
		}},
		{"concurrent cas, second follows first", func(h kvHistory) {
			h.done(1, 10, 20, cas("x", "", "b"), okOut)
			h.done(2, 10, 20, cas("x", "b", "c"), okOut)
			h.done(3, 30, 40, get("x"), found("c"))
		}},
		{"keys are independent", func(h kvHistory) {
			h.done(0, 0, 10, put("x", "a"), none)
			h.done(1, 0, 10, put("y", "a"), none)
			h.done(0, 20, 30, get("y"), found("a"))
			h.done(1, 20, 30, get("x"), found("a"))
		}},
		{"concurrent appends in either order", func(h kvHistory) {
			h.done(0, 0, 10, appendKV("x", "1"), value("21"))
			h.done(1, 0, 10, appendKV("x", "2"), value("2"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newKV()
			tt.build(h)
			checkKV(t, h, Ok)
		})
	}
}

func TestKVNotLinearizable(t *testing.T) {
	tests := []struct {
		name  string
		build func(h kvHistory) OpID // returns the culprit
	}{
		{"stale read", func(h kvHistory) OpID {
			h.done(0, 0, 10, put("x", "a"), none)
			return h.done(1, 20, 30, get("x"), notFound)
		}},
		{"value from nowhere", func(h kvHistory) OpID {
			return h.done(1, 20, 30, get("x"), found("z"))
		}},
		{"pending write undone", func(h kvHistory) OpID {
			h.pending(0, 0, put("x", "a"))
			h.done(1, 10, 20, get("x"), found("a"))
			return h.done(1, 30, 40, get("x"), notFound)
		}},
		{"failed write is excluded", func(h kvHistory) OpID {
			id := h.pending(0, 0, put("x", "a"))
			h.Fail(id)
			return h.done(1, 10, 20, get("x"), found("a"))
		}},
		{"concurrent cas both win", func(h kvHistory) OpID {
			h.done(0, 0, 1, put("x", "a"), none)
			h.done(1, 10, 20, cas("x", "a", "b"), okOut)
			return h.done(2, 10, 20, cas("x", "a", "c"), okOut)
		}},
		{"append returns the wrong value", func(h kvHistory) OpID {
			h.done(0, 0, 1, put("x", "a"), none)
			return h.done(0, 2, 3, appendKV("x", "b"), value("b"))
		}},
		{"delete of an absent key says it existed", func(h kvHistory) OpID {
			return h.done(0, 0, 1, del("x"), existed)
		}},
		{"read after delete", func(h kvHistory) OpID {
			h.done(0, 0, 1, put("x", "a"), none)
			h.done(0, 2, 3, del("x"), existed)
			return h.done(1, 4, 5, get("x"), found("a"))
		}},
		{"found with empty value is not absent", func(h kvHistory) OpID {
			return h.done(0, 0, 1, get("x"), found(""))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newKV()
			culprit := tt.build(h)
			res := checkKV(t, h, Illegal)
			f := res.Failure
			if f.Key != "x" || !strings.Contains(f.Explanation, `key "x"`) {
				t.Errorf("failure names key %q, want x:\n%s", f.Key, f.Explanation)
			}
			if !slices.Contains(f.Stuck, culprit) || !slices.Contains(f.NotLinearized, culprit) {
				t.Errorf("op %d not among the stuck operations %v:\n%s", culprit, f.Stuck, f.Explanation)
			}
		})
	}
}

func TestCheckCounts(t *testing.T) {
	h := newKV()
	h.done(0, 0, 10, put("x", "a"), none)
	h.pending(1, 0, put("y", "b"))
	h.Fail(h.pending(2, 0, put("z", "c")))
	h.done(0, 20, 30, get("x"), found("a"))
	res := checkKV(t, h, Ok)
	if res.Ops != 3 || res.OpsPending != 1 || res.OpsFailed != 1 || res.Partitions != 2 {
		t.Errorf("counts: %+v, want 3 ops, 1 pending, 1 failed, 2 partitions", res)
	}
	if res.Elapsed <= 0 {
		t.Errorf("Elapsed %v", res.Elapsed)
	}
}

// TestSmallestFailingPartition: with two illegal keys, the explanation is
// about the one with fewer operations, whatever the order of the keys.
func TestSmallestFailingPartition(t *testing.T) {
	h := newKV()
	// "a": fine.
	h.done(0, 0, 10, put("a", "1"), none)
	h.done(0, 20, 30, get("a"), found("1"))
	// "b": illegal, 4 operations.
	h.done(0, 0, 10, put("b", "1"), none)
	h.done(1, 0, 10, put("b", "2"), none)
	h.done(0, 20, 30, get("b"), found("2"))
	h.done(1, 40, 50, get("b"), found("1"))
	// "c": illegal, 2 operations.
	h.done(0, 0, 10, put("c", "1"), none)
	culprit := h.done(1, 20, 30, get("c"), found("0"))
	res := checkKV(t, h, Illegal)
	// The visualisation re-checks every illegal partition; the
	// explanation must not change.
	viz := Check(KVModel(), h.History, CheckOptions{VisualizationPath: filepath.Join(t.TempDir(), "v.html")})
	if diff := cmp.Diff(res.Failure, viz.Failure); diff != "" || viz.Visualization == "" {
		t.Errorf("with a visualisation (-without +with):\n%s", diff)
	}
	if res.Partitions != 3 || res.PartitionsIllegal != 2 || res.PartitionsUnknown != 0 {
		t.Errorf("partitions %d illegal %d unknown %d, want 3 2 0", res.Partitions, res.PartitionsIllegal, res.PartitionsUnknown)
	}
	f := res.Failure
	if f.Key != "c" {
		t.Fatalf("smallest failing partition %q, want c:\n%s", f.Key, f.Explanation)
	}
	if !slices.Equal(f.Ops, []OpID{6, 7}) || !slices.Equal(f.Linearized, []OpID{6}) || !slices.Equal(f.Stuck, []OpID{culprit}) {
		t.Errorf("ops %v linearized %v stuck %v, want [6 7] [6] [%d]", f.Ops, f.Linearized, f.Stuck, culprit)
	}
	for _, want := range []string{`key "c"`, "smallest of 2 illegal partitions out of 3", `op 7  client 1  [20ms, 30ms]  get("c") -> "0"`, `put("c", "1")`, `fits state "1"`} {
		if !strings.Contains(f.Explanation, want) {
			t.Errorf("explanation lacks %q:\n%s", want, f.Explanation)
		}
	}
}

func TestRegister(t *testing.T) {
	type step struct {
		client, call, ret int // ret < 0: pending
		in                RegisterInput
		out               RegisterOutput
	}
	read := func(v string) (RegisterInput, RegisterOutput) {
		return RegisterInput{Kind: RegisterRead}, RegisterOutput{Value: v}
	}
	write := RegisterInput{Kind: RegisterWrite, Value: "a"}
	writeB := RegisterInput{Kind: RegisterWrite, Value: "b"}
	casAB := RegisterInput{Kind: RegisterCAS, Want: "a", Value: "b"}
	casAC := RegisterInput{Kind: RegisterCAS, Want: "a", Value: "c"}
	rin, rEmpty := read("")
	_, rA := read("a")
	_, rB := read("b")
	_, rC := read("c")
	tests := []struct {
		name  string
		steps []step
		want  Verdict
	}{
		{"initially empty", []step{{0, 0, 1, rin, rEmpty}}, Ok},
		{"read own write", []step{{0, 0, 1, write, RegisterOutput{}}, {0, 2, 3, rin, rA}}, Ok},
		{"lost write", []step{{0, 0, 1, write, RegisterOutput{}}, {0, 2, 3, rin, rEmpty}}, Illegal},
		{"concurrent writes, reads disagree on order", []step{
			{0, 0, 10, write, RegisterOutput{}}, {1, 0, 10, writeB, RegisterOutput{}},
			{2, 20, 30, rin, rA}, {3, 40, 50, rin, rB},
		}, Illegal},
		{"concurrent cas, one wins", []step{
			{0, 0, 1, write, RegisterOutput{}},
			{1, 10, 20, casAB, RegisterOutput{OK: true}}, {2, 10, 20, casAC, RegisterOutput{}},
			{3, 30, 40, rin, rB},
		}, Ok},
		{"concurrent cas, both win", []step{
			{0, 0, 1, write, RegisterOutput{}},
			{1, 10, 20, casAB, RegisterOutput{OK: true}}, {2, 10, 20, casAC, RegisterOutput{OK: true}},
		}, Illegal},
		{"concurrent cas, loser's value read", []step{
			{0, 0, 1, write, RegisterOutput{}},
			{1, 10, 20, casAB, RegisterOutput{OK: true}}, {2, 10, 20, casAC, RegisterOutput{}},
			{3, 30, 40, rin, rC},
		}, Illegal},
		{"pending cas may have won", []step{
			{0, 0, 1, write, RegisterOutput{}},
			{1, 10, -1, casAC, RegisterOutput{}},
			{3, 30, 40, rin, rC},
		}, Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &History[RegisterInput, RegisterOutput]{}
			for _, s := range tt.steps {
				id := h.Invoke(s.client, s.in, ms(s.call))
				if s.ret >= 0 {
					h.Complete(id, s.out, ms(s.ret))
				}
			}
			res := Check(RegisterModel(), h, CheckOptions{})
			if res.Verdict != tt.want {
				t.Fatalf("verdict %v, want %v\n%v", res.Verdict, tt.want, res)
			}
			if tt.want == Illegal && !strings.HasPrefix(res.Failure.Explanation, "the history is not linearizable") {
				t.Errorf("explanation of an unpartitioned model:\n%s", res.Failure.Explanation)
			}
		})
	}
}

func TestBank(t *testing.T) {
	type step struct {
		client, call, ret int // ret < 0: pending
		in                BankInput
		out               BankOutput
	}
	transfer := func(from, to int, amount int64) BankInput {
		return BankInput{Kind: BankTransfer, From: from, To: to, Amount: amount}
	}
	read := BankInput{Kind: BankRead}
	bal := func(b ...int64) BankOutput { return BankOutput{Balances: b} }
	ok := BankOutput{OK: true}
	refused := BankOutput{}
	tests := []struct {
		name  string
		steps []step
		want  Verdict
	}{
		{"transfer then read", []step{{0, 0, 1, transfer(0, 1, 30), ok}, {0, 2, 3, read, bal(70, 30, 0)}}, Ok},
		{"overdraft refused", []step{{0, 0, 1, transfer(2, 1, 1), refused}, {0, 2, 3, read, bal(100, 0, 0)}}, Ok},
		{"overdraft allowed", []step{{0, 0, 1, transfer(2, 1, 1), ok}}, Illegal},
		{"no such account", []step{{0, 0, 1, transfer(0, 7, 1), ok}}, Illegal},
		{"money created", []step{{0, 0, 1, transfer(0, 1, 30), ok}, {0, 2, 3, read, bal(100, 30, 0)}}, Illegal},
		{"read concurrent with transfers", []step{
			{0, 0, 10, transfer(0, 1, 30), ok}, {1, 0, 10, transfer(1, 2, 10), ok},
			{2, 5, 6, read, bal(70, 30, 0)},
			{3, 20, 21, read, bal(70, 20, 10)},
		}, Ok},
		{"second transfer seen without the first", []step{
			{0, 0, 10, transfer(0, 1, 30), ok}, {0, 11, 20, transfer(0, 2, 10), ok},
			{2, 5, 25, read, bal(90, 0, 10)},
		}, Illegal},
		{"concurrent transfers overdraw", []step{
			{0, 0, 10, transfer(0, 1, 60), ok}, {1, 0, 10, transfer(0, 2, 60), ok},
		}, Illegal},
		{"concurrent transfers, one refused", []step{
			{0, 0, 10, transfer(0, 1, 60), ok}, {1, 0, 10, transfer(0, 2, 60), refused},
			{0, 20, 30, read, bal(40, 60, 0)},
		}, Ok},
		{"pending transfer took effect", []step{
			{0, 0, -1, transfer(0, 1, 60), refused},
			{1, 20, 30, read, bal(40, 60, 0)},
		}, Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &History[BankInput, BankOutput]{}
			for _, s := range tt.steps {
				id := h.Invoke(s.client, s.in, ms(s.call))
				if s.ret >= 0 {
					h.Complete(id, s.out, ms(s.ret))
				}
			}
			res := Check(BankModel(100, 0, 0), h, CheckOptions{})
			if res.Verdict != tt.want {
				t.Fatalf("verdict %v, want %v\n%v", res.Verdict, tt.want, res)
			}
		})
	}
}

// hardRegister builds a register history that porcupine cannot decide in
// any useful time: n concurrent pending writes of distinct values, whose
// every subset and order the search must try, and then a read of a value
// nobody wrote, which makes the history illegal.
func hardRegister(n int) *History[RegisterInput, RegisterOutput] {
	h := &History[RegisterInput, RegisterOutput]{}
	for i := range n {
		h.Invoke(i, RegisterInput{Kind: RegisterWrite, Value: string(rune('A' + i))}, ms(i))
	}
	id := h.Invoke(n, RegisterInput{Kind: RegisterRead}, ms(n+1))
	h.Complete(id, RegisterOutput{Value: "never written"}, ms(n+2))
	return h
}

func TestTimeoutGivesUnknown(t *testing.T) {
	// Small enough to decide: the tail really is illegal.
	if res := Check(RegisterModel(), hardRegister(3), CheckOptions{}); res.Verdict != Illegal {
		t.Fatalf("small version: %v, want Illegal", res.Verdict)
	}
	for _, timeout := range []time.Duration{time.Nanosecond, time.Millisecond} {
		res := Check(RegisterModel(), hardRegister(40), CheckOptions{Timeout: timeout})
		if res.Verdict != Unknown || res.PartitionsUnknown != 1 || res.Failure != nil {
			t.Errorf("timeout %v: %v, want Unknown", timeout, res)
		}
	}
}

// TestUnknownIsNotOk: one partition decided Ok and one undecided make the
// whole Unknown; one decided Illegal makes it Illegal.
func TestUnknownIsNotOk(t *testing.T) {
	h := newKV()
	h.done(0, 0, 1, put("easy", "a"), none)
	h.done(0, 2, 3, get("easy"), found("a"))
	for i := range 40 {
		h.pending(i+1, 10+i, put("hard", string(rune('A'+i))))
	}
	h.done(0, 100, 101, get("hard"), found("never written"))
	res := Check(KVModel(), h.History, CheckOptions{Timeout: time.Nanosecond, Workers: 1})
	if res.Verdict != Unknown {
		t.Fatalf("%v, want Unknown", res)
	}
}

func TestVisualization(t *testing.T) {
	illegal := func() kvHistory {
		h := newKV()
		h.done(0, 0, 10, put("x", "a"), none)
		h.done(1, 20, 30, get("x"), notFound)
		return h
	}
	faults := []Fault{
		{Start: ms(5), End: ms(25), Label: "partition {n1} {n2 n3}", Description: "n1 cut off from the majority"},
		{Start: ms(15), Label: "clock step +2s", Host: "n2"},
	}
	t.Run("written on Illegal with the faults", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "viz.html")
		res := Check(KVModel(), illegal().History, CheckOptions{VisualizationPath: path, Annotations: faults})
		if res.Verdict != Illegal || res.Visualization != path || res.VisualizationErr != nil {
			t.Fatalf("%v, visualisation %q err %v", res, res.Visualization, res.VisualizationErr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		for _, want := range []string{"partition {n1} {n2 n3}", "n1 cut off from the majority", "clock step +2s", "faults: n2", `get(\"x\") -\u003e not found`} {
			if !strings.Contains(html, want) {
				t.Errorf("visualisation lacks %q", want)
			}
		}
	})
	t.Run("not written on Ok", func(t *testing.T) {
		h := newKV()
		h.done(0, 0, 10, put("x", "a"), none)
		path := filepath.Join(t.TempDir(), "viz.html")
		res := Check(KVModel(), h.History, CheckOptions{VisualizationPath: path})
		if res.Visualization != "" {
			t.Errorf("visualisation %q written for %v", res.Visualization, res.Verdict)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("file exists: %v", err)
		}
	})
	t.Run("forced on Ok", func(t *testing.T) {
		h := newKV()
		h.done(0, 0, 10, put("x", "a"), none)
		h.done(0, 0, 10, put("y", "b"), none)
		path := filepath.Join(t.TempDir(), "viz.html")
		res := Check(KVModel(), h.History, CheckOptions{VisualizationPath: path, VisualizeAlways: true, Annotations: faults})
		b, err := os.ReadFile(path)
		if res.Verdict != Ok || err != nil || !strings.Contains(string(b), `put(\"y\", \"b\")`) {
			t.Errorf("%v: %v, %d bytes", res, err, len(b))
		}
	})
	t.Run("error reported", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "no such dir", "viz.html")
		res := Check(KVModel(), illegal().History, CheckOptions{VisualizationPath: path})
		if res.Verdict != Illegal || res.VisualizationErr == nil || res.Visualization != "" {
			t.Errorf("%v: err %v", res, res.VisualizationErr)
		}
	})
}

func TestVerdictString(t *testing.T) {
	var zero Verdict
	for v, want := range map[Verdict]string{zero: "Unknown", Ok: "Ok", Illegal: "Illegal", Verdict(9): "Verdict(9)"} {
		if v.String() != want {
			t.Errorf("%d: %q, want %q", v, v.String(), want)
		}
	}
	if b, _ := Illegal.MarshalText(); string(b) != "Illegal" {
		t.Errorf("MarshalText %q", b)
	}
}

func TestModelValidation(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	h := &History[BankInput, BankOutput]{}
	h.Invoke(0, BankInput{Kind: BankRead}, 0)
	m := BankModel(1)
	m.Apply = nil
	mustPanic("no Apply with pending ops", func() { Check(m, h, CheckOptions{}) })
	m = BankModel(1)
	m.Equal = nil
	mustPanic("incomparable state without Equal", func() { Check(m, h, CheckOptions{}) })
	mustPanic("no Step", func() {
		Check(Model[int, int, int]{Init: func() int { return 0 }}, &History[int, int]{}, CheckOptions{})
	})
}

// TestGeneratedHistories: what genKV simulates is linearizable, and
// corrupting one read makes it illegal, blamed on that read's key.
func TestGeneratedHistories(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		ops := genKV(seed, 2000, 20, 8, 0.05)
		res := Check(KVModel(), buildKV(ops), CheckOptions{})
		if res.Verdict != Ok || res.OpsPending == 0 {
			t.Fatalf("seed %d: %v", seed, res)
		}
		// Corrupt the last completed get.
		i := len(ops) - 1
		for ops[i].pending || ops[i].in.Kind != KVGet {
			i--
		}
		ops[i].out = found("never written")
		res = Check(KVModel(), buildKV(ops), CheckOptions{Workers: 4})
		if again := Check(KVModel(), buildKV(ops), CheckOptions{Workers: 1}); !cmp.Equal(res.Failure, again.Failure) {
			t.Fatalf("seed %d: the failure changed between runs:\n%s\n%s", seed, res.Failure.Explanation, again.Failure.Explanation)
		}
		if res.Verdict != Illegal || res.Failure.Key != ops[i].in.Key || !slices.Contains(res.Failure.Stuck, OpID(i)) {
			t.Fatalf("seed %d, corrupted op %d on %s: %v", seed, i, ops[i].in.Key, res)
		}
	}
}

// TestOnlyAnIllegalPartitionIsSearchedAgain: a linearizable history costs
// one search, the same model steps as porcupine alone; an illegal one is
// searched a second time, verbosely, for its explanation, and no more.
func TestOnlyAnIllegalPartitionIsSearchedAgain(t *testing.T) {
	var steps atomic.Int64
	counting := RegisterModel()
	step := counting.Step
	counting.Step = func(s string, in RegisterInput, out RegisterOutput) (bool, string) {
		steps.Add(1)
		return step(s, in, out)
	}
	for _, tc := range []struct {
		name     string
		h        *History[RegisterInput, RegisterOutput]
		verdict  Verdict
		searches int64
	}{
		{"linearizable", genRegister(3, 400, 5, 0.02), Ok, 1},
		{"illegal", hardRegister(8), Illegal, 2},
	} {
		steps.Store(0)
		res := Check(counting, tc.h, CheckOptions{})
		if res.Verdict != tc.verdict || (tc.verdict == Illegal) != (res.Failure != nil) {
			t.Fatalf("%s: %v, want %v (with a failure if Illegal)", tc.name, res, tc.verdict)
		}
		checked := steps.Swap(0)

		ops := tc.h.Ops()
		pops := make([]porcupine.Operation, len(ops))
		for i, op := range ops {
			ret := int64(op.Return)
			if op.Status == OpPending {
				ret = math.MaxInt64
			}
			c := &checkedOp[RegisterInput, RegisterOutput]{id: op.ID, in: op.In, out: output[RegisterOutput]{out: op.Out, known: op.Status == OpCompleted}}
			pops[i] = porcupine.Operation{ClientId: op.Client, Input: c, Call: int64(op.Call), Output: c, Return: ret, Metadata: c}
		}
		if porcupine.CheckOperations(counting.porcupine(), pops) != (tc.verdict == Ok) {
			t.Fatalf("%s: porcupine alone disagrees with %v", tc.name, tc.verdict)
		}
		search := steps.Load()
		if checked != tc.searches*search {
			t.Fatalf("%s: Check took %d model steps; one search takes %d, want %d searches", tc.name, checked, search, tc.searches)
		}
	}
}

// TestPartitionTooLargeIsUnknown: a partition over MaxPartitionOps is not
// given to porcupine, whose memory grows with it; it stays undecided.
func TestPartitionTooLargeIsUnknown(t *testing.T) {
	h := newKV()
	h.done(0, 0, 1, put("small", "a"), none)
	for i := range 5 {
		h.done(0, 10+2*i, 11+2*i, put("big", "a"), none)
	}
	res := Check(KVModel(), h.History, CheckOptions{MaxPartitionOps: 4})
	if res.Verdict != Unknown || res.PartitionsUnknown != 1 || res.PartitionsTooLarge != 1 {
		t.Fatalf("%v, want Unknown with one partition too large", res)
	}
	if !strings.Contains(res.String(), "1 of them too large to search") {
		t.Fatalf("%q does not say why", res.String())
	}
	if res := Check(KVModel(), h.History, CheckOptions{MaxPartitionOps: 5}); res.Verdict != Ok {
		t.Fatalf("at the bound: %v, want Ok", res)
	}
}
