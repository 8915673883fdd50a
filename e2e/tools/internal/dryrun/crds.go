package dryrun

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/pipec/pipec/e2e/tools/internal/manifest"
)

const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

// InstallCRDs creates the CustomResourceDefinitions for real and waits until
// each is established and every served version is in discovery, so objects
// of their kinds can be dry-run right after.
func (c *Client) InstallCRDs(ctx context.Context, crds []manifest.Object, timeout time.Duration) error {
	var defs []apiextensionsv1.CustomResourceDefinition
	for _, o := range crds {
		if o.Problem != "" {
			return fmt.Errorf("%s: %s", o.Where(), o.Problem)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(o.Raw, &crd); err != nil {
			return fmt.Errorf("%s: %v", o.Where(), err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			return fmt.Errorf("%s: a %s, not a CustomResourceDefinition", o.Where(), crd.Kind)
		}
		r, err := c.do(ctx, http.MethodPost, crdPath, nil, o.Raw)
		if err != nil {
			return err
		}
		if !r.ok() && r.reason() != "AlreadyExists" {
			return fmt.Errorf("%s: installing CRD %s: %s", o.Where(), crd.Name, r.message())
		}
		defs = append(defs, crd)
	}

	deadline := time.Now().Add(timeout)
	for _, crd := range defs {
		if err := c.waitEstablished(ctx, crd.Name, deadline); err != nil {
			return err
		}
	}
	return c.waitServed(ctx, defs, deadline)
}

func (c *Client) waitEstablished(ctx context.Context, name string, deadline time.Time) error {
	return poll(ctx, deadline, func() (bool, error) {
		r, err := c.do(ctx, http.MethodGet, crdPath+"/"+url.PathEscape(name), nil, nil)
		if err != nil || !r.ok() {
			return false, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := json.Unmarshal(r.body, &crd); err != nil {
			return false, err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
				return false, fmt.Errorf("CRD %s: names not accepted: %s", name, cond.Message)
			}
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	}, "CRD "+name+" established")
}

// waitServed waits until discovery lists every served version of every CRD.
func (c *Client) waitServed(ctx context.Context, defs []apiextensionsv1.CustomResourceDefinition, deadline time.Time) error {
	return poll(ctx, deadline, func() (bool, error) {
		c.mapper.Reset()
		for _, crd := range defs {
			for _, v := range crd.Spec.Versions {
				if !v.Served {
					continue
				}
				gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
				if _, err := c.mapper.RESTMapping(gk, v.Name); err != nil {
					return false, nil
				}
			}
		}
		return true, nil
	}, "CRDs in discovery")
}

// poll calls done every 200ms until it returns true or an error, or the
// deadline passes.
func poll(ctx context.Context, deadline time.Time, done func() (bool, error), what string) error {
	for {
		ok, err := done()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
