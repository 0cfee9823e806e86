// Package sim is detsim's deterministic core: one seeded, single-threaded
// event loop in virtual time, the hosts it runs nodes on, their clocks and
// disks, and the trace that every run leaves behind.
//
// # The contract
//
// Same seed, same options, same code: the same run, event for event, on any
// machine at any GOMAXPROCS. The world keeps it by these rules, and code run
// inside the world (nodes, callbacks, hooks) must keep them too:
//
//  1. Time is virtual. The world's true time (World.Now) advances only from
//     event to event; a node reads its host's local clock (Env.Now) and sets
//     timers in it (Env.After). Nothing reads the wall clock or sleeps.
//  2. One event runs at a time, to completion. No goroutines, channels or
//     locks in simulated code.
//  3. Randomness comes from the seed only, split into named streams
//     (World.Stream): one per host (Env.Rand), one per host's disk, and one
//     for each component that asks, so a new draw in one place does not
//     shift the others.
//  4. Map iteration order never reaches behaviour.
//  5. Events at the same instant run in the order they were scheduled: the
//     queue orders by (time, sequence number).
//  6. Every event, and every record made during it, feeds the trace hash
//     (World.Hash), whatever sink is attached.
//  7. A run has budgets (Options.MaxEvents, Options.MaxTime, and
//     Options.MaxPending, the events waiting at once). Reaching one ends
//     the run with a reason; it never hangs, and a node that floods the
//     queue faster than it drains ends it before memory runs out. A handler
//     that queues twice MaxPending events in one call (a send in a loop)
//     panics in the node, which fails the run. Host.Activity counts each
//     host's timers, deliveries and sends, to name the busiest. A panic
//     inside the world ends the run too, as a *PanicError naming the host,
//     whether it came from Run, RunFor, RunUntil or Step (World.Ended
//     reports it).
//  8. An Env belongs to one incarnation of its host. Once that incarnation
//     crashes, every effect through it (Send, After, Cancel, Logf, and any
//     Storage call, a Storage kept from before the crash included) does
//     nothing and halts the run with a *StaleEnvError naming the host and
//     both incarnations: a crashed process cannot act, so a node instance
//     that does is a bug in the node, and it must not reach the disk of the
//     node that restarted.
//
// # Using a world
//
//  1. NewWorld with a seed and budgets; attach a network (package net) as
//     the world's Transport.
//  2. AddHost for each host, with a Factory for its node. Hosts are numbered
//     from 0 in the order added, so peers can be named before they exist.
//  3. Schedule faults and drivers with At / After (AtEach for a long series
//     of samples, which holds only its next event in the queue), add checks
//     with AddHook.
//  4. Run, RunFor or RunUntil; read Outcome, Hash and Events.
//
// # Hosts
//
// A host's local clock is true time scaled by (1 + drift) plus an offset;
// StepClock and SetClockDrift change it mid-run, and pending timers move
// with it, as timers on a real wall clock do. Crash loses the node's memory,
// its timers, held messages and unsynced writes; Restart builds a fresh node
// from the Factory over the same storage. Pause freezes the host: its timers
// and incoming messages wait, and Resume runs them in the order they came.
// A held message is settled with the transport (Settler) when its fate is
// known: delivered when the node receives it, dropped, with a drop record,
// when a crash discards it.
//
// Storage is a key-value disk. Writes are volatile until Sync; a crash
// keeps only what was synced. StorageFaults add torn writes at a crash,
// unsynced writes that survive a crash in part (the oldest ones, in
// order: FlushedPrefixRatio; or any of them, out of order:
// FlushedAnyRatio), syncs that lie, corruption that Get reports as ErrCorrupt, and crashes
// at a Sync itself: at any Sync (CrashAtSyncRatio), or just before one
// whose writes a message sent before it may already have revealed
// (CrashAtSyncAfterSendRatio) or that ends a change made of deletes and
// writes (CrashAtSyncAfterDeleteRatio). A crash at a Sync ends the node's handler
// there; what it sent before the Sync stays sent.
//
// # Traces
//
// A Sink receives every record: TextSink writes one line each for people,
// JSONSink one JSON object each (JSON Lines) for tools. Records speak of
// hosts by their names (HostConfig.Name, or DefaultName: "n1" for host
// 0); a host id in a log line's arguments or anywhere in a message body
// is written as its host's name too (in JSON, as a string). HostID.String
// ("h0") is for debugging only. TraceReader reads a
// JSON trace back, and DiffTraces finds the first record where two traces
// part, with the records before it: where a seed that stopped reproducing
// went its own way.
//
// The hash covers a record's kind, hosts, time, id, size and label (a log
// line's format), never its text: World.Tracing and Tracing(env) say
// whether a sink will read the text, so that a hot path with none may
// skip formatting it, or pass Logf its format alone, and keep the hash.
// A transport that makes many messages of one label hands each its
// LabelHash (Message.LabelHash, made once by NewLabelHash): the label
// then feeds the hash without its byte loop, to the same value.
package sim
