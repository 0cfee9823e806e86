package cache

import "container/list"

// entry is one cached value. Found false caches the key's absence.
type entry struct {
	key     string
	value   string
	found   bool
	version uint64
}

func (e *entry) size() int { return len(e.key) + len(e.value) + EntryOverhead }

// lru holds entries within a byte budget, evicting the least recently used.
// The map is only looked up; order lives in the list.
type lru struct {
	max, used int
	order     *list.List // front: most recently used; values are *entry
	index     map[string]*list.Element
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), index: map[string]*list.Element{}}
}

// get returns key's entry and marks it used.
func (c *lru) get(key string) (*entry, bool) {
	el, ok := c.index[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry), true
}

// peek returns key's entry without marking it.
func (c *lru) peek(key string) (*entry, bool) {
	el, ok := c.index[key]
	if !ok {
		return nil, false
	}
	return el.Value.(*entry), true
}

// put stores e as the most recently used entry and returns the keys it
// evicted to make room, oldest first. An entry larger than the whole
// budget is not stored (and evicts nothing); put reports false.
func (c *lru) put(e entry) (evicted []string, stored bool) {
	if e.size() > c.max {
		return nil, false
	}
	if el, ok := c.index[e.key]; ok {
		old := el.Value.(*entry)
		c.used += e.size() - old.size()
		*old = e
		c.order.MoveToFront(el)
	} else {
		c.index[e.key] = c.order.PushFront(&e)
		c.used += e.size()
	}
	for c.used > c.max {
		last := c.order.Back()
		victim := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.index, victim.key)
		c.used -= victim.size()
		evicted = append(evicted, victim.key)
	}
	return evicted, true
}

// remove drops key and reports whether it was there.
func (c *lru) remove(key string) bool {
	el, ok := c.index[key]
	if !ok {
		return false
	}
	c.used -= el.Value.(*entry).size()
	c.order.Remove(el)
	delete(c.index, key)
	return true
}

// each calls fn with every entry, most recently used first.
func (c *lru) each(fn func(*entry)) {
	for el := c.order.Front(); el != nil; el = el.Next() {
		fn(el.Value.(*entry))
	}
}

// entries lists the entries, most recently used first.
func (c *lru) entries() []entry {
	out := make([]entry, 0, c.order.Len())
	for el := c.order.Front(); el != nil; el = el.Next() {
		out = append(out, *el.Value.(*entry))
	}
	return out
}
