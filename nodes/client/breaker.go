package client

import (
	"fmt"
	"time"
)

// BreakerState is the state of a client's circuit breaker.
type BreakerState uint8

const (
	// BreakerClosed: attempts go out; consecutive failures are counted.
	BreakerClosed BreakerState = iota
	// BreakerOpen: attempts are rejected until the reset timeout has passed.
	BreakerOpen
	// BreakerHalfOpen: one probe attempt may go out; its success closes the
	// breaker, its failure opens it again.
	BreakerHalfOpen
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", uint8(s))
}

// breaker is a circuit breaker over the client's attempts. It has no timer:
// the open -> half-open step happens when the breaker is next looked at, by
// the local clock passed in.
type breaker struct {
	failuresMax int           // consecutive failures that open it; 0: never opens
	reset       time.Duration // how long it stays open

	state    BreakerState
	failures int           // consecutive failures; counted while closed
	openedAt time.Duration // local clock when it last opened; meaningful while open
	probing  bool          // half-open only: the one probe is out
}

// current is the state at local time now.
func (b *breaker) current(now time.Duration) BreakerState {
	if b.state == BreakerOpen && now-b.openedAt >= b.reset {
		return BreakerHalfOpen
	}
	return b.state
}

// allow says whether an attempt may go out now; in half-open it admits one.
func (b *breaker) allow(now time.Duration) bool {
	switch b.current(now) {
	case BreakerClosed:
		return true
	case BreakerHalfOpen:
		b.state = BreakerHalfOpen
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
	return false
}

// success records an attempt that the service carried out.
func (b *breaker) success() {
	b.state, b.failures, b.probing = BreakerClosed, 0, false
}

// failure records an attempt that got no useful answer.
func (b *breaker) failure(now time.Duration) {
	switch b.current(now) {
	case BreakerClosed:
		b.failures++
		if b.failuresMax > 0 && b.failures >= b.failuresMax {
			b.open(now)
		}
	case BreakerHalfOpen:
		b.open(now)
	}
}

// neutral records an attempt that was answered but neither succeeded nor
// failed (a NotLeader refusal): a half-open breaker may send another probe.
func (b *breaker) neutral() {
	b.probing = false
}

func (b *breaker) open(now time.Duration) {
	b.state, b.failures, b.probing, b.openedAt = BreakerOpen, 0, false, now
}
