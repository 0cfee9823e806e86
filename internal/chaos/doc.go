// Package chaos is a randomized workload for testing the simulator itself:
// nodes that send, store, sync, log, set and cancel timers at random, under
// a nemesis that uses every fault the simulator has. Two runs of the same
// seed must leave the same trace hash; that is what the determinism tests
// prove with it.
package chaos
