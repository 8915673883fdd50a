//go:build unix

package devenv

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, which stopGroup ends
// whole.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func stopGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }
