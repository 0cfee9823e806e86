package dynamo

// setTexts remembers, per set key, the parses of the texts most recently
// written or parsed by the workload clients of one history. A text's
// parse is a function of the text alone, so a client that reads what
// another wrote takes that writer's parse instead of parsing the text
// again: sharing it between clients changes nothing but the work. (The
// clients are simulated hosts, but a parse is no host's state: it is
// never changed once made, and a crash that loses it loses nothing a host
// knows.)
type setTexts struct {
	byKey map[string]*recentSets
}

// recentSetsKept is how many texts a key remembers: about as many as
// versions of a set are read before they are superseded (one per client,
// and a few siblings).
const recentSetsKept = 8

// recentSets is a ring of a key's latest texts and their parses.
type recentSets struct {
	sets [recentSetsKept]parsedSet
	n    int // texts added so far; the latest is sets[(n-1)%recentSetsKept]
}

type parsedSet struct {
	value string
	els   []int
}

// of returns key's ring, made on first use.
func (t *setTexts) of(key string) *recentSets {
	r, ok := t.byKey[key]
	if !ok {
		if t.byKey == nil {
			t.byKey = map[string]*recentSets{}
		}
		r = &recentSets{}
		t.byKey[key] = r
	}
	return r
}

// find returns the parse of value if the ring holds it, looking from the
// latest text back.
func (r *recentSets) find(value string) ([]int, bool) {
	for k := 1; k <= min(r.n, recentSetsKept); k++ {
		if p := &r.sets[(r.n-k)%recentSetsKept]; len(p.value) == len(value) && p.value == value {
			return p.els, true
		}
	}
	return nil, false
}

// latest is the text added last, and whether there is one.
func (r *recentSets) latest() (parsedSet, bool) {
	if r.n == 0 {
		return parsedSet{}, false
	}
	return r.sets[(r.n-1)%recentSetsKept], true
}

func (r *recentSets) add(value string, els []int) {
	r.sets[r.n%recentSetsKept] = parsedSet{value, els}
	r.n++
}
