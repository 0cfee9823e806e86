package scenarios

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/detsim/detsim/system"
)

// The built-in scenarios are the registered systems' own: each system
// ships its scenarios as JSON (system.Spec.Scenarios). They are decoded
// and validated once per set of registered systems.
var builtin struct {
	mu      sync.Mutex
	version int
	byName  map[string]Scenario
	names   []string
	err     error
}

func builtins() (map[string]Scenario, []string, error) {
	systems, version := system.Registered()
	builtin.mu.Lock()
	defer builtin.mu.Unlock()
	if builtin.byName != nil && builtin.version == version {
		return builtin.byName, builtin.names, builtin.err
	}
	byName := map[string]Scenario{}
	var names []string
	var firstErr error
	for _, sys := range systems {
		docs, err := sys.Scenarios()
		fail := func(err error) {
			if firstErr == nil {
				firstErr = fmt.Errorf("scenarios: the %s system's built-in scenarios: %w", sys.Name(), err)
			}
		}
		if err != nil {
			fail(err)
		}
		// A scenario that does not decode is left out and reported; the
		// system's others still load.
		for _, doc := range docs {
			s, err := Decode(bytes.NewReader(doc))
			switch _, dup := byName[s.Name]; {
			case err != nil:
				fail(err)
			case s.System.Kind != sys.Name():
				fail(fmt.Errorf("built-in scenario %q of the %s system runs the %s system", s.Name, sys.Name(), s.System.Kind))
			case dup:
				fail(fmt.Errorf("two built-in scenarios are named %q", s.Name))
			default:
				byName[s.Name] = s
				names = append(names, s.Name)
			}
		}
	}
	sort.Strings(names)
	builtin.version, builtin.byName, builtin.names, builtin.err = version, byName, names, firstErr
	return byName, names, firstErr
}

// Names lists the built-in scenarios of the registered systems, sorted.
func Names() []string {
	_, names, _ := builtins()
	return slices.Clone(names)
}

// Builtins checks the registered systems' built-in scenarios and reports
// the first that does not decode or validate.
func Builtins() error {
	_, _, err := builtins()
	return err
}

// Lookup returns a copy of the built-in scenario called name. An unknown
// name gets an error that suggests the closest names.
func Lookup(name string) (Scenario, error) {
	byName, names, err := builtins()
	if s, ok := byName[name]; ok {
		return s.Clone(), nil
	}
	if err != nil {
		// It may be the one that did not load: say why.
		return Scenario{}, fmt.Errorf("no scenario named %q loaded: %w", name, err)
	}
	return Scenario{}, fmt.Errorf("no scenario named %q%s", name, suggest(name, names))
}

func suggest(name string, names []string) string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		d := editDistance(name, n)
		if strings.Contains(n, name) && name != "" {
			d = min(d, 2)
		}
		if d <= max(3, len(name)/2) {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	if len(cs) == 0 {
		return " (simrun list shows them all)"
	}
	var out []string
	for i, c := range cs {
		if i == 3 {
			break
		}
		out = append(out, c.name)
	}
	return "; did you mean " + strings.Join(out, ", ") + "?"
}

// editDistance is Levenshtein's distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
