// Package system is the contract between the harness and a system under
// test. Raft, the example gossip counter and every system a user brings
// plug in through it alike: once registered, a system's scenarios decode,
// list, run, sweep, shrink, replay and check, and its failures render as
// pages, with nothing above the system naming it.
//
// # Bringing a system
//
//  1. Write the nodes as pure state machines (sim.Node): a message or a
//     timer in, effects out through sim.Env. Give them a configuration type
//     C and, if the system has clients, a workload type W: plain data that
//     encoding/json decodes.
//  2. Fill in a Spec[C, W]: the name scenarios call the system by, functions
//     that return the default configuration and workload, a Validate that
//     checks them against the cluster's Shape, and a Build.
//  3. Build adds the hosts, in order: every server with Cluster.AddServer
//     (server i is host i, named ServerName(i), members first and spares
//     after), then every client with Cluster.AddClient (named ClientName(i),
//     on true time), then any other host with Cluster.AddHost. It returns
//     an Instance: how the harness reads the system while it runs.
//  4. Declare what the system promises (Promises) and fill in the Instance
//     fields that keep those promises: History for the history check,
//     Invariant and FinalCheck for invariants, Replicas for convergence.
//     Members is always required; Leader makes the fault targets "leader"
//     and "follower" mean something.
//  5. Optionally extend the nemesis and the results: FaultKinds the
//     scenario can schedule (Instance.Fault carries them out), targeted
//     ProgramKinds (Instance.Program starts one and returns its stop), and
//     named Counters (Instance.Counter reads them) that results report and
//     probes require, and Instance.State, a host's state in a few words,
//     which the failure page draws over time along the host's lane, and
//     Instance.Background, the message types (heartbeats) the page
//     collapses until shown; Instance.Term, a live server's term or
//     epoch, which scenario scripts assert the servers agree on;
//     Instance.Leads, whether a server believes it leads, which scripts
//     assert no server cut off from a majority still does;
//     Instance.ReplicasEqual, which spares the convergence sampling the
//     building of replica states it only compares (nodetest holds it to
//     Replicas in every run it watches). Spec.Rate sets the
//     workload's rate, in operations per second per client, for a
//     measurement that loads every system alike (capmeter); a system
//     without it cannot join one. Spec.Liveness declares, from the
//     configuration, what a leader-based system promises to do while a
//     majority can talk (Liveness: an election bound, step-down, a
//     stable leader); it needs Instance.Leads, and Instance.Term to
//     tell leaders of different terms apart. Liveness.Heartbeats
//     bounds how many heartbeats a server sends each peer in a second
//     (HeartbeatRate: which messages are heartbeats, and which reads
//     ask for rounds of their own); it needs nothing of the instance.
//  6. Ship built-in scenarios as JSON files in an fs.FS (embed them beside
//     the system) and Define the System.
//  7. Register it (Register, or simrun.Main's Options.Systems) before any
//     scenario of it is decoded.
//
// # What the harness promises
//
//   - A scenario's "system.config" and "workload" are decoded strictly onto
//     the defaults: unknown fields are errors, absent fields keep their
//     default values, and errors name the JSON path.
//   - Build runs once per run, in a fresh world, before the first event;
//     Invariant runs after every event while the scenario checks
//     invariants, and its first error stops the run as a failure with its
//     seed. Every other Instance function runs between events.
//   - A system fault or program draws its randomness from Nemesis.Rand,
//     the nemesis's own stream, so it is as deterministic as the rest of
//     the run.
//   - Every scenario of a system that declares liveness promises, and
//     expects to pass, is judged against them in its promise windows: the
//     stretches where a majority of the members are up and all exchange
//     messages, and no clock, storage, link or program fault is on
//     (step-down is judged outside them too, but for clock, storage and
//     program faults). The heartbeat rate is judged in every 1 s window
//     of the run (ending on a 50 ms boundary) in which no clock fault
//     is on, whatever the network does: a heartbeat goes out on a
//     timer, and no partition or crash licenses more of them; each
//     read delivered to the server allows one more to each peer in the
//     windows that hold its delivery.
//     The judging only reads the instance between events, and the
//     messages sent and delivered through a network observer, and adds
//     no event, so a run's trace is the same with it.
//   - A panic in a node is a failure of the run (a found bug, with its
//     seed), not a crash of the harness.
package system
