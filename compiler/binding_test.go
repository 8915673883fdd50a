package compiler

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pipec/pipec/schema"
)

// TestBadInputsWithVendoredSchema runs the bad-input corpus again with the
// schema vendored the way `pipec init` does it: a CUE module, the schema in
// cue.mod/gen, and a schema.cue that embeds it. pipec leaves schema.cue
// out, so every diagnostic is the same as without it; were the file kept,
// positions in the vendored copy would replace the user's.
func TestBadInputsWithVendoredSchema(t *testing.T) {
	archives, err := filepath.Glob("../testdata/bad/*.txtar")
	if err != nil || len(archives) == 0 {
		t.Fatalf("no corpus found: %v", err)
	}
	module, err := schema.ModuleFile(schema.ModuleName("bad"))
	if err != nil {
		t.Fatal(err)
	}
	pkgClause := regexp.MustCompile(`(?m)^package (\w+)$`)
	ran := 0
	for _, path := range archives {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pkg := ""
		for _, f := range ar.Files {
			if m := pkgClause.FindSubmatch(f.Data); m != nil && f.Name == "pipeline.cue" {
				pkg = string(m[1])
			}
		}
		if pkg == "" {
			continue // not a CUE spec, or not one package
		}
		ran++
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var want []byte
			files := map[string][]byte{
				schema.ModulePath:  module,
				schema.VendorPath:  schema.Vendored(),
				schema.BindingFile: schema.Binding(pkg),
			}
			for _, f := range ar.Files {
				if f.Name == "want" {
					want = f.Data
				} else {
					files[f.Name] = f.Data
				}
			}
			for name, data := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, err := Compile(context.Background(), []string{dir}, Options{Root: dir})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			res.Diagnostics.Print(&got)
			gotText := strings.ReplaceAll(got.String(), dir+string(filepath.Separator), "")
			gotText = strings.ReplaceAll(gotText, dir, ".")
			if gotText != string(want) {
				t.Errorf("diagnostics differ with the schema vendored\n--- got\n%s--- want\n%s", gotText, want)
			}
		})
	}
	if ran < 50 {
		t.Errorf("only %d archives of the corpus are CUE specs", ran)
	}
}
