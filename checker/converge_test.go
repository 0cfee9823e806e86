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
