package checker

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// txnBuilder builds transactional histories tersely in tests. Times are
// nanoseconds.
type txnBuilder struct{ txns []Txn }

func (b *txnBuilder) add(process, call, ret int, status TxnStatus, mops ...Mop) TxnID {
	id := TxnID(len(b.txns))
	b.txns = append(b.txns, Txn{ID: id, Process: process, Mops: mops, Status: status, Call: time.Duration(call), Return: time.Duration(ret)})
	return id
}

func (b *txnBuilder) ok(process, call, ret int, mops ...Mop) TxnID {
	return b.add(process, call, ret, TxnOK, mops...)
}

func (b *txnBuilder) fail(process, call, ret int, mops ...Mop) TxnID {
	return b.add(process, call, ret, TxnFailed, mops...)
}

func (b *txnBuilder) info(process, call int, mops ...Mop) TxnID {
	return b.add(process, call, 0, TxnInfo, mops...)
}

var (
	ap = AppendMop
	r  = ReadMop
	w  = WriteMop
	rv = ReadValueMop
)

// wantAnomalies checks that res holds exactly the anomalies named, in
// order, each with the transactions given, and that its strongest model is
// strongest.
type wantAnomaly struct {
	name string
	txns []TxnID
	text string // part of the explanation
}

func checkAnomalies(t *testing.T, res TxnResult, strongest Consistency, want ...wantAnomaly) {
	t.Helper()
	if len(res.Anomalies) != len(want) {
		t.Errorf("%d anomalies, want %d", len(res.Anomalies), len(want))
	}
	for i, a := range res.Anomalies {
		if i >= len(want) {
			t.Errorf("extra anomaly %s %v:\n%s", a.Name(), a.Txns, a.Explanation)
			continue
		}
		wa := want[i]
		if a.Name() != wa.name || !slices.Equal(a.Txns, wa.txns) || !strings.Contains(a.Explanation, wa.text) {
			t.Errorf("anomaly %d is %s %v:\n%s\nwant %s %v containing %q", i, a.Name(), a.Txns, a.Explanation, wa.name, wa.txns, wa.text)
		}
		if a.Cycle != nil {
			for j, d := range a.Cycle {
				if d.From != a.Txns[j] || d.To != a.Txns[(j+1)%len(a.Txns)] {
					t.Errorf("anomaly %d: edge %d %v does not follow the cycle %v", i, j, d, a.Txns)
				}
			}
		}
	}
	if res.Strongest != strongest {
		t.Errorf("strongest model %v, want %v\n%v", res.Strongest, strongest, res)
	}
	for c := ReadUncommitted; c <= StrictSerializable; c++ {
		want := Illegal
		if c <= strongest {
			want = Ok
		}
		if got := res.Verdict(c); got != want {
			t.Errorf("verdict for %v is %v, want %v", c, got, want)
		}
	}
}

func checkLA(t *testing.T, b *txnBuilder) TxnResult {
	t.Helper()
	res, err := CheckListAppend(b.txns, TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func checkRW(t *testing.T, b *txnBuilder) TxnResult {
	t.Helper()
	res, err := CheckRWRegister(b.txns, TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestListAppendSerialHistoryIsStrictSerializable(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1), r("x", 1))
	b.ok(1, 5, 20, r("x", 1), ap("x", 2), ap("y", 1))
	b.ok(0, 30, 40, r("x", 1, 2), r("y", 1))
	res := checkLA(t, &b)
	checkAnomalies(t, res, StrictSerializable)
	if res.Txns != 3 || res.TxnsOK != 3 || res.Edges == 0 {
		t.Errorf("result %v", res)
	}
}

func TestListAppendG0(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1), ap("y", 1))
	b.ok(1, 0, 10, ap("x", 2), ap("y", 2))
	b.ok(2, 20, 30, r("x", 1, 2), r("y", 2, 1))
	checkAnomalies(t, checkLA(t, &b), ConsistencyNone,
		wantAnomaly{"G0", []TxnID{0, 1}, `T1 appended 2 to "x" after T0 appended 1`})
}

