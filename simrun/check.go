package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
)

// Bounds of `simrun check`.
const (
	defaultMaxHistory = 1_000_000
	maxMaxHistory     = 100_000_000
)

// maxPartitionOps is the largest partition porcupine may be given within a
// memory budget. Its search caches a copy of the linearized set (one bit
// per operation) for every state it visits, and visits at least one per
// operation: a partition of n operations costs n*n/8 bytes and more. Half
// the budget goes to that estimate, the rest to the history and the
// search's other state.
func maxPartitionOps(budget uint64) int {
	return int(math.Sqrt(float64(budget) * 4))
}

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	model := fs.String("model", "kv", "the model: "+strings.Join(checkModels(), ", "))
	consistency := fs.String("consistency", "strict-serializable", "list-append, rw-register: the model the history must satisfy")
	timeout := fs.Duration("timeout", time.Minute, "give up (verdict unknown, exit 3) after this long")
	viz := fs.String("out", "", "write porcupine's visualisation (HTML) here when the history is not linearizable")
	maxHistory := fs.Int("max-history", defaultMaxHistory, fmt.Sprintf("refuse a history of more operations than this (at most %d)", maxMaxHistory))
	memory := memoryFlag(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "check", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "check", errors.New("needs exactly one history file (simrun check [-model kv] HISTORY.jsonl)"))
	}
	if *model == "list-append" || *model == "rw-register" {
		return checkTxns(pos[0], *model, *consistency, stdout, stderr)
	}
	if !slices.Contains(checker.Models(), *model) {
		return fail(stderr, "check", fmt.Errorf("-model %q is not one of %s", *model, strings.Join(checkModels(), ", ")))
	}
	if *maxHistory < 1 || *maxHistory > maxMaxHistory {
		return fail(stderr, "check", fmt.Errorf("-max-history %d: must be in [1, %d]", *maxHistory, maxMaxHistory))
	}
	if *timeout < 0 {
		return fail(stderr, "check", fmt.Errorf("-timeout %v: must not be negative (0 means no limit)", *timeout))
	}
	budget, err := parseSize("-memory", *memory)
	if err != nil {
		return fail(stderr, "check", err)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fail(stderr, "check", err)
	}
	defer f.Close()
	// A check that outgrows the budget is undecided, not a crash.
	defer watchMemory(budget, stderr, "check "+pos[0]+": verdict unknown", exitUnknown)()
	opts := checker.CheckOptions{Timeout: *timeout, VisualizationPath: *viz, MaxPartitionOps: maxPartitionOps(budget)}
	var res checker.Result
	switch *model {
	case "kv", "register", "bank":
		res, err = checker.CheckJSONL(f, *model, checker.JSONLOptions{Check: opts, MaxOps: *maxHistory})
	default:
		// A model a system registered (checker.RegisterHistoryModel).
		var h checker.Recorded
		if h, err = checker.ReadHistory(*model, f); err == nil {
			res = h.Check(opts)
		}
	}
	if errors.Is(err, checker.ErrTooManyOps) {
		return fail(stderr, "check", fmt.Errorf("%s: more than %d operations (-max-history %d bounds what is read; raise it, within -memory)", pos[0], *maxHistory, *maxHistory))
	}
	if err != nil {
		return fail(stderr, "check", fmt.Errorf("%s: %w", pos[0], err))
	}
	// The result's text holds the explanation and the visualisation's
	// path: printed once.
	fmt.Fprintf(stdout, "%s: %s\n", pos[0], res)
	if res.PartitionsTooLarge > 0 {
		fmt.Fprintf(stdout, "%d partition(s) have more than %d operations, more than a search fits in -memory %s: not searched\n", res.PartitionsTooLarge, maxPartitionOps(budget), *memory)
	}
	if res.VisualizationErr != nil {
		fmt.Fprintf(stderr, "simrun check: the visualisation could not be written: %v\n", res.VisualizationErr)
	}
	switch res.Verdict {
	case checker.Ok:
		return exitPass
	case checker.Illegal:
		return exitFail
	}
	return exitUnknown
}

// checkModels are the models check takes: the linearizable ones the
// checker knows (and any a system registered), and the transactional ones.
func checkModels() []string {
	return append(checker.Models(), "list-append", "rw-register")
}
