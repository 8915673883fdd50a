package writer

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// tree is the output directory. Every access goes through an os.Root, so
// that no path in a plan or an index, and no symbolic link in the
// directory, can make the writer touch anything outside it.
type tree struct {
	dir  string   // as the caller gave it, for messages
	root *os.Root // nil while the directory does not exist

	// fileSystems holds a directory open on each file system the build
	// writes to, by device number; mu guards it.
	mu          sync.Mutex
	fileSystems map[uint64]*os.File
	// perFile is set once the build cannot sync a file system as a
	// whole, and makes it sync each file and directory instead.
	perFile atomic.Bool
	// creators holds a token for each goroutine creating files
	// (creating).
	creators chan struct{}
}

func openTree(dir string) (*tree, error) {
	t := &tree{dir: dir, fileSystems: map[uint64]*os.File{}, creators: make(chan struct{}, CreatorLimit())}
	root, err := os.OpenRoot(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return t, nil
	case err != nil:
		return nil, t.fail(".", "open output directory", err)
	}
	t.root = root
	return t, nil
}

func (t *tree) close() {
	for _, f := range t.fileSystems {
		f.Close()
	}
	if t.root != nil {
		t.root.Close()
	}
}

// create makes the output directory if it does not exist yet: only a
// build that writes something creates it.
func (t *tree) create() error {
	if t.root != nil {
		return nil
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return t.fail(".", "create output directory", err)
	}
	root, err := os.OpenRoot(t.dir)
	if err != nil {
		return t.fail(".", "open output directory", err)
	}
	t.root = root
	return nil
}

// display returns p joined with the output directory as the caller gave it.
func (t *tree) display(p string) string {
	return filepath.Join(t.dir, filepath.FromSlash(p))
}

// fail says which file an operation failed on and why, once: the
// operating system's error keeps only its cause.
func (t *tree) fail(p, what string, err error) error {
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	switch {
	case errors.As(err, &pathErr):
		err = pathErr.Err
	case errors.As(err, &linkErr):
		err = linkErr.Err
	}
	return fmt.Errorf("%s: cannot %s: %w", t.display(p), what, err)
}

// dirReader reads files a directory at a time. Files sorted by path come
// one directory after the other, and a file in an open directory takes
// one system call to look up, where a walk from the root takes one per
// path element: a build that changes nothing still reads every file.
type dirReader struct {
	t     *tree
	dir   string    // the directory last opened
	d     *os.Root  // nil when it could not be opened
	files *dirFiles // d's files, once one is read
}

// open returns the directory that holds p and p's name in it. Where that
// directory cannot be opened, it returns the root and p itself, so that a
// walk from the root says what is in the way. Without a root it returns
// nil.
func (r *dirReader) open(p string) (*os.Root, string) {
	if dir := path.Dir(p); dir != r.dir {
		r.close()
		r.dir, r.d = dir, nil
		if r.t.root != nil {
			r.d, _ = r.t.root.OpenRoot(filepath.FromSlash(dir))
		}
	}
	if r.d != nil {
		return r.d, path.Base(p)
	}
	return r.t.root, filepath.FromSlash(p)
}

// read returns the content of p, a regular file of size bytes that open
// found in r.d.
func (r *dirReader) read(p string, size int64) ([]byte, error) {
	if r.files == nil {
		files, err := openDirFiles(r.d)
		if err != nil {
			return nil, err
		}
		r.files = files
	}
	return r.files.read(path.Base(p), size)
}

func (r *dirReader) close() {
	if r.files != nil {
		r.files.close()
		r.files = nil
	}
	if r.d != nil {
		r.d.Close()
	}
}

// lstat describes what is at p, without following a link there.
func (t *tree) lstat(p string) (fs.FileInfo, error) {
	if t.root == nil {
		return nil, fs.ErrNotExist
	}
	return t.root.Lstat(filepath.FromSlash(p))
}

func (t *tree) readFile(p string) ([]byte, error) {
	if t.root == nil {
		return nil, fs.ErrNotExist
	}
	return t.root.ReadFile(filepath.FromSlash(p))
}

// fileAncestor returns the first of p's parent directories that exists
// and is not a directory, or "" if there is none.
func (t *tree) fileAncestor(p string) string {
	if t.root == nil {
		return ""
	}
	elems := strings.Split(p, "/")
	for i := 1; i < len(elems); i++ {
		d := strings.Join(elems[:i], "/")
		info, err := t.root.Stat(filepath.FromSlash(d))
		if err != nil {
			return ""
		}
		if !info.IsDir() {
			return d
		}
	}
	return ""
}

