package twopccheck_test

import (
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/twopccheck"
	"github.com/detsim/detsim/sim"
)

var t1 = twopc.TxnID{Client: 1, Seq: 1}

const coord = sim.HostID(0)

func newChecker() (*twopccheck.Atomicity, *time.Duration) {
	now := new(time.Duration)
	return twopccheck.New(func() time.Duration { return *now }, nil), now
}

func TestAtomicityViolations(t *testing.T) {
	cases := []struct {
		name string
		run  func(a *twopccheck.Atomicity)
		want string // "" for no violation
	}{
		{"a clean commit", func(a *twopccheck.Atomicity) {
			a.Prepared(0, t1)
			a.Prepared(1, t1)
			a.Decided(coord, t1, true)
			a.Finished(0, t1, true, true)
			a.Finished(1, t1, true, true)
		}, ""},
		{"one shard commits, another aborts", func(a *twopccheck.Atomicity) {
			a.Prepared(0, t1)
			a.Prepared(1, t1)
			a.Finished(0, t1, true, true)
			a.Finished(1, t1, false, true)
		}, "atomicity violated"},
		{"a shard aborts what the coordinator committed", func(a *twopccheck.Atomicity) {
			a.Prepared(0, t1)
			a.Decided(coord, t1, true)
			a.Finished(0, t1, false, true)
		}, "atomicity violated"},
		{"the coordinator reverses itself", func(a *twopccheck.Atomicity) {
			a.Decided(coord, t1, true)
			a.Decided(coord, t1, false)
		}, "decision reversed"},
		{"a shard ends a transaction both ways", func(a *twopccheck.Atomicity) {
			a.Finished(0, t1, false, true)
			a.Finished(0, t1, true, true)
		}, "decision reversed"},
		{"a restart forgets a yes vote", func(a *twopccheck.Atomicity) {
			a.Recovered(1, 0, nil)
			a.Prepared(0, t1)
			a.Recovered(1, 0, nil)
		}, "prepared state lost"},
		{"a restart keeps the yes vote", func(a *twopccheck.Atomicity) {
			a.Recovered(1, 0, nil)
			a.Prepared(0, t1)
			a.Recovered(1, 0, []twopc.TxnID{t1})
			a.Decided(coord, t1, true)
			a.Finished(0, t1, true, true)
		}, ""},
		{"an abort a crash forgot, then a fresh run that commits", func(a *twopccheck.Atomicity) {
			a.Recovered(1, 0, nil)
			a.Finished(0, t1, false, false)
			a.Recovered(1, 0, nil)
			a.Prepared(0, t1)
			a.Decided(coord, t1, true)
			a.Finished(0, t1, true, true)
		}, ""},
		{"an abort others were told of, then a commit", func(a *twopccheck.Atomicity) {
			a.Recovered(1, 0, nil)
			a.Finished(0, t1, false, true)
			a.Recovered(1, 0, nil)
			a.Decided(coord, t1, true)
		}, "atomicity violated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newChecker()
			tc.run(a)
			err := a.Check()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected violation: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a violation containing %q", err, tc.want)
			}
		})
	}
}

func TestBlockingIsMeasuredUntilTheDecision(t *testing.T) {
	a, now := newChecker()
	a.StuckAfter = time.Second
	a.Prepared(0, t1)
	a.Prepared(1, t1)
	*now = 100 * time.Millisecond
	a.InDoubt(0, t1)
	a.InDoubt(1, t1)
	a.Queried(0, t1)
	*now = 600 * time.Millisecond
	if got := a.BlockedTime(); got != time.Second {
		t.Errorf("blocked time while open: %v, want 1s (two shards, 500ms each)", got)
	}
	if err := a.Liveness(); err == nil {
		t.Error("liveness passed with a transaction in doubt")
	}
	*now = 1300 * time.Millisecond
	a.Finished(0, t1, true, true)
	if a.Stuck() != 1 || a.LongestInDoubt() != 1200*time.Millisecond {
		t.Errorf("stuck %d, longest %v; want 1 and 1.2s", a.Stuck(), a.LongestInDoubt())
	}
	a.Finished(1, t1, true, true)
	*now = 5 * time.Second
	if got := a.BlockedTime(); got != 2400*time.Millisecond {
		t.Errorf("blocked time after the decision: %v, want 2.4s", got)
	}
	if err := a.Liveness(); err != nil {
		t.Error(err)
	}
	if a.Committed() != 1 || a.Aborted() != 0 || a.Queries() != 1 {
		t.Errorf("committed %d, aborted %d, queries %d", a.Committed(), a.Aborted(), a.Queries())
	}
}
