package raftcheck

import "github.com/detsim/detsim/sim"

// CheckLogsInFull forgets what earlier scans checked, so that CheckLogs
// scans every log whole, as a reference for the incremental scan.
func (s *Safety) CheckLogsInFull() error {
	for i := range s.hosts {
		s.hosts[i].scanned = nil
	}
	s.complete = completeness{}
	return s.CheckLogs()
}

// SeeCommit checks host id's commit index c against what it had, as if
// its node had sent a message with it.
func (s *Safety) SeeCommit(id sim.HostID, c, applied uint64) {
	s.commitSeen(s.host(id), id, 0, c, applied)
}

// WithoutSenderRole skips SenderRole, for tests that report messages
// their nodes did not send to reach another check.
func (s *Safety) WithoutSenderRole() *Safety {
	s.senderRoleOff = true
	return s
}
