package maporder

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

type node struct {
	peers   map[int]string
	pending map[int]int
	log     []string
}

func (n *node) send(to int, msg string) { n.log = append(n.log, strconv.Itoa(to)+msg) }

func (n *node) planted() (string, float64) {
	for id, name := range n.peers { // want `maporder: a range over a map visits its entries in random order`
		n.send(id, name)
	}
	var first string
	for _, name := range n.peers { // want `maporder: a range over a map`
		first = name
		break
	}
	var keys []int
	for id := range n.peers { // want `maporder: a range over a map`
		keys = append(keys, id)
	}
	n.send(keys[0], "not sorted before use")
	var sum float64
	for _, v := range n.pending { // want `maporder: a range over a map`
		sum += float64(v) // a float sum rounds differently in another order
	}
	var joined string
	for _, name := range n.peers { // want `maporder: a range over a map`
		joined += name
	}
	var total int
	for id, v := range n.pending { // want `maporder: a range over a map`
		n.pending[id] = total // reads what the loop writes
		total += v
	}
	for id := range maps.Keys(n.peers) { // want `maporder: maps.Keys yields in map order`
		n.send(id, "hello")
	}
	vals := slices.Collect(maps.Values(n.peers))           // want `maporder: maps.Values yields in map order`
	for _, k := range reflect.ValueOf(n.peers).MapKeys() { // want `maporder: reflect.Value.MapKeys returns the keys in map order`
		_ = k
	}
	return first + joined + vals[0], sum
}

// clean loops have the same effects in every order.
func (n *node) clean() int {
	keys := make([]int, 0, len(n.peers))
	for id := range n.peers {
		keys = append(keys, id)
	}
	slices.Sort(keys)
	for _, id := range keys {
		n.send(id, n.peers[id])
	}

	var names []string
	for _, name := range n.peers {
		if strings.HasPrefix(name, "n") {
			names = append(names, name)
		}
	}
	sort.Strings(names)

	var ids []int
	for id := range n.pending {
		ids = append(ids, id)
	}
	sort.Sort(sort.IntSlice(ids))

	count, mask, top := 0, 0, 0
	copied := map[int]int{}
	for id, v := range n.pending {
		if v == 0 {
			delete(n.pending, id)
			continue
		}
		weight := v * 2
		count += weight
		mask |= 1 << (id % 8)
		top = max(top, id)
		copied[id] = v
	}
	for range n.peers {
		count++
	}
	for _, v := range maps.All(n.pending) {
		count += v
	}
	for _, id := range slices.Sorted(maps.Keys(n.peers)) {
		n.send(id, "sorted")
	}
	return count + mask + top + len(copied) + len(names) + len(ids)
}

// reviewed exceptions carry their reason.
func (n *node) reviewed() {
	//detsim:maporder the log is a debugging aid that no check and no hash reads
	for id := range n.peers {
		n.send(id, "debug")
	}
	for id := range n.pending { //detsim:maporder same reason, on the line itself
		n.send(id, "debug")
	}
}
