package checker

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type replicaState struct {
	Applied uint64
	Data    map[string]string
	hidden  int
}

func TestConvergenceEqual(t *testing.T) {
	s := func() replicaState { return replicaState{Applied: 3, Data: map[string]string{"x": "1", "y": "2"}} }
	for _, rs := range [][]Replica{
		nil,
		{{"n1", s()}},
		{{"n1", s()}, {"n2", s()}, {"n3", s()}},
	} {
		if err := CheckConvergence(rs, cmpopts.IgnoreUnexported(replicaState{})); err != nil {
			t.Errorf("%d replicas: %v", len(rs), err)
		}
	}
}

func TestConvergenceDiffers(t *testing.T) {
	state := func(applied uint64, y string) replicaState {
		return replicaState{Applied: applied, Data: map[string]string{"x": "1", "y": y}}
	}
	// The odd one out comes first: the majority is still the reference.
	rs := []Replica{
		{"n3", state(2, "stale")},
		{"n1", state(3, "2")},
		{"n2", state(3, "2")},
		{"n4", state(3, "2")},
		{"n5", state(4, "new")},
	}
	err := CheckConvergence(rs, cmpopts.IgnoreUnexported(replicaState{}))
	var d *Divergence
	if !errors.As(err, &d) {
		t.Fatalf("want a *Divergence, got %v", err)
	}
	wantGroups := [][]string{{"n1", "n2", "n4"}, {"n3"}, {"n5"}}
	if diff := cmp.Diff(wantGroups, d.Groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if len(d.Diffs) != 2 || !strings.Contains(d.Diffs[0], `"stale"`) || !strings.Contains(d.Diffs[1], `"new"`) {
		t.Errorf("diffs %q", d.Diffs)
	}
	msg := err.Error()
	for _, want := range []string{"3 different states among 5 replicas", "n3 differ from n1, n2, n4 (-n1 +n3)", "n5 differ", `"stale"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
}

func TestConvergenceOptions(t *testing.T) {
	a := replicaState{Applied: 1, hidden: 1}
	b := replicaState{Applied: 1, hidden: 2}
	rs := []Replica{{"a", a}, {"b", b}}
	// Unexported fields without an option: an error, not a panic, and not
	// a *Divergence.
	err := CheckConvergence(rs)
	var d *Divergence
	if err == nil || errors.As(err, &d) {
		t.Fatalf("want a comparison error, got %v", err)
	}
	if err := CheckConvergence(rs, cmpopts.IgnoreUnexported(replicaState{})); err != nil {
		t.Errorf("ignoring unexported: %v", err)
	}
	if err := CheckConvergence(rs, cmp.AllowUnexported(replicaState{})); !errors.As(err, &d) {
		t.Errorf("comparing unexported: %v", err)
	}
}

type logEntry struct {
	Term uint64
	Cmd  string
}

type nodeState struct {
	Applied uint64
	Data    map[string]string
	Log     []logEntry
	Counts  []uint64
	Leader  *string
}

// TestDivergenceTextIsCanonical pins the exact report: the differing paths
// in a fixed order with both values, the same in every process. cmp.Diff's
// text is not (it swaps spaces for non-breaking ones, and picks the
// direction of its slice alignment, at random per process).
func TestDivergenceTextIsCanonical(t *testing.T) {
	leader := "n1"
	ref := nodeState{
		Applied: 7,
		Data:    map[string]string{"a": "1", "b": "2", "c": "3"},
		Log:     []logEntry{{1, "x"}, {1, "y"}, {2, "z"}},
		Counts:  []uint64{1, 2, 3},
		Leader:  &leader,
	}
	other := nodeState{
		Applied: 9,
		Data:    map[string]string{"a": "1", "b": "two", "d": "4"},
		Log:     []logEntry{{1, "x"}, {2, "y"}, {2, "z"}, {3, "w"}},
		Counts:  []uint64{2, 3},
	}
	rs := []Replica{{"n1", ref}, {"n2", ref}, {"n3", other}}
	err := CheckConvergence(rs)
	var d *Divergence
	if !errors.As(err, &d) {
		t.Fatalf("want a *Divergence, got %v", err)
	}
	want := strings.Join([]string{
		`Applied: -7 +9`,
		`Data["b"]: -"2" +"two"`,
		`Data["c"]: -"3" +(absent)`,
		`Data["d"]: -(absent) +"4"`,
		`Log[1].Term: -1 +2`,
		`Log[3]: -(absent) +{Term:3 Cmd:"w"}`,
		`Counts[0]: -1 +2`,
		`Counts[1]: -2 +3`,
		`Counts[2]: -3 +(absent)`,
		`Leader: -&"n1" +nil`,
	}, "\n")
	if len(d.Diffs) != 1 || d.Diffs[0] != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", strings.Join(d.Diffs, "\n---\n"), want)
	}
	msg := err.Error()
	if !strings.Contains(msg, "n3 differ from n1, n2 (-n1 +n3):\n  Applied: -7 +9\n") {
		t.Errorf("report:\n%s", msg)
	}
	for _, r := range msg {
		if r > 0x7e || (r < 0x20 && r != '\n') {
			t.Fatalf("report holds %U, which a byte-for-byte comparison trips over:\n%s", r, msg)
		}
	}
}

func TestDivergenceOfManyPathsIsBounded(t *testing.T) {
	a, b := map[int]int{}, map[int]int{}
	for i := 0; i < 500; i++ {
		a[i], b[i] = i, -i
	}
	err := CheckConvergence([]Replica{{"x", a}, {"y", b}})
	var d *Divergence
	if !errors.As(err, &d) {
		t.Fatalf("want a *Divergence, got %v", err)
	}
	lines := strings.Split(d.Diffs[0], "\n")
	// Integer keys sort as numbers: [2] comes before [10].
	if lines[0] != "[1]: -1 +-1" || lines[1] != "[2]: -2 +-2" || !strings.HasPrefix(lines[len(lines)-1], "... and 467 more") {
		t.Fatalf("%d lines: first %q %q, last %q", len(lines), lines[0], lines[1], lines[len(lines)-1])
	}
}
