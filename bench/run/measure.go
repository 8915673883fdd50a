//go:build !windows

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is what one run of a command cost, as the kernel accounts it.
type sample struct {
	wall time.Duration
	cpu  time.Duration // user + system, of the process and its waited-for children
	rss  int64         // peak resident set size, bytes
	// machine is how long the whole machine's CPUs were busy while the
	// command ran, whoever for (zero where unknown).
	machine time.Duration
}

// add accumulates a run that is part of one measure (kustomize runs one
// process per overlay): times add up, the peak is the highest peak.
func (s sample) add(o sample) sample {
	return sample{wall: s.wall + o.wall, cpu: s.cpu + o.cpu, rss: max(s.rss, o.rss), machine: s.machine + o.machine}
}

// stats are the medians of a measure's runs, each figure taken separately,
// and the spread of the wall times.
type stats struct {
	wall, cpu, machine time.Duration
	rss                int64
	runs               int
	minWall, maxWall   time.Duration
	// walls are the runs' wall times in the order they ran, so that two
	// measures can be compared round by round.
	walls []time.Duration
}

func median(samples []sample) stats {
	walls := make([]time.Duration, len(samples))
	for i, s := range samples {
		walls[i] = s.wall
	}
	pick := func(f func(sample) int64) int64 {
		v := make([]int64, len(samples))
		for i, s := range samples {
			v[i] = f(s)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stats{
		wall: time.Duration(pick(func(s sample) int64 { return int64(s.wall) })),
		cpu:  time.Duration(pick(func(s sample) int64 { return int64(s.cpu) })),
		rss:  pick(func(s sample) int64 { return s.rss }),
		runs: len(samples),

		machine: time.Duration(pick(func(s sample) int64 { return int64(s.machine) })),

		minWall: slices.Min(walls),
		maxWall: slices.Max(walls),
		walls:   walls,
	}
}

// measure runs cmd to completion with its output discarded and returns
// what it cost. A command that fails is an error: a benchmark of a failing
// command measures nothing.
func measure(cmd *exec.Cmd) (sample, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return sample{}, err
	}
	defer devnull.Close()
	if cmd.Stdout == nil {
		// A file, not a pipe: the child writes straight to it, and no
		// goroutine of ours copies its output while it is timed.
		cmd.Stdout = devnull
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	busyBefore, busyKnown := machineBusy()
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	busyAfter, _ := machineBusy()
	if err != nil {
		return sample{}, fmt.Errorf("%s (in %s): %v\n%s", strings.Join(cmd.Args, " "), cmd.Dir, err, tail(stderr.String(), 2000))
	}
	ps := cmd.ProcessState
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, fmt.Errorf("no resource usage for %s on %s", cmd.Args[0], runtime.GOOS)
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		rss *= 1024 // kilobytes everywhere but on macOS
	}
	got := sample{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), rss: rss}
	if busyKnown {
		got.machine = busyAfter - busyBefore
	}
	return got, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
