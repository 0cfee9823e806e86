// Package txntable is a map from transaction ids to values, for the maps
// that two-phase commit's nodes and checker consult at every step of
// every transaction.
//
// An id is a client and a sequence number whose high 32 bits name the
// client's incarnation and whose low 32 bits count its transactions from
// one. A Table keeps the ids of one client's incarnation in a run: a
// slice indexed by the count, found by a scan of the last few runs used,
// then a small map. A lookup is so an index, where a map keyed by the id
// hashed 16 bytes and grew by rehashing all run long. Ids of any other
// shape (counts far past the end of their run) go to a map beside the
// runs, so every id works; only the speed depends on the shape.
//
// The contract is a map's:
//
//  1. Get returns what the last Set of the id stored, unless a Delete of
//     it came after.
//  2. Len counts the ids stored.
//  3. All visits every id stored exactly once, in an order fixed by the
//     calls made (runs in the order they were made, each by count, then
//     the other ids sorted), never by a map's iteration order.
package txntable
