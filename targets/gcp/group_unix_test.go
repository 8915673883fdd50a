//go:build unix

package gcp

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, so that signalGroup
// reaches the processes it spawns too (the emulator's Java).
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
