package gcp

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestLabel(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		// Already a Kubernetes name: kept, so common names read naturally.
		{"tweets", "tweets"},
		{"tweets-dead-letter", "tweets-dead-letter"},
		// Anything else: lowercased, '-' for the rest, and a hash of the
		// original, so that IDs differing only there stay apart.
		{"Tweets_Raw", "tweets-raw-8ba5"},
		{"tweets.raw", "tweets-raw-2835"},
		{"tweets_raw", "tweets-raw-03cc"},
		{"a~b+c%d", "a-b-c-d-d018"},
		{"2024_sales", "x-2024-sales-7ab8"},
		{"_tmp", "tmp-ca86"},
		{"trailing-", "trailing-b520"},
	} {
		if got := label(c.id); got != c.want {
			t.Errorf("label(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

func TestBigQueryLabel(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		// BigQuery IDs never hold '-', so '_' can become one unhashed.
		{"daily_stats", "daily-stats"},
		{"twitter", "twitter"},
		{"a__b", "a--b"},
		// Case matters to BigQuery, and a label cannot hold it.
		{"Raw_Clicks", "raw-clicks-52d7"},
		{"_tmp", "tmp-ca86"},
		{"tmp_", "tmp-652c"},
		{"2024_sales", "x-2024-sales-7ab8"},
	} {
		if got := bigqueryLabel(c.id); got != c.want {
			t.Errorf("bigqueryLabel(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

// FuzzLabel: whatever the ID, the name is a valid DNS-1123 label, and an
// ID that already is one is kept.
func FuzzLabel(f *testing.F) {
	for _, s := range []string{"tweets", "Tweets_Raw", "a.b", "9", "", "goog~%+", strings.Repeat("Ab_", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := label(id)
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Fatalf("label(%q) = %q: %v", id, got, errs)
		}
		if bq := bigqueryLabel(id); len(validation.IsDNS1123Label(bq)) > 0 {
			t.Fatalf("bigqueryLabel(%q) = %q: %v", id, bq, validation.IsDNS1123Label(bq))
		}
		if len(id) <= 63 && dnsLabel.MatchString(id) && got != id {
			t.Fatalf("label(%q) = %q, want it kept", id, got)
		}
	})
}

// TestNamesAreSubdomains: joined names (tables, grants) are valid
// metadata.names, even for the longest IDs the APIs allow.
func TestNamesAreSubdomains(t *testing.T) {
	long := strings.Repeat("A_", 512)
	for _, n := range []string{
		name(label(long), label(long)),
		name(label(strings.Repeat("a", 30)), "secretmanager-secretaccessor", label(long)),
		name(label(strings.Repeat("a", 30)), "bigquery-dataeditor", label(long), label(long)),
	} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("%q: %v", n, errs)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdef", 3, "abc"},
		{"ab漢字", 4, "ab"}, // 漢 is 3 bytes: cutting inside it drops it
		{"ab漢字", 5, "ab漢"},
	} {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}
