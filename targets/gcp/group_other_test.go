//go:build !unix

package gcp

import "os/exec"

// ownGroup and signalGroup: without process groups, the emulator's own
// process is all a test can stop.
func ownGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }
