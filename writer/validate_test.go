package writer

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestCleanRelative(t *testing.T) {
	for p, want := range map[string]bool{
		"a": true, "a/b.yaml": true, "a/..b": true, "a/b../c": true, "..a": true,
		"": false, ".": false, "..": false, "../a": false, "a/../b": false, "a/..": false,
		"/a": false, "a//b": false, "a/./b": false, "a/": false, `a\b`: false,
	} {
		if got := cleanRelative(p); got != want {
			t.Errorf("cleanRelative(%q) = %v, want %v", p, got, want)
		}
	}
}

// cleanRelative says what its definition says, for every path of up to
// six characters made of the ones that matter.
func TestCleanRelativeMatchesItsDefinition(t *testing.T) {
	definition := func(p string) bool {
		return p != "" && p != "." && path.Clean(p) == p && !path.IsAbs(p) && !strings.Contains(p, `\`) &&
			p != ".." && !strings.HasPrefix(p, "../")
	}
	var walk func(p string)
	walk = func(p string) {
		if got, want := cleanRelative(p), definition(p); got != want {
			t.Fatalf("cleanRelative(%q) = %v, want %v", p, got, want)
		}
		if len(p) < 6 {
			for _, c := range []string{"a", ".", "/", `\`} {
				walk(p + c)
			}
		}
	}
	walk("")
}

// sortedHalves sorts as slices.Sort does, on either side of its threshold
// and with repeats.
func TestSortedHalvesSorts(t *testing.T) {
	for _, n := range []int{0, 1, 100, 1 << 12, 1<<12 + 1, 50_000} {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("p%04d/f%d", (i*7919)%997, i%13)
		}
		want := slices.Sorted(slices.Values(s))
		if got := sortedHalves(s); !slices.Equal(got, want) {
			t.Errorf("n = %d: not sorted as slices.Sort sorts", n)
		}
	}
}
