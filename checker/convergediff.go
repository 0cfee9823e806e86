package checker

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	gocmp "github.com/google/go-cmp/cmp"
)

// diffLinesMax bounds a description: a replica that missed everything
// differs everywhere, and the first lines say enough.
const diffLinesMax = 32

// describeDiff lists where y differs from x under opts, one "path: -x +y"
// line each, in a canonical order.
func describeDiff(x, y any, opts []gocmp.Option) string {
	var diffs []valueDiff
	collectDiffs(x, y, opts, nil, &diffs)
	slices.SortStableFunc(diffs, func(a, b valueDiff) int { return comparePaths(a.path, b.path) })
	if len(diffs) == 0 {
		// cmp.Equal said they differ, yet no leaf differs: an option
		// (a Comparer, say) decided at a level the walk cannot see.
		return "state: the states differ as a whole (a comparison option decided so)"
	}
	var b strings.Builder
	for i, d := range diffs {
		if i == diffLinesMax {
			fmt.Fprintf(&b, "\n... and %d more", len(diffs)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: -%s +%s", renderPath(d.path), formatValue(d.x), formatValue(d.y))
	}
	return b.String()
}

// valueDiff is one place where the states differ. An invalid value is
// absent on its side (a map key or slice element the other side has).
type valueDiff struct {
	path []pathKey
	x, y reflect.Value
}

// pathKey is one step of a path, as text and, for slice indices, integer
// map keys and struct fields, as a number, so that [2] sorts before [10]
// and fields keep their declaration order.
type pathKey struct {
	text    string
	num     int64
	numeric bool
}

func comparePaths(a, b []pathKey) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].numeric && b[i].numeric {
			if c := cmp.Compare(a[i].num, b[i].num); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(a[i].text, b[i].text); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func renderPath(p []pathKey) string {
	var b strings.Builder
	for _, k := range p {
		b.WriteString(k.text)
	}
	s := strings.TrimPrefix(b.String(), ".")
	if s == "" {
		return "state"
	}
	return s
}

// collectDiffs walks x and y with cmp (so that opts decide what is equal)
// and appends a valueDiff for every differing leaf. cmp aligns slices with
// an edit script whose direction it picks at random per process, so the
// walk stops at every slice and compares it index by index itself.
func collectDiffs(x, y any, opts []gocmp.Option, prefix []pathKey, out *[]valueDiff) {
	r := &diffReporter{opts: opts, prefix: prefix, out: out}
	gocmp.Equal(x, y, append(slices.Clip(opts), gocmp.Reporter(r))...)
}

type diffReporter struct {
	opts   []gocmp.Option
	prefix []pathKey
	out    *[]valueDiff

	path []gocmp.PathStep
	keys []pathKey
	// sliceDepth is the depth of the slice being walked (0: none); cmp's
	// reports below it only mark it dirty.
	sliceDepth int
	sliceDirty bool
}

func (r *diffReporter) PushStep(ps gocmp.PathStep) {
	if _, ok := ps.(gocmp.SliceIndex); ok && r.sliceDepth == 0 {
		r.sliceDepth, r.sliceDirty = len(r.path), false
	}
	r.path = append(r.path, ps)
	r.keys = append(r.keys, stepKey(ps))
}

func (r *diffReporter) Report(res gocmp.Result) {
	if res.Equal() {
		return
	}
	if r.sliceDepth > 0 {
		r.sliceDirty = true
		return
	}
	x, y := r.path[len(r.path)-1].Values()
	r.add(r.keys[1:], x, y)
}

func (r *diffReporter) PopStep() {
	if r.sliceDepth > 0 && len(r.path) == r.sliceDepth {
		if r.sliceDirty {
			x, y := r.path[len(r.path)-1].Values()
			r.describeSlice(r.keys[1:], x, y)
		}
		r.sliceDepth = 0
	}
	r.path = r.path[:len(r.path)-1]
	r.keys = r.keys[:len(r.keys)-1]
}

func (r *diffReporter) add(keys []pathKey, x, y reflect.Value) {
	path := append(slices.Clone(r.prefix), keys...)
	*r.out = append(*r.out, valueDiff{path: path, x: x, y: y})
}

// describeSlice compares two slices (or arrays) element by element.
func (r *diffReporter) describeSlice(keys []pathKey, x, y reflect.Value) {
	n := max(x.Len(), y.Len())
	for i := 0; i < n; i++ {
		at := append(slices.Clone(keys), pathKey{text: "[" + strconv.Itoa(i) + "]", num: int64(i), numeric: true})
		switch {
		case i >= x.Len():
			r.add(at, reflect.Value{}, y.Index(i))
		case i >= y.Len():
			r.add(at, x.Index(i), reflect.Value{})
		default:
			xi, yi := x.Index(i), y.Index(i)
			if !xi.CanInterface() || !yi.CanInterface() {
				if formatValue(xi) != formatValue(yi) {
					r.add(at, xi, yi)
				}
				continue
			}
			if !gocmp.Equal(xi.Interface(), yi.Interface(), r.opts...) {
				collectDiffs(xi.Interface(), yi.Interface(), r.opts, append(slices.Clone(r.prefix), at...), r.out)
			}
		}
	}
}

func stepKey(ps gocmp.PathStep) pathKey {
	switch s := ps.(type) {
	case gocmp.StructField:
		return pathKey{text: "." + s.Name(), num: int64(s.Index()), numeric: true}
	case gocmp.MapIndex:
		k := s.Key()
		key := pathKey{text: "[" + formatValue(k) + "]"}
		switch k.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			key.num, key.numeric = k.Int(), true
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if u := k.Uint(); u <= 1<<63-1 {
				key.num, key.numeric = int64(u), true
			}
		}
		return key
	case gocmp.TypeAssertion:
		return pathKey{text: ".(" + s.Type().String() + ")"}
	case gocmp.Transform:
		return pathKey{text: "." + s.Name() + "()"}
	}
	return pathKey{} // the root, and pointer indirections, print as nothing
}

// Bounds on one printed value.
const (
	formatDepthMax = 6
	formatElemsMax = 16
	formatBytesMax = 200
)

// formatValue prints v from its data alone: no String or Error methods (a
// user's may print addresses or vary), no pointer values, map entries in a
// sorted order.
func formatValue(v reflect.Value) string {
	var b strings.Builder
	writeValue(&b, v, 0)
	s := b.String()
	if len(s) > formatBytesMax {
		s = s[:formatBytesMax] + "..."
	}
	return s
}

func writeValue(b *strings.Builder, v reflect.Value, depth int) {
	if !v.IsValid() {
		b.WriteString("(absent)")
		return
	}
	if depth > formatDepthMax {
		b.WriteString("...")
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	case reflect.Complex64, reflect.Complex128:
		b.WriteString(strconv.FormatComplex(v.Complex(), 'g', -1, v.Type().Bits()))
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteByte('&')
		writeValue(b, v.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		writeValue(b, v.Elem(), depth)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 && v.Kind() == reflect.Slice {
			b.WriteString(strconv.Quote(string(v.Bytes())))
			return
		}
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i == formatElemsMax {
				fmt.Fprintf(b, "...%d more", v.Len()-i)
				break
			}
			writeValue(b, v.Index(i), depth+1)
		}
		b.WriteByte(']')
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		type entry struct{ k, v string }
		var entries []entry
		for it := v.MapRange(); it.Next(); {
			var kb, vb strings.Builder
			writeValue(&kb, it.Key(), depth+1)
			writeValue(&vb, it.Value(), depth+1)
			entries = append(entries, entry{kb.String(), vb.String()})
		}
		slices.SortFunc(entries, func(a, b entry) int {
			return cmp.Or(strings.Compare(a.k, b.k), strings.Compare(a.v, b.v))
		})
		b.WriteString("map[")
		for i, e := range entries {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i == formatElemsMax {
				fmt.Fprintf(b, "...%d more", len(entries)-i)
				break
			}
			b.WriteString(e.k + ":" + e.v)
		}
		b.WriteByte(']')
	case reflect.Struct:
		b.WriteByte('{')
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(v.Type().Field(i).Name + ":")
			writeValue(b, v.Field(i), depth+1)
		}
		b.WriteByte('}')
	default: // funcs, channels, unsafe pointers: their values are addresses
		b.WriteString("(" + v.Type().String() + ")")
	}
}
