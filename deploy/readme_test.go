package deploy

import (
	"os"
	"path"
	"strings"
	"testing"
)

// TestTheREADMEsSequenceNamesWhatTheManifestsMake keeps the README's
// Kubernetes sequence true to the manifests: the names it creates, waits
// for and reads the logs of are the ones the Job uses.
func TestTheREADMEsSequenceNamesWhatTheManifestsMake(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## Sweeps across machines\n")
	if !ok {
		t.Fatal("the README has no section Sweeps across machines")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	section = strings.Join(strings.Fields(section), " ")
	job, cm := sweepJob(t), scenarioConfigMap(t)
	ctr := job.Spec.Template.Spec.Containers[0]
	var scenario string
	for _, e := range ctr.Env {
		if e.Name == "SCENARIO" {
			scenario = e.Value
		}
	}
	key := path.Base(scenario)
	if _, ok := cm.Data[key]; !ok || path.Dir(scenario) != ctr.VolumeMounts[0].MountPath {
		t.Fatalf("the Job reads %s, which is not a key of ConfigMap %s mounted at %s", scenario, cm.Name, ctr.VolumeMounts[0].MountPath)
	}
	logs := "kubectl logs -l batch.kubernetes.io/job-name=" + job.Name + " --prefix --tail=-1 --ignore-errors | simrun merge -"
	for _, want := range []string{
		"docker build -f deploy/Dockerfile ",
		"kubectl create configmap " + cm.Name + " --from-file=" + key + "=",
		"kubectl apply -f deploy/sweep-job.yaml",
		"kubectl get job " + job.Name + " ",
		logs,
		"kubectl delete job " + job.Name,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the README's sequence lacks %q", want)
		}
	}
	if *job.Spec.ActiveDeadlineSeconds != 6*3600 || !strings.Contains(section, "six hours") {
		t.Errorf("the README says the Job gives up after six hours; its activeDeadlineSeconds is %d", *job.Spec.ActiveDeadlineSeconds)
	}
	manifest, _ := os.ReadFile("sweep-job.yaml")
	if !strings.Contains(string(manifest), logs) {
		t.Errorf("the Job's own comment lacks %q", logs)
	}
}
