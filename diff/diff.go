// Package diff compares two builds of the same pipelines object by object,
// the way a reviewer needs to read a pull request: which Kubernetes and
// Config Connector objects are added, removed or changed (with the fields
// that changed), per pipeline and environment, and which changes destroy
// or strand data. Files that are not YAML objects (Dockerfiles, DAGs,
// apply.sh) compare as text.
package diff

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	textdiff "github.com/rogpeppe/go-internal/diff"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/targets"
)

// Op is what happened to an object or file.
type Op string

// The three kinds of change, written as a diff writes them.
const (
	Added   Op = "+"
	Removed Op = "-"
	Changed Op = "~"
)

// Alert classes, loud in every output format.
const (
	// Recreate: a field that cannot change in place changed, so applying
	// the change means deleting the resource and creating it again.
	Recreate = "RECREATE"
	// DataLoss: a resource holding data is deleted along with its data.
	DataLoss = "DATA LOSS"
	// Orphaned: a resource holding data left the spec, but its deletion
	// policy keeps it (and its data) in Google Cloud, unmanaged.
	Orphaned = "ORPHANED"
)

// Alert is a change that destroys, recreates or strands data.
type Alert struct {
	Class   string
	Message string
}

// Field is one changed leaf of an object. Old or New is nil when the
// field was added or removed.
type Field struct {
	Path     string
	Old, New any
}

// Change is one object or file that differs between the two builds.
type Change struct {
	Pipeline string
	// Env is the environment, or empty for a file every environment
	// shares (a Dockerfile).
	Env string
	Op  Op
	// Kind and Name identify an object; Kind is empty for a file that
	// holds no object, and Name is then its path below the pipeline.
	Kind, Name string
	Fields     []Field
	// Text is a unified diff, for a changed file that is not YAML.
	Text   []byte
	Alerts []Alert
}

// Compare returns what changed from base to head, ordered by pipeline,
// environment, kind and name.
//
// The kustomize sources (<pipeline>/k8s/) are left out: the rendered
// manifests beside them hold the same objects as they are applied, and
// reporting both would show every Kubernetes change up to three times.
func Compare(base, head []targets.File) ([]Change, error) {
	b, err := index(base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	h, err := index(head)
	if err != nil {
		return nil, err
	}
	var changes []Change
	for key, old := range b {
		cur, ok := h[key]
		switch {
		case !ok:
			changes = append(changes, removed(old))
		case old.obj != nil && cur.obj != nil:
			if fields := compareObjects(old, cur); len(fields) > 0 {
				c := cur.change(Changed)
				c.Fields = fields
				c.Alerts = changeAlerts(cur.kind, fields)
				changes = append(changes, c)
			}
		case !bytes.Equal(old.text, cur.text):
			c := cur.change(Changed)
			c.Text = textdiff.Diff("a/"+old.path, old.text, "b/"+cur.path, cur.text)
			changes = append(changes, c)
		}
	}
	for key, cur := range h {
		if _, ok := b[key]; !ok {
			changes = append(changes, cur.change(Added))
		}
	}
	slices.SortFunc(changes, func(x, y Change) int {
		return cmp.Or(
			strings.Compare(x.Pipeline, y.Pipeline),
			strings.Compare(x.Env, y.Env),
			strings.Compare(x.Kind, y.Kind),
			strings.Compare(x.Name, y.Name),
		)
	})
	return changes, nil
}

// entry is one object, or one file compared as text.
type entry struct {
	pipeline, env, path string
	// kind and name identify an object; both are empty for a YAML
	// document that is not an object (a Cloud Build config), whose place
	// in the file identifies it instead.
	kind, name string
	obj        map[string]any
	text       []byte
}

func (e *entry) change(op Op) Change {
	c := Change{Pipeline: e.pipeline, Env: e.env, Op: op, Kind: e.kind, Name: e.name}
	if e.kind == "" {
		c.Name = e.path
	}
	return c
}

func objectName(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if ns, _ := meta["namespace"].(string); ns != "" {
		return ns + "/" + name
	}
	return name
}

// index keys every object by pipeline, environment, kind and name, so an
// object that moved between files is still the same object, and every
// other file by its path.
func index(files []targets.File) (map[string]*entry, error) {
	m := map[string]*entry{}
	for _, f := range files {
		pipeline, rest, _ := strings.Cut(f.Path, "/")
		if strings.HasPrefix(rest, "k8s/") {
			continue
		}
		key := func(kind, name string) string {
			return strings.Join([]string{pipeline, f.Env, kind, name}, "\x00")
		}
		if ext := path.Ext(f.Path); ext != ".yaml" && ext != ".yml" {
			m[key("", rest)] = &entry{pipeline: pipeline, env: f.Env, path: rest, text: f.Data}
			continue
		}
		docs, err := manifest.Decode(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		for i, doc := range docs {
			e := &entry{pipeline: pipeline, env: f.Env, path: rest, obj: doc}
			e.kind, _ = doc["kind"].(string)
			e.name = objectName(doc)
			if e.kind == "" || e.name == "" {
				e.kind, e.name = "", ""
				if len(docs) > 1 {
					e.path = fmt.Sprintf("%s#%d", rest, i+1)
				}
				m[key("", e.path)] = e
				continue
			}
			m[key(e.kind, e.name)] = e
		}
	}
	return m, nil
}

// compareObjects lists the fields that differ. A BigQuery table's schema
// is a JSON string in Config Connector; it is compared as the column list
// it holds, so a review says which column changed.
func compareObjects(old, cur *entry) []Field {
	a, b := old.obj, cur.obj
	if cur.kind == "BigQueryTable" {
		a, b = withDecodedSchema(a), withDecodedSchema(b)
	}
	var fields []Field
	walk("", a, b, &fields)
	return fields
}

func withDecodedSchema(obj map[string]any) map[string]any {
	spec, _ := obj["spec"].(map[string]any)
	s, ok := spec["schema"].(string)
	if !ok {
		return obj
	}
	var cols []any
	if json.Unmarshal([]byte(s), &cols) != nil {
		return obj
	}
	copied := map[string]any{}
	for k, v := range obj {
		copied[k] = v
	}
	newSpec := map[string]any{}
	for k, v := range spec {
		newSpec[k] = v
	}
	newSpec["schema"] = cols
	copied["spec"] = newSpec
	return copied
}

func walk(p string, a, b any, out *[]Field) {
	if reflect.DeepEqual(a, b) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(join(p, k), am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		// Lists of named things (containers, env vars, table columns)
		// match by name, so inserting one does not shift the rest.
		an, bn := byName(al), byName(bl)
		if an != nil && bn != nil {
			var names []string
			for _, v := range al {
				names = append(names, nameOf(v))
			}
			for _, v := range bl {
				if _, ok := an[nameOf(v)]; !ok {
					names = append(names, nameOf(v))
				}
			}
			for _, n := range names {
				walk(p+"["+n+"]", an[n], bn[n], out)
			}
			return
		}
		if len(al) == len(bl) {
			for i := range al {
				walk(fmt.Sprintf("%s[%d]", p, i), al[i], bl[i], out)
			}
			return
		}
	}
	*out = append(*out, Field{Path: p, Old: a, New: b})
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func nameOf(v any) string {
	m, _ := v.(map[string]any)
	n, _ := m["name"].(string)
	return n
}

// byName indexes a list whose elements are all maps with distinct names,
// or returns nil.
func byName(l []any) map[string]any {
	m := map[string]any{}
	for _, v := range l {
		n := nameOf(v)
		if n == "" {
			return nil
		}
		if _, dup := m[n]; dup {
			return nil
		}
		m[n] = v
	}
	return m
}
