// Package crdcheck validates objects of custom kinds (External Secrets,
// Argo CD, Flux, Config Connector) against their CustomResourceDefinitions
// offline, the way the Kubernetes API server does on create with
// fieldValidation=Strict: unknown fields, types, required fields, enums,
// patterns, oneOf, list-type invariants and x-kubernetes-validations (CEL)
// rules. It runs the API server's own code from k8s.io/apiextensions-apiserver,
// so a generated object that passes here is one a cluster with that CRD
// installed accepts.
package crdcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsjson "sigs.k8s.io/json"

	"github.com/pipec/pipec/internal/manifest"
)

// CRD is one CustomResourceDefinition, prepared to validate objects of
// its kind in any of its served versions.
type CRD struct {
	// Name is the CRD's own name ("secretstores.external-secrets.io").
	Name       string
	group      string
	kind       string
	namespaced bool
	served     map[string]*version
}

type version struct {
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
	cel        *cel.Validator
}

// Load reads a file holding one CustomResourceDefinition.
func Load(path string) (*CRD, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	crd, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return crd, nil
}

// Parse reads one apiextensions.k8s.io/v1 CustomResourceDefinition.
func Parse(data []byte) (*CRD, error) {
	docs, err := manifest.Decode(data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("want exactly one CustomResourceDefinition, found %d documents", len(docs))
	}
	var v1 apiextensionsv1.CustomResourceDefinition
	if err := manifest.Strict(docs[0], &v1); err != nil {
		return nil, fmt.Errorf("not a valid apiextensions.k8s.io/v1 CustomResourceDefinition: %w", err)
	}
	if v1.APIVersion != "apiextensions.k8s.io/v1" || v1.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("want an apiextensions.k8s.io/v1 CustomResourceDefinition, found %s %s", v1.APIVersion, v1.Kind)
	}
	// The API server validates against the internal form of the schema;
	// converting first lets its validators be used unchanged.
	var crd apiextensions.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1, &crd, nil); err != nil {
		return nil, err
	}
	c := &CRD{
		Name:       crd.Name,
		group:      crd.Spec.Group,
		kind:       crd.Spec.Names.Kind,
		namespaced: crd.Spec.Scope == apiextensions.NamespaceScoped,
		served:     map[string]*version{},
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		val, err := apiextensions.GetSchemaForVersion(&crd, v.Name)
		if err != nil {
			return nil, err
		}
		if val == nil || val.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("%s version %s has no openAPIV3Schema", crd.Name, v.Name)
		}
		s, err := structuralschema.NewStructural(val.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("%s version %s: schema is not structural: %w", crd.Name, v.Name, err)
		}
		sv, _, err := validation.NewSchemaValidator(val.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("%s version %s: %w", crd.Name, v.Name, err)
		}
		c.served[v.Name] = &version{
			structural: s,
			validator:  sv,
			cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
		}
	}
	if len(c.served) == 0 {
		return nil, fmt.Errorf("%s serves no version", crd.Name)
	}
	return c, nil
}

// GroupKind is the group and kind the CRD defines ("external-secrets.io",
// "SecretStore").
func (c *CRD) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: c.group, Kind: c.kind}
}

// Validate checks obj as the API server would on create with strict field
// validation, and returns every problem found, one per line, each prefixed
// with its field path. obj is not modified.
//
// A namespaced object without metadata.namespace is accepted: kustomize or
// `kubectl apply -n` supplies it, as the API server fills it in from the
// request.
func (c *CRD) Validate(obj map[string]any) error {
	return toError(c.validate(obj))
}

func (c *CRD) validate(obj map[string]any) field.ErrorList {
	// Defaulting and pruning change the object, as in the API server; work
	// on a copy holding only JSON types (int64, not int), as it would.
	b, err := json.Marshal(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	var u map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(b, &u); err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}

	apiVersion, _ := u["apiVersion"].(string)
	kind, _ := u["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("apiVersion"), apiVersion, err.Error())}
	}
	var errs field.ErrorList
	if gv.Group != c.group {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), apiVersion, "must be in group "+c.group))
	}
	if kind != c.kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), kind, "must be "+c.kind))
	}
	v, ok := c.served[gv.Version]
	if !ok {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), apiVersion, c.servedAPIVersions()))
	}
	if len(errs) > 0 {
		return errs
	}

	// Unknown fields: the API server drops them, and with
	// fieldValidation=Strict (kubectl's default) rejects the object.
	meta, _, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), u["metadata"], err.Error())}
	}
	unknown = append(unknown, pruning.PruneWithOptions(u, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u, v.structural)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u, v.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		errs = append(errs, ferr)
	}
	unknown = append(unknown, paths...)
	for _, p := range unknown {
		errs = append(errs, &field.Error{Type: field.ErrorTypeForbidden, Field: p, Detail: "unknown field"})
	}
	structuraldefaulting.Default(u, v.structural)

	if meta == nil {
		errs = append(errs, field.Required(field.NewPath("metadata"), ""))
	} else {
		if c.namespaced && meta.Namespace == "" {
			meta.Namespace = "default"
		}
		errs = append(errs, metavalidation.ValidateObjectMetaAccessor(meta, c.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	}
	errs = append(errs, validation.ValidateCustomResource(nil, u, v.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, u, v.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, u)...)
	// Like the API server, skip CEL rules while the object is already
	// malformed: rules assume the schema's types hold.
	if len(errs) == 0 {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, u, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}

func (c *CRD) servedAPIVersions() []string {
	var vs []string
	for v := range c.served {
		vs = append(vs, c.group+"/"+v)
	}
	sort.Strings(vs)
	return vs
}

func toError(errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	slices.Sort(lines)
	return errors.New(strings.Join(slices.Compact(lines), "\n"))
}

// Set holds CRDs by group and kind, to validate a mix of objects.
type Set map[schema.GroupKind]*CRD

// LoadDir loads every *.yaml file in dir as a CustomResourceDefinition.
func LoadDir(dir string) (Set, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no *.yaml files", dir)
	}
	set := Set{}
	for _, p := range paths {
		crd, err := Load(p)
		if err != nil {
			return nil, err
		}
		set[crd.GroupKind()] = crd
	}
	return set, nil
}

// Validate checks obj against the CRD of its group and kind; an object
// whose kind the set does not hold is an error.
func (s Set) Validate(obj map[string]any) error {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return fmt.Errorf("apiVersion: %w", err)
	}
	crd, ok := s[schema.GroupKind{Group: gv.Group, Kind: kind}]
	if !ok {
		return fmt.Errorf("no CustomResourceDefinition for %s %s", apiVersion, kind)
	}
	return crd.Validate(obj)
}
