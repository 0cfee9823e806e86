// Package crossarch proves that a seed runs the same on another
// architecture: it builds its own test binary for arm64 (amd64 on an arm64
// machine), runs it under qemu-user, and compares the trace hashes of
// built-in scenarios with those computed natively.
//
// The Go spec lets a compiler fuse x*y + z into one multiply-add; gc does
// on arm64 and not on amd64, so a fusable expression in simulated code
// makes a few seeds in millions part. The determinism analyzer keeps such
// expressions out; this test is the proof on real machine code.
//
// # The contract
//
//  1. A Case is a built-in scenario, optionally with its generator's
//     interval replaced, and a seed; its line in a cases file is
//     "NAME SEED" or "NAME@INTERVAL SEED" (ParseCase, String).
//  2. Hash runs a case through scenarios.Lookup and scenarios.Run and
//     returns Result.TraceHash; nothing else of the scenarios package is
//     used, so the test survives changes inside it.
//  3. The test runs the pinned regression seeds and a few ordinary seeds
//     of every built-in scenario (about 720 cases in all, at least two
//     seeds each); DETSIM_CROSSARCH_SEEDS=N runs N ordinary seeds of each
//     instead, for a deep check.
//  4. Without qemu-aarch64 (or qemu-aarch64-static) on the PATH the test
//     skips and says so, unless DETSIM_REQUIRE_QEMU=1, when it fails.
package crossarch
