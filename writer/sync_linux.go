//go:build linux

package writer

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFileSystem makes everything written to the file system that holds f
// durable, in one system call however many files were written. A variable,
// so that tests can make it fail.
var syncFileSystem = func(f *os.File) error {
	return unix.Syncfs(int(f.Fd()))
}

// fileSystemOf returns the device number of the file system that holds f,
// and whether syncfs makes that file system durable. Only local file
// systems known to sync everything in syncfs qualify: on some others, such
// as FUSE and 9p on older kernels, syncfs returns without asking the
// server to sync, where fsync would.
func fileSystemOf(f *os.File) (dev uint64, syncable bool) {
	var st unix.Stat_t
	var sfs unix.Statfs_t
	if unix.Fstat(int(f.Fd()), &st) != nil || unix.Fstatfs(int(f.Fd()), &sfs) != nil {
		return 0, false
	}
	switch uint32(sfs.Type) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC,
		unix.F2FS_SUPER_MAGIC, unix.TMPFS_MAGIC, unix.OVERLAYFS_SUPER_MAGIC:
		return uint64(st.Dev), true
	}
	return 0, false
}
