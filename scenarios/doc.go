// Package scenarios is what a user runs and what CI runs: a system, a
// cluster, a workload, a nemesis and checks, in two phases, as data.
//
// # The contract
//
//  1. A Scenario is plain data that encodes to JSON and back. Decode rejects
//     unknown fields and bad values, naming the field by its JSON path and
//     the bound it breaks, and fills in what may be left out (the
//     network's latency, the expectation); Validate does the same checks
//     for a Scenario built in Go. Every size is bounded (servers, clients,
//     workload keys, faults scheduled and drawn, the event budget), and a
//     scenario must enable a check that can fail.
//  2. Run(s, seed, opts) builds a world from the scenario and the seed and
//     runs two phases. In the fault phase the nemesis strikes: a fixed
//     schedule, a seeded generator (swarm testing: the seed also picks which
//     faults are on and how hard), and targeted programs that react to
//     events inside the system; invariants are checked after every event.
//     At the end of the fault phase every fault is undone, and in the heal
//     phase the system must serve every client again (liveness) and its
//     replicas must converge. While a scenario checks convergence, a world
//     hook compares the replicas every ConvergenceSampleEvery of virtual
//     time from the heal on (adding no event, so the trace hash is the
//     same), and the Result says when they became equal and stayed equal
//     to the end, or never; "convergence": {"within": "3s"} also fails a
//     run whose replicas took longer than that after the heal. Writes in
//     flight keep replicas apart, so the time includes however long the
//     clients keep writing into the heal phase; the Result also counts it
//     from their last write.
//  3. Targets such as "the leader" resolve when a fault fires, from the
//     nemesis's own random stream. Nothing in a run reads the wall clock,
//     so the same scenario and seed give the same Result and trace hash.
//  4. The Result is data too: the verdict (pass, fail, unknown) with the
//     reasons, the trace hash, counters, latency percentiles and throughput
//     in virtual time, and which probes fired. An error from Run means the
//     scenario could not be run at all; everything that happened in a run
//     is in the Result.
//  5. A failure is a Spec: the scenario with its generator drawn into a
//     fixed schedule, and the seed. It replays the same run without the
//     generator, and Shrink makes it minimal while it fails the same check:
//     fewer faults and script steps, struck earlier, shorter phases,
//     fewer clients, keys and operations. A run that reaches its event budget (by default at
//     most DefaultMaxEventsCap) or its pending budget (sim.DefaultMaxPending
//     events waiting at once) is unknown, and says so, naming the host
//     whose node ran the most events and how many timers, deliveries and
//     sends they were.
//  6. Nemesis.ClientSides places clients on the sides of a partition by
//     home server, so that a client on a minority side reaches minority
//     servers only; without it, partitions cut servers from servers and
//     every client reaches every server.
//  7. Probes say what must happen in at least some seeds; Tally and
//     Evaluate judge a seed set: expected verdicts per seed, expected
//     failures somewhere, every probe fired. Each Problem has a class,
//     so that seeds that never exercised the scenario (coverage,
//     precondition) are told apart from a check that failed (correctness)
//     or could not decide (unknown). A Tally also sums up the times to
//     converge (p50, p99, max, and the seeds that never did).
//  8. Nemesis.Script is a test written as a sequence of Steps: actions on
//     servers named by role, by a role they held earlier ($name) or by
//     the cluster's state (when, up, down), assertions at a moment
//     (a leader, one term) or over a window (operations, counters,
//     message and byte budgets, persisted bytes), and repeated blocks.
//     Its timing is laid out before the run from its own random stream;
//     its steps are events of their own, so a scenario without a script
//     runs as before. Its failures are reasons of checks CheckAssert,
//     CheckCost and CheckDisk.
//
// The built-in scenarios (Names, Lookup) are the registered systems' own.
//
// # Systems
//
// The scenario names its system by kind; the system is registered through
// package system, which is the whole of what the harness knows of it: its
// configuration and workload (decoded onto its defaults), how it builds
// into a world, its members and leader, invariants, replicas, counters,
// faults, programs and client history. Nothing in this package names a
// particular system.
package scenarios
