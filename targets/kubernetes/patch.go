package kubernetes

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pipec/pipec/internal/manifest"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// diff returns the patch that turns base into env, as a kustomize patch
// file: the object's apiVersion, kind and name, and only the fields that
// differ.
//
// A built-in kind gets a strategic merge patch computed with the API
// machinery's knowledge of its lists (containers and env merge by name), so
// changing one env var does not restate the whole container. A custom kind
// has no such knowledge; its patch is a JSON merge patch (RFC 7386): maps
// merge, lists are replaced whole, a removed field is null. (kyaml would
// merge a custom kind's list by "name" if its elements had one; the
// ExternalSecret and SecretStore lists pipec writes have none.)
func diff(base, env *object) (*object, error) {
	var p map[string]any
	if env.typed != nil {
		sp, err := strategicpatch.CreateTwoWayMergeMapPatch(base.data, env.data, env.typed)
		if err != nil {
			return nil, err
		}
		// The patch may share values with env, and is rewritten below.
		p = runtime.DeepCopyJSON(sp)
		if err := orderLists(p, base.data); err != nil {
			return nil, err
		}
	} else {
		p = runtime.DeepCopyJSON(mergePatch(base.data, env.data))
	}
	// kustomize finds the object to patch by these fields.
	p["apiVersion"] = env.data["apiVersion"]
	p["kind"] = env.kind
	meta, _ := p["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		p["metadata"] = meta
	}
	meta["name"] = env.name
	return &object{kind: env.kind, name: env.name, data: p}, nil
}

// orderLists replaces the $setElementOrder directives of a strategic merge
// patch, which kustomize (kyaml) ignores, by what kyaml does understand.
// kyaml puts a merged list's elements in the patch's order first, then the
// base's elements the patch does not mention. When that already gives the
// environment's order, the directive is dropped and the patch stays
// minimal; otherwise the patch lists every element in order, unchanged ones
// by their merge key alone. Order matters: an env var can refer to one
// defined before it as $(NAME).
//
// Other directives kustomize would not apply ($retainKeys,
// $deleteFromPrimitiveList) are errors: better than an overlay that renders
// something else than intended.
func orderLists(patch, base map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(patch)) {
		field, isOrder := strings.CutPrefix(k, "$setElementOrder/")
		switch {
		case isOrder:
			order, _ := patch[k].([]any)
			delete(patch, k)
			baseList, _ := base[field].([]any)
			list, err := orderedList(field, order, patch[field], baseList)
			if err != nil {
				return err
			}
			if list != nil {
				patch[field] = list
			}
		case strings.HasPrefix(k, "$") && k != "$patch":
			return fmt.Errorf("strategic merge patch directive %s is not supported by kustomize", k)
		default:
			if m, ok := patch[k].(map[string]any); ok {
				b, _ := base[k].(map[string]any)
				if err := orderLists(m, b); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// orderedList returns the patch's list for field so that kyaml merges it
// into baseList in the given order; nil if the patch needs no list.
func orderedList(field string, order []any, patchValue any, baseList []any) ([]any, error) {
	mergeKey := ""
	for _, e := range order {
		m, ok := e.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, fmt.Errorf("cannot order list %s: want elements identified by one merge key, got %v", field, e)
		}
		for k := range m {
			mergeKey = k
		}
	}
	key := func(e any) string {
		m, _ := e.(map[string]any)
		return fmt.Sprint(m[mergeKey])
	}
	patchList, _ := patchValue.([]any)
	baseByKey := map[string]map[string]any{}
	for _, e := range baseList {
		if m, ok := e.(map[string]any); ok {
			baseByKey[key(e)] = m
		}
	}
	patched := map[string]any{}
	deleted := map[string]bool{}
	var merged []string
	var deletions []any
	for _, e := range patchList {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("cannot order list %s: element %v is not an object", field, e)
		}
		if m["$patch"] == "delete" {
			deleted[key(e)] = true
			deletions = append(deletions, e)
			continue
		}
		if err := orderLists(m, baseByKey[key(e)]); err != nil {
			return nil, err
		}
		patched[key(e)] = e
		merged = append(merged, key(e))
	}
	// What kyaml produces from the patch as it stands.
	for _, e := range baseList {
		if k := key(e); patched[k] == nil && !deleted[k] {
			merged = append(merged, k)
		}
	}
	want := make([]string, len(order))
	for i, e := range order {
		want[i] = key(e)
	}
	if slices.Equal(merged, want) {
		if patchValue == nil {
			return nil, nil
		}
		return patchList, nil
	}
	var list []any
	for _, e := range order {
		if p, ok := patched[key(e)]; ok {
			list = append(list, p)
		} else {
			list = append(list, e)
		}
	}
	return append(list, deletions...), nil
}

// mergePatch is the JSON merge patch (RFC 7386) from base to env.
func mergePatch(base, env map[string]any) map[string]any {
	p := map[string]any{}
	for k := range base {
		if _, ok := env[k]; !ok {
			p[k] = nil
		}
	}
	for k, e := range env {
		b, ok := base[k]
		if ok && manifest.Equal(b, e) {
			continue
		}
		bm, bIsMap := b.(map[string]any)
		em, eIsMap := e.(map[string]any)
		if ok && bIsMap && eIsMap {
			p[k] = mergePatch(bm, em)
			continue
		}
		p[k] = e
	}
	return p
}
