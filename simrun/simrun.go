package simrun

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/detsim/detsim/system"
)

// Options configure the command line for a main of its own.
type Options struct {
	// Systems are registered before the command runs, so that scenarios of
	// them decode, list, run, sweep, shrink and replay.
	Systems []*system.System
	// Demo names the built-in scenarios the bare command runs, one seed
	// each; empty runs every built-in scenario.
	Demo []string

	_ struct{}
}

// Main runs the simrun command line with args (the program name left out)
// and returns the process's exit code. A user's own main gets the whole
// command line for their systems with
//
//	func main() {
//		os.Exit(simrun.Main(os.Args[1:], os.Stdout, os.Stderr,
//			simrun.Options{Systems: []*system.System{mysystem.System}}))
//	}
func Main(args []string, stdout, stderr io.Writer, opts Options) int {
	if err := system.Register(opts.Systems...); err != nil {
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return exitUsage
	}
	demo = opts.Demo
	return run(args, stdout, stderr)
}

const (
	exitPass    = 0
	exitFail    = 1
	exitUsage   = 2
	exitUnknown = 3
)

// command is one subcommand.
type command struct {
	name    string
	args    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"list", "", "the built-in scenarios, one line each", cmdList},
		{"run", "NAME [-seed N] [-trace FILE] [-trace-format text|jsonl] [-out DIR]", "run one scenario; a failure leaves its artifacts in -out", cmdRun},
		{"sweep", "NAME -seeds A:B [-j N] [-shard i/n] [-json FILE|-]", "run seeds A (inclusive) to B (exclusive) in parallel", cmdSweep},
		{"replay", "SPEC.json", "run a failure spec again and compare trace hashes", cmdReplay},
		{"shrink", "SPEC.json", "make a failure spec minimal; writes SPEC.min.json beside it", cmdShrink},
		{"check", "[-model kv|register|bank|list-append|rw-register] [-consistency MODEL] HISTORY.jsonl", "check a history (docs/HISTORY_FORMAT.md): linearizability, or transactional anomalies", cmdCheck},
		{"merge", "FILES... | -", "merge the JSON results of sweep shards (- reads their logs from stdin)", cmdMerge},
		{"cap", "[-seeds N] [-j N] [-suite FILE] [-json FILE|-] [-out DIR]", "the CAP theorem, measured: every system under partitions, per side; -out writes the page", cmdCap},
		{"diff", "A B [-context N]", "the first record where two traces or specs part, and the records before it", cmdDiff},
		{"help", "", "this text", nil},
	}
}

// run is main without the process, so tests drive every command in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return cmdDefault(stdout, stderr)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		usage(stdout)
		return exitPass
	}
	for _, c := range commands {
		if c.name == name && c.run != nil {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "simrun: unknown command %q (commands: %s)\n", name, commandNames())
	return exitUsage
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "simrun: deterministic distributed-systems simulation\n\nUsage:\n")
	fmt.Fprintf(w, "  %-58s %s\n", "simrun", "the default job: a handful of built-in scenarios, one seed each")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-58s %s\n", strings.TrimSpace("simrun "+c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, "\nExit codes: 0 all passed, 1 a check failed, 2 usage or input error, 3 unknown.\n")
}

// fail prints a usage or input error as one line; such errors exit 2.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "simrun %s: %v\n", cmd, oneLine(err.Error()))
	return exitUsage
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// parseArgs parses flags that may come before or after the positional
// arguments ("run NAME -seed 3" as well as "run -seed 3 NAME").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
