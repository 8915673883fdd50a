package gcp

import (
	"maps"
	"slices"

	"github.com/pipec/pipec/schema"
)

// bucket is a Cloud Storage bucket the spec declares.
type bucket struct {
	id, name, location string
	b                  *schema.Bucket
}

func (e *env) storage() {
	for _, id := range slices.Sorted(maps.Keys(e.p.Buckets)) {
		b := e.p.Buckets[id]
		loc := b.Location
		if loc == "" {
			loc = e.p.Region
		}
		e.buckets = append(e.buckets, &bucket{id: id, name: label(id), location: loc, b: b})
	}
}

func (e *env) storageObjects() error {
	for _, b := range e.buckets {
		spec := map[string]any{
			"resourceID":   b.id,
			"location":     b.location,
			"storageClass": b.b.StorageClass,
			// Access is granted by IAM alone, never by object ACLs, and
			// nothing in a pipeline's bucket is ever public.
			"uniformBucketLevelAccess": true,
			"publicAccessPrevention":   "enforced",
		}
		if b.b.LifecycleDays > 0 {
			spec["lifecycleRule"] = []any{map[string]any{
				"action":    map[string]any{"type": "Delete"},
				"condition": map[string]any{"age": int64(b.b.LifecycleDays)},
			}}
		}
		if err := e.add("StorageBucket", b.name, "bucket "+b.id, spec, annotations(e.p.Project, true), e.labels); err != nil {
			return err
		}
	}
	return nil
}
