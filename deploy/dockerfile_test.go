package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line    int
	keyword string // upper case: FROM, RUN, COPY...
	args    string
	stage   string // the name (AS ...) or number of the stage it is in
}

func parseDockerfile(path string) ([]instruction, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []instruction
	stage, stages := "", 0
	var pending strings.Builder
	start := 0
	for i, raw := range strings.Split(string(b), "\n") {
		line := strings.TrimSpace(raw)
		if pending.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if pending.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		keyword, args, _ := strings.Cut(pending.String(), " ")
		pending.Reset()
		ins := instruction{line: start, keyword: strings.ToUpper(keyword), args: strings.TrimSpace(args)}
		if ins.keyword == "FROM" {
			f := strings.Fields(ins.args)
			stage = strconv.Itoa(stages)
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stage = f[2]
			}
			stages++
		}
		ins.stage = stage
		out = append(out, ins)
	}
	if pending.Len() > 0 {
		return nil, fmt.Errorf("%s: ends in a continuation line", path)
	}
	return out, nil
}

// goBuild is the build stage's go build command.
type goBuild struct {
	env     []string // the assignments before it, as in CGO_ENABLED=0
	args    []string // after "go build", -o and its path left out
	output  string   // the path -o names
	base    string   // the build stage's base image
	stage   string
	copied  string // where the last stage copies the binary
	final   string // the last stage's base image
	command []string
}

func dockerBuild(t *testing.T) goBuild {
	t.Helper()
	ins, err := parseDockerfile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var b goBuild
	for _, in := range ins {
		switch {
		case in.keyword == "FROM":
			b.final = strings.Fields(in.args)[0]
		case in.keyword == "RUN" && strings.Contains(in.args, "go build"):
			if b.output != "" {
				t.Fatalf("Dockerfile:%d: a second go build", in.line)
			}
			if strings.ContainsAny(in.args, `'"$;&|`) {
				t.Fatalf("Dockerfile:%d: the build command must be plain words (no quotes, variables or shell operators), so that these tests run it as it is: %s", in.line, in.args)
			}
			words := strings.Fields(in.args)
			for len(words) > 0 && strings.Contains(words[0], "=") {
				b.env, words = append(b.env, words[0]), words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				t.Fatalf("Dockerfile:%d: %q is not a go build command", in.line, in.args)
			}
			for i := 2; i < len(words); i++ {
				if words[i] == "-o" && i+1 < len(words) {
					b.output = words[i+1]
					i++
					continue
				}
				b.args = append(b.args, words[i])
			}
			b.stage = in.stage
			b.base = b.final
		case in.keyword == "COPY" && strings.HasPrefix(in.args, "--from="):
			f := strings.Fields(in.args)
			if len(f) == 3 && f[0] == "--from="+b.stage && f[1] == b.output {
				b.copied = f[2]
			}
		case in.keyword == "ENTRYPOINT":
			b.command = nil
			for _, w := range strings.Split(strings.Trim(in.args, "[] "), ",") {
				b.command = append(b.command, strings.Trim(strings.TrimSpace(w), `"`))
			}
		}
	}
	if b.output == "" || b.copied == "" {
		t.Fatalf("the Dockerfile has no go build -o PATH whose PATH a later stage copies (build -o %q, copied to %q)", b.output, b.copied)
	}
	return b
}

// imageBinary is where the image holds simrun.
func imageBinary(t *testing.T) string { return dockerBuild(t).copied }

func TestTheImageHoldsWhatTheJobRunsAndNoShell(t *testing.T) {
	b := dockerBuild(t)
	job := sweepJob(t)
	ctr := job.Spec.Template.Spec.Containers[0]
	if len(ctr.Command) != 1 || ctr.Command[0] != b.copied {
		t.Errorf("the Job runs %q; the image holds simrun at %s and nothing else to run", ctr.Command, b.copied)
	}
	if !slices.Equal(b.command, []string{b.copied}) {
		t.Errorf("the image's ENTRYPOINT is %q, not its simrun %s", b.command, b.copied)
	}
	if b.final != "scratch" && !strings.HasPrefix(b.final, "gcr.io/distroless/static") {
		t.Errorf("the image is based on %s; the Job needs no shell and the binary is static: scratch or distroless/static", b.final)
	}
	if !slices.Contains(b.env, "CGO_ENABLED=0") {
		t.Errorf("the build sets %q, not CGO_ENABLED=0: a dynamically linked simrun does not run on %s", b.env, b.final)
	}
}

func TestTheBuildImageHasTheModulesGo(t *testing.T) {
	b := dockerBuild(t)
	image, tag, _ := strings.Cut(b.base, ":")
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var need string
	for _, line := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			need = strings.TrimSpace(v)
		}
	}
	if image != "golang" || need == "" || versionLess(tag, need) {
		t.Errorf("the build stage is %s; the main module needs go %s", b.base, need)
	}
}

// versionLess compares Go versions such as 1.26 and 1.23.4, ignoring
// anything after the numbers (the -bookworm of an image tag).
func versionLess(a, b string) bool {
	num := func(v string) []int {
		var out []int
		for _, p := range strings.Split(v, ".") {
			n, err := strconv.Atoi(strings.SplitN(p, "-", 2)[0])
			if err != nil {
				break
			}
			out = append(out, n)
		}
		return out
	}
	return slices.Compare(num(a), num(b)) < 0
}

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// simrunBinary builds simrun once for the package's tests, with the
// Dockerfile's own go build command run in the repository root.
func simrunBinary(t *testing.T) string {
	t.Helper()
	b := dockerBuild(t)
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "detsim-deploy-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "simrun")
		cmd := exec.Command("go", append([]string{"build", "-o", built.path}, b.args...)...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), b.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("the Dockerfile's build command fails: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