func TestListAppendG1a(t *testing.T) {
	var b txnBuilder
	b.fail(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, r("x", 1))
	checkAnomalies(t, checkLA(t, &b), ReadUncommitted,
		wantAnomaly{"G1a", []TxnID{1, 0}, `T1 read "x" = [1], with 1, appended by T0, which aborted`})
}

func TestListAppendG1b(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1), ap("x", 2))
	b.ok(1, 0, 10, r("x", 1))
	// Nobody read 2, so it came after what T1 read: T1 is also before T0.
	checkAnomalies(t, checkLA(t, &b), ReadUncommitted,
		wantAnomaly{"G1b", []TxnID{1, 0}, "which T0 appended before appending more to it"},
		wantAnomaly{"G-single", []TxnID{0, 1}, `T1 read "x" up to 1, missing 2, which T0 appended after it`})
}

func TestListAppendOrdersUnreadAppendsLast(t *testing.T) {
	// The last read of x misses T1's append, which T1 committed before
	// it began: a stale read nobody else observed.
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, ap("x", 2))
	b.ok(2, 40, 50, r("x", 1))
	checkAnomalies(t, checkLA(t, &b), StrongSessionSerializable,
		wantAnomaly{"G-single-realtime", []TxnID{1, 2}, `T2 read "x" up to 1, missing 2, which T1 appended after it`})

	// Where reads disagree, nothing is inferred from what they missed.
	b.ok(3, 40, 50, r("x", 3))
	b.ok(4, 0, 10, ap("x", 3))
	res := checkLA(t, &b)
	if res.Counts["incompatible-order"] != 1 || res.Counts["G-single-realtime"] != 0 {
		t.Errorf("%v", res)
	}
}

func TestListAppendG1c(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1), r("y", 1))
	b.ok(1, 0, 10, ap("y", 1), r("x", 1))
	checkAnomalies(t, checkLA(t, &b), ReadUncommitted,
		wantAnomaly{"G1c", []TxnID{0, 1}, `T1 saw T0's append of 1 to "x"`})
}

func TestListAppendGSingle(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1), ap("y", 1))
	b.ok(1, 0, 10, r("x", 1), r("y"))
	b.ok(2, 20, 30, r("y", 1))
	checkAnomalies(t, checkLA(t, &b), ReadCommitted,
		wantAnomaly{"G-single", []TxnID{0, 1}, `T1 read "y" empty, missing 1, which T0 appended`})
}

func TestListAppendG2Item(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), ap("y", 1))
	b.ok(1, 0, 10, r("y"), ap("x", 1))
	b.ok(2, 20, 30, r("x", 1), r("y", 1))
	checkAnomalies(t, checkLA(t, &b), SnapshotIsolation,
		wantAnomaly{"G2-item", []TxnID{0, 1}, `T0 read "x" empty, missing 1, which T1 appended`})
}

// A long fork: T2 sees T1's append but not T3's, T0 sees T3's but not
// T1's. Its two anti-dependencies are not adjacent, which no snapshot
// isolated execution allows, although no cycle has a single one.
func TestListAppendLongForkIsGNonadjacent(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), r("z", 1))
	b.ok(1, 0, 10, ap("x", 1))
	b.ok(2, 0, 10, r("x", 1), r("z"))
	b.ok(3, 0, 10, ap("z", 1))
	b.ok(0, 20, 30, r("x", 1), r("z", 1))
	checkAnomalies(t, checkLA(t, &b), ReadCommitted,
		wantAnomaly{"G-nonadjacent", []TxnID{0, 1, 2, 3}, `T0 read "x" empty, missing 1, which T1 appended`})
}

// The shortest cycle through T0 is write skew with T4, which snapshot
// isolation allows; the long fork through T0 must still be found.
func TestListAppendLongForkBesideWriteSkewIsFound(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), r("z", 1), r("k"), ap("m", 1))
	b.ok(1, 0, 10, ap("x", 1))
	b.ok(2, 0, 10, r("x", 1), r("z"))
	b.ok(3, 0, 10, ap("z", 1))
	b.ok(4, 0, 10, r("m"), ap("k", 1))
	b.ok(0, 20, 30, r("x", 1), r("z", 1), r("k", 1), r("m", 1))
	checkAnomalies(t, checkLA(t, &b), ReadCommitted,
		wantAnomaly{"G-nonadjacent", []TxnID{0, 1, 2, 3}, `T2 read "z" empty, missing 1, which T3 appended`})
}

