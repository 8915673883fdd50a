package main

import "golang.org/x/sys/unix"

// syncFS makes what was written under dir durable, with one syncfs as
// pipec's writer does on Linux.
func syncFS(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Syncfs(fd)
}
