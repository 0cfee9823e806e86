// Package nodetest is a conformance suite for systems, in the manner of
// testing/fstest.TestFS: one call in a test of your own holds your nodes
// to the determinism contract (package sim) and to the promises your
// system makes (package system).
//
//	func TestMySystem(t *testing.T) {
//		nodetest.Run(t, mysystem.System, nodetest.Options{})
//	}
//
// Run takes a *system.System, not a bare sim.Factory: the system is what
// tells the suite what to check (invariants, replicas that converge, a
// history and its model) and gives it a cluster shape, a configuration and
// a workload to run. Without them all the suite could check is that the
// trace repeats. A node that has no system yet needs only a Spec with a
// Build that adds its servers and an Instance with Members (the tally
// system in this package's tests is one, in about fifty lines with its
// invariant and replicas).
//
// # What Run checks
//
// Each check is a subtest of t. The scenarios come from the system's own
// built-in scenarios expected to pass (Options.Scenarios overrides them),
// or from a default shape for a system that ships none: three servers
// (three to five, by seed, where the suite draws its own faults), two
// clients if it has clients, its default configuration and workload.
// The generated checks start from the calmest of them (the fewest faults
// of its own) and put their own faults on it, drawn from the seed.
//
//  1. same-seed-same-run: every scenario, and a crash schedule, runs twice
//     in this process and once in each of two child processes, at
//     GOMAXPROCS 1 and 4; all runs of a seed must leave one trace hash. A
//     node that ranges over a map, reads state that worlds share (a
//     package-level variable) or reads the process around it fails here.
//  2. seeds-differ: two seeds must give two runs, or sweeping seeds
//     explores nothing.
//  3. crash-restart: Options.Crashes crashes of the leader, a follower or
//     any server, each restarted after a while, and one kill-all, at
//     points drawn from each seed. The system's invariants must hold after
//     every event and at the end, its history must satisfy its model, and
//     once healed its clients must be served again and its replicas
//     converge: a node must recover what it needs from storage.
//  4. hostile-network: pauses, clock steps, a clock strobe and drifts, on a
//     network that duplicates (Options.NoDuplicates turns that off) and
//     reorders (Options.FIFO keeps links ordered). Invariants, liveness
//     and convergence must hold; the history is not judged, since a
//     protocol may rightly trust clocks for its reads.
//  5. messages-unchanged-in-flight: every scenario runs with a watch on
//     each message from its send to its delivery (the crash and hostile
//     runs are watched too).
//  6. messages-share-no-memory: the calm base runs beside its twin, the
//     same system in a world whose network deep-copies every message by
//     reflection before its usual copy; the two JSON traces must be the
//     same, message body for message body.
//
// Where the system's instance offers Instance.ReplicasEqual, every run of
// checks 3 to 6 also holds it to the states its Replicas builds, after
// every fifth event (scenarios.Options.CompareReplicasEvery): the two
// must agree on every state, or the run fails its invariants, naming the
// states. The convergence check trusts ReplicasEqual to time the heal.
//
// A failure names the scenario, the seed and the faults. Where two runs of
// a seed part, the suite runs them again with JSON traces and names the
// first record where they part (sim.DiffTraces), with the records before
// it.
//
// # Messages in flight
//
// The network copies a message when it is sent (package net), so a sender
// may keep what it sent and change it afterwards: that is allowed, and
// harmless. What breaks the simulation is a copy that is not one: a
// net.Cloner that shares mutable memory with the value it copies, so that
// a node changing its own state (or its received message) changes a
// message still in flight, which no real network would do. The suite
// catches that two ways. It encodes every message body the moment the
// network has copied it and again the moment it is delivered, following
// pointers and reading unexported fields, and reports the first message
// whose contents changed between the two, with both encodings: a sender
// that changes what it still shares with a message in flight. And it
// runs the system beside its twin, whose network shares nothing, and
// names the first record where the two part: that also finds a receiver
// that changes a message it shares with its sender, once the change
// shows. A Clone that shares memory nobody mutates (Raft's shares its
// immutable log entries) is sound, and passes both. A type whose
// unexported fields hold references cannot be copied by reflection; its
// twin uses its Clone, and only the first watch covers it.
//
// # Child processes
//
// The determinism check runs the test binary again (os.Args[0]) with
// -test.run selecting the test that called Run, and an environment
// variable naming a request file. In the child, Run serves the request
// (runs the scenarios it names and writes their hashes back) instead of
// checking. So the child must reach the same Run call: keep Run the only
// heavy work in its test, and register nothing there that the child
// lacks. Options.InProcessOnly skips the children.
//
// # Knobs
//
// Options.Seed (1) and Options.Seeds (3) pick the seeds; Options.Crashes
// (8) the crashes per run; Options.FIFO and Options.NoDuplicates spare a
// system the network faults it does not claim to survive; a failing run
// leaves its failure spec, for simrun replay, in Options.SpecDir. The suite takes a few seconds for a system the
// size of the built-in Raft (thirteen scenarios of 16 s of virtual time).
package nodetest
