package scaffold

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/schema"
)

// write puts a new pipeline into a temporary directory and returns it.
func write(t *testing.T, name, tmpl string) string {
	t.Helper()
	files, err := Files(name, tmpl, "./pipelines/"+name)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	for _, f := range files {
		if bytes.Contains(f.Data, []byte("__NAME__")) || bytes.Contains(f.Data, []byte("__PACKAGE__")) || bytes.Contains(f.Data, []byte("__DIR__")) {
			t.Errorf("%s keeps a placeholder", f.Path)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestTemplatesVetCleanly: a new pipeline compiles in every environment
// with no finding at all, warnings included, whatever its name.
func TestTemplatesVetCleanly(t *testing.T) {
	long := "a" + strings.Repeat("-b", (MaxName-1)/2)
	for _, tmpl := range Templates {
		for _, name := range []string{"clicks", "click-stream", long} {
			t.Run(tmpl.Name+"/"+name, func(t *testing.T) {
				dir := write(t, name, tmpl.Name)
				res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: filepath.Dir(dir)})
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				res.Diagnostics.Print(&b)
				if b.Len() > 0 || len(res.Specs) != 1 {
					t.Fatalf("%d specs, findings:\n%s", len(res.Specs), b.String())
				}
				spec := res.Specs[0]
				if spec.Name != name || len(spec.Envs) != 2 {
					t.Errorf("pipeline %q with %d environments", spec.Name, len(spec.Envs))
				}
			})
		}
	}
}

// TestTemplatesCUEVet loads each new pipeline the way `cue vet -c=false
// ./...` does, in process: the binding applies the vendored schema, and
// the spec satisfies it.
func TestTemplatesCUEVet(t *testing.T) {
	for _, tmpl := range Templates {
		t.Run(tmpl.Name, func(t *testing.T) {
			dir := write(t, "clicks", tmpl.Name)
			insts := load.Instances([]string{"./..."}, &load.Config{Dir: dir})
			if len(insts) != 1 || insts[0].Err != nil {
				t.Fatalf("%d instances, %v", len(insts), insts[0].Err)
			}
			imported := false
			for _, imp := range insts[0].Imports {
				imported = imported || imp.ImportPath == schema.ImportPath
			}
			if !imported {
				t.Error("the spec package does not import the vendored schema")
			}
			if err := cuecontext.New().BuildInstance(insts[0]).Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestTemplatesWithCUE runs the real `cue vet` on each new pipeline. It
// takes the cue command from PATH or, without -short, builds the version
// pipec uses.
func TestTemplatesWithCUE(t *testing.T) {
	cue, err := exec.LookPath("cue")
	if err != nil {
		if testing.Short() {
			t.Skip("no cue on PATH; without -short the test builds it: go install cuelang.org/go/cmd/cue@v0.17.1")
		}
		bin := t.TempDir()
		build := exec.Command("go", "install", "cuelang.org/go/cmd/cue@v0.17.1")
		build.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
		if out, err := build.CombinedOutput(); err != nil {
			t.Skipf("cannot build cue (offline?): %v\n%s", err, out)
		}
		cue = filepath.Join(bin, "cue")
	}
	for _, tmpl := range Templates {
		t.Run(tmpl.Name, func(t *testing.T) {
			dir := write(t, "clicks", tmpl.Name)
			vet := exec.Command(cue, "vet", "-c=false", "./...")
			vet.Dir = dir
			if out, err := vet.CombinedOutput(); err != nil {
				t.Fatalf("cue vet: %v\n%s", err, out)
			}
			// The schema is applied: a misspelt field fails.
			spec := filepath.Join(dir, "pipeline.cue")
			data, _ := os.ReadFile(spec)
			if err := os.WriteFile(spec, bytes.Replace(data, []byte("context:"), []byte("contxt:"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			vet = exec.Command(cue, "vet", "-c=false", "./...")
			vet.Dir = dir
			if out, err := vet.CombinedOutput(); err == nil || !strings.Contains(string(out), "contxt: field not allowed") {
				t.Errorf("cue vet accepted a misspelt field: %v\n%s", err, out)
			}
		})
	}
}

// TestTemplatesPython compiles the Python the templates hold.
func TestTemplatesPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3")
	}
	for _, tmpl := range Templates {
		dir := write(t, "clicks", tmpl.Name)
		matches, _ := filepath.Glob(filepath.Join(dir, "*", "*.py"))
		if len(matches) == 0 {
			t.Errorf("%s: no Python source", tmpl.Name)
		}
		for _, py := range matches {
			out, err := exec.Command("python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", py).CombinedOutput()
			if err != nil {
				t.Errorf("%s: %v\n%s", py, err, out)
			}
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, name := range []string{"clicks", "a1", "click-stream", "a" + strings.Repeat("b", MaxName-1)} {
		if err := CheckName(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	for name, want := range map[string]string{
		"":                                 "DNS-1123 label",
		"Clicks":                           "DNS-1123 label",
		"click_stream":                     "DNS-1123 label",
		"1clicks":                          "DNS-1123 label",
		"clicks-":                          "DNS-1123 label",
		"a" + strings.Repeat("b", MaxName): "at most 40 characters",
		"google-events":                    "goog",
		"for":                              "CUE keyword",
	} {
		if err := CheckName(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", name, err, want)
		}
	}
}

func TestUnknownTemplate(t *testing.T) {
	if _, err := Files("clicks", "lambda", "."); err == nil || !strings.Contains(err.Error(), "streaming, batch") {
		t.Errorf("error %v", err)
	}
}
