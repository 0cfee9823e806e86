// Package deploy holds what runs a detsim sweep on Kubernetes, and the
// tests that keep it runnable: deploy/Dockerfile builds the simrun image,
// deploy/scenario-configmap.yaml carries a scenario, deploy/sweep-job.yaml
// is the Indexed Job that sweeps it. It is a module of its own so that the
// Kubernetes API types its tests decode into stay out of detsim's module.
// It has no Go API.
//
// A sweep runs in five steps, each a contract between the pieces:
//
//  1. The image holds the static simrun at /usr/local/bin/simrun and
//     nothing else, no shell. It is built by the go build command in
//     deploy/Dockerfile; the tests build simrun with that same command.
//  2. The ConfigMap detsim-scenario holds a scenario's JSON under the key
//     scenario.json; the Job mounts it at /scenarios. A scenario is data, so
//     a user's own runs without a new image.
//  3. The Job runs one pod per shard. Pod i runs
//     simrun sweep $(SCENARIO) -seeds $(SEEDS) -shard i/$(SHARDS) -j $(WORKERS) -json -
//     with the variables expanded by Kubernetes, not a shell. It prints
//     its progress and summary on stderr and its result, last, as one JSON
//     line on stdout. WORKERS is the pod's CPU request, GOMEMLIMIT sits below
//     its memory limit.
//  4. simrun's exit code tells Kubernetes what became of the shard, and the
//     Job's podFailurePolicy acts on it:
//     0: the shard's seeds behaved as the scenario declares; the index
//     succeeds. 1: a seed misbehaved; 3: a verdict is unknown. Either way
//     the result is in the log; the index fails without a retry
//     (FailIndex), since the same seeds give the same verdicts, and the
//     other shards run on; the Job ends Failed, reason FailedIndexes. (A
//     verdict left unknown by the checker's wall-clock limit might not
//     recur, but the merge names its seeds, to run again alone.)
//     2: a usage or input error; 4: an internal failure of simrun (a
//     panic in the harness, or its memory budget exhausted): every shard
//     would do the same, so the Job fails at once (FailJob).
//     Any other code, 137 above all (SIGKILL: the OOM killer, or the end
//     of the grace period), counts against backoffLimitPerIndex (1): the
//     shard runs once more, then its index fails. A pod evicted or
//     preempted (condition DisruptionTarget) runs again, uncounted.
//     activeDeadlineSeconds bounds the whole Job.
//  5. kubectl logs --prefix of all the Job's pods, piped to simrun merge -,
//     combines the results: merge skips every line that does not begin
//     with "{" after kubectl's prefix, refuses a result cut short (naming
//     the line and the pod), counts a shard reported twice once if both
//     reports agree, checks that the shards cover the range exactly once
//     (a shard whose pods were all killed is a gap it names), and judges
//     the scenario's expectations and probes over the whole range. Its
//     exit code is the sweep's verdict: 0, 1 or 3 as above, 2 if the
//     results are incomplete or malformed.
//
// The tests decode every manifest strictly into the k8s.io/api types of
// Kubernetes 1.33 (the release in which backoffLimitPerIndex became GA),
// so a field that release lacks or a misspelt one fails; check what
// decoding cannot (enumerations, names that must agree, $(VAR) references
// that would stay unexpanded); and emulate the Job: they run the pods'
// commands as Kubernetes would build them, apply the podFailurePolicy to
// their exit codes, and merge their logs. Docker is not available to the
// tests, so the image itself is not built; the Dockerfile's build command
// and paths are what they check.
package deploy
