package crossarch

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// Case is one run to compare between architectures: a built-in scenario,
// optionally with its generator's mean interval between faults replaced,
// and a seed.
type Case struct {
	Scenario string
	// Interval, when non-zero, replaces Nemesis.Generator.Interval: a
	// sparse generator draws few faults, so one drawn a nanosecond off
	// shows alone.
	Interval time.Duration
	Seed     uint64
}

// String is the case's line in the cases file: "NAME SEED" or
// "NAME@INTERVAL SEED".
func (c Case) String() string {
	if c.Interval != 0 {
		return fmt.Sprintf("%s@%v %d", c.Scenario, c.Interval, c.Seed)
	}
	return fmt.Sprintf("%s %d", c.Scenario, c.Seed)
}

// ParseCase reads a case written by String.
func ParseCase(line string) (Case, error) {
	name, seedText, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok {
		return Case{}, fmt.Errorf("case %q: want \"NAME SEED\" or \"NAME@INTERVAL SEED\"", line)
	}
	seed, err := strconv.ParseUint(seedText, 10, 64)
	if err != nil {
		return Case{}, fmt.Errorf("case %q: seed: %v", line, err)
	}
	c := Case{Scenario: name, Seed: seed}
	if name, interval, ok := strings.Cut(name, "@"); ok {
		d, err := time.ParseDuration(interval)
		if err != nil || d <= 0 {
			return Case{}, fmt.Errorf("case %q: interval %q is not a positive duration", line, interval)
		}
		c.Scenario, c.Interval = name, d
	}
	return c, nil
}

// Hash runs the case and returns its trace hash.
func Hash(c Case) (string, error) {
	s, err := scenarios.Lookup(c.Scenario)
	if err != nil {
		return "", err
	}
	if c.Interval != 0 {
		if s.Nemesis.Generator == nil {
			return "", fmt.Errorf("case %v: scenario %s has no generator whose interval to set", c, c.Scenario)
		}
		s.Nemesis.Generator.Interval = scenarios.Duration(c.Interval)
	}
	res, err := scenarios.Run(s, c.Seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		return "", fmt.Errorf("case %v: %v", c, err)
	}
	return res.TraceHash, nil
}

// ReadCases reads one case a line; blank lines are skipped.
func ReadCases(r io.Reader) ([]Case, error) {
	var cases []Case
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		if strings.TrimSpace(lines.Text()) == "" {
			continue
		}
		c, err := ParseCase(lines.Text())
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, lines.Err()
}
