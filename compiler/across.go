package compiler

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/pipec/pipec/schema"
)

// checkAcrossEnvs enforces what must hold between environments: an image is
// built once and deployed everywhere, so it cannot differ per environment.
func checkAcrossEnvs(r *reporter, spec *schema.Spec, user cue.Value) {
	if len(spec.Envs) < 2 {
		return
	}
	first := spec.Envs[0]
	for _, env := range spec.Envs[1:] {
		for _, name := range slices.Sorted(maps.Keys(first.Images)) {
			a, _ := json.Marshal(imageBuild(first.Images[name]))
			b, _ := json.Marshal(imageBuild(env.Images[name]))
			if string(a) != string(b) {
				r.at(CodeIncompatible, user.LookupPath(cue.MakePath(cue.Str("images"), cue.Str(name))).Pos(), "images."+name,
					"image %q differs between environments %q and %q; an image is built once for all environments, so keep what varies (project, registry) out of its fields", name, first.Env, env.Env)
			}
		}
	}
}

// imageBuild is the part of an image that decides its Dockerfile.
func imageBuild(img *schema.Image) *schema.Image {
	if img == nil {
		return nil
	}
	c := *img
	c.Ref, c.Repository = "", ""
	return &c
}

// checkAcrossPipelines rejects pipelines that would write to the same place:
// their output directory is named after them, and case-insensitive file
// systems fold names that differ only in case.
func checkAcrossPipelines(cwd string, units []unitResult) Diagnostics {
	r := &reporter{cwd: cwd}
	byName := map[string][]unitResult{}
	for _, u := range units {
		k := strings.ToLower(u.name)
		byName[k] = append(byName[k], u)
	}
	for _, k := range slices.Sorted(maps.Keys(byName)) {
		us := byName[k]
		if len(us) < 2 {
			continue
		}
		for i, u := range us {
			other := us[(i+1)%len(us)]
			r.atPosition(CodeNameCollision, u.nameAt, "name", "pipeline name %q is also used by %s; pipelines write to deploy/<name>, so names must be unique", u.name, r.relFile(other.dir))
		}
	}
	return r.diags
}

// collisions rejects IDs of one kind that differ only in case or
// punctuation: each becomes a Kubernetes object name and a file name, and
// those cannot tell them apart.
func (c *checker) collisions() {
	kinds := []struct {
		kind string
		path []any
		ids  []string
	}{
		{"topic", field("topics"), slices.Sorted(maps.Keys(c.p.Topics))},
		{"subscription", field("subscriptions"), slices.Sorted(maps.Keys(c.p.Subscriptions))},
		{"dataset", field("datasets"), slices.Sorted(maps.Keys(c.p.Datasets))},
		{"bucket", field("buckets"), slices.Sorted(maps.Keys(c.p.Buckets))},
		{"DAG", field("dags"), slices.Sorted(maps.Keys(c.p.DAGs))},
	}
	for _, ds := range slices.Sorted(maps.Keys(c.p.Datasets)) {
		kinds = append(kinds, struct {
			kind string
			path []any
			ids  []string
		}{"table", field("datasets", ds, "tables"), slices.Sorted(maps.Keys(c.p.Datasets[ds].Tables))})
	}
	for _, k := range kinds {
		seen := map[string]string{}
		for _, id := range k.ids {
			folded := krmName(id)
			if other, dup := seen[folded]; dup {
				c.errorf(CodeNameCollision, append(slices.Clone(k.path), id), "%s %q and %q differ only in case or punctuation, which Kubernetes names and case-insensitive file systems cannot tell apart; rename one", k.kind, other, id)
				continue
			}
			seen[folded] = id
		}
	}
}
