// Package primarybackup is a system written outside detsim's built-ins,
// against its exported API only: a primary-backup key-value register with
// leases, the shape of many systems people bring. It shows what bringing a
// system takes, and it is tested the way a user's system would be.
//
// The protocol:
//
//  1. A server that hears nothing from a primary for a randomized while
//     stands for primary of a view above every view it has promised, and
//     asks every server for a lease.
//  2. A server grants a lease for a higher view only once its last grant
//     has expired on its own clock, and remembers (durably) the view it
//     promised. Its grant carries its state.
//  3. With a majority of grants the candidate is primary until its request
//     time plus the lease, less a margin for drift, on its own clock. It
//     adopts the newest state among the grants and stores it under its own
//     view on a majority before serving.
//  4. The primary applies each write to a copy of its state (with each
//     client's last request, for exactly-once retries), stores it on a
//     majority (synced) and answers. It answers reads from its state while
//     its lease holds: no other primary can exist until then.
//  5. It renews its lease every heartbeat; renewals carry its state, so
//     backups that missed writes catch up.
//
// Config.Bugs.ReadWithoutLease plants the classic mistake: a primary that
// answers reads after its lease ran out, which a partition turns into
// stale reads. The scenario pbreg-bug-read-without-lease must find it.
//
// System puts it behind the system contract; cmd/pbrun is its own
// command line, built on package simrun.
package primarybackup
