// Package raftsys puts the Raft key-value store of package raft behind the
// system contract (package system), so that scenarios, sweeps, shrinking,
// checks and the failure page run it like any other system.
//
// It gives the harness:
//
//  1. the configuration (raft.Config, decoded onto raft.DefaultConfig) and
//     the workload (client.WorkloadConfig, decoded onto
//     client.DefaultWorkloadConfig);
//  2. a cluster of servers (spares join through the operator host), its
//     key-value clients recording a history that checker.KVModel judges;
//  3. raftcheck's safety invariants after every event, and the full log
//     comparison at the end;
//  4. the members and the leader, for fault targets;
//  5. its own faults (add-server, remove-server, transfer-leader), carried
//     out by an operator host that the cluster gets only when a scenario
//     uses them, and its targeted programs (figure8, conf-split,
//     crash-after-vote, figure7, snapshot-replay, deposed-read,
//     removed-quorum: package rafttest);
//  6. counters for probes: leader-change, snapshot-installed,
//     membership-change, and what the programs did (diverged-rejoin,
//     snapshot-replayed, deposed-leader-read);
//  7. its built-in scenarios, as embedded JSON in scenarios/.
package raftsys
