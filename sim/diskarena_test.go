package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Values kept in a shared chunk are copies: rewriting the writer's buffer,
// or appending to a value read back, changes no stored value, and an empty
// value is stored as empty, not as absent.
func TestKeptValuesAreCopiesThatShareNothing(t *testing.T) {
	d := newDisk(rand.New(rand.NewPCG(1, 2)))
	buf := make([]byte, 0, 64)
	want := map[string][]byte{}
	for i := range 300 { // several chunks, and values too large for one
		buf = buf[:0]
		for j := range i % 40 {
			buf = append(buf, byte(i+j))
		}
		if i%50 == 7 {
			buf = append(buf, bytes.Repeat([]byte{byte(i)}, arenaValueMax)...)
		}
		key := fmt.Sprintf("k%03d", i)
		d.write(key, d.keep(buf), false)
		want[key] = bytes.Clone(buf)
		for k := range buf {
			buf[k] = 0xff
		}
	}
	for i := range 300 {
		key := fmt.Sprintf("k%03d", i)
		cv, _ := d.cur.get(key)
		v := cv.b
		_ = append(v, 0xee) // capped: must not reach the next value
		if !bytes.Equal(v, want[key]) || v == nil {
			t.Fatalf("%s holds %v, want %v", key, v, want[key])
		}
	}
}
