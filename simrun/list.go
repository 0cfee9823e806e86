package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func cmdList(args []string, stdout, stderr io.Writer) int {
	pos, err := parseArgs(flag.NewFlagSet("list", flag.ContinueOnError), args, stdout)
	if err != nil {
		return fail(stderr, "list", err)
	}
	if len(pos) > 0 {
		return fail(stderr, "list", fmt.Errorf("takes no arguments (got %q)", strings.Join(args, " ")))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tEXPECT\tWHAT IT SHOWS")
	for _, name := range scenarios.Names() {
		s, _ := scenarios.Lookup(name)
		expect := string(s.Expect.Verdict)
		if s.Expect.Check != "" {
			expect += " " + s.Expect.Check
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, expect, s.Description)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "SYSTEM\tWHAT IT IS\tITS OWN FAULTS, PROGRAMS AND COUNTERS")
	systems, _ := system.Registered()
	for _, sys := range systems {
		var own []string
		for _, f := range sys.Faults() {
			own = append(own, "fault "+f.Name)
		}
		for _, p := range sys.Programs() {
			own = append(own, "program "+p.Name)
		}
		for _, c := range sys.Counters() {
			own = append(own, "counter "+c.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", sys.Name(), sys.Description(), strings.Join(own, ", "))
	}
	tw.Flush()
	return exitPass
}

// cmdShow prints a built-in scenario as JSON, to copy into a file, edit
// and run with simrun run FILE.json.
func cmdShow(args []string, stdout, stderr io.Writer) int {
	pos, err := parseArgs(flag.NewFlagSet("show", flag.ContinueOnError), args, stdout)
	if err != nil {
		return fail(stderr, "show", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "show", errors.New("needs exactly one built-in scenario name (simrun show NAME; simrun list names them)"))
	}
	s, err := scenarios.Lookup(pos[0])
	if err != nil {
		return fail(stderr, "show", err)
	}
	if err := s.Encode(stdout); err != nil {
		return fail(stderr, "show", err)
	}
	return exitPass
}
