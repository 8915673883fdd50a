//go:build unix

package buildcache

import (
	"io"
	"io/fs"

	"golang.org/x/sys/unix"
)

// hashRegularFile hashes the line and content of the file at p, which its
// directory listed as regular, through one descriptor: os.Stat and os.Open
// cost twice the system calls, and a no-op build hashes every input of
// every pipeline. The file is opened non-blocking, so one swapped for a
// pipe since the listing cannot hang the build; what fstat then finds is
// what is hashed. It reports false, having written nothing, when the file
// cannot be opened, and the caller describes it with os.Stat.
func hashRegularFile(h io.Writer, p, name string, buf []byte) (bool, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return false, nil
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, nil
	}
	h.Write(fileLine(buf[:0], name, fs.FileMode(st.Mode&0o777), st.Size))
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return true, nil
	}
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return true, &fs.PathError{Op: "read", Path: p, Err: err}
		case n == 0:
			return true, nil
		}
		h.Write(buf[:n])
	}
}
