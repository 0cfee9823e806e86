// Package simrun is the detsim command line as a library: the demo, single
// runs with their failure artifacts, parallel and sharded sweeps, replays
// and shrinks of failure specs, and checks of histories recorded anywhere.
// cmd/simrun is a main that calls Main with the built-in systems; a main
// of your own that calls it with your systems gets every command for them.
//
//  1. Define your system (system.Define) and ship its scenarios.
//  2. Call Main(os.Args[1:], os.Stdout, os.Stderr, Options{Systems: ...}).
//  3. Every command takes your scenarios, by built-in name or as JSON
//     files, exactly as it takes the built-in ones.
//  4. Every command prints its usage and flags with -h (or simrun help
//     COMMAND); Options.Command (CommandName) is how its hints invoke it.
//  5. Inputs are bounded (each error names the flag or JSON path and the
//     bound), and -memory is the budget a command stops at, with its exit
//     code, before the Go runtime runs out of memory.
//  6. While Main runs, the collector runs at GOGC 1000 (unless GOGC is
//     set) with the budget as its soft limit: a world's heap is small and
//     short-lived, and at the default the collector took nearly a third of a
//     run's CPU.
//
// Exit codes: 0 all passed, 1 a check failed, 2 usage or input error,
// 3 unknown (a check ran out of time or memory, or a budget ended the
// run), 4 an internal failure of simrun itself (a panic outside the
// simulated nodes, or the memory budget exhausted outside a check), 5 a
// replay whose trace hash differs from its spec's. A panic inside a
// simulated node is a failed run (1). The Go runtime's own fatal errors
// cannot be caught and exit 2; the bounds and the budget are there so that
// none is reached.
package simrun
