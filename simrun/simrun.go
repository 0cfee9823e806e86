package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
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
	// Command is how the hints this command prints (replay, see it)
	// invoke it: "simrun" when empty; "go run ./cmd/simrun" from a clone.
	Command string

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
	defer relaxGC()()
	demo = opts.Demo
	self = "simrun"
	if opts.Command != "" {
		self = opts.Command
	}
	return run(args, stdout, stderr)
}

// self is how hints invoke this command line.
var self = "simrun"

// Exit codes. Each is a class of outcome, never a guess from a message:
// a script, a CI job or Kubernetes' podFailurePolicy acts on them.
const (
	exitPass    = 0 // every run passed (or behaved as its scenario expects)
	exitFail    = 1 // a check failed: a bug found, with its seed
	exitUsage   = 2 // usage or input error: nothing ran
	exitUnknown = 3 // undecided: a check ran out of time or memory, a run hit its budget
	// exitInternal: simrun itself failed (a panic in the harness, not in a
	// simulated node, which fails its run; or the memory budget ran out
	// outside a check). Not a verdict about the system.
	exitInternal = 4
	// exitMismatch: a replay did not give the trace hash its spec
	// records, so it did not reproduce the run it claims to.
	exitMismatch = 5
)

const exitCodesText = `Exit codes:
  0  every run passed, or behaved as its scenario expects
  1  a check failed: a bug found (or the verdict the scenario expects not reached)
  2  usage or input error: nothing ran
  3  unknown: a check ran out of time or memory, or a run hit its budget
  4  internal failure of simrun itself (a panic in the harness, the memory
     budget exhausted outside a check); a panic inside a simulated node is a
     failed run (1)
  5  replay: the trace hash differs from the spec's; the run did not replay
`

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
		{"show", "NAME", "print a built-in scenario's JSON, to copy and edit", cmdShow},
		{"run", "NAME|FILE.json [-seed N] [-trace FILE] [-trace-format text|jsonl] [-out DIR] [-window D] [-memory SIZE]", "run one scenario; a failure leaves its artifacts in -out", cmdRun},
		{"sweep", "NAME|FILE.json -seeds A:B [-j N] [-shard i/n] [-json FILE|-] [-memory SIZE]", "run seeds A (inclusive) to B (exclusive) in parallel", cmdSweep},
		{"replay", "SPEC.json [-memory SIZE]", "run a failure spec again and compare trace hashes", cmdReplay},
		{"shrink", "SPEC.json [-max-runs N] [-memory SIZE]", "make a failure spec minimal; writes SPEC.min.json beside it", cmdShrink},
		{"check", "[-model kv|register|bank|list-append|rw-register|...] [-consistency MODEL] [-timeout D] [-out FILE] [-max-history N] [-memory SIZE] HISTORY.jsonl", "check a history (docs/HISTORY_FORMAT.md): linearizability, or transactional anomalies", cmdCheck},
		{"merge", "[-json FILE] FILES... | -", "merge the JSON results of sweep shards (- reads their logs from stdin)", cmdMerge},
		{"cap", "[-seeds N] [-j N] [-suite FILE] [-json FILE|-] [-out DIR]", "the CAP theorem, measured: every system under partitions, per side; -out writes the page", cmdCap},
		{"diff", "A B [-context N]", "the first record where two traces or specs part, and the records before it", cmdDiff},
		{"help", "[COMMAND]", "this text, or a command's flags", nil},
	}
}

// run is main without the process, so tests drive every command in-process.
// A panic that reaches it is simrun's own failure, not the system's (a
// panic inside a simulated node fails its run instead), and exits 4.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = internalFailure(stderr, p, debug.Stack())
		}
	}()
	if len(args) == 0 {
		return cmdDefault(stdout, stderr)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		if len(args) > 1 && name == "help" {
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
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
	fmt.Fprintf(w, "\nNAME is a built-in scenario (simrun list) or the path of a scenario JSON\nfile. simrun COMMAND -h lists a command's flags.\n\n%s", exitCodesText)
}

// internalFailure reports a panic of simrun's own, with its stack: it is
// a bug to report, not bad input and not a verdict.
func internalFailure(stderr io.Writer, p any, stack []byte) int {
	fmt.Fprintf(stderr, "simrun: internal failure (a bug in simrun, not in the system under test): %v\n%s", p, stack)
	return exitInternal
}

// errHelp is what parseArgs returns once it has printed a command's help.
var errHelp = errors.New("help printed")

// fail prints a usage or input error as one line; such errors exit 2.
func fail(stderr io.Writer, cmd string, err error) int {
	if errors.Is(err, errHelp) {
		return exitPass
	}
	fmt.Fprintf(stderr, "simrun %s: %v\n", cmd, oneLine(err.Error()))
	return exitUsage
}

// commandHelp prints a command's usage line, what it does, and every flag
// with its default.
func commandHelp(w io.Writer, fs *flag.FlagSet) {
	for _, c := range commands {
		if c.name == fs.Name() {
			fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.TrimSpace("simrun "+c.name+" "+c.args), strings.ToUpper(c.summary[:1])+c.summary[1:])
		}
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nFlags (before or after the arguments):\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fmt.Fprintf(w, "\n%s", exitCodesText)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// parseArgs parses flags that may come before or after the positional
// arguments ("run NAME -seed 3" as well as "run -seed 3 NAME"). With -h it
// prints the command's help on stdout and returns errHelp.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				commandHelp(stdout, fs)
				return nil, errHelp
			}
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

// CommandName is how hints should invoke the running program, for
// Options.Command: "go run PKG" when it runs from go run's build cache
// (before go install, from a clone), else the program's own name.
func CommandName(pkg string) string {
	exe := os.Args[0]
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run " + pkg
	}
	return filepath.Base(exe)
}
