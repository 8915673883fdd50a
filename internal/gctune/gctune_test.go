package gctune

import (
	"runtime/debug"
	"testing"
)

func TestPercentFor(t *testing.T) {
	for _, tc := range []struct {
		live, min uint64
		want      int
	}{
		{live: 4 << 20, min: 64 << 20, want: 1600},  // an empty heap: 64 MB to go
		{live: 10 << 20, min: 64 << 20, want: 640},  // a build of 100 pipelines
		{live: 11 << 20, min: 64 << 20, want: 580},  // rounded down, not to 581
		{live: 64 << 20, min: 64 << 20, want: 100},  // from here on, GOGC=100
		{live: 500 << 20, min: 64 << 20, want: 100}, // never below the default
	} {
		if got := percentFor(tc.live, tc.min); got != tc.want {
			t.Errorf("percentFor(%d MB, %d MB) = %d, want %d", tc.live>>20, tc.min>>20, got, tc.want)
		}
	}
}

// TestHeadroom runs in one test because Headroom tunes the whole process.
func TestHeadroom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	Headroom(64<<20, func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, Headroom changed GOGC to %d", got)
	}
	Headroom(64<<20, func(string) string { return "" })
	// The test's heap is far below 64 MB.
	if got := debug.SetGCPercent(100); got <= 100 {
		t.Errorf("Headroom left GOGC at %d on a small heap", got)
	}
}
