//go:build unix && !linux

package main

import "syscall"

// syncFS makes what was written durable: without syncfs, sync(2) is the
// nearest.
func syncFS(string) error {
	syscall.Sync()
	return nil
}
