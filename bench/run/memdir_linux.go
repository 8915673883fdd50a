package main

import "syscall"

// memDir returns /dev/shm when it is a tmpfs with room for the builds into
// memory (N = 1000 takes about 0.5 GB), and "" otherwise.
func memDir() string {
	const dir, tmpfsMagic, room = "/dev/shm", 0x01021994, 2 << 30
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil || st.Type != tmpfsMagic || st.Bavail*uint64(st.Bsize) < room {
		return ""
	}
	return dir
}
