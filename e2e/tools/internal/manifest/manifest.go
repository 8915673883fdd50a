// Package manifest finds the Kubernetes objects pipec wrote: the rendered
// objects and the KRM of every example under deploy/, and the full objects
// among the targets' golden files.
package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Object is one YAML document that should be a Kubernetes object.
type Object struct {
	File       string // slash-separated, relative to the repository root
	Doc        int    // 1-based index of the document in File
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// Problem says why the document is not an object the server could take;
	// when set, the document counts as rejected without asking the server.
	Problem string
	// Raw is the document as written, sent to the server byte for byte so
	// that strict decoding sees duplicate and unknown fields.
	Raw []byte
}

// Where names the object for messages: file, document when the file holds
// several, kind and namespaced name.
func (o Object) Where() string {
	at := o.File
	if o.Doc > 1 {
		at = fmt.Sprintf("%s (document %d)", o.File, o.Doc)
	}
	if o.Kind == "" {
		return at
	}
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + o.Name
	}
	return fmt.Sprintf("%s: %s %s", at, o.Kind, name)
}

// Skipped is a document of a golden file that is not a full object.
type Skipped struct {
	File   string
	Doc    int
	Reason string
}

// Source is one family of files the dry-run covers.
type Source struct {
	Name string
	// Globs are slash-separated patterns relative to the repository root.
	Globs []string
	// Recursive makes each glob match directories whose YAML files, at any
	// depth, belong to the source.
	Recursive bool
	// FullObjectsOnly keeps the documents that are full objects and skips
	// the rest (kustomizations, patches, inputs); without it, every document
	// must be an object.
	FullObjectsOnly bool
}

// Sources are the outputs pipec writes and the goldens its targets test
// against. They are globs, so examples and targets added later are picked up.
var Sources = []Source{
	{Name: "rendered", Globs: []string{"deploy/*/rendered/*/*.yaml", "deploy/*/rendered/*/*.yml"}},
	{Name: "krm", Globs: []string{"deploy/*/gcp/*/*.yaml", "deploy/*/gcp/*/*.yml"}},
	{Name: "gitops", Globs: []string{"deploy/*/gitops/*/*.yaml", "deploy/*/gitops/*/*.yml"}},
	{Name: "golden", Globs: []string{"targets/*/testdata"}, Recursive: true, FullObjectsOnly: true},
}

// Set is what Collect found, per source in the order of Sources.
type Set struct {
	Objects map[string][]Object
	Skipped []Skipped
}

// All returns every object, source by source.
func (s Set) All() []Object {
	var all []Object
	for _, src := range Sources {
		all = append(all, s.Objects[src.Name]...)
	}
	return all
}

// Collect reads every source under root.
func Collect(root string, sources []Source) (Set, error) {
	set := Set{Objects: map[string][]Object{}}
	for _, src := range sources {
		files, err := src.files(root)
		if err != nil {
			return set, err
		}
		for _, rel := range files {
			objs, skipped, err := readFile(filepath.Join(root, filepath.FromSlash(rel)), rel, src.FullObjectsOnly)
			if err != nil {
				return set, err
			}
			set.Objects[src.Name] = append(set.Objects[src.Name], objs...)
			set.Skipped = append(set.Skipped, skipped...)
		}
	}
	return set, nil
}

func (src Source) files(root string) ([]string, error) {
	seen := map[string]bool{}
	for _, g := range src.Globs {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(g)))
		if err != nil {
			return nil, fmt.Errorf("source %s: %v", src.Name, err)
		}
		for _, m := range matches {
			if !src.Recursive {
				seen[m] = true
				continue
			}
			err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && isYAML(p) {
					seen[p] = true
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	var files []string
	for f := range seen {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			return nil, err
		}
		files = append(files, filepath.ToSlash(rel))
	}
	sort.Strings(files)
	return files, nil
}

func isYAML(p string) bool {
	ext := filepath.Ext(p)
	return ext == ".yaml" || ext == ".yml"
}

// header is the part of an object the dry-run needs before asking the server.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// ReadFile reads every document of the YAML file at path as an object, named
// display in messages.
func ReadFile(path, display string) ([]Object, error) {
	objs, _, err := readFile(path, display, false)
	return objs, err
}

func readFile(file, rel string, fullObjectsOnly bool) ([]Object, []Skipped, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	if fullObjectsOnly && isPatchFile(rel) {
		return nil, []Skipped{{File: rel, Reason: "a kustomize patch"}}, nil
	}
	docs, err := splitDocuments(data)
	if err != nil {
		if fullObjectsOnly {
			return nil, []Skipped{{File: rel, Reason: "not YAML: " + err.Error()}}, nil
		}
		return []Object{{File: rel, Doc: 1, Problem: "not YAML: " + err.Error(), Raw: data}}, nil, nil
	}
	var objs []Object
	var skipped []Skipped
	for i, doc := range docs {
		if doc == nil {
			continue
		}
		o := Object{File: rel, Doc: i + 1, Raw: doc}
		var h header
		if err := yaml.Unmarshal(doc, &h); err != nil {
			o.Problem = "not a YAML mapping: " + err.Error()
		} else {
			o.APIVersion, o.Kind, o.Name, o.Namespace = h.APIVersion, h.Kind, h.Metadata.Name, h.Metadata.Namespace
			o.Problem = missing(h)
		}
		if fullObjectsOnly {
			reason := o.Problem
			if isKustomize(o.APIVersion) {
				reason = "a kustomize " + o.Kind
			}
			if reason != "" {
				skipped = append(skipped, Skipped{File: rel, Doc: o.Doc, Reason: reason})
				continue
			}
		}
		objs = append(objs, o)
	}
	return objs, skipped, nil
}

// splitDocuments returns the documents of a YAML stream, nil for an empty
// one (only comments), so that indexes count as a reader counts.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		if v == nil {
			doc = nil
		}
		docs = append(docs, doc)
	}
}

func missing(h header) string {
	var m []string
	if h.APIVersion == "" {
		m = append(m, "apiVersion")
	}
	if h.Kind == "" {
		m = append(m, "kind")
	}
	if h.Metadata.Name == "" {
		m = append(m, "metadata.name")
	}
	if len(m) == 0 {
		return ""
	}
	return "not a full object: no " + strings.Join(m, ", ")
}

// isPatchFile reports whether a file is named the way pipec names kustomize
// patches (patch-<kind>-<name>.yaml; goldens may prefix the environment).
// A patch carries apiVersion, kind and name but is not a whole object.
func isPatchFile(rel string) bool {
	base := path.Base(rel)
	return strings.HasPrefix(base, "patch-") || strings.Contains(base, "-patch-")
}

func isKustomize(apiVersion string) bool {
	return strings.HasPrefix(apiVersion, "kustomize.config.k8s.io/")
}
