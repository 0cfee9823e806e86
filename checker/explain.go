package checker

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// Lines of operations an explanation shows in each list: it is meant to be
// read in a terminal, and the visualisation has the rest.
const explainLines = 8

// explain describes p, the smallest of the illegal partitions, from
// porcupine's partial linearizations of it (as indices into p.ops).
// complete says whether the search that produced them finished.
func explain[S, In, Out any](m Model[S, In, Out], p *part, illegal, partitions int, partials [][]int, complete bool) *Failure {
	// Porcupine returns them from a map: pick the longest, and the first
	// in lexical order among equals, so that it is the same every time.
	var longest []int
	for _, l := range partials {
		if len(l) > len(longest) || len(l) == len(longest) && slices.Compare(l, longest) < 0 {
			longest = l
		}
	}
	inLongest := make([]bool, len(p.ops))
	f := &Failure{Key: p.key}
	state := m.Init()
	for _, i := range longest {
		if i < 0 || i >= len(p.ops) {
			continue
		}
		inLongest[i] = true
		op := p.ops[i]
		c := checkedOf[In, Out](op)
		f.Linearized = append(f.Linearized, c.id)
		_, state = m.step(state, c.in, c.out)
	}
	// The search extends a prefix only with operations invoked before the
	// first return it has not linearized yet, so those are the ones it
	// tried after the longest prefix, and the model refused them all.
	// Operations invoked later were never reached: listing them would
	// only bury the culprit.
	next := int64(math.MaxInt64)
	pending := 0
	for i, op := range p.ops {
		if op.Return == math.MaxInt64 {
			pending++
		}
		if !inLongest[i] {
			next = min(next, op.Return)
		}
	}
	var stuck []int
	for i, op := range p.ops {
		id := checkedOf[In, Out](op).id
		f.Ops = append(f.Ops, id)
		if inLongest[i] {
			continue
		}
		f.NotLinearized = append(f.NotLinearized, id)
		if op.Call <= next {
			stuck = append(stuck, i)
			f.Stuck = append(f.Stuck, id)
		}
	}

	var b strings.Builder
	if m.Partition != nil {
		fmt.Fprintf(&b, "key %q is not linearizable", p.key)
		if illegal > 1 {
			fmt.Fprintf(&b, " (the smallest of %d illegal partitions out of %d)", illegal, partitions)
		}
	} else {
		b.WriteString("the history is not linearizable")
	}
	fmt.Fprintf(&b, ": %d operations, %d pending\n", len(p.ops), pending)
	desc := m.describeState(state)
	fmt.Fprintf(&b, "longest linearizable prefix: %d of %d operations, leaving state %s\n", len(f.Linearized), len(p.ops), desc)
	shown := longest
	if len(shown) > explainLines {
		fmt.Fprintf(&b, "  ... %d earlier operations\n", len(shown)-explainLines)
		shown = shown[len(shown)-explainLines:]
	}
	for _, i := range shown {
		if i >= 0 && i < len(p.ops) {
			writeOp(&b, m, p.ops[i])
		}
	}
	fmt.Fprintf(&b, "none of the operations that could come next fits state %s:\n", desc)
	for n, i := range stuck {
		if n == explainLines {
			fmt.Fprintf(&b, "  ... and %d more\n", len(stuck)-explainLines)
			break
		}
		writeOp(&b, m, p.ops[i])
	}
	if later := len(f.NotLinearized) - len(f.Stuck); later > 0 {
		fmt.Fprintf(&b, "(%d later operations not reached)\n", later)
	}
	if !complete {
		b.WriteString("(the search for this explanation ran out of time: a longer prefix may exist)\n")
	}
	f.Explanation = strings.TrimSuffix(b.String(), "\n")
	return f
}

func writeOp[S, In, Out any](b *strings.Builder, m Model[S, In, Out], op porcupine.Operation) {
	ret := "pending"
	if op.Return != math.MaxInt64 {
		ret = time.Duration(op.Return).String()
	}
	c := checkedOf[In, Out](op)
	fmt.Fprintf(b, "  op %d  client %d  [%v, %s]  %s\n", c.id, op.ClientId,
		time.Duration(op.Call), ret, m.describeOp(c.in, c.out))
}
