package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// decodeManifest decodes one Kubernetes object strictly: a field the API
// type lacks, a duplicate field or a value of the wrong type is an error.
func decodeManifest(b []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(b, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	default:
		return nil, fmt.Errorf("apiVersion %q kind %q: not a kind these tests know", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(b, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func decodeFile[T any](t *testing.T, path string) T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := decodeManifest(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	typed, ok := obj.(T)
	if !ok {
		t.Fatalf("%s holds a %T, not a %T", path, obj, typed)
	}
	return typed
}

func sweepJob(t *testing.T) *batchv1.Job { return decodeFile[*batchv1.Job](t, "sweep-job.yaml") }

func scenarioConfigMap(t *testing.T) *corev1.ConfigMap {
	return decodeFile[*corev1.ConfigMap](t, "scenario-configmap.yaml")
}

func TestEveryManifestDecodesStrictly(t *testing.T) {
	paths, err := filepath.Glob("*.yaml")
	if err != nil || len(paths) < 2 {
		t.Fatalf("manifests: %v %v", paths, err)
	}
	for _, path := range paths {
		b, _ := os.ReadFile(path)
		if _, err := decodeManifest(b); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestDecodingRefusesWhatTheAPIServerWould(t *testing.T) {
	job, _ := os.ReadFile("sweep-job.yaml")
	cases := map[string]string{
		"a misspelt field":           strings.Replace(string(job), "\n  backoffLimitPerIndex:", "\n  backofLimitPerIndex:", 1),
		"a field in the wrong place": strings.Replace(string(job), "  completionMode: Indexed\n", "  completionMode: Indexed\n  restartPolicy: Never\n", 1),
		"a duplicate field":          strings.Replace(string(job), "  completions: 16\n", "  completions: 16\n  completions: 8\n", 1),
		"a quantity that is not one": strings.Replace(string(job), "memory: 2Gi", "memory: 2 gigs", 1),
		"an unknown kind":            strings.Replace(string(job), "kind: Job", "kind: Jobb", 1),
	}
	for name, manifest := range cases {
		if manifest == string(job) {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if _, err := decodeManifest([]byte(manifest)); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
}

// validateJob checks what strict decoding cannot: the enumerations, the
// rules the API server enforces on the fields this Job uses, and the names
// that must agree across the manifests.
func validateJob(job *batchv1.Job, cm *corev1.ConfigMap) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	spec := job.Spec
	pod := spec.Template.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		bad("completionMode must be Indexed: pods find their shard in JOB_COMPLETION_INDEX")
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Parallelism > *spec.Completions || *spec.Parallelism < 1 {
		bad("completions and parallelism must be set, 1 <= parallelism <= completions")
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		bad("restartPolicy %q: a podFailurePolicy and backoffLimitPerIndex need Never", pod.RestartPolicy)
	}
	if spec.BackoffLimitPerIndex == nil {
		bad("backoffLimitPerIndex is unset: one shard's failures would use up the retries of all")
	}
	if spec.ActiveDeadlineSeconds == nil {
		bad("activeDeadlineSeconds is unset: nothing bounds a sweep that never ends")
	}
	if len(pod.Containers) != 1 {
		bad("%d containers, want the one that sweeps", len(pod.Containers))
		return errs
	}
	c := pod.Containers[0]
	if spec.PodFailurePolicy == nil {
		bad("no podFailurePolicy: a shard that found a bug would be retried as if it were transient")
	} else {
		for i, r := range spec.PodFailurePolicy.Rules {
			switch r.Action {
			case batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionIgnore, batchv1.PodFailurePolicyActionCount:
			case batchv1.PodFailurePolicyActionFailIndex:
				if spec.BackoffLimitPerIndex == nil {
					bad("rule %d: FailIndex needs backoffLimitPerIndex", i)
				}
			default:
				bad("rule %d: unknown action %q", i, r.Action)
			}
			if (r.OnExitCodes == nil) == (len(r.OnPodConditions) == 0) {
				bad("rule %d: needs exactly one of onExitCodes and onPodConditions", i)
			}
			if e := r.OnExitCodes; e != nil {
				if e.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn && e.Operator != batchv1.PodFailurePolicyOnExitCodesOpNotIn {
					bad("rule %d: unknown operator %q", i, e.Operator)
				}
				if e.ContainerName != nil && *e.ContainerName != c.Name {
					bad("rule %d: containerName %q names no container (the container is %q)", i, *e.ContainerName, c.Name)
				}
				if e.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && slices.Contains(e.Values, 0) {
					bad("rule %d: exit code 0 cannot be In", i)
				}
				if len(e.Values) == 0 || !slices.IsSorted(e.Values) || len(slices.Compact(slices.Clone(e.Values))) != len(e.Values) {
					bad("rule %d: exit codes %v must be given in order, without repeats", i, e.Values)
				}
			}
		}
	}
	if c.Resources.Limits.Cpu().IsZero() && c.Resources.Requests.Cpu().IsZero() {
		bad("no CPU request: WORKERS has nothing to follow")
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if shards, ok := env["SHARDS"]; !ok || spec.Completions == nil || shards.Value != fmt.Sprint(*spec.Completions) {
		bad("SHARDS %q must equal completions: shards no pod runs are gaps, pods beyond SHARDS fail", shards.Value)
	}
	if limit, ok := env["GOMEMLIMIT"]; ok {
		soft, err := resource.ParseQuantity(strings.TrimSuffix(limit.Value, "B"))
		hard := c.Resources.Limits.Memory()
		if err != nil || hard.IsZero() || soft.Cmp(*hard) >= 0 {
			bad("GOMEMLIMIT %q must be below the memory limit %v", limit.Value, hard)
		}
	}
	for _, m := range c.VolumeMounts {
		i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 {
			bad("volumeMount %q names no volume", m.Name)
			continue
		}
		if v := pod.Volumes[i]; v.ConfigMap != nil && v.ConfigMap.Name != cm.Name {
			bad("volume %q mounts ConfigMap %q, but the manifest makes %q", v.Name, v.ConfigMap.Name, cm.Name)
		}
	}
	return errs
}

func TestTheJobIsConsistent(t *testing.T) {
	job, cm := sweepJob(t), scenarioConfigMap(t)
	for _, err := range validateJob(job, cm) {
		t.Error(err)
	}
	// The checks above must be able to fail.
	broken := job.DeepCopy()
	broken.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	broken.Spec.PodFailurePolicy.Rules[0].Action = "FailIndx"
	env := broken.Spec.Template.Spec.Containers[0].Env
	env[slices.IndexFunc(env, func(e corev1.EnvVar) bool { return e.Name == "SHARDS" })].Value = "15"
	broken.Spec.Template.Spec.Volumes[0].ConfigMap.Name = "detsim-scenarios"
	if errs := validateJob(broken, cm); len(errs) != 4 {
		t.Errorf("a Job broken four ways gets %d errors: %q", len(errs), errs)
	}
}
