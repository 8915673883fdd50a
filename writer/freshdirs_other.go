//go:build !linux

package writer

import (
	"os"
	"path"
	"path/filepath"
)

// freshDirs creates the directories and files of a fresh pipeline tree
// (stageFresh) through os.Root.
type freshDirs struct {
	top   *os.Root
	roots map[string]*os.Root // by path from the top; "." is top
}

func newFreshDirs(top *os.Root) (*freshDirs, error) {
	return &freshDirs{top: top, roots: map[string]*os.Root{".": top}}, nil
}

func (d *freshDirs) dir(rel string) (*os.Root, error) {
	if r, ok := d.roots[rel]; ok {
		return r, nil
	}
	if err := d.top.MkdirAll(filepath.FromSlash(rel), 0o755); err != nil {
		return nil, err
	}
	r, err := d.top.OpenRoot(filepath.FromSlash(rel))
	if err != nil {
		return nil, err
	}
	d.roots[rel] = r
	// The parents were created too: list them for dirs.
	for p := path.Dir(rel); p != "."; p = path.Dir(p) {
		if _, ok := d.roots[p]; !ok {
			d.roots[p] = nil
		}
	}
	return r, nil
}

// create writes the new file rel with data and returns what a stamp
// records of it.
func (d *freshDirs) create(rel string, data []byte) (fileStat, bool, error) {
	if !cleanRelative(rel) {
		return fileStat{}, false, &os.PathError{Op: "open", Path: rel, Err: os.ErrInvalid}
	}
	r, err := d.dir(path.Dir(rel))
	if err == nil && r == nil { // created as a parent, not opened yet
		delete(d.roots, path.Dir(rel))
		r, err = d.dir(path.Dir(rel))
	}
	if err != nil {
		return fileStat{}, false, err
	}
	files, _ := openDirFiles(r)
	return files.create(path.Base(rel), data)
}

// dirs calls fn with each directory created and what a stamp records of
// it now.
func (d *freshDirs) dirs(fn func(rel string, st fileStat, ok bool)) error {
	for rel := range d.roots {
		if rel == "." {
			continue
		}
		info, err := d.top.Lstat(filepath.FromSlash(rel))
		if err != nil {
			return err
		}
		st, ok := statOf(info)
		fn(rel, st, ok)
	}
	return nil
}

func (d *freshDirs) close() {
	for rel, r := range d.roots {
		if rel != "." && r != nil {
			r.Close()
		}
	}
}
