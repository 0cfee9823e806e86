// Package mutants measures the bug-finding power of the default CI suite:
// the mutation score on realistic single-line mistakes in nodes/raft.
//
// The contract of a mutant run (Runner.Run):
//
//  1. The mutant's Old text must occur exactly once in its File, or the
//     run fails with an error that names the mutant: a mutant that no
//     longer matches the source is reported, never skipped.
//  2. The module is copied to a temporary directory (without .git and the
//     separate deploy module); only the copy is rewritten.
//  3. The Commands (by default Suite: the builtin FaultInjectionSuite,
//     then the tests of nodes/raft) run in the copy in order, each with
//     its own timeout, until one kills the mutant by a check (all of them
//     if Exhaustive). A command that runs out of time is a Hang.
//  4. The output is classified. A correctness failure (a scenario's check,
//     a node's invariant panic), a unit test, a verdict unknown and a hang
//     kill the mutant by a check; a probe that stopped firing and a
//     planted-bug hunter that stopped finding its bug kill it only
//     incidentally, and are counted apart; a mutant that does not build
//     is stillborn and counts neither way.
//  5. With Confirm, each scenario seed that failed is replayed on the
//     unmutated module: if that fails every one of them too, the outcome
//     is Baseline, which counts neither way either.
//
// The mutants (Raft) are written as implementers' mistakes, one per line
// of code, across election, replication, commitment, persistence,
// snapshots, reads, sessions, membership, step-down, PreVote and
// CheckQuorum. None of them is a Bugs flag of nodes/raft: those are the
// planted bugs the scenarios hunt.
//
// The command ./internal/mutants/mutscore runs them all and prints the
// score; with -sweep -seeds n, the score of an n-seed sweep of the
// built-in scenarios alone. docs/MUTATION.md records both.
package mutants
