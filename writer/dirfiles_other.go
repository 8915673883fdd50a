//go:build !linux

package writer

import "os"

// dirFiles creates and reads files in one directory.
type dirFiles struct {
	root *os.Root
}

func openDirFiles(root *os.Root) (*dirFiles, error) { return &dirFiles{root: root}, nil }

// create writes a new file name (one path element, not followed if it
// is a link) with data and returns what a stamp records of it.
func (n *dirFiles) create(name string, data []byte) (fileStat, bool, error) {
	file, err := n.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fileStat{}, false, err
	}
	_, err = file.Write(data)
	var st fileStat
	ok := false
	if err == nil {
		if info, serr := file.Stat(); serr == nil {
			st, ok = statOf(info)
		}
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return st, ok, err
}

// read returns the content of the regular file name (one path element);
// size is what an lstat of it said.
func (n *dirFiles) read(name string, size int64) ([]byte, error) { return n.root.ReadFile(name) }

func (n *dirFiles) close() {}
