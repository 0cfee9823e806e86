package dynamo

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
)

// scripted records operations at the times a test gives.
type scripted struct {
	h   *History
	now time.Duration
}

func newScripted() *scripted {
	s := &scripted{}
	s.h = NewHistory(func() time.Duration { return s.now })
	return s
}

func (s *scripted) op(call, ret time.Duration, op Op) checker.OpID {
	s.now = call
	id := s.h.invoke(op)
	s.now = ret
	s.h.complete(id, nil)
	return id
}

func TestSetFullFindsLostStaleAndNeverReadElements(t *testing.T) {
	s := newScripted()
	ms := time.Millisecond
	s.op(0, 10*ms, Op{Kind: OpAdd, Key: "s0", Element: 1})
	lost := s.op(5*ms, 15*ms, Op{Kind: OpAdd, Key: "s0", Element: 2})
	s.op(20*ms, 25*ms, Op{Kind: OpRead, Key: "s0", Elements: []int{2}, Siblings: 1}) // misses 1: stale
	s.op(30*ms, 35*ms, Op{Kind: OpRead, Key: "s0", Elements: []int{1, 2}, Siblings: 2})
	s.op(40*ms, 45*ms, Op{Kind: OpRead, Key: "s0", Elements: []int{1}, Siblings: 1, Final: true}) // 2 is gone
	s.op(50*ms, 55*ms, Op{Kind: OpAdd, Key: "s1", Element: 3})                                    // never read
	rep := s.h.Analyze()
	if rep.Acked != 3 || rep.Lost != 1 || rep.Stale != 1 || rep.NeverRead != 1 || rep.SiblingsMax != 2 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.VisibilityMax != 20*ms { // element 1: acknowledged at 10ms, seen for good from the read at 30ms
		t.Fatalf("visibility max = %v, want 20ms", rep.VisibilityMax)
	}
	res := s.h.Check(checker.CheckOptions{})
	if res.Verdict != checker.Illegal || len(res.Failure.Stuck) != 1 || res.Failure.Stuck[0] != lost || !strings.Contains(res.Failure.Explanation, "s0: 2") {
		t.Fatalf("check = %v %+v", res.Verdict, res.Failure)
	}
}

func TestSetFullFindsResurrectionAndTooManySiblings(t *testing.T) {
	s := newScripted()
	s.h.SiblingsMax = 2
	ms := time.Millisecond
	s.op(0, 5*ms, Op{Kind: OpWrite, Key: "r0", Value: "a"})
	del := s.op(100*ms, 110*ms, Op{Kind: OpDelete, Key: "r0", Values: []string{"a"}, Dots: []Dot{{1, 1}}})
	s.op(200*ms, 210*ms, Op{Kind: OpGet, Key: "r0", Values: []string{"a"}, Dots: []Dot{{1, 1}}, Siblings: 1, Final: true})
	s.op(200*ms, 210*ms, Op{Kind: OpGet, Key: "r0", Values: []string{"a"}, Dots: []Dot{{2, 7}}, Siblings: 1, Final: true})
	over := s.op(220*ms, 230*ms, Op{Kind: OpGet, Key: "r1", Values: []string{"x", "y", "z"}, Siblings: 3})
	res := s.h.Check(checker.CheckOptions{})
	if res.Verdict != checker.Illegal || len(res.Failure.Stuck) != 2 || res.Failure.Stuck[0] != del || res.Failure.Stuck[1] != over {
		t.Fatalf("check = %v %+v", res.Verdict, res.Failure)
	}
	if rep := s.h.Analyze(); rep.Resurrected != 1 {
		t.Fatalf("resurrected = %d, want 1 (the same value under a dot the delete never saw is no resurrection)", rep.Resurrected)
	}
}

