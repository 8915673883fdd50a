package gitops

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipec/pipec/internal/crdcheck"
	"github.com/pipec/pipec/internal/fixture"
	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var _ targets.Target = Target{}

// withGitOps is the tweets fixture deployed by tool, with the schema's
// defaults; prod follows a release branch to show per-environment values.
func withGitOps(tool string) *schema.Spec {
	spec := fixture.Tweets()
	for _, p := range spec.Envs {
		p.GitOps = schema.GitOps{
			Tool:    tool,
			RepoURL: "https://github.com/example/data-pipelines.git",
			Branch:  "main",
			Path:    "deploy",
			ArgoCD:  schema.ArgoCDSettings{Project: "default", Namespace: "argocd"},
			Flux:    schema.FluxSettings{Namespace: "flux-system", Interval: "5m"},
		}
		if p.Env == "prod" {
			p.GitOps.Branch = "release"
		}
	}
	return spec
}

func generate(t *testing.T, spec *schema.Spec) []targets.File {
	t.Helper()
	files, err := Target{}.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func paths(files []targets.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path+" ("+f.Env+")")
	}
	return out
}

func TestLayout(t *testing.T) {
	for tool, want := range map[string][]string{
		"argocd": {
			"tweets/gitops/dev/application-tweets-dev.yaml (dev)",
			"tweets/gitops/prod/application-tweets-prod.yaml (prod)",
		},
		"flux": {
			"tweets/gitops/dev/gitrepository-tweets-dev.yaml (dev)",
			"tweets/gitops/dev/kustomization-tweets-dev.yaml (dev)",
			"tweets/gitops/prod/gitrepository-tweets-prod.yaml (prod)",
			"tweets/gitops/prod/kustomization-tweets-prod.yaml (prod)",
		},
		"none": nil,
	} {
		if got := paths(generate(t, withGitOps(tool))); !slices.Equal(got, want) {
			t.Errorf("%s: files\n%v\nwant\n%v", tool, got, want)
		}
	}
}

func TestMarker(t *testing.T) {
	for _, tool := range []string{"argocd", "flux"} {
		spec := withGitOps(tool)
		for _, f := range generate(t, spec) {
			if !bytes.HasPrefix(f.Data, []byte(targets.HashComment(spec))) {
				t.Errorf("%s does not start with the marker:\n%s", f.Path, f.Data)
			}
		}
	}
}

// TestObjectsMatchTheirCRDs validates every object the way an API server
// with Argo CD's and Flux's CRDs installed would on create.
func TestObjectsMatchTheirCRDs(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "gitops-crds")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("../shared/gitops-crds not found, cannot validate Application, GitRepository and Kustomization: %v", err)
	}
	crds, err := crdcheck.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, tool := range []string{"argocd", "flux"} {
		for _, f := range generate(t, withGitOps(tool)) {
			docs, err := manifest.Decode(f.Data)
			if err != nil || len(docs) != 1 {
				t.Fatalf("%s: %d documents, %v", f.Path, len(docs), err)
			}
			seen[docs[0]["kind"].(string)]++
			if err := crds.Validate(docs[0]); err != nil {
				t.Errorf("%s:\n%v", f.Path, err)
			}
		}
	}
	if seen["Application"] != 2 || seen["GitRepository"] != 2 || seen["Kustomization"] != 2 {
		t.Errorf("validated %v; want two of each kind", seen)
	}
}

// TestPointsAtRendered pins the contract with the Kubernetes target: the
// controllers read rendered/<env> under the configured root, in the
// environment's namespace, from the environment's branch.
func TestPointsAtRendered(t *testing.T) {
	for _, f := range generate(t, withGitOps("flux")) {
		s := string(f.Data)
		if strings.Contains(f.Path, "prod/kustomization") {
			for _, want := range []string{"path: ./deploy/tweets/rendered/prod\n", "targetNamespace: tweets-prod\n", "prune: true\n", "wait: true\n"} {
				if !strings.Contains(s, want) {
					t.Errorf("%s lacks %q:\n%s", f.Path, want, s)
				}
			}
		}
		if strings.Contains(f.Path, "prod/gitrepository") && !strings.Contains(s, "branch: release\n") {
			t.Errorf("%s does not follow prod's branch:\n%s", f.Path, s)
		}
	}
	for _, f := range generate(t, withGitOps("argocd")) {
		if strings.Contains(f.Path, "/dev/") && !strings.Contains(string(f.Data), "path: deploy/tweets/rendered/dev\n") {
			t.Errorf("%s does not point at rendered/dev:\n%s", f.Path, f.Data)
		}
	}
}

// TestGolden keeps one environment's objects of each tool under review in
// testdata/: go test -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tool := range []string{"argocd", "flux"} {
		for _, f := range generate(t, withGitOps(tool)) {
			if f.Env != "prod" {
				continue
			}
			file := filepath.Join("testdata", filepath.Base(f.Path))
			if *update {
				if err := os.WriteFile(file, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(f.Data, want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", f.Path, file, f.Data)
			}
		}
	}
}

func TestName(t *testing.T) {
	if got := (Target{}).Name(); got != "gitops" {
		t.Errorf("Name() = %q", got)
	}
}

// TestExamplesMatchTheirCRDs validates what `pipec build` wrote for the
// example pipelines, the golden output of this target.
func TestExamplesMatchTheirCRDs(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "gitops-crds")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("../shared/gitops-crds not found, cannot validate the examples' GitOps objects: %v", err)
	}
	crds, err := crdcheck.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "deploy", "*", "gitops", "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no GitOps objects under deploy/ (%v): run go run ./cmd/pipec build ./pipelines/...", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := manifest.Decode(data)
		if err != nil || len(docs) != 1 {
			t.Fatalf("%s: %d documents, %v", f, len(docs), err)
		}
		if err := crds.Validate(docs[0]); err != nil {
			t.Errorf("%s:\n%v", f, err)
		}
	}
}
