package kubernetes

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// krustyMu serializes kustomize runs: kustomize keeps its OpenAPI schema in
// process-wide state that every run resets.
var krustyMu sync.Mutex

// render builds env's overlay from the generated files, in memory, and
// returns the objects it produces as rendered/<env>/<kind>-<name>.yaml.
func render(spec *schema.Spec, env string, files []targets.File) ([]targets.File, error) {
	fs := filesys.MakeFsInMemory()
	for _, f := range files {
		if err := fs.WriteFile("/"+f.Path, f.Data); err != nil {
			return nil, err
		}
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	overlay := path.Join("/", spec.Name, "k8s", "overlays", env)
	krustyMu.Lock()
	m, err := krusty.MakeKustomizer(opts).Run(fs, overlay)
	krustyMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("kubernetes: kustomize build of %s failed: %w", strings.TrimPrefix(overlay, "/"), err)
	}
	header := targets.HashComment(spec)
	var out []targets.File
	for _, r := range m.Resources() {
		obj, err := r.Map()
		if err != nil {
			return nil, err
		}
		o := &object{kind: r.GetKind(), name: r.GetName()}
		data, err := manifest.File(header, obj)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: rendered %s: %w", o.id(), err)
		}
		out = append(out, targets.File{Path: path.Join(spec.Name, "rendered", env, o.file()), Data: data, Env: env})
	}
	return out, nil
}
