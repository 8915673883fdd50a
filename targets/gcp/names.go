package gcp

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// dnsLabel is what a Kubernetes object name part must be here: a DNS-1123
// label that starts with a letter.
var dnsLabel = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// label turns a Google Cloud ID into a DNS-1123 label for metadata.name.
// Pub/Sub and BigQuery IDs may hold uppercase letters and _ . ~ + %, which
// Kubernetes names cannot. An ID that is already a label is kept as it is,
// so the common case reads naturally. Any other ID is lowercased, its other
// characters become '-', and a short hash of the original ID is appended:
// "Tweets_Raw" and "tweets.raw" would otherwise both become "tweets-raw".
// The name depends on the ID alone, never on its neighbours, so adding a
// resource never renames another (a renamed Config Connector object is a
// deleted one).
func label(id string) string {
	if len(id) <= 63 && dnsLabel.MatchString(id) {
		return id
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(id) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.Trim(b.String(), "-")
	if base == "" || base[0] < 'a' || base[0] > 'z' {
		// BigQuery IDs may start with a digit or '_'.
		base = strings.TrimSuffix("x-"+base, "-")
	}
	if len(base) > 58 {
		base = strings.TrimRight(base[:58], "-")
	}
	sum := sha256.Sum256([]byte(id))
	return base + "-" + hex.EncodeToString(sum[:])[:4]
}

// bigqueryLabel is label for a BigQuery dataset or table ID. Those hold
// only letters, digits and '_', never '-', so a lowercase ID maps to a
// distinct name by turning '_' into '-' alone: "daily_stats" is
// "daily-stats", no hash needed. IDs with uppercase letters (BigQuery
// names are case-sensitive) or that would not make a label get label's
// hash.
func bigqueryLabel(id string) string {
	if dashed := strings.ReplaceAll(id, "_", "-"); strings.ToLower(id) == id && len(dashed) <= 63 && dnsLabel.MatchString(dashed) {
		return dashed
	}
	return label(id)
}

// name joins labels with dots into a DNS-1123 subdomain. Dots cannot occur
// inside a label, so distinct label sequences give distinct names.
func name(labels ...string) string { return strings.Join(labels, ".") }
