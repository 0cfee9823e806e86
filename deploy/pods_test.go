package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// smallSweep is the Job with a seed range small enough for a test: every
// shard still gets seeds of its own.
const smallSweep = "0:40"

func actions(pods []pod) map[batchv1.PodFailurePolicyAction]int {
	n := map[batchv1.PodFailurePolicyAction]int{}
	for _, p := range pods {
		n[p.action]++
	}
	return n
}

func TestTheJobSweepsTheConfigMapsScenarioAndItsLogsMerge(t *testing.T) {
	job, cm := sweepJob(t), scenarioConfigMap(t)
	c := newCluster(t, cm)
	c.override = map[string]string{"SEEDS": smallSweep}
	got := c.run(job)
	shards := int(*job.Spec.Completions)
	if got.condition != batchv1.JobComplete || len(got.pods) != shards || actions(got.pods)["Succeeded"] != shards {
		t.Fatalf("the Job ends %s (%s) after %d pods %v; want Complete after %d that succeeded", got.condition, got.reason, len(got.pods), actions(got.pods), shards)
	}
	code, out, errOut := c.merge(c.kubectlLogs("sweep", got.pods))
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"example-leader-partition seeds " + smallSweep + "\n", "40 runs: 40 pass, 0 fail, 0 unknown", "every seed behaved as the scenario declares"} {
		if !strings.Contains(out, want) {
			t.Errorf("the merge does not say %q:\n%s", want, out)
		}
	}
}

// withScenario is the ConfigMap with its scenario changed by edit.
func withScenario(t *testing.T, cm *corev1.ConfigMap, edit func(map[string]any)) *corev1.ConfigMap {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal([]byte(cm.Data["scenario.json"]), &s); err != nil {
		t.Fatal(err)
	}
	edit(s)
	b, _ := json.Marshal(s)
	out := cm.DeepCopy()
	out.Data["scenario.json"] = string(b)
	return out
}

func TestShardsThatFindBugsFailTheirIndexOnceAndTheMergeFails(t *testing.T) {
	// A heal phase too short to converge in: every seed misbehaves.
	cm := withScenario(t, scenarioConfigMap(t), func(s map[string]any) { s["heal_phase"] = "20ms" })
	job := sweepJob(t)
	c := newCluster(t, cm)
	c.override = map[string]string{"SEEDS": smallSweep}
	got := c.run(job)
	shards := int(*job.Spec.Completions)
	if got.condition != batchv1.JobFailed || got.reason != batchv1.JobReasonFailedIndexes || len(got.failedIndexes) != shards {
		t.Fatalf("the Job ends %s (%s) with failed indexes %v; want Failed (FailedIndexes) with all %d", got.condition, got.reason, got.failedIndexes, shards)
	}
	if len(got.pods) != shards || actions(got.pods)[batchv1.PodFailurePolicyActionFailIndex] != shards {
		t.Fatalf("%d pods %v: each shard must run once, its index failed without a retry", len(got.pods), actions(got.pods))
	}
	code, out, errOut := c.merge(c.kubectlLogs("sweep", got.pods))
	if code != 1 || !strings.Contains(out, "40 runs: 0 pass, 40 fail") || !strings.Contains(out, "expected to pass, failed: convergence") {
		t.Fatalf("merge: exit %d, want 1\n%s%s", code, out, errOut)
	}
}

func TestExpectationsOfTheWholeRangeAreJudgedAtTheMerge(t *testing.T) {
	// A bug that never shows is a failure of the seed set, which no shard
	// sees alone: every pod succeeds, and the merge fails.
	cm := withScenario(t, scenarioConfigMap(t), func(s map[string]any) {
		s["expect"] = map[string]any{"verdict": "fail", "check": "linearizable"}
	})
	c := newCluster(t, cm)
	c.override = map[string]string{"SEEDS": smallSweep}
	got := c.run(sweepJob(t))
	if got.condition != batchv1.JobComplete {
		t.Fatalf("the Job ends %s (%s) %v", got.condition, got.reason, actions(got.pods))
	}
	code, out, errOut := c.merge(c.kubectlLogs("sweep", got.pods))
	if code != 1 || !strings.Contains(out, "expected to fail linearizable in some seed, but passed all 40") {
		t.Fatalf("merge: exit %d, want 1\n%s%s", code, out, errOut)
	}
}

