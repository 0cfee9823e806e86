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
	// Diffs[i] is cmp.Diff from the state of Groups[0] to that of
	// Groups[i+1]: "-" lines are the reference's, "+" lines the other's.
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
		fmt.Fprintf(&b, "\n%s differ from %s (-%s +%s):\n%s",
			strings.Join(d.Groups[i+1], ", "), strings.Join(d.Groups[0], ", "),
			d.Groups[0][0], d.Groups[i+1][0], strings.TrimRight(diff, "\n"))
	}
	return b.String()
}

// CheckConvergence returns nil if every replica's state is equal under
// cmp.Equal with opts, and otherwise a *Divergence naming the replicas in
// each group and diffing each minority group against the majority.
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
		d.Diffs = append(d.Diffs, cmp.Diff(groups[ref].state, g.state, opts...))
	}
	return d
}
