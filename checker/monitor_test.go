package checker

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMonitor(t *testing.T) {
	var m Monitor
	var ran []string
	leaders := 1
	m.Add("election safety", func() error {
		ran = append(ran, "election safety")
		if leaders > 1 {
			return fmt.Errorf("%d leaders in term 3", leaders)
		}
		return nil
	})
	m.AddAt("quiesced", "converged", func() error {
		ran = append(ran, "converged")
		return nil
	})
	m.Add("log matching", func() error {
		ran = append(ran, "log matching")
		if leaders > 1 {
			return errors.New("also broken")
		}
		return nil
	})

	if err := m.Check(1, time.Second); err != nil || m.Failed() != nil {
		t.Fatalf("healthy: %v", err)
	}
	if got := strings.Join(ran, ","); got != "election safety,log matching" {
		t.Fatalf("every-event run %q: point invariants ran, or order changed", got)
	}
	ran = nil
	if err := m.CheckPoint("quiesced", 2, 2*time.Second); err != nil || strings.Join(ran, ",") != "converged" {
		t.Fatalf("point run: %v %v", err, ran)
	}
	if err := m.CheckPoint("elsewhere", 2, 2*time.Second); err != nil {
		t.Fatalf("a point with no invariants: %v", err)
	}

	leaders = 2
	ran = nil
	err := m.Check(7, 3*time.Second)
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("want a *Violation, got %v", err)
	}
	want := Violation{Invariant: "election safety", Event: 7, At: 3 * time.Second, Message: "2 leaders in term 3"}
	if v.Invariant != want.Invariant || v.Point != "" || v.Event != want.Event || v.At != want.At || v.Message != want.Message {
		t.Errorf("violation %+v, want %+v", *v, want)
	}
	if strings.Join(ran, ",") != "election safety" {
		t.Errorf("kept running after the first violation: %v", ran)
	}
	if !strings.Contains(err.Error(), `"election safety"`) || !strings.Contains(err.Error(), "event 7") || !strings.Contains(err.Error(), "3s") {
		t.Errorf("message %q", err)
	}

	// Stays failed, with the same violation, running nothing.
	leaders = 1
	ran = nil
	if again := m.Check(8, 4*time.Second); again != err {
		t.Errorf("second Check: %v, want the first violation", again)
	}
	if again := m.CheckPoint("quiesced", 9, 5*time.Second); again != err {
		t.Errorf("CheckPoint after failure: %v", again)
	}
	if len(ran) != 0 || m.Failed() != v {
		t.Errorf("ran %v after failure; Failed %v", ran, m.Failed())
	}
}

func TestMonitorPointViolation(t *testing.T) {
	sentinel := errors.New("acknowledged write lost")
	var m Monitor
	m.Add("fine", func() error { return nil })
	m.AddAt("healed", "durability", func() error { return fmt.Errorf("key k1: %w", sentinel) })
	if err := m.Check(1, 0); err != nil {
		t.Fatal(err)
	}
	err := m.CheckPoint("healed", 40, time.Minute)
	var v *Violation
	if !errors.As(err, &v) || v.Point != "healed" || v.Event != 40 || !errors.Is(err, sentinel) {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), `point "healed"`) {
		t.Errorf("message %q", err)
	}
}
