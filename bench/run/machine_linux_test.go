package main

import (
	"testing"
	"time"
)

func TestParseBusy(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	stat := "cpu  1000 20 300 9000 500 4 6 70 0 0\ncpu0 500 10 150 4500 250 2 3 35 0 0\n"
	got, ok := parseBusy(stat)
	if want := 1400 * 10 * time.Millisecond; !ok || got != want {
		t.Errorf("parseBusy = %v, %v; want %v (idle and iowait left out)", got, ok, want)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu  1 2 x 4 5 6 7 8\n", "cpu  1 2 3\n"} {
		if _, ok := parseBusy(bad); ok {
			t.Errorf("parseBusy(%q) accepted it", bad)
		}
	}
	if _, ok := machineBusy(); !ok {
		t.Error("machineBusy cannot read /proc/stat")
	}
}
