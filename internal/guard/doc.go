// Package guard enforces the determinism contract on source code. It parses
// the simulated packages and reports every use of the wall clock, sleeping,
// goroutines, channels, select, the global or cryptographic random sources,
// and the math functions whose last bit differs between machines.
//
// One finding is allowed, by file and by name (Allowed): the etcd raft
// adapter's import of crypto/rand, which it needs to replace
// crypto/rand.Reader with a seeded reader.
//
// It works on the syntax tree, not on text, so a comment or a string that
// mentions time.Now is not a finding, and an import renamed to hide it is.
package guard
