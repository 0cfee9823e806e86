package raftcheck

// CheckLogsInFull forgets what earlier scans checked, so that CheckLogs
// scans every log whole, as a reference for the incremental scan.
func (s *Safety) CheckLogsInFull() error {
	for i := range s.hosts {
		s.hosts[i].scanned = nil
	}
	s.complete = completeness{}
	return s.CheckLogs()
}
