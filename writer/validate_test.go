package writer

import "testing"

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
