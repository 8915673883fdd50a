package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openAPIDoc(t *testing.T) (raw []byte, schemas map[string]map[string]any) {
	t.Helper()
	raw, err := OpenAPI("v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Info       map[string]string
		Components struct {
			Schemas map[string]map[string]any
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if doc.OpenAPI != "3.0.0" || doc.Info["version"] != "v1.2.3" || doc.Info["title"] == "" {
		t.Errorf("openapi %q, info %v", doc.OpenAPI, doc.Info)
	}
	return raw, doc.Components.Schemas
}

func TestOpenAPI(t *testing.T) {
	raw, schemas := openAPIDoc(t)
	again, _ := OpenAPI("v1.2.3")
	if !bytes.Equal(raw, again) {
		t.Error("two runs differ; the document must be byte-stable")
	}
	if bytes.Contains(raw, []byte(`\u003c`)) {
		t.Error("descriptions are HTML-escaped")
	}

	// One component schema per definition, described by its comment.
	entries, _, err := documented()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.isDef {
			continue
		}
		s, ok := schemas[strings.TrimPrefix(e.name, "#")]
		if !ok {
			t.Errorf("no component schema for %s", e.name)
			continue
		}
		if d, _ := s["description"].(string); !strings.HasPrefix(d, e.name+" ") {
			t.Errorf("%s is described as %q", e.name, d)
		}
	}

	// Only what a user must write is required; defaults are not.
	for name, want := range map[string][]string{
		"Pipeline": {"name", "project"},
		"Service":  {"image"},
		"Table":    {"fields"},
		"DAG":      {"schedule", "start"},
		"Bucket":   nil,
	} {
		var got []string
		if r, ok := schemas[name]["required"].([]any); ok {
			for _, x := range r {
				got = append(got, x.(string))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s requires %q, want %q", name, got, want)
		}
	}

	// A list of at least one element is an array schema, not a tuple.
	fields := schemas["Table"]["properties"].(map[string]any)["fields"].(map[string]any)
	items, ok := fields["items"].(map[string]any)
	if !ok || items["$ref"] != "#/components/schemas/Field" || fields["minItems"] != 1.0 || fields["default"] != nil {
		t.Errorf("Table.fields is %v", fields)
	}
}

// TestOpenAPIValidates checks the document with the OpenAPI reference
// validator, and that it accepts a spec as people write it (defaults left
// out) and rejects one without a name.
func TestOpenAPIValidates(t *testing.T) {
	raw, _ := openAPIDoc(t)
	if err := exec.Command("python3", "-c", "import openapi_spec_validator, openapi_schema_validator").Run(); err != nil {
		t.Skip("needs python3 with openapi-spec-validator (pip install openapi-spec-validator)")
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(doc, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `
import json, sys
from openapi_spec_validator import validate
from openapi_schema_validator import OAS30Validator
doc = json.load(open(sys.argv[1]))
validate(doc)
pipeline = dict(doc["components"]["schemas"]["Pipeline"], components=doc["components"])
ok = {
    "name": "shop", "project": "shop-dev-123",
    "images": {"web": {"context": "web", "python": "3.12", "copy": ["app.py"]}},
    "services": {"web": {"image": "web", "env": {"TOKEN": {"secret": "token"}}}},
    "datasets": {"sales": {"tables": {"orders": {"fields": [{"name": "id", "type": "STRING"}]}}}},
    "environments": {"dev": {"project": "shop-dev-123"}},
}
OAS30Validator(pipeline).validate(ok)
bad = dict(ok)
del bad["name"]
errors = list(OAS30Validator(pipeline).iter_errors(bad))
assert errors, "a spec without a name passed"
`
	out, err := exec.Command("python3", "-c", script, doc).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
