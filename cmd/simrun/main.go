// Command simrun is the detsim command line with the built-in systems (see
// package builtin). Package simrun documents what it does, and how to
// build the same command for systems of your own.
package main

import (
	"os"

	"github.com/detsim/detsim/builtin"
	"github.com/detsim/detsim/simrun"
)

func main() {
	os.Exit(simrun.Main(os.Args[1:], os.Stdout, os.Stderr, simrun.Options{
		Command: simrun.CommandName("./cmd/simrun"),
		Systems: builtin.Systems(),
		Demo:    builtin.Demo(),
	}))
}
