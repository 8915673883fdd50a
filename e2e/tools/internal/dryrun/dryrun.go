package dryrun

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pipec/pipec/e2e/tools/internal/manifest"
)

// Result is the server's verdict on one object.
type Result struct {
	Object manifest.Object
	// Rejected is the server's message when it refused the object.
	Rejected string
	// Skipped says why the object was not sent; see Options.UnservedSkip.
	Skipped string
	// Warnings are the server's warnings on an accepted object (deprecated
	// API versions, Pod Security violations of the pod template).
	Warnings []string
}

// Options tune Run.
type Options struct {
	// UnservedSkip, when set, is the reason an object of a kind the server
	// does not serve is skipped rather than rejected: the CRDs that would
	// serve it are not available here.
	UnservedSkip string
}

// Report is the outcome of Run.
type Report struct {
	Results []Result // in the order of the objects given to Run
	// Namespaces were created for real so namespaced objects could be
	// dry-run into them.
	Namespaces []string
}

// Counts returns how many objects were checked (all but the skipped ones;
// a document that is not an object counts, as rejected), rejected and
// skipped.
func (r Report) Counts() (checked, rejected, skipped int) {
	for _, res := range r.Results {
		switch {
		case res.Skipped != "":
			skipped++
		case res.Rejected != "":
			rejected++
		}
	}
	return len(r.Results) - skipped, rejected, skipped
}

// Run dry-runs every object. The namespaces the objects live in are created
// for real first, from the objects' own Namespace when there is one, so that
// namespaced objects have somewhere to go and Pod Security admission sees the
// labels they will really run under.
func (c *Client) Run(ctx context.Context, objs []manifest.Object, opts Options) (Report, error) {
	rep := Report{Results: make([]Result, len(objs))}
	mappings := make([]*meta.RESTMapping, len(objs))
	c.mapper.Reset()
	for i, o := range objs {
		rep.Results[i].Object = o
		if o.Problem != "" {
			rep.Results[i].Rejected = o.Problem
			continue
		}
		gv, err := schema.ParseGroupVersion(o.APIVersion)
		if err != nil {
			rep.Results[i].Rejected = err.Error()
			continue
		}
		m, err := c.mapper.RESTMapping(gv.WithKind(o.Kind).GroupKind(), gv.Version)
		if err != nil {
			msg := fmt.Sprintf("the server does not serve kind %s in %s", o.Kind, o.APIVersion)
			if meta.IsNoMatchError(err) && opts.UnservedSkip != "" {
				rep.Results[i].Skipped = msg + ": " + opts.UnservedSkip
			} else {
				rep.Results[i].Rejected = msg + ": " + err.Error()
			}
			continue
		}
		mappings[i] = m
	}

	isNamespace := func(i int) bool {
		m := mappings[i]
		return m != nil && m.Resource.Group == "" && m.Resource.Resource == "namespaces"
	}
	// Namespace objects first, while their namespaces do not exist yet: a
	// dry-run create of an existing object would fail for the wrong reason.
	for i := range objs {
		if isNamespace(i) {
			if err := c.dryRun(ctx, &rep.Results[i], mappings[i]); err != nil {
				return rep, err
			}
		}
	}

	accepted := map[string]manifest.Object{}
	wanted := map[string]bool{}
	for i, o := range objs {
		switch {
		case isNamespace(i):
			wanted[o.Name] = true
			if _, seen := accepted[o.Name]; !seen && rep.Results[i].Rejected == "" {
				accepted[o.Name] = o
			}
		case mappings[i] != nil && mappings[i].Scope.Name() == meta.RESTScopeNameNamespace:
			wanted[namespaceOf(o)] = true
		}
	}
	for ns := range wanted {
		created, err := c.createNamespace(ctx, ns, accepted[ns])
		if err != nil {
			return rep, err
		}
		if created {
			rep.Namespaces = append(rep.Namespaces, ns)
		}
	}
	sort.Strings(rep.Namespaces)

	for i := range objs {
		if mappings[i] != nil && !isNamespace(i) {
			if err := c.dryRun(ctx, &rep.Results[i], mappings[i]); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// dryRun sends one object for a server-side dry-run create with strict field
// validation; an error means the server could not be asked at all.
func (c *Client) dryRun(ctx context.Context, res *Result, m *meta.RESTMapping) error {
	ns := ""
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = namespaceOf(res.Object)
	}
	q := url.Values{
		"dryRun":          {"All"},
		"fieldValidation": {"Strict"},
		"fieldManager":    {"pipec-e2e"},
	}
	r, err := c.do(ctx, http.MethodPost, resourcePath(m.Resource, ns), q, res.Object.Raw)
	if err != nil {
		return fmt.Errorf("%s: %v", res.Object.Where(), err)
	}
	if !r.ok() {
		res.Rejected = r.message()
	}
	res.Warnings = r.warnings
	return nil
}

// createNamespace creates a namespace for real, from its object when one was
// accepted by the dry-run, bare otherwise. It reports whether it was created
// (false when it already existed, like default).
func (c *Client) createNamespace(ctx context.Context, name string, obj manifest.Object) (bool, error) {
	body := obj.Raw
	if body == nil {
		body = fmt.Appendf(nil, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %q\n", name)
	}
	nsPath := resourcePath(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "")
	r, err := c.do(ctx, http.MethodPost, nsPath, url.Values{"fieldManager": {"pipec-e2e"}}, body)
	if err != nil {
		return false, err
	}
	switch {
	case r.ok():
		return true, nil
	case r.reason() == "AlreadyExists":
		return false, nil
	default:
		return false, fmt.Errorf("creating namespace %s: %s", name, r.message())
	}
}

// namespaceOf is where a namespaced object goes: its own namespace, or
// default, as with kubectl and a kubeconfig without a namespace.
func namespaceOf(o manifest.Object) string {
	if o.Namespace != "" {
		return o.Namespace
	}
	return "default"
}
