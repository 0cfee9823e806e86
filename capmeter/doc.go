// Package capmeter measures the CAP theorem instead of asserting it: it
// runs systems under partitions over seeds and places each on the
// measured consistency/availability plane.
//
// A measurement goes:
//
//  1. A Suite names systems as built-in scenarios (Entry.Base) with
//     configuration overrides, and partitions (a topology and a target).
//     It is data: default.json is the default suite, and a user's own
//     system joins by naming one of its own scenarios. Nothing here names
//     a system.
//  2. For each (entry, partition) pair, Suite.Scenario keeps the base's
//     system, cluster, network, clocks, workload and history checks, and
//     replaces its nemesis with one partition from PartitionAt for
//     PartitionFor (plus the entry's own faults, timed from the
//     partition's start). Clients are placed on the partition's sides by
//     home server (scenarios.ClientSidesHome), so a client on a minority
//     side reaches only minority servers. Every workload is set to the
//     suite's one Rate, in operations per second per client, through the
//     system's system.Spec.Rate; a system without one is refused, by
//     name, before anything runs.
//  3. Run runs every pair over seeds 1..Seeds, one world per run, on as
//     many workers as asked; the table does not depend on how many.
//  4. Each run is read from its Result: the operations invoked during
//     the partition by clients of each side (majority: the client's home
//     reached a majority of members), and those answered successfully
//     before the heal, which is availability; the history verdict, the
//     stale-read rate and how long reads lagged, lost acknowledged writes
//     where the entry names the system's counter for them, and failed
//     invariants, which is consistency; latency of the successful
//     operations; how long after the heal every client was served again,
//     and how long until the replicas became equal for good
//     (scenarios.ConvergenceTime: sampled every 20ms of virtual time,
//     writes in flight included), and how long after the clients' last
//     write.
//  5. A Row aggregates a pair over its seeds: means with standard
//     deviations (the error bars of the page), the fraction of seeds whose
//     history was illegal, the p50 and max of the times to converge with
//     the seeds that never did, and a failing seed to replay.
//
// A seed's consistency is 0 when its history check failed, else the
// fraction of its reads that were not stale (1 when reads are not
// measured). Same suite, same seeds: the same table, byte for byte.
package capmeter
