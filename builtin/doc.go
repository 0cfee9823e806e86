// Package builtin lists the systems that ship with detsim, for cmd/simrun
// and for the tests that run every built-in scenario. Adding a system to
// detsim is its own package plus one line here.
package builtin