func (t *tree) remove(p string) error {
	if err := t.root.Remove(filepath.FromSlash(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return t.fail(p, "delete", err)
	}
	return nil
}

// leftovers finds the temporary files an interrupted build left in a
// pipeline's directory: anywhere inside dirs, the part of it the build
// owns, and next to its index.
func (t *tree) leftovers(pipeline string, dirs []string) ([]string, error) {
	if t.root == nil {
		return nil, nil
	}
	d, err := t.root.OpenRoot(pipeline)
	if err != nil {
		// Not a directory yet: nothing was left there.
		return nil, nil
	}
	defer d.Close()
	var found []string
	entries, err := readDir(d)
	if err != nil {
		return nil, t.fail(pipeline, "look for temporary files", err)
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) {
			found = append(found, pipeline+"/"+e.Name())
		}
	}
	for _, dir := range dirs {
		sub := d
		if rel := strings.TrimPrefix(dir, pipeline+"/"); dir != pipeline {
			if sub, err = d.OpenRoot(filepath.FromSlash(rel)); err != nil {
				continue // not there: nothing was left in it
			}
			defer sub.Close()
		}
		if found, err = t.findTemporary(sub, dir, found); err != nil {
			return nil, err
		}
	}
	slices.Sort(found)
	return slices.Compact(found), nil
}

// findTemporary appends to found the temporary files anywhere below the
// directory d, at p.
func (t *tree) findTemporary(d *os.Root, p string, found []string) ([]string, error) {
	entries, err := readDir(d)
	if err != nil {
		return nil, t.fail(p, "look for temporary files", err)
	}
	for _, e := range entries {
		switch {
		case e.IsDir():
			sub, err := d.OpenRoot(e.Name())
			if err != nil {
				return nil, t.fail(p+"/"+e.Name(), "look for temporary files", err)
			}
			found, err = t.findTemporary(sub, p+"/"+e.Name(), found)
			sub.Close()
			if err != nil {
				return nil, err
			}
		case strings.HasPrefix(e.Name(), tmpPrefix):
			found = append(found, p+"/"+e.Name())
		}
	}
	return found, nil
}

// readDir lists the directory d.
func readDir(d *os.Root) ([]fs.DirEntry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// removeEmptyDirs removes each of dirs that is empty, and then its parents
// while they are empty, staying inside the scope.
func (t *tree) removeEmptyDirs(dirs map[string]bool, scope scopeSet) error {
	// Deepest first, so that a parent is looked at after its children.
	order := slices.SortedFunc(maps.Keys(dirs), func(a, b string) int {
		if n, m := strings.Count(a, "/"), strings.Count(b, "/"); n != m {
			return m - n
		}
		return strings.Compare(a, b)
	})
	for _, d := range order {
		for ; d != "." && scope.contains(d); d = path.Dir(d) {
			entries, err := fs.ReadDir(t.root.FS(), d)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return t.fail(d, "read directory", err)
			}
			if len(entries) > 0 {
				break
			}
			if err := t.root.Remove(filepath.FromSlash(d)); err != nil {
				return t.fail(d, "remove empty directory", err)
			}
		}
	}
	return nil
}

// CreatorLimit is how many goroutines of a build create files at once.
//
// Creating files in parallel pays only while the file system scales with
// it, and the ext4 without a journal of the machines pipec's CI runs on
// does not: it checks each inode it allocates against recent deletions,
// through the buffer cache, and goroutines allocating together contend
// there. Creating a cold build's 186,500 files alone (bench/floor) took
// 3.2-3.5 s wall and 2.3-2.7 s of CPU on one goroutine, and 5.3-5.5 s and
// 7.5-8.2 s on two, some minutes after a large deletion; long after one,
// two were faster (2.5 s against 3.5 s). But a build has compiling to do
// on the other CPUs, and creating files is about a fifth of its work: with
// a quarter of the CPUs (at least one) creating files, cold builds on two
// CPUs took 7.85-8.07 s instead of 8.12-8.40 s, and no longer doubled
// their system time after a deletion. Into tmpfs, which scales, they ran
// as fast either way.
func CreatorLimit() int {
	return max(1, runtime.GOMAXPROCS(0)/4)
}

// creating waits until the goroutine may create files in the tree, and
// returns the function that says it is done.
func (t *tree) creating() (done func()) {
	t.creators <- struct{}{}
	if creatingHook != nil {
		creatingHook(+1)
	}
	return func() {
		if creatingHook != nil {
			creatingHook(-1)
		}
		<-t.creators
	}
}

// creatingHook, set by a test, hears each goroutine start (+1) and stop
// (-1) creating files.
var creatingHook func(delta int)