// Both anti-dependencies of write skew are adjacent: snapshot isolation
// allows it, repeatable read and serializability do not.
func TestListAppendWriteSkewIsSnapshotIsolationOnly(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), r("y"), ap("x", 1))
	b.ok(1, 0, 10, r("x"), r("y"), ap("y", 1))
	b.ok(2, 20, 30, r("x", 1), r("y", 1))
	res := checkLA(t, &b)
	checkAnomalies(t, res, SnapshotIsolation,
		wantAnomaly{"G2-item", []TxnID{0, 1}, `read "y" empty, missing 1, which T1 appended`})
	for c, want := range map[Consistency]Verdict{SnapshotIsolation: Ok, RepeatableRead: Illegal, Serializable: Illegal} {
		if got := res.Verdict(c); got != want {
			t.Errorf("write skew: %v is %v, want %v", c, got, want)
		}
	}
}

func TestListAppendLostUpdateIsGSingle(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, r("x", 1), ap("x", 2))
	b.ok(2, 20, 30, r("x", 1), ap("x", 3))
	b.ok(0, 40, 50, r("x", 1, 2, 3))
	checkAnomalies(t, checkLA(t, &b), ReadCommitted,
		wantAnomaly{"G-single", []TxnID{1, 2}, `T2 read "x" up to 1, missing 2, which T1 appended after it`})
}

func TestListAppendStaleReadIsGSingleRealtime(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, r("x"))
	b.ok(2, 40, 50, r("x", 1))
	checkAnomalies(t, checkLA(t, &b), StrongSessionSerializable,
		wantAnomaly{"G-single-realtime", []TxnID{0, 1}, "T0 completed at 10ns, before T1 was invoked at 20ns"})
}

func TestListAppendSessionOrder(t *testing.T) {
	// The second transaction starts at the instant the first returns: not
	// after it in real time, but after it on their process.
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(0, 10, 20, r("x"))
	b.ok(1, 40, 50, r("x", 1))
	checkAnomalies(t, checkLA(t, &b), Serializable,
		wantAnomaly{"G-single-process", []TxnID{0, 1}, "T1 ran after T0 on process 0"})
}

func TestListAppendInternal(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), ap("x", 1), r("x"))
	b.ok(1, 0, 10, ap("y", 1), r("y", 2))
	b.ok(2, 0, 10, ap("y", 2), r("z", 3), ap("z", 3))
	checkAnomalies(t, checkLA(t, &b), ConsistencyNone,
		wantAnomaly{"internal", []TxnID{0}, `T0 read "x" = [], but its own appends had made it [1]`},
		wantAnomaly{"internal", []TxnID{1}, `T1 read "y" = [2], after appending [1] to it itself`},
		wantAnomaly{"internal", []TxnID{2}, `T2 read "z" = [3], with 3, before appending it itself`})
}

func TestListAppendDuplicateElements(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, r("x", 1, 1))
	checkAnomalies(t, checkLA(t, &b), ConsistencyNone,
		wantAnomaly{"duplicate-elements", []TxnID{1}, `T1 read "x" = [1 1], with 1 more than once`})
}

func TestListAppendGarbageRead(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, r("x", 1, 7))
	checkAnomalies(t, checkLA(t, &b), ConsistencyNone,
		wantAnomaly{"garbage-read", []TxnID{1}, "with 7, which no transaction appended"})
}

func TestListAppendIncompatibleOrder(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 0, 10, ap("x", 2))
	b.ok(2, 20, 30, r("x", 1, 2))
	b.ok(3, 20, 30, r("x", 2, 1))
	b.ok(4, 20, 30, r("x", 2))
	checkAnomalies(t, checkLA(t, &b), ConsistencyNone,
		wantAnomaly{"incompatible-order", []TxnID{3, 2}, "neither is a prefix of the other (and 1 more reads"})
}

