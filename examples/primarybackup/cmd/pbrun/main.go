// Command pbrun is simrun for the primary-backup register: the whole
// detsim command line, built by a main of its own with package simrun.
//
//	go run ./examples/primarybackup/cmd/pbrun run pbreg-primary-partition -seed 3
package main

import (
	"os"

	"github.com/detsim/detsim/examples/primarybackup"
	"github.com/detsim/detsim/simrun"
	"github.com/detsim/detsim/system"
)

func main() {
	os.Exit(simrun.Main(os.Args[1:], os.Stdout, os.Stderr, simrun.Options{
		Command: simrun.CommandName("./examples/primarybackup/cmd/pbrun"),
		Systems: []*system.System{primarybackup.System},
	}))
}
