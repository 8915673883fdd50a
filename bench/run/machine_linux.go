package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// machineBusy returns how long the machine's CPUs, all of them together,
// have spent busy since boot: in user code, the kernel, interrupts, or
// stolen by the hypervisor. Unlike a process's CPU time it counts the
// kernel threads that work on a process's behalf (writeback, freeing
// inodes), which run on whichever core is free.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	return parseBusy(string(b))
}

// parseBusy reads the first line of /proc/stat: "cpu  user nice system
// idle iowait irq softirq steal ...", in USER_HZ ticks, which are 1/100 s
// on every architecture Go supports.
func parseBusy(stat string) (time.Duration, bool) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
}
