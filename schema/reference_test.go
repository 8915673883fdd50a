package schema

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

var update = flag.Bool("update", false, "rewrite docs/reference.md")

// TestReference keeps docs/reference.md equal to what the schema and its
// comments say.
func TestReference(t *testing.T) {
	const path = "../docs/reference.md"
	want, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatal("docs/reference.md is stale: run `go test ./schema -run Reference -update` (or make docs)")
	}
}

// TestReferenceCoversEveryField: the reference is generated from the
// comments, so a field without one is a field without documentation.
func TestReferenceCoversEveryField(t *testing.T) {
	entries, _, err := documented()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.doc == "" {
			t.Errorf("%s has no doc comment; say what it is and what pipec checks", e.name)
		}
		if !e.isDef && len(e.examples) == 0 {
			t.Errorf("%s has no example; end its comment with a line \"Example: %s: ...\"", e.name, e.name[strings.LastIndex(e.name, ".")+1:])
		}
		if field := e.name[strings.LastIndex(e.name, ".")+1:]; !e.isDef && !strings.HasPrefix(e.doc, field+" ") && !strings.HasPrefix(e.doc, field+",") {
			t.Errorf("%s: its comment should start with the field's name, as Go doc comments do: %q", e.name, e.doc)
		}
	}
}

// TestReferenceExamples: every example is valid CUE that the schema
// accepts where it is written, so the documentation cannot teach a
// mistake.
func TestReferenceExamples(t *testing.T) {
	entries, root, err := documented()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		scope := root.LookupPath(e.scope)
		for _, ex := range e.examples {
			src := ex
			if !e.isDef {
				// Braces make "package: ..." a field rather than a
				// package clause.
				src = "{" + ex + "}"
			}
			v := root.Context().CompileString(src, cue.Scope(scope), cue.Filename(e.name))
			if err := v.Err(); err != nil {
				t.Errorf("%s: example %q does not compile: %v", e.name, ex, err)
				continue
			}
			if err := scope.Unify(v).Validate(); err != nil {
				t.Errorf("%s: example %q is not valid: %v", e.name, ex, err)
			}
		}
	}
}

// TestReferenceTypes pins how types and defaults are read from the CUE.
func TestReferenceTypes(t *testing.T) {
	entries, _, err := documented()
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, e := range entries {
		lines[e.name] = e.typeLine()
	}
	for name, want := range map[string]string{
		"#Pipeline":                      "",
		"#Pipeline.name":                 "**Type** `string` · **required**",
		"#Pipeline.registry":             "**Type** `string` · default `\"\\(region)-docker.pkg.dev/\\(project)/\\(name)\"`",
		"#Pipeline.images":               "**Type** `{[string]: #Image}` ([`#Image`](#image)) · default `{}`",
		"#Pipeline.airflow":              "**Type** `struct` · optional: its fields have defaults",
		"#Image.user":                    "**Type** `int & >0` · default `65532`",
		"#Image.copy":                    "**Type** `[...string]` · default `[]`",
		"#Subscription.expiration":       "**Type** `#Duration | \"never\"` ([`#Duration`](#duration)) · default `\"never\"`",
		"#Subscription.retry":            "**Type** `struct` · optional",
		"#Subscription.retry.minBackoff": "**Type** [`#Duration`](#duration) · default `\"10s\"`",
		"#Table.fields":                  "**Type** `[...#Field] & [_, ...]` ([`#Field`](#field)) · **required**",
		"#Table.partition.by":            "**Type** `\"DAY\" | \"HOUR\" | \"MONTH\" | \"YEAR\"` · default `\"DAY\"`",
		"#Service.resources":             "**Type** [`#Resources`](#resources) · optional: its fields have defaults",
		"#DAG.schedule":                  "**Type** `string | null` · **required**",
		"#EnvVar":                        "**Type** `string | {secret: string}`",
	} {
		if got, ok := lines[name]; !ok {
			t.Errorf("%s is not in the reference", name)
		} else if got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
