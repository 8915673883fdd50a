package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// The naming rules of the systems pipec generates for, each with the words
// a person needs to fix a name that breaks it.
type nameRule struct {
	re   *regexp.Regexp
	max  int
	what string
}

var (
	dnsLabel = nameRule{regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`), 63,
		"a Kubernetes DNS-1123 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters"}
	dnsSubdomain = nameRule{regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`), 253,
		"a Kubernetes name: lowercase letters, digits, '-' and '.', at most 253 characters"}
	pubsubID = nameRule{regexp.MustCompile(`^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$`), 255,
		"a Pub/Sub ID: 3 to 255 characters, starting with a letter, then letters, digits and - _ . ~ + %, not starting with \"goog\""}
	datasetID = nameRule{regexp.MustCompile(`^[A-Za-z0-9_]+$`), 1024,
		"a BigQuery dataset ID: letters, digits and underscores only (no '-'), at most 1024 characters"}
	tableID = nameRule{regexp.MustCompile(`^[A-Za-z0-9_]+$`), 1024,
		"a BigQuery table ID: letters, digits and underscores only, at most 1024 characters"}
	columnName = nameRule{regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`), 300,
		"a BigQuery column name: letters, digits and underscores, starting with a letter or underscore, at most 300 characters"}
	projectID = nameRule{regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`), 30,
		"a Google Cloud project ID: 6 to 30 lowercase letters, digits and '-', starting with a letter, not ending with '-'"}
	serviceAccountID = nameRule{regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])$`), 30,
		"a service-account ID: 6 to 30 lowercase letters, digits and '-', starting with a letter"}
	bucketName = nameRule{regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$`), 63,
		"a Cloud Storage bucket name: 3 to 63 lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit"}
	envVarName = nameRule{regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`), 1024,
		"an environment variable name: letters, digits and underscores, not starting with a digit"}
	secretID = nameRule{regexp.MustCompile(`^[A-Za-z0-9_-]+$`), 253,
		"a Secret Manager secret ID: letters, digits, '-' and '_', at most 253 characters (it becomes a Kubernetes Secret key)"}
	airflowID = nameRule{regexp.MustCompile(`^[A-Za-z0-9_.-]+$`), 250,
		"an Airflow ID: letters, digits, '_', '.' and '-', at most 250 characters"}
	labelKey = nameRule{regexp.MustCompile(`^[a-z][a-z0-9_-]*$`), 63,
		"a label key: lowercase letters, digits, '_' and '-', starting with a letter, at most 63 characters"}
	labelValue = nameRule{regexp.MustCompile(`^[a-z0-9_-]*$`), 63,
		"a label value: lowercase letters, digits, '_' and '-', at most 63 characters"}
)

var projectNumber = regexp.MustCompile(`^[1-9][0-9]{5,19}$`)

func (n nameRule) ok(s string) bool {
	if len(s) > n.max || !n.re.MatchString(s) {
		return false
	}
	if n.what == pubsubID.what && strings.HasPrefix(strings.ToLower(s), "goog") {
		return false
	}
	if n.what == serviceAccountID.what && len(s) < 6 {
		return false
	}
	return true
}

// dagWorkload names the Kubernetes ServiceAccount of a DAG's task pods:
// Airflow IDs allow '_' and '.', Kubernetes names do not.
func dagWorkload(id string) string {
	return "dag-" + strings.Trim(strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(id)), "-")
}

// googleServiceAccountID derives a workload's Google service-account ID from
// the pipeline and workload names. IDs are limited to 30 characters, so long
// names are cut and suffixed with a short hash that keeps them distinct.
func googleServiceAccountID(pipeline, workload string) string {
	id := pipeline + "-" + workload
	if len(id) > 30 {
		sum := sha256.Sum256([]byte(id))
		id = strings.TrimRight(id[:25], "-") + "-" + hex.EncodeToString(sum[:])[:4]
	}
	for len(id) < 6 {
		id += "-sa"
	}
	return id
}

// krmName folds an ID the way Kubernetes names must be written: lowercase,
// and every character outside [a-z0-9] a '-'. Two IDs of one kind that fold
// to the same name would collide as Config Connector objects or as output
// files on case-insensitive file systems.
func krmName(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, id)
}
