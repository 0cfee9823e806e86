package scenarios

// Probe names something that must happen in at least some seeds of a
// scenario ("sometimes" assertions, after Antithesis and FoundationDB's
// buggify coverage). A probe that never fires over a seed set means the
// scenario's faults never bit: the run passed without testing anything.
type Probe string

const (
	// ProbeLeaderChange: a second leader was elected.
	ProbeLeaderChange Probe = "leader-change"
	// ProbeOpTimeout: an operation's outcome stayed unknown.
	ProbeOpTimeout Probe = "op-timeout"
	// ProbeSnapshotInstalled: a server installed a snapshot from the leader.
	ProbeSnapshotInstalled Probe = "snapshot-installed"
	// ProbeLeaderCutOff: a partition cut the leader off from a majority.
	ProbeLeaderCutOff Probe = "leader-cut-off"
	// ProbeCrash: a server crashed.
	ProbeCrash Probe = "crash"
	// ProbeMembershipChange: a membership change committed.
	ProbeMembershipChange Probe = "membership-change"
	// ProbeFailed: the run failed a check (for scenarios that are expected
	// to find a bug in some seeds, not all).
	ProbeFailed Probe = "failed"
)

// AllProbes lists every probe.
var AllProbes = []Probe{ProbeLeaderChange, ProbeOpTimeout, ProbeSnapshotInstalled, ProbeLeaderCutOff, ProbeCrash, ProbeMembershipChange, ProbeFailed}

func (r *Result) evalProbes() {
	fired := map[Probe]bool{
		ProbeLeaderChange:      r.LeaderChanges > 0,
		ProbeOpTimeout:         r.Ops.Unknown > 0,
		ProbeSnapshotInstalled: r.SnapshotsInstalled > 0,
		ProbeLeaderCutOff:      r.LeaderCutOffs > 0,
		ProbeCrash:             r.Crashes > 0,
		ProbeMembershipChange:  r.MembershipChanges > 0,
		ProbeFailed:            r.Verdict == Fail,
	}
	r.Probes = map[Probe]bool{}
	for _, p := range AllProbes {
		r.Probes[p] = fired[p]
	}
}
