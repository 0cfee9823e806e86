// Package cachesys puts the caches of package cache behind the system
// contract (package system), so that scenarios, sweeps and the failure
// page run them like any other system.
//
// It gives the harness:
//
//  1. the configuration (cache.Config on cache.DefaultConfig) and the
//     workload (client.WorkloadConfig, gets and puts only);
//  2. in mode "aside", the database as server n1 and cache servers
//     n2.., with cache-aside clients; in mode "replicated", every server
//     a replica, with package client's workload clients; either way a
//     key-value history (checker.RecordedKV) whose staleness the harness
//     measures with checker.MeasureStaleness;
//  3. a monitor after Meta's Polaris that hears every commit and every
//     cache change in true time: after every event it checks that no
//     cache server's version of a key goes backwards except through an
//     eviction; at the end (FinalCheck) that no cache entry is older than
//     the database; and it measures, per write, how long an older cached
//     copy outlived the commit;
//  4. convergence of the replicated cache's replicas, diffed;
//  5. its own fault, isolate-db (the harness's partitions split servers
//     only), its targeted program, slow-reader (holds some database
//     answers on their link, the interleaving of the stale-set race), and
//     the counters of the measures (stale-entries,
//     consistency-nines-x1000, writes-late, stale-for-p99-ms,
//     db-queries, db-qps-peak, lease-waits, ryw-violations,
//     ryw-clients, ...);
//  6. its built-in scenarios, as embedded JSON in scenarios/.
//
// Cache-aside is not linearizable, with leases or without: scenarios
// measure its staleness and leave the history check off.
package cachesys
