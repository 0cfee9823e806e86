package client

import (
	"errors"
	"fmt"
	"time"
)

// Recorder receives every operation a Client runs, for the history. The
// recorder stamps true virtual time itself; the client passes no clock.
//
// For one operation the client calls Invoke once, then Complete (the
// operation took effect, with this result), Fail (it certainly never took
// effect), or neither (the outcome is unknown; the operation stays open).
type Recorder interface {
	Invoke(client int, op Op) int
	Complete(id int, res Result)
	Fail(id int)
}

// nopRecorder records nothing.
type nopRecorder struct{}

func (nopRecorder) Invoke(int, Op) int   { return 0 }
func (nopRecorder) Complete(int, Result) {}
func (nopRecorder) Fail(int)             {}

// Verdict is what the client knows about an operation it has finished with.
type Verdict uint8

const (
	// VerdictOK: the operation took effect; Outcome.Result is its result.
	VerdictOK Verdict = iota + 1
	// VerdictFailed: the operation certainly never took effect.
	VerdictFailed
	// VerdictUnknown: the operation may or may not take effect.
	VerdictUnknown
)

func (v Verdict) String() string {
	switch v {
	case VerdictOK:
		return "ok"
	case VerdictFailed:
		return "failed"
	case VerdictUnknown:
		return "unknown"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Why an operation did not succeed (Outcome.Err).
var (
	// ErrBreakerOpen: the circuit breaker rejected the next attempt.
	ErrBreakerOpen = errors.New("client: circuit breaker open")
	// ErrDeadline: the operation's deadline passed.
	ErrDeadline = errors.New("client: operation deadline exceeded")
	// ErrAttemptsExhausted: Config.AttemptsMax attempts all failed.
	ErrAttemptsExhausted = errors.New("client: attempts exhausted")
)

// ErrBusy is returned by Client.Do while an operation is in flight.
var ErrBusy = errors.New("client: an operation is already in flight")

// Outcome is what Client.Do reports when it has finished with an operation.
type Outcome struct {
	Op       Op
	Seq      uint64
	Verdict  Verdict
	Result   Result        // VerdictOK only
	Err      error         // nil for VerdictOK; else ErrBreakerOpen, ErrDeadline or ErrAttemptsExhausted
	Attempts int           // attempts sent
	Latency  time.Duration // from Do to the outcome, by the local clock
}