func TestListAppendIndeterminateTransactions(t *testing.T) {
	var b txnBuilder
	b.info(0, 0, ap("x", 1))         // seen: it committed
	b.info(1, 0, ap("x", 2))         // never seen: it may not have
	b.info(2, 0, ap("y", 1), r("x")) // its read's result is unknown
	b.ok(3, 20, 30, r("x", 1), r("y"))
	res := checkLA(t, &b)
	checkAnomalies(t, res, StrictSerializable)
	if res.TxnsInfo != 3 {
		t.Errorf("result %v", res)
	}

	// An indeterminate transaction seen committed takes part in cycles,
	// though nothing follows it in real time: when it committed is unknown.
	b.ok(4, 40, 50, r("x", 1), r("y", 1))
	b.ok(5, 60, 70, r("x"))
	checkAnomalies(t, checkLA(t, &b), StrongSessionSerializable,
		wantAnomaly{"G-single-realtime", []TxnID{0, 4, 5}, "T5 read \"x\" empty, missing 1, which T0 appended"})
}

func TestListAppendRefusesWhatItCannotCheck(t *testing.T) {
	tests := []struct {
		txns []Txn
		want string
	}{
		{[]Txn{{ID: 0, Mops: []Mop{w("x", 1)}}}, "T0, micro-operation 0: w is not a list-append micro-operation"},
		{[]Txn{{ID: 0, Mops: []Mop{ap("x", 1)}}, {ID: 1, Mops: []Mop{ap("x", 1)}}}, `T0 and T1 both append 1 to "x"`},
		{[]Txn{{ID: 0, Status: TxnOK, Mops: []Mop{rv("x", 1)}}}, `a read of "x" returned the integer 1`},
		{[]Txn{{ID: 3}, {ID: 3}}, "transactions 0 and 1 of the history both have id 3"},
		{[]Txn{{ID: 0, Process: -1}}, "process -1 is negative"},
		{[]Txn{{ID: 0, Status: TxnOK, Call: 5, Return: 4}}, "return 4ns is before call 5ns"},
		{[]Txn{{ID: 0, Status: 9}}, "status TxnStatus(9)"},
		{[]Txn{{ID: 0, Status: TxnOK, Call: 0, Return: 10}, {ID: 1, Status: TxnOK, Call: 5, Return: 20}},
			"process 0 invoked T1 at 5ns, before its T0 returned at 10ns"},
	}
	for _, tt := range tests {
		_, err := CheckListAppend(tt.txns, TxnOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

func TestRWRegisterSerialHistoryIsStrictSerializable(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), w("x", 1), rv("x", 1))
	b.ok(1, 5, 20, rv("x", 1), w("x", 2), w("y", 3))
	b.ok(0, 30, 40, rv("x", 2), rv("y", 3))
	checkAnomalies(t, checkRW(t, &b), StrictSerializable)
}

func TestRWRegisterG1a(t *testing.T) {
	var b txnBuilder
	b.fail(0, 0, 10, w("x", 1))
	b.ok(1, 20, 30, rv("x", 1))
	checkAnomalies(t, checkRW(t, &b), ReadUncommitted,
		wantAnomaly{"G1a", []TxnID{1, 0}, `T1 read "x" = 1, written by T0, which aborted`})
}

func TestRWRegisterG1b(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, w("x", 1), w("x", 2))
	b.ok(1, 0, 10, rv("x", 1))
	checkAnomalies(t, checkRW(t, &b), ReadUncommitted,
		wantAnomaly{"G1b", []TxnID{1, 0}, "which T0 wrote and then overwrote itself"})
}

func TestRWRegisterG1c(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, w("x", 1), rv("y", 1))
	b.ok(1, 0, 10, w("y", 1), rv("x", 1))
	checkAnomalies(t, checkRW(t, &b), ReadUncommitted,
		wantAnomaly{"G1c", []TxnID{0, 1}, `T1 read "x" = 1, which T0 wrote`})
}

