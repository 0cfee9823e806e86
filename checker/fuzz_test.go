package checker

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadHistory feeds arbitrary bytes to every model's reader. Nothing
// may panic; an error must be a *LineError with a line number; a history
// that reads must survive writing and reading back unchanged, and small
// ones must check without panicking. The seed corpus is in
// testdata/fuzz/FuzzReadHistory.
func FuzzReadHistory(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		lineErr := func(err error) {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
		}
		opts := CheckOptions{Timeout: time.Second}
		if h, err := ReadKV(bytes.NewReader(data)); err != nil {
			lineErr(err)
		} else {
			var buf bytes.Buffer
			if err := WriteKV(&buf, h); err != nil {
				t.Fatal(err)
			}
			back, err := ReadKV(&buf)
			if err != nil || !cmp.Equal(h.Ops(), back.Ops()) {
				t.Fatalf("round trip: %v\n%s", err, buf.String())
			}
			MeasureStaleness(h)
			if h.Len() <= 8 {
				Check(KVModel(), h, opts)
			}
		}
		if h, err := ReadRegister(bytes.NewReader(data)); err != nil {
			lineErr(err)
		} else {
			var buf bytes.Buffer
			if err := WriteRegister(&buf, h); err != nil {
				t.Fatal(err)
			}
			back, err := ReadRegister(&buf)
			if err != nil || !cmp.Equal(h.Ops(), back.Ops()) {
				t.Fatalf("round trip: %v\n%s", err, buf.String())
			}
			if h.Len() <= 8 {
				Check(RegisterModel(), h, opts)
			}
		}
		if h, initial, err := ReadBank(bytes.NewReader(data)); err != nil {
			lineErr(err)
		} else {
			var buf bytes.Buffer
			if err := WriteBank(&buf, h, initial); err != nil {
				t.Fatal(err)
			}
			back, again, err := ReadBank(&buf)
			if err != nil || !cmp.Equal(h.Ops(), back.Ops()) || !cmp.Equal(initial, again) {
				t.Fatalf("round trip: %v\n%s", err, buf.String())
			}
			if h.Len() <= 8 {
				Check(BankModel(initial...), h, opts)
			}
		}
	})
}
