//go:build !windows

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

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

// The machine's busy time bounds the speedup: the report gives the build's
// use of the CPUs, the speedup it would have had with none idle, and what
// ran beside the GOMAXPROCS=1 build.
func TestCoresUsed(t *testing.T) {
	r := &report{cfg: &config{sizes: []int{100, 1000}}, tools: &tools{cpus: 2}, stats: map[key]stats{
		{1000, pipecBuild}:  {wall: 7 * time.Second, cpu: 12 * time.Second, machine: 13 * time.Second},
		{1000, pipecSerial}: {wall: 12 * time.Second, cpu: 11 * time.Second, machine: 12500 * time.Millisecond},
		{100, pipecBuild}:   {wall: time.Second, cpu: time.Second, machine: time.Second},
	}}
	var b strings.Builder
	r.coresUsed(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) })
	for _, want := range []string{
		"N = 1000",
		"13.0 s busy of the 14.0 s its 2 CPUs offered (93%)",
		"it would have taken 6.50 s, a speedup of 1.85×",
		"12.5 s busy, 1.50 s of it beside pipec's own 11.0 s of CPU",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}

	// Without the machine's figures (not Linux), nothing is said.
	b.Reset()
	r.stats[key{1000, pipecSerial}] = stats{wall: 12 * time.Second, cpu: 11 * time.Second}
	r.coresUsed(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) })
	if b.Len() != 0 {
		t.Errorf("said %q without the machine's busy time", b.String())
	}
}

// The speedup's verdict lists each round's own speedup, so that a round
// run while the machine was slow can be told from a steady result.
func TestSpeedupRoundByRound(t *testing.T) {
	s := func(walls ...time.Duration) stats { return median(samplesOf(walls)) }
	r := &report{cfg: &config{sizes: []int{100, 1000}}, tools: &tools{cpus: 2}, stats: map[key]stats{
		{1000, pipecBuild}:  s(7500*time.Millisecond, 7500*time.Millisecond, 7400*time.Millisecond),
		{1000, pipecSerial}: s(18*time.Second, 13*time.Second, 12500*time.Millisecond),
		{100, pipecBuild}:   s(time.Second, time.Second, time.Second),
		{100, pipecSerial}:  s(1500*time.Millisecond, 1500*time.Millisecond, 1500*time.Millisecond),
	}}
	var speedup verdict
	for _, g := range r.goals() {
		if strings.Contains(g.goal, "speedup") {
			speedup = g
		}
	}
	// The rounds follow the smaller N's figures, which stay in their
	// parentheses after the main figure.
	for _, want := range []string{"13.0 s / 7.50 s = 1.73× at N = 1000 (N = 100: 1.50×); round by round at that N: 2.40×, 1.73×, 1.69×"} {
		if !strings.Contains(speedup.figure, want) {
			t.Errorf("missing %q in %q", want, speedup.figure)
		}
	}
	if speedup.verdict != "met" {
		t.Errorf("verdict %q, want the median's", speedup.verdict)
	}
}

func samplesOf(walls []time.Duration) []sample {
	out := make([]sample, len(walls))
	for i, w := range walls {
		out[i] = sample{wall: w}
	}
	return out
}
