// Command simrun runs detsim scenarios from the command line.
//
// With no arguments it runs the built-in default job and prints what it
// found. See "simrun help" for the commands.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitPass    = 0
	exitFail    = 1
	exitUsage   = 2
	exitUnknown = 3
)

// run is main without the process: it takes the arguments and writers and
// returns the exit code, so tests can drive every command in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return cmdDefault(stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitPass
	}
	fmt.Fprintf(stderr, "simrun: unknown command %q (try \"simrun help\")\n", args[0])
	return exitUsage
}

const usage = `simrun: deterministic distributed-systems simulation

Usage:
  simrun            run the default job: the example gossip cluster under faults
  simrun help       this text
`
