package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/internal/mutants"
)

func TestSweepRunsTheScenariosAloneOverTheSeedsAsked(t *testing.T) {
	r, err := options{timeout: 2 * time.Hour, seeds: 1000, sweep: true}.runner("/m")
	if err != nil {
		t.Fatal(err)
	}
	want := []mutants.Command{{"test", "-timeout", "2h1m0s", "-count=1", "./builtin", "-run", "FaultInjectionSuite"}}
	if !slices.EqualFunc(r.Commands, want, slices.Equal) {
		t.Errorf("commands %q, want %q", r.Commands, want)
	}
	if !slices.Contains(r.Env, "DETSIM_SEEDS=1000") || !slices.Contains(r.Env, "DETSIM_SWEEP=1") {
		t.Errorf("env %q lacks the seeds or the sweep", r.Env)
	}
	if !r.Confirm || r.SkipEnv != "DETSIM_SWEEP_SKIP" {
		t.Error("a sweep's kills are not confirmed on the unmutated module")
	}

	r, err = options{timeout: time.Minute, sweep: true, scenarios: "raft-torn-.*"}.runner("/m")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Commands[0][len(r.Commands[0])-1]; got != "FaultInjectionSuite/.*/(raft-torn-.*)$" {
		t.Errorf("-scenarios ran %q", got)
	}
}

func TestTheDefaultRunIsTheSuiteUnderTheTimeoutAsked(t *testing.T) {
	before := slices.Clone(mutants.Suite[0])
	r, err := options{timeout: 8 * time.Minute}.runner("/m")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Commands) != len(mutants.Suite) || len(r.Env) != 0 || r.Confirm {
		t.Fatalf("commands %q, env %q: want the suite, as it is", r.Commands, r.Env)
	}
	for i, c := range r.Commands {
		if want := append(mutants.Command{"test", "-timeout", "9m0s"}, mutants.Suite[i][1:]...); !slices.Equal(c, want) {
			t.Errorf("command %d is %q, want %q", i, c, want)
		}
	}
	if !slices.Equal(mutants.Suite[0], before) {
		t.Errorf("building the runner changed the suite itself: %q", mutants.Suite[0])
	}
}

func TestBadOptionsAreNamed(t *testing.T) {
	if _, err := (options{seeds: -1}).runner("/m"); err == nil || !strings.Contains(err.Error(), "-seeds -1") {
		t.Errorf("negative seeds: %v", err)
	}
	if _, err := (options{scenarios: "("}).runner("/m"); err == nil || !strings.Contains(err.Error(), "-scenarios") {
		t.Errorf("bad regexp: %v", err)
	}
}
