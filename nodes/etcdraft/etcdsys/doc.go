// Package etcdsys puts etcd's raft library, through the adapter of package
// etcdraft, behind the system contract (package system) as the system
// "etcd-raft", so that the scenarios, checks and tools that judge nodes/raft
// judge it the same way.
//
// It gives the harness:
//
//  1. the configuration (etcdraft.Config, decoded onto
//     etcdraft.DefaultConfig) and the workload (client.WorkloadConfig);
//  2. a cluster of servers (spares start empty and are added by
//     configuration changes), its key-value clients recording a history
//     that checker.KVModel judges;
//  3. safety invariants read from outside etcd raft, through each node's
//     Status() and its raft.Storage: election safety, leader completeness
//     and state machine safety after every event, log matching every 500
//     events and at the end;
//  4. the members and the leader, for fault targets;
//  5. the faults add-server, remove-server and transfer-leader, sent to the
//     leader from an operator host that the cluster gets only when a
//     scenario uses them, and the figure8 program;
//  6. counters for probes: leader-change, snapshot-installed,
//     membership-change;
//  7. its built-in scenarios, as embedded JSON in scenarios/: every
//     expected-pass scenario of the "raft" system, with the same faults and
//     checks.
package etcdsys
