package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/detsim/detsim/scenarios"
)

func cmdList(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
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
	tw.Flush()
	return exitPass
}
