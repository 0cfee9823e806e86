// Package jsondur gives configurations readable durations in JSON: a
// Duration encodes as a Go duration string ("1.5s", "150ms") and decodes
// from such a string or from a number of nanoseconds.
//
// Configurations keep time.Duration fields in Go. Their MarshalJSON and
// UnmarshalJSON overlay the duration fields with Durations, and decode with
// Strict, so that an unknown field is an error even inside a value that
// decodes itself (json.Decoder.DisallowUnknownFields does not reach there).
package jsondur
