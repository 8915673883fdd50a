package compiler

import (
	"cuelang.org/go/cue"

	"github.com/pipec/pipec/schema"
)

// decodePartial decodes a pipeline entry by entry. cue.Value.Decode stops at
// the first error; decoding each entry on its own lets the checks run on
// everything that is valid, so one mistake does not hide the others. It
// returns the entries that failed and why, keyed as checker.skip expects.
// valid says v passed Validate(cue.Concrete(true), cue.Final()), which
// lets it be decoded the faster way (decodeValid).
func decodePartial(v cue.Value, valid bool) (*schema.Pipeline, map[string]error) {
	broken := map[string]error{}
	p := &schema.Pipeline{}
	decode := func(v cue.Value, dst any) error { return v.Decode(dst) }
	if valid {
		decode = decodeValid
	}
	scalar := func(field string, dst any) {
		f := v.LookupPath(cue.MakePath(cue.Str(field)))
		if !f.Exists() {
			return
		}
		if err := decode(f, dst); err != nil {
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
	p.Images = decodeEntries[schema.Image](v, "images", decode, broken)
	p.Topics = decodeEntries[schema.Topic](v, "topics", decode, broken)
	p.Subscriptions = decodeEntries[schema.Subscription](v, "subscriptions", decode, broken)
	p.Datasets = decodeEntries[schema.Dataset](v, "datasets", decode, broken)
	p.Buckets = decodeEntries[schema.Bucket](v, "buckets", decode, broken)
	p.Services = decodeEntries[schema.Service](v, "services", decode, broken)
	p.DAGs = decodeEntries[schema.DAG](v, "dags", decode, broken)
	return p, broken
}

func decodeEntries[T any](v cue.Value, field string, decode func(cue.Value, any) error, broken map[string]error) map[string]*T {
	out := map[string]*T{}
	it, err := v.LookupPath(cue.MakePath(cue.Str(field))).Fields()
	if err != nil {
		broken[field] = err
		return out
	}
	for it.Next() {
		key := it.Selector().Unquoted()
		entry := new(T)
		if err := decode(it.Value(), entry); err != nil {
			broken[field+"\x00"+key] = err
		}
		out[key] = entry
	}
	return out
}
