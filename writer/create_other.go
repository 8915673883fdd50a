//go:build !linux

package writer

import "os"

// newFiles creates files in one directory.
type newFiles struct {
	root *os.Root
}

func openNewFiles(root *os.Root) (*newFiles, error) { return &newFiles{root: root}, nil }

// create writes a new file name (one path element, not followed if it
// is a link) with data and returns what a stamp records of it.
func (n *newFiles) create(name string, data []byte) (fileStat, bool, error) {
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

func (n *newFiles) close() {}