func TestRWRegisterG0FromWritesFollowingReads(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, w("x", 1), w("y", 1))
	b.ok(1, 20, 30, rv("x", 1), w("x", 2), rv("y", 3), w("y", 4))
	b.ok(2, 20, 30, rv("y", 1), w("y", 3), rv("x", 2), w("x", 5))
	// T1 read y = 3 from T2 and wrote over it; T2 read x = 2 from T1 and
	// wrote over it: each installed a version after the other's.
	res := checkRW(t, &b)
	if res.Counts["G0"] != 1 || res.Strongest != ConsistencyNone {
		t.Errorf("want one G0: %v\n%v", res, res.Anomalies)
	}
}

func TestRWRegisterGSingle(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, w("x", 1), w("y", 1))
	b.ok(1, 0, 10, rv("x", 1), r("y"))
	checkAnomalies(t, checkRW(t, &b), ReadCommitted,
		wantAnomaly{"G-single", []TxnID{0, 1}, `T1 read "y" = nil, so before T0 wrote 1`})
}

func TestRWRegisterG2Item(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), w("y", 1))
	b.ok(1, 0, 10, r("y"), w("x", 1))
	checkAnomalies(t, checkRW(t, &b), SnapshotIsolation,
		wantAnomaly{"G2-item", []TxnID{0, 1}, `T0 read "x" = nil, so before T1 wrote 1`})
}

func TestRWRegisterLongForkIsGNonadjacent(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), rv("z", 1))
	b.ok(1, 0, 10, w("x", 1))
	b.ok(2, 0, 10, rv("x", 1), r("z"))
	b.ok(3, 0, 10, w("z", 1))
	checkAnomalies(t, checkRW(t, &b), ReadCommitted,
		wantAnomaly{"G-nonadjacent", []TxnID{0, 1, 2, 3}, `T0 read "x" = nil, so before T1 wrote 1`})
}

func TestRWRegisterLostUpdate(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, w("x", 1))
	b.ok(1, 20, 30, rv("x", 1), w("x", 2))
	b.ok(2, 20, 30, rv("x", 1), w("x", 3))
	checkAnomalies(t, checkRW(t, &b), ReadCommitted,
		wantAnomaly{"G2-item", []TxnID{1, 2}, `T2 read "x" = 1, which T1 overwrote with 2`},
		wantAnomaly{"lost-update", []TxnID{1, 2}, `T1, T2 all read "x" = 1 and then wrote it`})
}

func TestRWRegisterInternalAndGarbage(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, w("x", 1), rv("x", 2))
	b.ok(1, 0, 10, rv("y", 1), r("y"))
	b.ok(2, 0, 10, rv("z", 4), w("z", 4))
	b.ok(3, 0, 10, rv("q", 9))
	checkAnomalies(t, checkRW(t, &b), ConsistencyNone,
		wantAnomaly{"internal", []TxnID{0}, `T0 read "x" = 2, but it had written 1`},
		wantAnomaly{"internal", []TxnID{1}, `T1 read "y" = nil, but it had read 1`},
		wantAnomaly{"internal", []TxnID{2}, `T2 read "z" = 4 before writing it itself`},
		wantAnomaly{"garbage-read", []TxnID{1}, `T1 read "y" = 1, which no transaction wrote`},
		wantAnomaly{"garbage-read", []TxnID{3}, `T3 read "q" = 9, which no transaction wrote`})
}

