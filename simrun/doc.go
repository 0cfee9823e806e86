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
//
// Exit codes: 0 all passed, 1 a check failed, 2 usage or input error,
// 3 unknown (the checker ran out of time, or a budget ended the run).
package simrun
