package system

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The registry holds the systems a process knows, by name. Scenario
// decoding, the built-in scenario list and every simrun command consult it.
var registry struct {
	mu      sync.Mutex
	systems map[string]*System
	version int
}

// Register makes systems known to the harness. Registering the same
// System twice is harmless; two different systems with one name is an
// error.
func Register(systems ...*System) error {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.systems == nil {
		registry.systems = map[string]*System{}
	}
	for _, s := range systems {
		if s == nil {
			return fmt.Errorf("system: Register of a nil System")
		}
		if old, ok := registry.systems[s.name]; ok {
			if old == s {
				continue
			}
			return fmt.Errorf("system: two different systems are named %q", s.name)
		}
		registry.systems[s.name] = s
		registry.version++
	}
	return nil
}

// MustRegister is Register for init functions and mains.
func MustRegister(systems ...*System) {
	if err := Register(systems...); err != nil {
		panic(err)
	}
}

// Lookup returns the registered system called name, or an error that lists
// the registered ones.
func Lookup(name string) (*System, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s, ok := registry.systems[name]; ok {
		return s, nil
	}
	names := namesLocked()
	if len(names) == 0 {
		return nil, fmt.Errorf("%q is not a known system: no system is registered (a main registers its systems: system.Register, or simrun.Main)", name)
	}
	return nil, fmt.Errorf("%q is not a known system (%s)", name, strings.Join(names, ", "))
}

// Registered lists the registered systems, sorted by name, and a version
// that changes whenever a system is added (for caches of what they offer).
func Registered() ([]*System, int) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	var out []*System
	for _, n := range namesLocked() {
		out = append(out, registry.systems[n])
	}
	return out, registry.version
}

func namesLocked() []string {
	names := make([]string, 0, len(registry.systems))
	for n := range registry.systems {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
