//go:build !windows

package main

import "testing"

// A figure rounded onto its goal shows a third decimal, so the table never
// reads "1.70×, not met".
func TestAgainstShowsWhichSideOfTheGoal(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{1.64, "1.64"},
		{1.6985, "1.698"},
		{1.7, "1.70"},
		{1.7004, "1.700"},
		{1.71, "1.71"},
	} {
		if got := against(tc.x, 1.7); got != tc.want {
			t.Errorf("against(%v, 1.7) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
