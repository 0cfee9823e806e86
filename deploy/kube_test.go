package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// What follows emulates the parts of Kubernetes a sweep relies on: the
// expansion of $(VAR) in a container's command, args and env, the
// variables the Job controller adds, the podFailurePolicy, the retries
// of backoffLimitPerIndex, and kubectl logs --prefix.

// expand replaces $(NAME) in s as Kubernetes does: with NAME's value if
// NAME is defined; "$$" is a literal "$"; a reference to an undefined name
// stays as written, and is returned in missing.
func expand(s string, env map[string]string) (out string, missing []string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String(), missing
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
				missing = append(missing, name)
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), missing
}

func TestExpandFollowsKubernetes(t *testing.T) {
	env := map[string]string{"A": "a", "EMPTY": ""}
	cases := []struct{ in, want, missing string }{
		{"$(A)", "a", ""},
		{"x$(A)y$(A)", "xaya", ""},
		{"$(EMPTY)/$(A)", "/a", ""},
		{"$$(A)", "$(A)", ""},
		{"$$$(A)", "$a", ""},
		{"$(B)", "$(B)", "B"},
		{"$A", "$A", ""},
		{"$(A", "$(A", ""},
		{"cost: 5$", "cost: 5$", ""},
	}
	for _, c := range cases {
		got, missing := expand(c.in, env)
		if got != c.want || strings.Join(missing, ",") != c.missing {
			t.Errorf("expand(%q) = %q, missing %q; want %q, missing %q", c.in, got, missing, c.want, c.missing)
		}
	}
}

const indexAnnotation = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

// containerEnv is the environment of the container c in the pod of the
// given index, in order, as the kubelet builds it: the controller appends
// JOB_COMPLETION_INDEX (from the pod's annotation) to the template's env,
// and a value may refer to the variables defined before it. override
// replaces values of the manifest's variables.
func containerEnv(c corev1.Container, index int, override map[string]string) ([]string, map[string]string, error) {
	env := slices.Clone(c.Env)
	if !slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == "JOB_COMPLETION_INDEX" }) {
		env = append(env, corev1.EnvVar{Name: "JOB_COMPLETION_INDEX", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: indexAnnotation}}})
	}
	var list []string
	values := map[string]string{}
	for _, e := range env {
		v, err := envValue(c, e, index, values)
		if err != nil {
			return nil, nil, fmt.Errorf("env %s: %v", e.Name, err)
		}
		if o, ok := override[e.Name]; ok {
			v = o
		}
		values[e.Name] = v
		list = append(list, e.Name+"="+v)
	}
	for name := range override {
		if _, ok := values[name]; !ok {
			return nil, nil, fmt.Errorf("override of %s, which the container does not define", name)
		}
	}
	return list, values, nil
}

func envValue(c corev1.Container, e corev1.EnvVar, index int, defined map[string]string) (string, error) {
	src := e.ValueFrom
	switch {
	case src == nil:
		v, missing := expand(e.Value, defined)
		if len(missing) > 0 {
			return "", fmt.Errorf("refers to %v, not defined before it", missing)
		}
		return v, nil
	case src.FieldRef != nil && src.FieldRef.FieldPath == indexAnnotation:
		return strconv.Itoa(index), nil
	case src.ResourceFieldRef != nil:
		ref := src.ResourceFieldRef
		if ref.ContainerName != "" && ref.ContainerName != c.Name {
			return "", fmt.Errorf("resourceFieldRef names container %q, not %q", ref.ContainerName, c.Name)
		}
		kind, name, _ := strings.Cut(ref.Resource, ".")
		list := map[string]corev1.ResourceList{"requests": c.Resources.Requests, "limits": c.Resources.Limits}[kind]
		q, ok := list[corev1.ResourceName(name)]
		if !ok {
			return "", fmt.Errorf("resourceFieldRef %q: the container sets no such resource", ref.Resource)
		}
		divisor := ref.Divisor
		if divisor.IsZero() {
			divisor = resource.MustParse("1")
		}
		// Kubernetes rounds up: a request of 500m CPU with divisor 1 is "1".
		units := (q.MilliValue() + divisor.MilliValue() - 1) / divisor.MilliValue()
		return strconv.FormatInt(units, 10), nil
	}
	return "", errors.New("a valueFrom these tests do not emulate")
}