func TestRWRegisterRefusesWhatItCannotCheck(t *testing.T) {
	tests := []struct {
		txns []Txn
		want string
	}{
		{[]Txn{{ID: 0, Mops: []Mop{ap("x", 1)}}}, "append is not a rw-register micro-operation"},
		{[]Txn{{ID: 0, Mops: []Mop{w("x", 1)}}, {ID: 1, Mops: []Mop{w("x", 1)}}}, `T0 and T1 both write 1 to "x"`},
		{[]Txn{{ID: 0, Status: TxnOK, Mops: []Mop{r("x", 1)}}}, `a read of "x" returned a list`},
	}
	for _, tt := range tests {
		_, err := CheckRWRegister(tt.txns, TxnOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

func TestAnomaliesPerClassMaxKeepsCounts(t *testing.T) {
	var b txnBuilder
	b.fail(0, 0, 10, ap("x", 1))
	for i := range 5 {
		b.ok(i+1, 20, 30, r("x", 1))
	}
	res, err := CheckListAppend(b.txns, TxnOptions{AnomaliesPerClassMax: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Anomalies) != 2 || res.Counts["G1a"] != 5 || !strings.Contains(res.String(), "G1a x5") {
		t.Errorf("%v: %d anomalies kept", res, len(res.Anomalies))
	}
}

func TestParseConsistency(t *testing.T) {
	for c := ReadUncommitted; c <= StrictSerializable; c++ {
		if got, err := ParseConsistency(c.String()); err != nil || got != c {
			t.Errorf("%v: %v, %v", c, got, err)
		}
	}
	if _, err := ParseConsistency("linearizable"); err == nil || !strings.Contains(err.Error(), "read-uncommitted, read-committed") {
		t.Errorf("error %v", err)
	}
	if _, err := ParseConsistency("none"); err == nil {
		t.Error("none is not a model one can ask for")
	}
}

func TestGSingleSearchOutOfBudgetLeavesSnapshotIsolationUndecided(t *testing.T) {
	defer func(b int) { gSingleBudget = b }(gSingleBudget)
	gSingleBudget = 0
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), ap("y", 1))
	b.ok(1, 0, 10, r("y"), ap("x", 1))
	b.ok(2, 20, 30, r("x", 1), r("y", 1))
	res := checkLA(t, &b)
	if res.Counts["G2-item"] != 1 || res.Strongest != ReadCommitted || res.Undecided != SnapshotIsolation {
		t.Fatalf("%v", res)
	}
	for c, want := range map[Consistency]Verdict{ReadCommitted: Ok, SnapshotIsolation: Unknown, Serializable: Illegal} {
		if got := res.Verdict(c); got != want {
			t.Errorf("%v: %v, want %v", c, got, want)
		}
	}
	if !strings.Contains(res.String(), "snapshot-isolation undecided") {
		t.Errorf("%v", res)
	}
}

// Whichever search the budget stops, the long fork beside write skew never
// passes as snapshot isolation: it is ruled out, or left undecided.
func TestNoBudgetPassesALongForkAsSnapshotIsolation(t *testing.T) {
	defer func(b int) { gSingleBudget = b }(gSingleBudget)
	var b txnBuilder
	b.ok(0, 0, 10, r("x"), r("z", 1), r("k"), ap("m", 1))
	b.ok(1, 0, 10, ap("x", 1))
	b.ok(2, 0, 10, r("x", 1), r("z"))
	b.ok(3, 0, 10, ap("z", 1))
	b.ok(4, 0, 10, r("m"), ap("k", 1))
	b.ok(0, 20, 30, r("x", 1), r("z", 1), r("k", 1), r("m", 1))
	undecided, decided := 0, 0
	for gSingleBudget = 0; gSingleBudget <= 200; gSingleBudget++ {
		res := checkLA(t, &b)
		switch v := res.Verdict(SnapshotIsolation); {
		case res.Strongest != ReadCommitted || v == Ok:
			t.Fatalf("budget %d: %v", gSingleBudget, res)
		case v == Unknown:
			undecided++
		default:
			decided++
		}
	}
	if undecided == 0 || decided == 0 {
		t.Errorf("%d budgets left snapshot isolation undecided and %d ruled it out: the sweep missed a case", undecided, decided)
	}
}

func TestTxnResultReadsWellAsJSON(t *testing.T) {
	var b txnBuilder
	b.ok(0, 0, 10, ap("x", 1))
	b.ok(1, 20, 30, r("x"))
	b.ok(2, 40, 50, r("x", 1))
	out, err := json.Marshal(checkLA(t, &b))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Class":"G-single"`, `"Via":"realtime"`, `"Kind":"rw"`, `"Strongest":"strong-session-serializable"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %s in %s", want, out)
		}
	}
}
