// Package net is detsim's simulated network. It carries messages between the
// hosts of one sim.World and decides, from the world's "net" random stream,
// what happens to each: its delay, whether it is lost or duplicated, and
// whether a partition, cut or clog stands in its way.
//
// # The contract
//
//  1. A message is copied when it is sent. The sender may change or reuse
//     it afterwards; the receiver gets a value that shares nothing mutable
//     with it. Types that hold no pointers, slices, maps or interfaces are
//     copied by being boxed; others are deep-copied by reflection, or by
//     their own Clone method (Cloner), which is faster. A type with an
//     unexported field that holds a reference must implement Cloner. A
//     type whose values nobody changes once made (Immutable) is not
//     copied at all.
//  2. Every link (ordered pair of hosts) has a latency model, a loss ratio,
//     a duplication ratio and FIFO or reorderable delivery, from the
//     network's default or from SetLink. Latency models sample with
//     deterministic arithmetic (internal/detmath), so delays are identical on
//     every machine.
//  3. A partition or cut drops messages at send and at arrival: a message
//     in flight when the cable is cut is lost. Partition affects only the
//     hosts it lists, so clients outside the cluster keep their links.
//  4. A slow link (Slow) adds a fixed delay to one direction only, over
//     the link's latency: messages sent after it arrive that much later.
//  5. A clog holds messages when they arrive and releases them, in arrival
//     order, when it lifts: a stalled link, not a failed one.
//  6. A message that arrives at a crashed host is dropped; at a paused host
//     it waits for Resume (inside sim), and counts as delivered when the node
//     receives it, or as dropped, with a drop record, if a crash discards it
//     first.
//  7. Every send, drop, duplicate and delivery is traced, and counted per
//     link (Counters, LinkCounters). An Observer (Observe) sees every
//     send and every delivery as it happens, and adds no event.
//
// Settings are plain data the harness may change between events: SetLink,
// SetDefault, Partition, Cut, Connect, Isolate, Heal, Clog, Unclog.
package net