// policyAction is what the Job's podFailurePolicy makes of a failed pod:
// the action of the first rule that matches, or Count if none does.
func policyAction(job *batchv1.Job, container string, exit int, disrupted bool) batchv1.PodFailurePolicyAction {
	for _, r := range job.Spec.PodFailurePolicy.Rules {
		if e := r.OnExitCodes; e != nil {
			if e.ContainerName != nil && *e.ContainerName != container {
				continue
			}
			in := slices.Contains(e.Values, int32(exit))
			if in == (e.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) {
				return r.Action
			}
		}
		for _, p := range r.OnPodConditions {
			if p.Type == corev1.DisruptionTarget && disrupted && p.Status != corev1.ConditionFalse {
				return r.Action
			}
		}
	}
	return batchv1.PodFailurePolicyActionCount
}

func TestThePolicyActsOnEveryExitCodeAsDocumented(t *testing.T) {
	job := sweepJob(t)
	name := job.Spec.Template.Spec.Containers[0].Name
	want := map[int]batchv1.PodFailurePolicyAction{
		1:   batchv1.PodFailurePolicyActionFailIndex,
		3:   batchv1.PodFailurePolicyActionFailIndex,
		2:   batchv1.PodFailurePolicyActionFailJob,
		137: batchv1.PodFailurePolicyActionCount,
		143: batchv1.PodFailurePolicyActionCount,
		4:   batchv1.PodFailurePolicyActionFailJob,
		5:   batchv1.PodFailurePolicyActionCount,
	}
	for exit, action := range want {
		if got := policyAction(job, name, exit, false); got != action {
			t.Errorf("exit %d: %s, want %s", exit, got, action)
		}
	}
	// An evicted pod runs again, uncounted. The rules match in order, so
	// an exit code a rule names wins over the eviction: a pod that exited
	// 2 as it was evicted still fails the Job.
	for exit, action := range map[int]batchv1.PodFailurePolicyAction{143: batchv1.PodFailurePolicyActionIgnore, 137: batchv1.PodFailurePolicyActionIgnore, 2: batchv1.PodFailurePolicyActionFailJob} {
		if got := policyAction(job, name, exit, true); got != action {
			t.Errorf("evicted, exit %d: %s, want %s", exit, got, action)
		}
	}
}

// fault is what the emulated cluster does to one attempt of one index.
type fault int

const (
	noFault fault = iota
	oomKill       // the kernel kills the container before it prints its result: exit 137
	evict         // the node is drained: SIGTERM (exit 143), condition DisruptionTarget
)

type pod struct {
	name      string
	index     int
	exit      int
	disrupted bool
	action    batchv1.PodFailurePolicyAction // or "Succeeded"
	output    string                         // stderr and stdout, as the container log holds them
}

type jobOutcome struct {
	pods          []pod
	failedIndexes []int
	condition     batchv1.JobConditionType
	reason        string
}

// cluster runs a Job's pods as processes: the image's simrun for the
// container's command, the ConfigMaps as directories in place of their
// mounts.
type cluster struct {
	t          *testing.T
	simrun     string // the image's binary, built as the Dockerfile builds it
	configMaps []*corev1.ConfigMap
	override   map[string]string
	fault      func(index, attempt int) fault
	rand       *rand.Rand
}

func newCluster(t *testing.T, configMaps ...*corev1.ConfigMap) *cluster {
	return &cluster{t: t, simrun: simrunBinary(t), configMaps: configMaps, rand: rand.New(rand.NewPCG(11, 0))}
}

// run runs the Job to its end, one index after another, as the Job
// controller would with unlimited parallelism: retries, failed indexes and
// FailJob as in Kubernetes.
func (c *cluster) run(job *batchv1.Job) jobOutcome {
	c.t.Helper()
	var out jobOutcome
	limit := int(*job.Spec.BackoffLimitPerIndex)
	for index := 0; index < int(*job.Spec.Completions); index++ {
		counted := 0
		for attempt := 0; ; attempt++ {
			if attempt > 10 {
				c.t.Fatalf("index %d: run %d times; the Job would retry it forever", index, attempt)
			}
			p := c.runPod(job, index, attempt)
			out.pods = append(out.pods, p)
			switch p.action {
			case "Succeeded":
			case batchv1.PodFailurePolicyActionIgnore:
				continue
			case batchv1.PodFailurePolicyActionCount:
				if counted++; counted <= limit {
					continue
				}
				out.failedIndexes = append(out.failedIndexes, index)
			case batchv1.PodFailurePolicyActionFailIndex:
				out.failedIndexes = append(out.failedIndexes, index)
			case batchv1.PodFailurePolicyActionFailJob:
				out.condition, out.reason = batchv1.JobFailed, batchv1.JobReasonPodFailurePolicy
				return out
			}
			break
		}
	}
	out.condition = batchv1.JobComplete
	if len(out.failedIndexes) > 0 {
		out.condition, out.reason = batchv1.JobFailed, batchv1.JobReasonFailedIndexes
	}
	return out
}

