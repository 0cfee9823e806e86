package simrun

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// The memory budget of a command. Inputs are bounded so that a valid one
// fits (scenarios.Validate, the check's -max-history), and a check gives
// porcupine no partition whose search could outgrow it. The budget is the
// backstop for what those bounds miss: the Go runtime's soft limit makes
// the collector work harder as the heap nears it, and a watchdog ends the
// command with a named exit code when the live heap crosses it anyway,
// before the runtime's "fatal error: out of memory", which would exit 2
// like bad input.
const (
	defaultMemory = 2 << 30
	minMemory     = 64 << 20
	maxMemory     = 1 << 40
)

// memoryFlag adds -memory to fs.
func memoryFlag(fs *flag.FlagSet) *string {
	return fs.String("memory", "2GiB", "the memory budget (B, KiB, MiB, GiB or TiB): past it a check is unknown (exit 3), anything else an internal failure (exit 4)")
}

// parseSize reads a size such as "512MiB" within the budget's bounds.
func parseSize(flagName, s string) (uint64, error) {
	units := []struct {
		suffix string
		scale  uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q: want a whole number of B, KiB, MiB, GiB or TiB (e.g. 2GiB)", flagName, s)
		}
		if n > maxMemory/u.scale || n*u.scale < minMemory {
			return 0, fmt.Errorf("%s %q: must be in [64MiB, 1TiB]", flagName, s)
		}
		return n * u.scale, nil
	}
	panic("unreachable: the empty suffix matches")
}

// exitProcess ends the process when the budget runs out; a variable so
// that nothing else stops a command midway.
var exitProcess = os.Exit

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// overBudget reports whether the live heap exceeds budget.
func overBudget(budget uint64) (uint64, bool) {
	live := liveHeap()
	return live, live > budget
}

// watchMemory sets the runtime's soft memory limit to budget (unless
// GOMEMLIMIT set one) and starts
// the watchdog, which prints what and exits with code once the live heap
// crosses it. The returned function restores the previous limit and stops
// the watchdog.
func watchMemory(budget uint64, stderr io.Writer, what string, code int) (stop func()) {
	prev := debug.SetMemoryLimit(-1)
	if os.Getenv("GOMEMLIMIT") == "" { // a limit the user set stays
		debug.SetMemoryLimit(int64(budget))
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if live, over := overBudget(budget); over {
					fmt.Fprintf(stderr, "simrun: %s: the live heap (%d MiB) exceeded the memory budget (-memory %d MiB); stopped (exit %d)\n", what, live>>20, budget>>20, code)
					exitProcess(code)
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		debug.SetMemoryLimit(prev)
	}
}
