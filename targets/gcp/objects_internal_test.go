package gcp

import (
	"fmt"
	"testing"

	"github.com/pipec/pipec/bench/compiled"
)

// notAsWritten lists where v holds a type manifest.File would have to
// convert (copying the whole object) before writing it.
func notAsWritten(v any, path string) []string {
	switch v := v.(type) {
	case nil, bool, int64, string:
		return nil
	case []any:
		var out []string
		for i, e := range v {
			out = append(out, notAsWritten(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range v {
			out = append(out, notAsWritten(e, path+"."+k)...)
		}
		return out
	}
	return []string{fmt.Sprintf("%s is a %T", path, v)}
}

// Every object is built of the types it is written as.
func TestObjectsAreBuiltAsTheyAreWritten(t *testing.T) {
	for _, name := range compiled.Names {
		spec := compiled.Spec(t, name)
		for _, p := range spec.Envs {
			e, err := build(spec, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range e.objects {
				for _, w := range notAsWritten(o.data, o.kind+" "+o.name) {
					t.Errorf("%s, %s: %s", name, p.Env, w)
				}
			}
		}
	}
}
