package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pipec/pipec/internal/manifest"
)

// TestCommittedRenderedMatchesKubectl runs `kubectl kustomize` on every
// committed overlay under deploy/ and requires exactly the objects of the
// committed rendered/<env>/ directory: what Argo CD or Flux applies is what
// the kustomize files a person reads produce.
func TestCommittedRenderedMatchesKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: install it to compare the committed overlays with the rendered output")
	}
	overlays, err := filepath.Glob("../../deploy/*/k8s/overlays/*")
	if err != nil || len(overlays) == 0 {
		t.Fatalf("no overlays under deploy/ (run make examples): %v", err)
	}
	for _, overlay := range overlays {
		env := filepath.Base(overlay)
		pipeline := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(overlay))))
		t.Run(pipeline+"/"+env, func(t *testing.T) {
			out, err := exec.Command(kubectl, "kustomize", overlay).Output()
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v", overlay, err)
			}
			want := objects(t, out)
			rendered, _ := filepath.Glob(filepath.Join("../../deploy", pipeline, "rendered", env, "*.yaml"))
			got := map[string]map[string]any{}
			for _, f := range rendered {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range objects(t, data) {
					got[k] = v
				}
			}
			if len(got) != len(want) {
				t.Errorf("rendered/%s holds %d objects, kubectl kustomize gives %d", env, len(got), len(want))
			}
			for k, w := range want {
				if g, ok := got[k]; !ok {
					t.Errorf("%s: missing from rendered/%s", k, env)
				} else if !reflect.DeepEqual(g, w) {
					t.Errorf("%s: rendered/%s differs from kubectl kustomize", k, env)
				}
			}
		})
	}
}

func objects(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	docs, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, d := range docs {
		meta, _ := d["metadata"].(map[string]any)
		out[fmt.Sprintf("%v/%v/%v", d["kind"], meta["namespace"], meta["name"])] = d
	}
	return out
}
