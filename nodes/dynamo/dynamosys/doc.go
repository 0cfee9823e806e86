// Package dynamosys puts the Dynamo-style store of package dynamo behind
// the system contract (package system), with its built-in scenarios as
// embedded JSON.
//
// # What a run of it checks
//
//  1. History ("set-full"): every acknowledged add is in the final reads of
//     its set, no value a delete removed comes back, and no read returns
//     more siblings than workload.siblings_max. The report gives lost,
//     stale and never-read elements, the time from acknowledgement to
//     visibility (p50, p99, max) and the distribution of siblings per read.
//  2. Staleness: the register keys' reads, measured by
//     checker.MeasureStaleness (the store is not linearizable, by design,
//     so no scenario checks the register history for linearizability).
//  3. Invariants: per key and replica, the version a replica holds never
//     goes backwards (its causal context only grows; under last-write-wins,
//     its timestamp); and, at the end, every key's replicas converged
//     within workload.convergence_bound of the moment clients stopped
//     writing and every fault was healed.
//  4. Convergence: once healed, the i-th replica of every key holds the
//     same siblings as the first ("replica-1" is every key's first
//     primary, and so on), diffed with go-cmp.
//
// Counters report the figures of each run: lost adds, stale and never-read
// elements, resurrected values, the largest sibling count, time to
// visibility, convergence time, anti-entropy traffic, hints, read repairs
// and stale register reads.
package dynamosys
