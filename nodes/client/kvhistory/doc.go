// Package kvhistory records the operations of package client into a
// checker.History of key-value operations, so that a scenario can check
// what its clients saw.
//
// It is the one piece of the client side that knows the checker; package
// client itself does not import it, so the nodes that embed a Client do not
// link the checker.
//
// The Recorder stamps every call and return with the clock it is given,
// which must be true virtual time (sim.World.Now), never a host's skewed
// clock:
//
//	var hist checker.History[checker.KVInput, checker.KVOutput]
//	rec := kvhistory.New(&hist, world.Now)
//	work, err := client.NewWorkload(cfg, rec)
//	...
//	res := checker.Check(checker.KVModel(), &hist, checker.CheckOptions{})
package kvhistory
