package scenarios

import (
	"reflect"
	"testing"
	"time"
)

type withEqual struct{ at time.Duration }

func (w withEqual) Equal(o withEqual) bool { return w.at/time.Second == o.at/time.Second }

type plainSibling struct {
	Value     string
	Tombstone bool
	Past      []uint64
}

type tree struct {
	Kids []*tree
	Name string
}

// A sample skips go-cmp only where reflect.DeepEqual's "unequal" is
// go-cmp's too.
func TestDeepEqualDecidesOnlyWithoutEqualMethods(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{map[string][]plainSibling{}, true},
		{[]int{}, true},
		{&tree{}, true},
		{map[string]withEqual{}, false},
		{struct{ T time.Time }{}, false}, // time.Time has Equal
		{[]any{}, false},
		{map[string]func(){}, false},
	} {
		if got := deepEqualDecides(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("%T: %v, want %v", tc.v, got, tc.want)
		}
	}
}
