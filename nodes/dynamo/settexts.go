package dynamo

// setTexts remembers, per key, what the workload clients of one history
// last made of the texts they wrote and read: the parses of set texts,
// and the decoded answers to gets. Each is a function of the text alone,
// so a client that meets a text another met takes what that one made of
// it instead of making it again: sharing it between clients changes
// nothing but the work. (The clients are simulated hosts, but these are
// no host's state: never changed once made, and a crash that loses them
// loses nothing a host knows.)
type setTexts struct {
	sets  map[string]*recent[[]int]
	reads map[string]*recent[Read]
}

// recentKept is how many texts a key remembers: about as many as versions
// of a key are read before they are superseded (one per client, and a few
// siblings).
const recentKept = 8

// recent is a ring of a key's latest texts and what was made of each.
type recent[T any] struct {
	texts [recentKept]string
	made  [recentKept]T
	n     int // texts added so far; the latest is at (n-1)%recentKept
}

func ringOf[T any](m *map[string]*recent[T], key string) *recent[T] {
	r, ok := (*m)[key]
	if !ok {
		if *m == nil {
			*m = map[string]*recent[T]{}
		}
		r = &recent[T]{}
		(*m)[key] = r
	}
	return r
}

// of returns key's ring of set texts, made on first use.
func (t *setTexts) of(key string) *recent[[]int] { return ringOf(&t.sets, key) }

// readsOf returns key's ring of read answers, made on first use.
func (t *setTexts) readsOf(key string) *recent[Read] { return ringOf(&t.reads, key) }

// find returns what was made of text if the ring holds it, looking from
// the latest text back.
func (r *recent[T]) find(text string) (T, bool) {
	for k := 1; k <= min(r.n, recentKept); k++ {
		if i := (r.n - k) % recentKept; len(r.texts[i]) == len(text) && r.texts[i] == text {
			return r.made[i], true
		}
	}
	var zero T
	return zero, false
}

// latest is the set text added last and its parse, and whether there is
// one.
func (r *recent[T]) latest() (string, T, bool) {
	if r.n == 0 {
		var zero T
		return "", zero, false
	}
	i := (r.n - 1) % recentKept
	return r.texts[i], r.made[i], true
}

func (r *recent[T]) add(text string, made T) {
	i := r.n % recentKept
	r.texts[i], r.made[i] = text, made
	r.n++
}
