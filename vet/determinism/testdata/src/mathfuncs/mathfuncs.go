package mathfuncs

import "math"

func planted(x float64) float64 {
	a := math.Exp(x)    // want `math: math.Exp is not exactly rounded, so its last bit can differ between machines; use detmath.Exp`
	b := math.Log(x)    // want `math: math.Log is not exactly rounded.*use detmath.Log`
	c := math.Pow(x, 3) // want `math: math.Pow is not exactly rounded`
	f := math.Sin       // want `math: math.Sin is not exactly rounded`
	return a + b + c + f(x)
}

// clean uses only the functions IEEE 754 makes exact.
func clean(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.Inf(1)
	}
	return math.Sqrt(math.Abs(x)) + math.Floor(x) + math.Max(x, math.Pi) + math.FMA(x, x, 1)
}
