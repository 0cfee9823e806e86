package fma

type ratio float64

func planted(x, y, z float64, a, b float32, r ratio) (float64, float32, ratio) {
	s := x*y + z     // want `fma: the product x \* y meets an addition unrounded, and arm64, ppc64 and s390x may fuse them into one multiply-add; round the product explicitly: float64\(x \* y\)`
	s = z + x*y      // want `fma: the product x \* y meets an addition`
	s = x*y - z      // want `fma: the product x \* y meets`
	s = z - (x * y)  // want `fma: the product x \* y meets`
	s = -(x * y) + z // want `fma: the product x \* y meets`
	s += x * y       // want `fma: the product x \* y meets`
	s -= 2 * x       // want `fma: the product 2 \* x meets`
	t := x * y
	u := t
	s = u + z    // want `fma: u holds the unrounded product x \* y \(line 13\), and arm64, ppc64 and s390x may fuse it into this addition; round the product where it is computed: float64\(x \* y\)`
	f := a*b + 1 // want `fma: the product a \* b meets.*float32\(a \* b\)`
	q := r*r + 1 // want `fma: the product r \* r meets.*ratio\(r \* r\)`
	return s, f, q
}

// clean rounds every product that meets an addition.
func clean(x, y, z float64, n, m int) (float64, int) {
	const c = 2*1.5 + 1 // constants are folded exactly
	s := float64(x*y) + z
	s += float64(x * y)
	t := float64(x * y)
	s = t + z
	s = float64(x*y*z) + c
	s = (x + y) * z   // a product of a sum fuses nothing
	s = x/y + z       // a quotient does not fuse
	return s, n*m + 1 // integers are exact
}
