package kubernetes

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
)

// object is one Kubernetes object of one environment, before kustomize's
// transformers run.
type object struct {
	kind, name string
	// typed is the k8s.io/api struct of a built-in kind, which carries the
	// strategic-merge-patch keys (containers merge by name...); nil for a
	// custom kind.
	typed any
	// data is the object as it is written.
	data map[string]any
	// json is the encoding data was read from: equal encodings make equal
	// objects, and comparing them costs less.
	json []byte
}

// id identifies the object within a kustomization, as kustomize does
// (it rejects two objects with the same kind and name).
func (o *object) id() string { return o.kind + "/" + o.name }

// file is the object's file name, "deployment-collector.yaml".
func (o *object) file() string { return strings.ToLower(o.kind) + "-" + o.name + ".yaml" }

// builder collects one environment's objects.
type builder struct {
	p    *schema.Pipeline
	spec *schema.Spec
	objs []*object
	err  error
}

// add records a typed built-in object, or a custom one given as a map.
func (b *builder) add(kind, name string, v any) {
	data, json, err := manifest.NormalizeJSON(v)
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("%s %s: %w", kind, name, err)
	}
	o := &object{kind: kind, name: name, data: data, json: json}
	if _, custom := v.(map[string]any); !custom {
		o.typed = v
	}
	b.objs = append(b.objs, o)
}

// objects builds every Kubernetes object of one environment.
func objects(spec *schema.Spec, p *schema.Pipeline) ([]*object, error) {
	b := &builder{p: p, spec: spec}
	b.namespace()
	b.defaultDeny()
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		w := serviceWorkload(s)
		b.serviceAccount(w)
		b.deployment(s)
		b.podDisruptionBudget(s)
		b.service(s)
		b.networkPolicy(w)
		b.secrets(w)
	}
	b.dags()
	return b.objs, b.err
}

// Label keys of the Kubernetes recommended labels.
const (
	labelName      = "app.kubernetes.io/name"
	labelPartOf    = "app.kubernetes.io/part-of"
	labelManagedBy = "app.kubernetes.io/managed-by"
)

// meta is the metadata of an object named objName, labelled with the
// workload it belongs to (empty for pipeline-wide objects).
func (b *builder) meta(objName, workload string) metav1.ObjectMeta {
	labels := map[string]string{labelPartOf: b.spec.Name, labelManagedBy: "pipec"}
	if workload != "" {
		labels[labelName] = workload
	}
	return metav1.ObjectMeta{Name: objName, Labels: labels}
}

// selector selects a workload's pods. It leaves out managed-by and any
// label that could change, since a Deployment's selector is immutable.
func (b *builder) selector(workload string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{labelName: workload, labelPartOf: b.spec.Name}}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}