func TestStalenessSeesRegisterReadsOnly(t *testing.T) {
	s := newScripted()
	ms := time.Millisecond
	s.op(0, 5*ms, Op{Kind: OpAdd, Key: "s0", Element: 1})
	s.op(10*ms, 15*ms, Op{Kind: OpWrite, Key: "r0", Value: "a"})
	s.op(20*ms, 25*ms, Op{Kind: OpWrite, Key: "r0", Value: "b"})
	s.op(30*ms, 35*ms, Op{Kind: OpGet, Key: "r0", Values: []string{"a"}, Siblings: 1}) // stale: b completed before
	s.now = 40 * ms
	s.h.fail(s.h.invoke(Op{Kind: OpWrite, Key: "r0", Value: "c"}))
	s.op(45*ms, 50*ms, Op{Kind: OpRead, Key: "s0", Elements: []int{1}, Siblings: 1})
	s.op(55*ms, 60*ms, Op{Kind: OpGet, Key: "r0", Values: []string{"c"}, Siblings: 1}) // unexplained: c failed
	st, ok := s.h.Staleness()
	if !ok || st.Reads != 1 || st.ReadsStale != 1 || st.StaleReads[0].Op != 3 || st.Unexplained != 1 || st.UnexplainedOps[0] != 6 {
		t.Fatalf("staleness = %+v", st)
	}
}

func TestTheHistoryKeepsEveryOperationAcrossItsBlocks(t *testing.T) {
	s := newScripted()
	const n = 3*opBlock + 5
	for i := 0; i < n; i++ {
		s.now = time.Duration(i)
		id := s.h.invoke(Op{Kind: OpAdd, Key: "s0", Element: i})
		if int(id) != i {
			t.Fatalf("operation %d got id %d", i, id)
		}
		if i%3 == 0 {
			s.h.complete(id, nil)
		}
	}
	ops := s.h.Ops()
	if s.h.Len() != n || len(ops) != n {
		t.Fatalf("Len %d, Ops %d, want %d", s.h.Len(), len(ops), n)
	}
	for i, op := range ops {
		wantStatus := checker.OpPending
		if i%3 == 0 {
			wantStatus = checker.OpCompleted
		}
		if int(op.ID) != i || op.Element != i || op.Call != time.Duration(i) || op.Status != wantStatus {
			t.Fatalf("operation %d = %+v", i, op)
		}
	}
	if sums := s.h.Summaries(); len(sums) != n || sums[n-1].ID != n-1 || sums[n-1].Text != "add(s0, "+strconv.Itoa(n-1)+") -> ? (unknown)" {
		t.Fatalf("last summary = %+v", sums[n-1])
	}
}

