// Package gcp generates the Google Cloud side of a pipeline: Config
// Connector objects (one file per resource) and apply.sh, a gcloud script
// that creates or updates the same resources for teams without Config
// Connector. Identities and permissions are derived from the dataflow the
// spec declares: each workload gets its own Google service account, bound
// to its Kubernetes ServiceAccount through Workload Identity, and is granted
// exactly what it publishes, subscribes, reads and writes, on that resource
// alone.
package gcp

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// Target generates <pipeline>/gcp/<env>/ for every environment.
type Target struct{}

// Name is the target's name on the command line and in output paths.
func (Target) Name() string { return "gcp" }

// Generate builds each environment's Config Connector objects and apply.sh.
func (Target) Generate(spec *schema.Spec) ([]targets.File, error) {
	var files []targets.File
	header := targets.HashComment(spec)
	for _, p := range spec.Envs {
		e, err := build(spec, p)
		if err != nil {
			return nil, fmt.Errorf("gcp: environment %q: %w", p.Env, err)
		}
		dir := path.Join(spec.Name, "gcp", p.Env)
		for _, o := range e.objects {
			h := header
			if o.comment != "" {
				h += "# " + oneLine(o.comment) + "\n"
			}
			data, err := manifest.File(h, o.data)
			if err != nil {
				return nil, fmt.Errorf("gcp: environment %q: %s %s: %w", p.Env, o.kind, o.name, err)
			}
			files = append(files, targets.File{Path: dir + "/" + o.file(), Data: data, Env: p.Env})
		}
		sh, err := script(spec, e)
		if err != nil {
			return nil, fmt.Errorf("gcp: environment %q: apply.sh: %w", p.Env, err)
		}
		files = append(files, targets.File{Path: dir + "/apply.sh", Data: sh, Env: p.Env})
	}
	slices.SortFunc(files, func(a, b targets.File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// object is one Config Connector object.
type object struct {
	kind, name string
	// comment, if any, is written under the header: why the object exists.
	comment string
	data    map[string]any
}

// file is the object's file name, "pubsubtopic-tweets.yaml".
func (o *object) file() string { return strings.ToLower(o.kind) + "-" + o.name + ".yaml" }

// env is one environment's resources, in the order apply.sh creates them.
type env struct {
	p *schema.Pipeline
	// labels go on every resource: the pipeline's and managed-by.
	labels   map[string]string
	registry *registry
	buckets  []*bucket
	datasets []*dataset
	tables   []*table
	topics   []*topic
	subs     []*subscription
	accounts []*account
	grants   []*grant
	objects  []*object
	// names maps kind/metadata.name to what claimed it, to catch two
	// resources deriving the same Kubernetes name.
	names map[string]string
}

// build derives every resource of one environment, then its objects.
func build(spec *schema.Spec, p *schema.Pipeline) (*env, error) {
	e := &env{p: p, names: map[string]string{}}
	e.labels = e.merged(nil)
	e.registry = parseRegistry(p)
	e.storage()
	e.bigquery()
	e.pubsub()
	if err := e.iam(); err != nil {
		return nil, err
	}
	for _, objects := range []func() error{
		e.registryObjects, e.storageObjects, e.bigqueryObjects, e.pubsubObjects, e.iamObjects,
	} {
		if err := objects(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// add records an object, refusing a second object of the same kind and
// name: Config Connector would treat them as one resource.
func (e *env) add(kind, n, what string, spec map[string]any, annotations map[string]string, labels map[string]string) error {
	key := kind + "/" + n
	if other, dup := e.names[key]; dup {
		return fmt.Errorf("%s and %s both derive the Config Connector name %s %q", other, what, kind, n)
	}
	e.names[key] = what
	meta := map[string]any{"name": n, "annotations": anyMap(annotations)}
	if len(labels) > 0 {
		meta["labels"] = anyMap(labels)
	}
	e.objects = append(e.objects, &object{kind: kind, name: n, data: map[string]any{
		"apiVersion": apiVersion(kind),
		"kind":       kind,
		"metadata":   meta,
		"spec":       spec,
	}})
	return nil
}

// Objects are built of the types manifest.File writes as they are (maps of
// any, lists of any, int64), so that it need not copy each to convert it.

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func anyList(l []string) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

// annotations are the ones every object carries: the project it lives in,
// so that the namespace it is applied to does not decide it.
func annotations(project string, keepData bool) map[string]string {
	a := map[string]string{"cnrm.cloud.google.com/project-id": project}
	if keepData {
		// Deleting the object (or the spec) then leaves the resource and
		// its data in place: pipec never deletes data.
		a["cnrm.cloud.google.com/deletion-policy"] = "abandon"
	}
	return a
}

// merged is the pipeline's labels with a resource's own on top, and
// managed-by: pipec, which tells people where to change the resource.
func (e *env) merged(own map[string]string) map[string]string {
	m := make(map[string]string, len(e.p.Labels)+len(own)+1)
	for k, v := range e.p.Labels {
		m[k] = v
	}
	for k, v := range own {
		m[k] = v
	}
	m["managed-by"] = "pipec"
	return m
}

// apiGroups are the Config Connector API groups of the kinds pipec writes.
var apiGroups = map[string]string{
	"ArtifactRegistryRepository": "artifactregistry",
	"BigQueryDataset":            "bigquery",
	"BigQueryTable":              "bigquery",
	"IAMPolicyMember":            "iam",
	"IAMServiceAccount":          "iam",
	"Project":                    "resourcemanager",
	"PubSubSubscription":         "pubsub",
	"PubSubTopic":                "pubsub",
	"SecretManagerSecret":        "secretmanager",
	"StorageBucket":              "storage",
}

// apiVersion is the Config Connector API version of a kind.
func apiVersion(kind string) string {
	group := apiGroups[kind]
	if group == "" {
		panic("gcp: no API group for kind " + kind)
	}
	return group + ".cnrm.cloud.google.com/v1beta1"
}

// seconds writes a duration as the APIs do, "604800s".
func seconds(d schema.Duration) string { return fmt.Sprintf("%ds", d.Seconds()) }
