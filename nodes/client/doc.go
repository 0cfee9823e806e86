// Package client is the client side shared by every key-value system detsim
// runs (Raft KV, the Dynamo-style store, the replicated cache): requests with
// a per-attempt timeout and an operation deadline, retries with exponential
// backoff and full jitter, a circuit breaker, leader hints, idempotency keys,
// and the recording of every operation for the history. It also offers a
// ready-made workload client node, which draws its operations or runs a
// fixed Script of them (each client on a key of its own, values of a set
// size, a final read of each key), in Rounds with pauses between.
//
// # Embedding a Client
//
// A Client is not a Node; a node embeds it:
//
//  1. In Start, build it with New(env, cfg, rec). New bumps a per-client
//     epoch in env.Storage() and syncs it, so a restarted client never
//     reuses a sequence number.
//  2. Forward every message to Client.Receive and every timer to
//     Client.Timer. Each reports whether it was the client's own (a Response
//     with the client's ID; a timer the client set); handle the rest.
//  3. Call Do(op, done) when the client is not Busy. done runs once, with the
//     Outcome, after the operation is recorded; it may call Do again.
//
// # Recording
//
// Every operation goes to the Recorder: Invoke at Do, then
//
//   - Complete when a server answered StatusOK;
//   - Fail only when the operation certainly never took effect: the circuit
//     breaker rejected it before any attempt went out, or (with
//     Config.RefusalDefinite) every attempt sent was answered
//     StatusNotLeader;
//   - neither otherwise (an attempt timed out or was answered
//     StatusUnavailable, so it may have been applied): the operation stays
//     open, and the checker treats it as completing at infinity.
//
// The Recorder stamps true virtual time itself; the client passes no clock.
//
// # What servers may rely on
//
//   - (Client, Seq) names one operation; every retry of it is the same
//     Request. A Client has at most one operation in flight, so a server may
//     keep only the latest Seq and reply per Client.
//   - Seq grows strictly across a client's operations, restarts of its host
//     included (Seq = epoch<<32 | n); it is not contiguous.
//   - A server answers StatusNotLeader only for a request it has not
//     accepted (not appended, not forwarded): the client may record the
//     operation as failed on the strength of it. Once accepted, the answers
//     are StatusOK or StatusUnavailable.
//
// # Retrying
//
// A client's first attempt goes to Servers[ID mod len(Servers)], which
// spreads clients over the servers; later operations start where the last
// one ended (the server that answered OK, or the last hint). After a failed
// attempt the client picks the next server: the Leader hint
// of the answer if it names one of Config.Servers, else the next server
// round-robin. It follows a fresh hint at once; otherwise (and for the second
// hint in a row) it waits retry n's backoff, drawn uniformly from
// [0, min(BackoffMax, BackoffBase*2^n)] with env.Rand(). An OK answer to any
// attempt, even one that timed out, completes the operation. Timeouts and
// Unavailable answers count as failures for the circuit breaker, OK as a
// success; NotLeader is neither. All timing is by the host's local clock.
package client
