package compiler

import (
	"cuelang.org/go/cue"

	"github.com/pipec/pipec/schema"
)

// decodePartial decodes a pipeline entry by entry. cue.Value.Decode stops at
// the first error; decoding each entry on its own lets the checks run on
// everything that is valid, so one mistake does not hide the others. It
// returns the entries that failed and why, keyed as checker.skip expects.
func decodePartial(v cue.Value) (*schema.Pipeline, map[string]error) {
	broken := map[string]error{}
	p := &schema.Pipeline{}
	scalar := func(field string, dst any) {
		f := v.LookupPath(cue.MakePath(cue.Str(field)))
		if !f.Exists() {
			return
		}
		if err := f.Decode(dst); err != nil {
			broken[field] = err
		}
	}
	scalar("name", &p.Name)
	scalar("project", &p.Project)
	scalar("projectNumber", &p.ProjectNumber)
	scalar("region", &p.Region)
	scalar("registry", &p.Registry)
	scalar("namespace", &p.Namespace)
	scalar("labels", &p.Labels)
	scalar("requireDigests", &p.RequireDigests)
	scalar("airflow", &p.Airflow)
	scalar("gitops", &p.GitOps)
	p.Images = decodeEntries[schema.Image](v, "images", broken)
	p.Topics = decodeEntries[schema.Topic](v, "topics", broken)
	p.Subscriptions = decodeEntries[schema.Subscription](v, "subscriptions", broken)
	p.Datasets = decodeEntries[schema.Dataset](v, "datasets", broken)
	p.Buckets = decodeEntries[schema.Bucket](v, "buckets", broken)
	p.Services = decodeEntries[schema.Service](v, "services", broken)
	p.DAGs = decodeEntries[schema.DAG](v, "dags", broken)
	return p, broken
}

func decodeEntries[T any](v cue.Value, field string, broken map[string]error) map[string]*T {
	out := map[string]*T{}
	it, err := v.LookupPath(cue.MakePath(cue.Str(field))).Fields()
	if err != nil {
		broken[field] = err
		return out
	}
	for it.Next() {
		key := it.Selector().Unquoted()
		entry := new(T)
		if err := it.Value().Decode(entry); err != nil {
			broken[field+"\x00"+key] = err
		}
		out[key] = entry
	}
	return out
}
