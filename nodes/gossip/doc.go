// Package gossip is the example node: a grow-only counter replicated by
// gossip. It is small on purpose; it shows every part of the node contract
// (sim.Node) that a user's own node will need.
//
// Each node counts its own increments, persists the count (synced, so a
// crash keeps it), and every Interval of its local clock sends its whole
// vector of counts to Fanout random peers. A receiver keeps the larger entry
// of each pair, so once the network heals every node converges on the same
// vector, whose sum is the cluster's total.
//
// To write a node of your own, copy this shape:
//
//  1. A constructor returning a sim.Factory, so the world can build a fresh
//     instance at boot and after every restart.
//  2. Start recovers state from env.Storage() and sets the first timers.
//  3. Receive and Timer change state and act only through env: Send, After,
//     Storage, Rand, Logf. Nothing else: no clock, goroutines or global
//     randomness.
//  4. Messages are plain values. The network copies them, so a node may
//     keep and change what it sent.
package gossip
