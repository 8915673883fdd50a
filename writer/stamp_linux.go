//go:build linux

package writer

import (
	"io/fs"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// statOf returns what a stamp compares of info.
func statOf(info fs.FileInfo) (fileStat, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{
		dev:   uint64(st.Dev),
		ino:   st.Ino,
		mode:  st.Mode,
		size:  st.Size,
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
	}, true
}

// dirStatter returns a function that describes names in directory dir
// below root, as statOf would, and a function that closes the directory;
// nil if the directory cannot be opened. It asks the kernel directly,
// through the directory's descriptor: a no-op build of 1000 pipelines
// checks 186,500 entries, and os.Root.Lstat allocates a FileInfo for each.
// The names are single path elements and links are not followed, so
// nothing leaves the directory.
func dirStatter(root *os.Root, dir string) (lstat func(name string) (fileStat, bool), done func()) {
	f, err := root.Open(dir)
	if err != nil {
		return nil, nil
	}
	fd := int(f.Fd())
	return func(name string) (fileStat, bool) {
		if strings.Contains(name, "/") {
			return fileStat{}, false
		}
		var st unix.Stat_t
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		for err == unix.EINTR {
			err = unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			return fileStat{}, false
		}
		return fileStat{
			dev:   st.Dev,
			ino:   st.Ino,
			mode:  st.Mode,
			size:  st.Size,
			mtime: st.Mtim.Nano(),
			ctime: st.Ctim.Nano(),
		}, true
	}, func() { f.Close() }
}