func TestKilledShardsRunAgainAndAShardThatNeverFinishesIsAGap(t *testing.T) {
	job, cm := sweepJob(t), scenarioConfigMap(t)
	c := newCluster(t, cm)
	c.override = map[string]string{"SEEDS": smallSweep}
	c.fault = func(index, attempt int) fault {
		switch {
		case index == 3 && attempt == 0:
			return oomKill // once: the retry finishes the shard
		case index == 5 && attempt == 0:
			return evict // uncounted, so the OOM kill after it still has a retry
		case index == 5 && attempt == 1:
			return oomKill
		case index == 7:
			return oomKill // every time: the index fails
		}
		return noFault
	}
	got := c.run(job)
	shards := int(*job.Spec.Completions)
	byIndex := map[int]int{}
	for _, p := range got.pods {
		byIndex[p.index]++
	}
	if byIndex[3] != 2 || byIndex[5] != 3 || byIndex[7] != 2 || len(got.pods) != shards+4 {
		t.Errorf("pods per index %v; want 2 for index 3, 3 for index 5, 2 for index 7, one for the others", byIndex)
	}
	if got.condition != batchv1.JobFailed || got.reason != batchv1.JobReasonFailedIndexes || !slices.Equal(got.failedIndexes, []int{7}) {
		t.Fatalf("the Job ends %s (%s) with failed indexes %v; want Failed (FailedIndexes) with index 7", got.condition, got.reason, got.failedIndexes)
	}
	// Index 7's part of 0:40 in 16 shards is 17:20.
	code, out, errOut := c.merge(c.kubectlLogs("sweep", got.pods))
	if code != 2 || !strings.Contains(errOut, "seeds 17:20 are in no shard") {
		t.Fatalf("merge with index 7 lost: exit %d, want 2 naming seeds 17:20\n%s%s", code, out, errOut)
	}
	// Without index 7's pods the rest merge: the killed attempts printed
	// no result, the retries did.
	rest := slices.DeleteFunc(slices.Clone(got.pods), func(p pod) bool { return p.index == 7 })
	c.fault = nil
	rest = append(rest, c.runPod(job, 7, 2))
	if code, out, errOut := c.merge(c.kubectlLogs("sweep", rest)); code != 0 || !strings.Contains(out, "40 runs: 40 pass") {
		t.Fatalf("merge after index 7 ran: exit %d\n%s%s", code, out, errOut)
	}
}

func TestABadSweepFailsTheJobAtItsFirstPod(t *testing.T) {
	cases := []struct {
		name       string
		override   map[string]string
		configMaps []*corev1.ConfigMap
		want       string
	}{
		{"a seed range that is none", map[string]string{"SEEDS": "9:3"}, []*corev1.ConfigMap{scenarioConfigMap(t)}, `-seeds "9:3": B must be greater than A`},
		{"no ConfigMap", nil, nil, "scenario.json: no such file or directory"},
		{"a scenario that does not decode", nil, []*corev1.ConfigMap{withScenario(t, scenarioConfigMap(t), func(s map[string]any) { s["servers"] = "five" })}, `"servers"`},
		{"an unknown built-in", map[string]string{"SCENARIO": "raft-hapy"}, nil, "did you mean raft-happy"},
	}
	for _, tc := range cases {
		c := newCluster(t, tc.configMaps...)
		c.override = tc.override
		got := c.run(sweepJob(t))
		if got.condition != batchv1.JobFailed || got.reason != batchv1.JobReasonPodFailurePolicy || len(got.pods) != 1 {
			t.Errorf("%s: the Job ends %s (%s) after %d pods; want Failed (PodFailurePolicy) after one", tc.name, got.condition, got.reason, len(got.pods))
			continue
		}
		if p := got.pods[0]; p.exit != 2 || !strings.Contains(p.output, tc.want) {
			t.Errorf("%s: the pod exits %d with %q; want 2 and %q", tc.name, p.exit, p.output, tc.want)
		}
	}
}

func TestTheJobSweepsABuiltInScenarioByName(t *testing.T) {
	c := newCluster(t)
	c.override = map[string]string{"SCENARIO": "raft-bug-stale-reads", "SEEDS": "1:17"}
	got := c.run(sweepJob(t))
	if got.condition != batchv1.JobComplete {
		t.Fatalf("the Job ends %s (%s) %v", got.condition, got.reason, actions(got.pods))
	}
	code, out, errOut := c.merge(c.kubectlLogs("sweep", got.pods))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("raft-bug-stale-reads seeds %s", "1:17")) || !strings.Contains(out, "expected to fail linearizable") {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errOut)
	}
}
