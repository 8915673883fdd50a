package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/mod/modfile"
)

func TestIsBinding(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      bool
	}{
		{"what Binding writes", string(Binding("shop")), true},
		{"a named import", "package shop\n\nimport s \"github.com/pipec/pipec/schema\"\n\ns.#Pipeline\n", true},
		{"a qualified import path", "package shop\n\nimport \"github.com/pipec/pipec/schema:schema\"\n\nschema.#Pipeline\n", true},
		{"spec content too", "package shop\n\nimport \"github.com/pipec/pipec/schema\"\n\nschema.#Pipeline\nname: \"shop\"\n", false},
		{"another definition", "package shop\n\nimport \"github.com/pipec/pipec/schema\"\n\nschema.#Image\n", false},
		{"another package", "package shop\n\nimport \"example.com/schema\"\n\nschema.#Pipeline\n", false},
		{"a second import", "package shop\n\nimport (\n\t\"github.com/pipec/pipec/schema\"\n\t\"strings\"\n)\n\nschema.#Pipeline\n", false},
		{"no embedding", "package shop\n\nimport \"github.com/pipec/pipec/schema\"\n", false},
		{"a plain spec", "package shop\n\nname: \"shop\"\n", false},
	} {
		f, err := parser.ParseFile("schema.cue", tc.src, parser.ParseComments)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := IsBinding(f); got != tc.want {
			t.Errorf("%s: IsBinding = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestModuleFile(t *testing.T) {
	data, err := ModuleFile(ModuleName("Click Stream!"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(data, ModulePath)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if f.QualifiedModule() != "pipec.local/click-stream@v0" || f.Language.Version != cue.LanguageVersion() {
		t.Errorf("module %q, language %q:\n%s", f.QualifiedModule(), f.Language.Version, data)
	}
	if got := ModuleName("..."); got != "pipec.local/pipelines@v0" {
		t.Errorf("ModuleName(...) = %q", got)
	}
}

// TestVendoredSchemaChecksSpecs builds the module pipec vendors and loads it
// the way `cue vet -c=false ./...` does: the binding applies the schema, so
// a spec the schema accepts passes and a misspelt field fails, with no
// registry and no network.
func TestVendoredSchemaChecksSpecs(t *testing.T) {
	for _, tc := range []struct {
		name, spec, wantErr string
	}{
		{"valid", "package shop\n\nname: \"shop\"\nproject: string\nenvironments: dev: project: \"shop-dev-123\"\n", ""},
		{"misspelt field", "package shop\n\nname: \"shop\"\nimagse: {}\n", "imagse: field not allowed"},
		{"misspelt nested field", "package shop\n\nimages: web: {context: \"web\", pyton: \"3.12\"}\n", "images.web.pyton: field not allowed"},
		{"wrong type", "package shop\n\nname: 3\n", "conflicting values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			module, err := ModuleFile(ModuleName("shop"))
			if err != nil {
				t.Fatal(err)
			}
			for rel, data := range map[string][]byte{
				ModulePath:     module,
				VendorPath:     Vendored(),
				BindingFile:    Binding("shop"),
				"pipeline.cue": []byte(tc.spec),
			} {
				p := filepath.Join(dir, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			insts := load.Instances([]string{"./..."}, &load.Config{Dir: dir})
			if len(insts) != 1 {
				t.Fatalf("%d instances", len(insts))
			}
			if err := insts[0].Err; err != nil {
				t.Fatal(err)
			}
			err = cuecontext.New().BuildInstance(insts[0]).Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
