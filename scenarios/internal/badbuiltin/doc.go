// Package badbuiltin holds a test of how the scenario registry treats a
// system whose built-in scenarios include one that does not load. It is a
// package of its own because the broken system it registers stays
// registered for the rest of the test binary.
package badbuiltin
