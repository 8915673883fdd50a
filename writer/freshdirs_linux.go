//go:build linux

package writer

import (
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// freshDirs creates the directories and files of a fresh pipeline tree
// (stageFresh), holding each directory open once it exists, so that each
// costs one mkdirat and one openat relative to its parent. os.Root walked
// every path from the top again for MkdirAll and OpenRoot, and opened each
// directory as an os.File, which adds four fcntl calls and an epoll
// registration: about fifteen calls per directory, for 26 directories per
// pipeline, a third of the calls a cold build made to write its files.
//
// Each path element is opened with O_NOFOLLOW relative to its parent, as
// os.Root does, so a link put in the tree's place is never followed.
type freshDirs struct {
	top *os.File
	fds map[string]int // by path from the top; "." is top's
}

func newFreshDirs(top *os.Root) (*freshDirs, error) {
	f, err := top.Open(".")
	if err != nil {
		return nil, err
	}
	return &freshDirs{top: f, fds: map[string]int{".": int(f.Fd())}}, nil
}

// dir returns a descriptor of directory rel, creating it and its parents
// as needed.
func (d *freshDirs) dir(rel string) (int, error) {
	if fd, ok := d.fds[rel]; ok {
		return fd, nil
	}
	parent, err := d.dir(path.Dir(rel))
	if err != nil {
		return -1, err
	}
	base := path.Base(rel)
	// EEXIST is left to the openat: a directory is opened, anything else
	// fails there.
	if _, err := retry(func() (int, error) { return 0, unix.Mkdirat(parent, base, 0o755) }); err != nil && err != unix.EEXIST {
		return -1, &os.PathError{Op: "mkdir", Path: rel, Err: err}
	}
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := retry(func() (int, error) { return unix.Openat(parent, base, flags, 0) })
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	d.fds[rel] = fd
	return fd, nil
}

// create writes the new file rel with data and returns what a stamp
// records of it.
func (d *freshDirs) create(rel string, data []byte) (fileStat, bool, error) {
	// The plan's paths are validated; this keeps a ".." from ever
	// reaching openat, which os.Root refused by itself.
	if !cleanRelative(rel) {
		return fileStat{}, false, &os.PathError{Op: "open", Path: rel, Err: os.ErrInvalid}
	}
	fd, err := d.dir(path.Dir(rel))
	if err != nil {
		return fileStat{}, false, err
	}
	return createAt(fd, path.Base(rel), data)
}

// dirs calls fn with each directory created and what a stamp records of
// it now.
func (d *freshDirs) dirs(fn func(rel string, st fileStat, ok bool)) error {
	for rel, fd := range d.fds {
		if rel == "." {
			continue
		}
		var st unix.Stat_t
		if _, err := retry(func() (int, error) { return 0, unix.Fstat(fd, &st) }); err != nil {
			return &os.PathError{Op: "stat", Path: rel, Err: err}
		}
		fn(rel, fileStatOf(uint64(st.Dev), st.Ino, st.Mode, st.Size, st.Mtim.Nano(), st.Ctim.Nano()), true)
	}
	return nil
}

func (d *freshDirs) close() {
	for rel, fd := range d.fds {
		if rel != "." {
			unix.Close(fd)
		}
	}
	d.top.Close()
}
