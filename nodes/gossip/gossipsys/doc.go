// Package gossipsys puts the example gossip counter of package gossip
// behind the system contract (package system), with its built-in scenario
// as embedded JSON. It is the smallest complete system: servers only, no
// clients, replicas that must converge.
package gossipsys
