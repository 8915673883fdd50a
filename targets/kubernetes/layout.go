package kubernetes

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// tree is a pipeline's kustomize base and overlays, as data.
type tree struct {
	dir      string // "<pipeline>/k8s"
	base     []*object
	overlays []*overlay
}

// overlay is what one environment adds to the base.
type overlay struct {
	env       string
	namespace string
	labels    map[string]string
	images    []image
	// resources are the objects only this environment has.
	resources []*object
	// patches turn base objects into this environment's.
	patches []*object
	// objects are all of the environment's objects, which the base, own
	// resources and patches make up: what the overlay renders to, before
	// its transformers.
	objects []*object
}

// layout splits every environment's objects into a base and overlays.
// The base holds the objects every environment has, as the first
// environment has them; an overlay adds the objects only its environment
// has and patches each base object that differs there. Since the base
// holds only shared objects, no overlay ever needs to delete one.
func layout(spec *schema.Spec) (*tree, error) {
	t := &tree{dir: spec.Name + "/k8s"}
	perEnv := make([][]*object, len(spec.Envs))
	count := map[string]int{}
	for i, p := range spec.Envs {
		objs, err := objects(spec, p)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: environment %s: %w", p.Env, err)
		}
		perEnv[i] = objs
		for _, o := range objs {
			count[o.id()]++
		}
	}
	for _, o := range perEnv[0] {
		if count[o.id()] == len(spec.Envs) {
			t.base = append(t.base, o)
		}
	}
	base := map[string]*object{}
	for _, o := range t.base {
		base[o.id()] = o
	}
	for i, p := range spec.Envs {
		ov := &overlay{env: p.Env, namespace: p.Namespace, labels: envLabels(p), images: images(p), objects: perEnv[i]}
		for _, o := range perEnv[i] {
			b, shared := base[o.id()]
			switch {
			case !shared:
				ov.resources = append(ov.resources, o)
			case !sameObject(b, o):
				patch, err := diff(b, o)
				if err != nil {
					return nil, fmt.Errorf("kubernetes: environment %s: patching %s: %w", p.Env, o.id(), err)
				}
				ov.patches = append(ov.patches, patch)
			}
		}
		t.overlays = append(t.overlays, ov)
	}
	return t, nil
}

// sameObject reports whether b and o have the same data. The first
// environment's objects are the base's; most others encode as theirs.
func sameObject(b, o *object) bool {
	return b == o || bytes.Equal(b.json, o.json) || manifest.Equal(b.data, o.data)
}

