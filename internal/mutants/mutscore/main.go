// Command mutscore measures the mutation score of the default CI suite on
// the mutants of nodes/raft that the repo keeps (internal/mutants): it
// applies each mutant alone to a temporary copy of the module, runs the
// suite's tests there and reports which mutants were killed, and by what.
//
//	go run ./internal/mutants/mutscore [-run regexp] [-j n] [-timeout d] [-all] [-scenarios regexp] [-seeds n] [-sweep]
//
// It runs from the module root. Each mutant costs one build and one run of
// the suite (about a minute on 2 cores).
//
// -seeds n runs the suite over n seeds per scenario instead of 8
// (DETSIM_SEEDS: each scenario gets the multiple of n the suite's
// seedCount gives it, from n for a fixed schedule to 8n for a swarm;
// the deeper tests of nodes/raft/raftsys read it too). -sweep scores by
// the built-in scenarios alone, as a sweep of a user's own system would,
// with no unit test; it skips the scenarios that hunt a planted bug, runs
// the seeds in stages (8, 64, 512, n: every scenario through a stage
// before the next) and stops at the first seed that fails (DETSIM_SWEEP=1,
// see builtin's TestFaultInjectionSuite). So
//
//	go run ./internal/mutants/mutscore -sweep -seeds 1000 -timeout 3h
//
// is the score of a 1,000-seed sweep. A mutant it kills costs the stages up
// to the first failure (one CI suite if the suite's own seeds find it);
// one that survives costs every seed of every scenario (an hour or more
// of CPU for the raft scenarios), so -timeout must cover a whole sweep: a
// command that runs out of time counts as a hang, which kills the mutant.
// -scenarios narrows the sweep. A sweep runs seeds no one checked the
// scenarios on, so each kill is confirmed: the failing scenario seeds are
// replayed on the unmutated module; a failure it shows too is skipped
// (DETSIM_SWEEP_SKIP) and the sweep runs again, up to 10 such seeds, past
// which the mutant scores as baseline, neither a kill nor a survivor.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/detsim/detsim/internal/mutants"
)

func main() {
	run := flag.String("run", "", "try only the mutants whose name matches this regexp")
	jobs := flag.Int("j", 1, "mutants tried at once")
	timeout := flag.Duration("timeout", 5*time.Minute, "time allowed to each test command of a mutant")
	all := flag.Bool("all", false, "run every test command on every mutant, not only until a check kills it")
	scenarios := flag.String("scenarios", "", "run only the built-in scenarios matching this regexp (a quick look at what new scenarios add), not the whole suite")
	seeds := flag.Int("seeds", 0, "seeds per scenario (DETSIM_SEEDS; 0: the suite's 8)")
	sweep := flag.Bool("sweep", false, "score by the built-in scenarios alone, without planted-bug hunters or unit tests, stopping at the first failing seed")
	flag.Parse()
	if err := score(options{run: *run, jobs: *jobs, timeout: *timeout, all: *all, scenarios: *scenarios, seeds: *seeds, sweep: *sweep}); err != nil {
		fmt.Fprintln(os.Stderr, "mutscore:", err)
		os.Exit(2)
	}
}

type options struct {
	run       string
	jobs      int
	timeout   time.Duration
	all       bool
	scenarios string
	seeds     int
	sweep     bool
}

// runner is the Runner the options describe, rooted at root.
func (o options) runner(root string) (mutants.Runner, error) {
	r := mutants.Runner{Root: root, Timeout: o.timeout, Exhaustive: o.all}
	if o.seeds < 0 {
		return r, fmt.Errorf("-seeds %d: need a positive number (or 0 for the suite's own)", o.seeds)
	}
	if o.seeds > 0 {
		r.Env = append(r.Env, fmt.Sprintf("DETSIM_SEEDS=%d", o.seeds))
	}
	if o.scenarios != "" {
		if _, err := regexp.Compile(o.scenarios); err != nil {
			return r, fmt.Errorf("-scenarios %q: %w", o.scenarios, err)
		}
	}
	if o.scenarios == "" && !o.sweep {
		r.Commands = slices.Clone(mutants.Suite)
	} else {
		pattern := "FaultInjectionSuite"
		switch {
		case o.scenarios != "" && o.sweep:
			// A sweep's scenarios run inside its stages of seeds.
			pattern += "/.*/(" + o.scenarios + ")$"
		case o.scenarios != "":
			pattern += "/(" + o.scenarios + ")$"
		}
		r.Commands = []mutants.Command{{"test", "-count=1", "./builtin", "-run", pattern}}
	}
	if o.sweep {
		r.Env = append(r.Env, "DETSIM_SWEEP=1")
		r.Confirm, r.SkipEnv = true, "DETSIM_SWEEP_SKIP"
	}
	// go test's own limit (10 minutes unless told) must not cut a command
	// short of the time the mutant is allowed.
	for i, c := range r.Commands {
		r.Commands[i] = append(mutants.Command{c[0], "-timeout", (o.timeout + time.Minute).String()}, c[1:]...)
	}
	return r, nil
}

func score(o options) error {
	if o.jobs < 1 {
		return fmt.Errorf("-j %d: need at least one job", o.jobs)
	}
	re, err := regexp.Compile(o.run)
	if err != nil {
		return fmt.Errorf("-run %q: %w", o.run, err)
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the module root: %w", err)
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	var todo []mutants.Mutant
	for _, m := range mutants.Raft {
		if re.MatchString(m.Name) {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return fmt.Errorf("-run %q matches no mutant", o.run)
	}
	r, err := o.runner(root)
	if err != nil {
		return err
	}
	outcomes := make([]mutants.Outcome, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range o.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(todo) {
					return
				}
				outcomes[i], errs[i] = r.Run(context.Background(), todo[i])
				if errs[i] == nil {
					o := outcomes[i]
					mu.Lock()
					fmt.Printf("%-40s %-12s %-13s %s\n", o.Mutant.Name, o.Mutant.Area, o.Class, o.By)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Println()
	fmt.Print(mutants.Summarize(outcomes))
	return nil
}