func (c *cluster) runPod(job *batchv1.Job, index, attempt int) pod {
	c.t.Helper()
	spec := job.Spec.Template.Spec
	ctr := spec.Containers[0]
	envList, values, err := containerEnv(ctr, index, c.override)
	if err != nil {
		c.t.Fatal(err)
	}
	var argv []string
	for _, a := range append(slices.Clone(ctr.Command), ctr.Args...) {
		v, missing := expand(a, values)
		if len(missing) > 0 {
			c.t.Fatalf("%q: Kubernetes would pass $(%s) on unexpanded", a, strings.Join(missing, "), $("))
		}
		argv = append(argv, c.mountPaths(spec, ctr, v))
	}
	if argv[0] != imageBinary(c.t) {
		c.t.Fatalf("the container runs %q; the image holds simrun at %q", argv[0], imageBinary(c.t))
	}
	// The root filesystem is read-only: the pod starts in an empty
	// directory and must leave it empty.
	cwd := c.t.TempDir()
	cmd := exec.Command(c.simrun, argv[1:]...)
	cmd.Env, cmd.Dir = envList, cwd
	var stdout, logged bytes.Buffer
	cmd.Stderr = &logged
	cmd.Stdout = &logged
	f := noFault
	if c.fault != nil {
		f = c.fault(index, attempt)
	}
	if f != noFault {
		cmd.Stdout = &stdout // never reaches the log
	}
	p := pod{name: fmt.Sprintf("%s-%d-%s", job.Name, index, c.suffix()), index: index}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() < 0 {
			c.t.Fatalf("pod %s: %v", p.name, err)
		}
		p.exit = exit.ExitCode()
	}
	switch f {
	case oomKill:
		p.exit = 137
	case evict:
		p.exit, p.disrupted = 143, true
	}
	if left, _ := os.ReadDir(cwd); len(left) > 0 {
		c.t.Errorf("pod %s wrote %s into its working directory; the root filesystem is read-only", p.name, left[0].Name())
	}
	p.output = logged.String()
	p.action = "Succeeded"
	if p.exit != 0 {
		p.action = policyAction(job, ctr.Name, p.exit, p.disrupted)
	}
	return p
}

// mountPaths puts the directories that stand in for the container's
// mounts in place of the mount paths in arg.
func (c *cluster) mountPaths(spec corev1.PodSpec, ctr corev1.Container, arg string) string {
	for _, m := range ctr.VolumeMounts {
		if arg != m.MountPath && !strings.HasPrefix(arg, m.MountPath+"/") {
			continue
		}
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		vol := spec.Volumes[i].ConfigMap
		if vol == nil {
			c.t.Fatalf("volume %q: only ConfigMap volumes are emulated", m.Name)
		}
		dir := c.t.TempDir()
		j := slices.IndexFunc(c.configMaps, func(cm *corev1.ConfigMap) bool { return cm.Name == vol.Name })
		switch {
		case j >= 0:
			for key, data := range c.configMaps[j].Data {
				if err := os.WriteFile(filepath.Join(dir, key), []byte(data), 0o444); err != nil {
					c.t.Fatal(err)
				}
			}
		case vol.Optional == nil || !*vol.Optional:
			c.t.Fatalf("ConfigMap %q does not exist and is not optional: the pod would wait for it forever", vol.Name)
		}
		return dir + strings.TrimPrefix(arg, m.MountPath)
	}
	return arg
}

// suffix is the random part of a pod's name, from the alphabet Kubernetes
// draws it from.
func (c *cluster) suffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[c.rand.IntN(len(alphabet))]
	}
	return string(b)
}

// kubectlLogs is what `kubectl logs -l ... --prefix` prints for the pods:
// every pod's log, its lines behind "[pod/NAME/CONTAINER] ", the pods in
// no particular order.
func (c *cluster) kubectlLogs(container string, pods []pod) string {
	order := c.rand.Perm(len(pods))
	var b strings.Builder
	for _, i := range order {
		for _, line := range strings.SplitAfter(pods[i].output, "\n") {
			if line != "" {
				fmt.Fprintf(&b, "[pod/%s/%s] %s", pods[i].name, container, line)
			}
		}
	}
	return b.String()
}

// merge runs simrun merge - on a log, as the README's pipe does.
func (c *cluster) merge(log string) (code int, stdout, stderr string) {
	c.t.Helper()
	cmd := exec.Command(c.simrun, "merge", "-")
	cmd.Stdin = strings.NewReader(log)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		c.t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}
