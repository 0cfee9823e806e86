// Command detsimvet is the determinism analyzer (package
// vet/determinism) as a vet tool:
//
//	go install github.com/detsim/detsim/cmd/detsimvet
//	go vet -vettool=$(command -v detsimvet) ./mynode/...
//
// It reports, with the rule broken and the way to mend it, whatever in a
// package's non-test code would make a seed run differently on another
// machine or in another run. go vet exits non-zero when there is a report.
package main
