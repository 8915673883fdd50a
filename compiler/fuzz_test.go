package compiler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/targets/all"
)

// FuzzCompile feeds arbitrary spec source to vet and build. Whatever the
// input, compiling never panics; it either reports errors, each positioned
// in the spec or naming the directory, or yields a model every target turns
// into files without error, whose YAML decodes.
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/bad/*.txtar")
	for _, path := range seeds {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "pipeline.cue" {
				f.Add(string(file.Data))
			}
		}
	}
	f.Add(validSpec)
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "web", "app.py"), []byte("print(1)\n"), 0o644)
		if err := os.WriteFile(filepath.Join(dir, "pipeline.cue"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: dir})
		if err != nil {
			t.Fatal(err)
		}
		if res.Diagnostics.HasErrors() {
			for _, d := range res.Diagnostics {
				if d.File == "" && !strings.Contains(d.Message, "pipeline") && !strings.HasPrefix(d.Message, dir) {
					t.Errorf("unpositioned diagnostic: %s", d)
				}
			}
			return
		}
		for _, spec := range res.Specs {
			for _, target := range all.Targets() {
				files, err := target.Generate(spec)
				if err != nil {
					t.Fatalf("%s target failed on a spec vet accepted: %v\n%s", target.Name(), err, src)
				}
				for _, file := range files {
					if strings.HasSuffix(file.Path, ".yaml") {
						if _, err := manifest.Decode(file.Data); err != nil {
							t.Fatalf("%s: generated YAML does not decode: %v", file.Path, err)
						}
					}
				}
			}
		}
	})
}

const validSpec = `package shop

name:    "shop"
project: string
projectNumber: "123456789012"
images: web: {
	context: "web"
	python:  "3.12"
	copy: ["app.py"]
	command: ["python", "app.py"]
}
topics: orders: retention: "1d"
datasets: sales: tables: orders: fields: [{name: "data", type: "JSON"}]
subscriptions: "orders-to-bq": {topic: "orders", bigquery: table: "sales.orders"}
services: web: {image: "web", publishes: ["orders"], env: {A: "x", T: secret: "t"}}
dags: d: {schedule: "@daily", start: "2026-01-01", tasks: {a: image: "web", b: {image: "web", after: ["a"]}}}
environments: {dev: project: "shop-dev-123", prod: project: "shop-prod-123"}
`