// envLabels are added by the overlay to every object and pod: the
// pipeline's own labels and the environment's name.
func envLabels(p *schema.Pipeline) map[string]string {
	labels := maps.Clone(p.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["environment"] = p.Env
	return labels
}

// image is an entry of a kustomization's `images:`.
type image struct {
	Name    string `json:"name"`
	NewName string `json:"newName"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// images points each logical image name the services use at the
// environment's repository, by digest once `pipec lock` has pinned one
// (a tag can be moved; a digest cannot), by tag until then.
func images(p *schema.Pipeline) []image {
	used := map[string]bool{}
	for _, s := range p.Services {
		used[s.Image] = true
	}
	var out []image
	for _, name := range slices.Sorted(maps.Keys(used)) {
		img := p.Images[name]
		entry := image{Name: name, NewName: img.Repository, NewTag: img.Tag}
		if _, digest, ok := strings.Cut(img.Ref, "@"); ok {
			entry.NewTag, entry.Digest = "", digest
		}
		out = append(out, entry)
	}
	return out
}

// kustomization is the part of kustomize's Kustomization file that pipec
// writes.
type kustomization struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Labels     []labelSet  `json:"labels,omitempty"`
	Resources  []string    `json:"resources"`
	Images     []image     `json:"images,omitempty"`
	Patches    []patchFile `json:"patches,omitempty"`
	// Transformers hold the overlay's namespace (namespaceTransformer),
	// written inline.
	Transformers []string `json:"transformers,omitempty"`
}

// namespaceTransformer sets an overlay's namespace as kustomize's
// `namespace:` field does (on every namespaced object, and as the name of
// the Namespace), but leaves RBAC subjects alone: the field would move a
// subject named "default" into the overlay's namespace, and bind the
// pipeline's own default ServiceAccount instead of the one Airflow runs as.
type namespaceTransformer struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	SetRoleBindingSubjects string      `json:"setRoleBindingSubjects"`
	FieldSpecs             []fieldSpec `json:"fieldSpecs"`
}

type fieldSpec struct {
	Kind   string `json:"kind"`
	Path   string `json:"path"`
	Create bool   `json:"create"`
}

// inNamespace returns the transformer that puts an overlay in namespace,
// as kustomization text.
func inNamespace(namespace string) (string, error) {
	t := namespaceTransformer{APIVersion: "builtin", Kind: "NamespaceTransformer", SetRoleBindingSubjects: "none",
		FieldSpecs: []fieldSpec{{Kind: "Namespace", Path: "metadata/name", Create: true}}}
	t.Metadata.Name, t.Metadata.Namespace = "namespace", namespace
	data, err := manifest.Marshal(t)
	return string(data), err
}

// labelSet is written with includeSelectors spelled out, for the reader:
// environment labels stay out of selectors, because a Deployment's
// selector is immutable and changing a pipeline's labels must not need
// the Deployment deleted and recreated. includeTemplates puts them on pods,
// where cost and log queries look for them.
type labelSet struct {
	Pairs            map[string]string `json:"pairs"`
	IncludeSelectors bool              `json:"includeSelectors"`
	IncludeTemplates bool              `json:"includeTemplates"`
}

type patchFile struct {
	Path string `json:"path"`
}

func newKustomization() kustomization {
	return kustomization{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization"}
}

// files writes the tree out, every file starting with header. Base files
// belong to every environment; an overlay's files to its own.
func (t *tree) files(header string) ([]targets.File, error) {
	var files []targets.File
	env := ""
	add := func(p string, v any) error {
		data, err := manifest.File(header, v)
		if err != nil {
			return fmt.Errorf("kubernetes: %s: %w", p, err)
		}
		files = append(files, targets.File{Path: p, Data: data, Env: env})
		return nil
	}

	baseDir := path.Join(t.dir, "base")
	k := newKustomization()
	for _, o := range t.base {
		k.Resources = append(k.Resources, o.file())
		if err := add(path.Join(baseDir, o.file()), o.data); err != nil {
			return nil, err
		}
	}
	slices.Sort(k.Resources)
	if err := add(path.Join(baseDir, "kustomization.yaml"), k); err != nil {
		return nil, err
	}

	for _, ov := range t.overlays {
		env = ov.env
		dir := path.Join(t.dir, "overlays", ov.env)
		k := newKustomization()
		ns, err := inNamespace(ov.namespace)
		if err != nil {
			return nil, err
		}
		k.Transformers = []string{ns}
		k.Labels = []labelSet{{Pairs: ov.labels, IncludeTemplates: true}}
		k.Images = ov.images
		k.Resources = []string{"../../base"}
		var own []string
		for _, o := range ov.resources {
			own = append(own, o.file())
			if err := add(path.Join(dir, o.file()), o.data); err != nil {
				return nil, err
			}
		}
		slices.Sort(own)
		k.Resources = append(k.Resources, own...)
		for _, o := range ov.patches {
			name := "patch-" + o.file()
			k.Patches = append(k.Patches, patchFile{Path: name})
			if err := add(path.Join(dir, name), o.data); err != nil {
				return nil, err
			}
		}
		slices.SortFunc(k.Patches, func(a, b patchFile) int { return strings.Compare(a.Path, b.Path) })
		if err := add(path.Join(dir, "kustomization.yaml"), k); err != nil {
			return nil, err
		}
	}
	return files, nil
}
