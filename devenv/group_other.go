//go:build !unix

package devenv

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
)

// ownGroup does nothing here: there are no process groups to start.
func ownGroup(*exec.Cmd) {}

// stopGroup ends the process and, on Windows, the processes it started
// (taskkill /T), which is what a process group gives elsewhere.
func stopGroup(pid int) {
	if runtime.GOOS == "windows" {
		if exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run() == nil {
			return
		}
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
