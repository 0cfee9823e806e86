package checker

import (
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// Replica is one replica's state, named for the report.
type Replica struct {
	Name  string
	State any
}

// Divergence reports replicas that did not converge.
type Divergence struct {
	// Groups are the replica names grouped by equal state. Groups[0] is
	// the largest group (the earliest, among equals), taken as reference.
	Groups [][]string
	// Diffs[i] names, one per line, each place where the state of
	// Groups[i+1] differs from the reference's, as "path: -ref +other", in
	// a canonical order (see CheckConvergence).
	Diffs []string
}

func (d *Divergence) Error() string {
	var b strings.Builder
	n := 0
	for _, g := range d.Groups {
		n += len(g)
	}
	fmt.Fprintf(&b, "replicas diverged: %d different states among %d replicas", len(d.Groups), n)
	for i, diff := range d.Diffs {
		fmt.Fprintf(&b, "\n%s differ from %s (-%s +%s):",
			strings.Join(d.Groups[i+1], ", "), strings.Join(d.Groups[0], ", "),
			d.Groups[0][0], d.Groups[i+1][0])
		for _, line := range strings.Split(diff, "\n") {
			b.WriteString("\n  ")
			b.WriteString(line)
		}
	}
	return b.String()
}

// CheckConvergence returns nil if every replica's state is equal under
// cmp.Equal with opts, and otherwise a *Divergence naming the replicas in
// each group and listing where each minority group differs from the
// majority.
//
// The listing is the same text in every process, so that a failure's
// artifacts are byte-identical run after run: cmp.Diff's output is not (it
// varies its spacing and its slice alignment at random per process, on
// purpose). Paths are listed in the order of the state's structure (struct
// fields in declaration order, map keys sorted, slices by index) and values
// are printed from their data alone, never through their String methods
// or as addresses. Slices are compared index by index.
//
// Replica states are often structs with unexported fields, which cmp
// refuses without an option (cmp.AllowUnexported, cmpopts...). That
// refusal is returned as an error that is not a *Divergence, rather than a
// panic.
func CheckConvergence(replicas []Replica, opts ...cmp.Option) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("checker: cannot compare replica states (pass cmp options?): %v", r)
		}
	}()
	type group struct {
		state any
		names []string
	}
	var groups []group
	for _, r := range replicas {
		found := false
		for i := range groups {
			if cmp.Equal(groups[i].state, r.State, opts...) {
				groups[i].names = append(groups[i].names, r.Name)
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, group{state: r.State, names: []string{r.Name}})
		}
	}
	if len(groups) <= 1 {
		return nil
	}
	ref := 0
	for i, g := range groups {
		if len(g.names) > len(groups[ref].names) {
			ref = i
		}
	}
	d := &Divergence{Groups: [][]string{groups[ref].names}}
	for i, g := range groups {
		if i == ref {
			continue
		}
		d.Groups = append(d.Groups, g.names)
		d.Diffs = append(d.Diffs, describeDiff(groups[ref].state, g.state, opts))
	}
	return d
}
