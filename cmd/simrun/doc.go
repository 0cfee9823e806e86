// Command simrun runs detsim scenarios from the command line: the built-in
// demo, single runs with their failure artifacts, parallel and sharded
// sweeps, replays and shrinks of failure specs, and linearizability checks
// of histories recorded anywhere.
//
// Exit codes: 0 all passed, 1 a check failed, 2 usage or input error,
// 3 unknown (the checker ran out of time, or a budget ended the run).
package main
