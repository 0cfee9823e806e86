// Package cache is two caching systems as pure state machines: a
// cache-aside tier over a database, and a replicated cache, each in the
// form in which it is usually taught and in the form in which it is
// right, so that the harness can show where the first is wrong.
//
// # Cache-aside (Mode "aside")
//
// Host 0 is the Database, a durable versioned key-value store: each put
// gives its key the next version (from 1), is synced to disk before it is
// answered, and is appended to a commit log. The other servers are cache
// Servers, each with MemoryMax bytes and LRU eviction; keys are sharded
// over them by a consistent-hash Ring that every node builds from the
// same server ids. Clients (Aside) run the cache-aside pattern:
//
//  1. A get asks the key's cache server. A hit is the answer.
//  2. A miss hands out a lease token, at most one per key per
//     LeaseInterval; a misser who finds a live token is told to wait and
//     asks again after LeaseRetry (which caps the herd on a hot key).
//  3. The token holder reads the database through package client
//     (attempt timeout, retries with backoff, circuit breaker), then sets
//     the cache with the value, its version and the token.
//  4. The server keeps the set only if the token is still the key's
//     (no delete or invalidation came since) and the version is newer
//     than any entry it holds.
//  5. A put updates the database through package client, then deletes
//     the key from the cache (WritePolicy "delete"), or sets it with the
//     new version ("update"), retried up to CacheAttempts times.
//  6. With Invalidation "db", the database also sends every commit to
//     the key's cache server until acknowledged (at least once, resent
//     every InvalidationRetry, reloaded from the log after a restart). An
//     invalidation drops the key's lease and refreshes an older entry.
//
// The database answers package client's Request with its Response; the
// Result carries the version in front of the value (see protocol.go),
// because client.Result has no version field.
//
// # Replicated (Mode "replicated")
//
// Every server is a Replica that serves gets and puts from memory, pushes
// each write to its peers after a random delay, keeps a pushed write only
// if its version is greater, and exchanges its whole state with a random
// peer every AntiEntropyInterval. Versioning "counter-node" orders
// writes by (counter, node id); "hlc" by a hybrid logical clock.
//
// # Planted bugs
//
// Bugs turns each safeguard off: leases (the stale-set race), the
// version check on fills, the retry of invalidations, their ordering, and
// the tutorial's versions of the replicated cache (permanent divergence).
//
// # Determinism
//
// Nodes draw randomness from env.Rand, read time from env.Now, keep maps
// for look-ups only (ordered state lives in slices and lists), and start
// nothing of their own.
package cache