func TestTheHistoryWritesOneJSONLinePerOperation(t *testing.T) {
	s := newScripted()
	s.op(0, time.Millisecond, Op{Client: 2, Kind: OpAdd, Key: "s0", Element: 7})
	s.op(time.Millisecond, 2*time.Millisecond, Op{Client: 2, Kind: OpRead, Key: "s0", Elements: []int{7}, Siblings: 1, Final: true})
	s.now = 3 * time.Millisecond
	s.h.invoke(Op{Client: 1, Kind: OpWrite, Key: "r0", Value: "v"})
	var b strings.Builder
	if err := s.h.WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	want := `{"process":2,"call":0,"return":1000000,"kind":"add","key":"s0","element":7}
{"process":2,"call":1000000,"return":2000000,"kind":"read","key":"s0","final":true,"output":{"elements":[7],"siblings":1}}
{"process":1,"call":3000000,"return":null,"kind":"write","key":"r0","value":"v"}
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestAWrittenHistoryReadsBackWithTheSameVerdict(t *testing.T) {
	s := newScripted()
	ms := time.Millisecond
	s.op(0, 10*ms, Op{Kind: OpAdd, Key: "s0", Element: 1})
	s.op(20*ms, 25*ms, Op{Kind: OpRead, Key: "s0", Siblings: 1, Final: true})
	s.op(30*ms, 35*ms, Op{Kind: OpGet, Key: "r0", Values: []string{"a"}, Dots: []Dot{{3, 4}}, Siblings: 1})
	var b strings.Builder
	if err := s.h.WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	back, err := checker.ReadHistory(HistoryModel, strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Check(checker.CheckOptions{}), s.h.Check(checker.CheckOptions{}); got.Verdict != checker.Illegal || got.Verdict != want.Verdict || got.Failure.Explanation != want.Failure.Explanation {
		t.Fatalf("read back: %v %+v; written: %v %+v", got.Verdict, got.Failure, want.Verdict, want.Failure)
	}
	for _, bad := range []string{
		`{"process":0,"call":0,"return":null,"kind":"add","key":"s0"}`,
		`{"process":0,"call":5,"return":1,"kind":"write","key":"r0","value":"v"}`,
		`{"process":0,"call":0,"return":1,"kind":"get","key":"r0"}`,
		`{"process":0,"call":0,"return":null,"kind":"put","key":"r0"}`,
		`{"process":0,"call":0,"return":null,"kind":"get","key":"r0","colour":1}`,
	} {
		if _, err := ReadHistory(strings.NewReader("\n" + bad)); err == nil || !strings.HasPrefix(err.Error(), "line 2:") {
			t.Errorf("%s: err = %v, want one naming line 2", bad, err)
		}
	}
}

func TestSummariesDescribeEachOperation(t *testing.T) {
	s := newScripted()
	ms := time.Millisecond
	s.op(0, ms, Op{Kind: OpAdd, Key: "s0", Element: 17})
	s.op(ms, 2*ms, Op{Kind: OpWrite, Key: "r0", Value: `v"1`})
	s.op(2*ms, 3*ms, Op{Kind: OpRead, Key: "s1", Elements: []int{1, 2, 3}, Siblings: 2, Final: true})
	s.op(3*ms, 4*ms, Op{Kind: OpGet, Key: "r0", Values: []string{"a", "b c"}})
	s.op(4*ms, 5*ms, Op{Kind: OpDelete, Key: "r1", Values: []string{"x"}})
	s.h.fail(s.h.invoke(Op{Kind: OpWrite, Key: "r1", Value: "w"}))
	s.h.invoke(Op{Kind: OpGet, Key: "r2"})
	want := []string{
		"add(s0, 17) -> ok",
		`write(r0, "v\"1") -> ok`,
		"final read(s1) -> 3 elements, 2 siblings",
		`get(r0) -> ["a" "b c"]`,
		`delete(r1) -> removed ["x"]`,
		`write(r1, "w") -> failed (never applied)`,
		"get(r2) -> ? (unknown)",
	}
	sums := s.h.Summaries()
	if len(sums) != len(want) {
		t.Fatalf("%d summaries, want %d", len(sums), len(want))
	}
	for i, sum := range sums {
		if sum.Text != want[i] || int(sum.ID) != i || sum.Writes != (i < 2 || i == 4 || i == 5) {
			t.Errorf("summary %d = %+v, want text %q", i, sum, want[i])
		}
	}
}

// TestOutlinesAreTheSummariesWithoutTheirTexts: what a passing run's
// result reads of the operations is what a report's summaries say.
func TestOutlinesAreTheSummariesWithoutTheirTexts(t *testing.T) {
	s := newScripted()
	ms := time.Millisecond
	s.op(0, ms, Op{Kind: OpAdd, Key: "s0", Element: 17})
	s.op(ms, 2*ms, Op{Kind: OpRead, Key: "s0", Elements: []int{17}})
	s.op(2*ms, 3*ms, Op{Kind: OpDelete, Key: "r1", Values: []string{"x"}})
	s.h.fail(s.h.invoke(Op{Kind: OpWrite, Key: "r1", Value: "w"}))
	s.h.invoke(Op{Kind: OpGet, Key: "r2"})
	sums, outlines := s.h.Summaries(), checker.Outlines(s.h)
	if len(outlines) != len(sums) {
		t.Fatalf("%d outlines for %d summaries", len(outlines), len(sums))
	}
	for i, sum := range sums {
		if sum.Text == "" {
			t.Fatalf("summary %d has no text", i)
		}
		sum.Text = ""
		if outlines[i] != sum {
			t.Errorf("outline %d = %+v, want %+v", i, outlines[i], sum)
		}
	}
}

func TestAValueIsQuotedAsStrconvQuotesIt(t *testing.T) {
	for _, v := range []string{"", "v12", "a b", `"`, `\`, "tab\there", "é", "\x7f", "~ !", "\x00", "line\n"} {
		if got, want := string(appendQuote([]byte("x"), v)), strconv.AppendQuote([]byte("x"), v); got != string(want) {
			t.Errorf("%q quoted as %s, strconv as %s", v, got, want)
		}
	}
}
