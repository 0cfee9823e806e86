// Command mutscore measures the mutation score of the default CI suite on
// the mutants of nodes/raft that the repo keeps (internal/mutants): it
// applies each mutant alone to a temporary copy of the module, runs the
// suite's tests there and reports which mutants were killed, and by what.
//
//	go run ./internal/mutants/mutscore [-run regexp] [-j n] [-timeout d] [-all] [-scenarios regexp]
//
// It runs from the module root. Each mutant costs one build and one run of
// the suite (about a minute on 2 cores).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
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
	flag.Parse()
	if err := score(*run, *jobs, *timeout, *all, *scenarios); err != nil {
		fmt.Fprintln(os.Stderr, "mutscore:", err)
		os.Exit(2)
	}
}

func score(run string, jobs int, timeout time.Duration, all bool, scenarios string) error {
	if jobs < 1 {
		return fmt.Errorf("-j %d: need at least one job", jobs)
	}
	re, err := regexp.Compile(run)
	if err != nil {
		return fmt.Errorf("-run %q: %w", run, err)
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
		return fmt.Errorf("-run %q matches no mutant", run)
	}
	r := mutants.Runner{Root: root, Timeout: timeout, Exhaustive: all}
	if scenarios != "" {
		if _, err := regexp.Compile(scenarios); err != nil {
			return fmt.Errorf("-scenarios %q: %w", scenarios, err)
		}
		r.Commands = []mutants.Command{{"test", "-count=1", "./builtin", "-run", "FaultInjectionSuite/(" + scenarios + ")$"}}
	}
	outcomes := make([]mutants.Outcome, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range jobs {
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
