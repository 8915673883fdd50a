//go:build !linux

package main

import "time"

// machineBusy is known on Linux only.
func machineBusy() (time.Duration, bool) { return 0, false }
