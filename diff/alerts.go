package diff

import (
	"fmt"
	"strings"
)

// immutable lists, per Config Connector kind, the spec fields that cannot
// change in place. The CRDs in ../shared/kcc-crds mark filter,
// enableMessageOrdering, timePartitioning.field, rangePartitioning and
// resourceID "Immutable"; the others are immutable in the Google Cloud
// API itself (a subscription's topic, a dataset's or bucket's location, a
// table's partitioning type), which the CRD descriptions do not repeat.
var immutable = map[string][]string{
	"PubSubSubscription":         {"spec.topicRef", "spec.filter", "spec.enableMessageOrdering", "spec.resourceID"},
	"PubSubTopic":                {"spec.resourceID"},
	"BigQueryDataset":            {"spec.location", "spec.resourceID"},
	"BigQueryTable":              {"spec.datasetRef", "spec.timePartitioning", "spec.rangePartitioning", "spec.resourceID"},
	"StorageBucket":              {"spec.location", "spec.resourceID"},
	"ArtifactRegistryRepository": {"spec.location", "spec.format", "spec.resourceID"},
}

// holds says what a resource loses when it is deleted; a kind missing here
// holds no data.
var holds = map[string]struct{ noun, data string }{
	"PubSubSubscription": {"subscription", "its unacknowledged messages"},
	"BigQueryDataset":    {"dataset", "its tables"},
	"BigQueryTable":      {"table", "its rows"},
	"StorageBucket":      {"bucket", "its objects"},
}

func noun(kind string) string {
	if h, ok := holds[kind]; ok {
		return h.noun
	}
	return "object"
}

func changeAlerts(kind string, fields []Field) []Alert {
	var alerts []Alert
	seen := map[string]bool{}
	recreate := func(what string) {
		if seen[what] {
			return
		}
		seen[what] = true
		msg := fmt.Sprintf("%s cannot change in place: applying it means deleting the %s and creating it again", what, noun(kind))
		if h, ok := holds[kind]; ok {
			msg += ", which loses " + h.data
		}
		alerts = append(alerts, Alert{Class: Recreate, Message: msg})
	}
	for _, f := range fields {
		for _, p := range immutable[kind] {
			if f.Path == p || strings.HasPrefix(f.Path, p+".") || strings.HasPrefix(f.Path, p+"[") {
				recreate(p)
			}
		}
		// BigQuery adds columns and relaxes REQUIRED to NULLABLE in
		// place; it cannot drop a column or change its type.
		if kind == "BigQueryTable" && strings.HasPrefix(f.Path, "spec.schema[") {
			col, rest, _ := strings.Cut(strings.TrimPrefix(f.Path, "spec.schema["), "]")
			switch {
			case rest == "" && f.New == nil:
				recreate(fmt.Sprintf("removing column %q", col))
			case rest == ".type":
				recreate(fmt.Sprintf("the type of column %q", col))
			}
		}
	}
	return alerts
}

// removed describes a removal, and what happens to the data the removed
// resource holds, which depends on its deletion policy.
func removed(e *entry) Change {
	c := e.change(Removed)
	h, ok := holds[e.kind]
	if !ok {
		return c
	}
	meta, _ := e.obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if ann["cnrm.cloud.google.com/deletion-policy"] == "abandon" {
		c.Alerts = []Alert{{Class: Orphaned, Message: fmt.Sprintf(
			"removed from the spec; Config Connector abandons the %s (%s stay in Google Cloud) but nothing manages it anymore, and apply.sh never deletes: delete it by hand if the data should go",
			h.noun, strings.TrimPrefix(h.data, "its "))}}
		return c
	}
	c.Alerts = []Alert{{Class: DataLoss, Message: fmt.Sprintf("removed from the spec; Config Connector deletes the %s and %s", h.noun, h.data)}}
	return c
}
