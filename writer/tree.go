package writer

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// tree is the output directory. Every access goes through an os.Root, so
// that no path in a plan or an index, and no symbolic link in the
// directory, can make the writer touch anything outside it.
type tree struct {
	dir  string   // as the caller gave it, for messages
	root *os.Root // nil while the directory does not exist
}

func openTree(dir string) (*tree, error) {
	t := &tree{dir: dir}
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

// writeFile replaces p with data atomically: the content goes to a
// temporary file in the same directory, is synced, and is renamed over p.
// A replaced file keeps its permissions; perm is nil for a new file.
func (t *tree) writeFile(p string, data []byte, perm *fs.FileMode) error {
	if err := t.create(); err != nil {
		return err
	}
	dir := path.Dir(p)
	if err := t.root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
		return t.fail(dir, "create directory", err)
	}
	tmp := filepath.FromSlash(path.Join(dir, tmpPrefix+rand.Text()))
	f, err := t.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return t.fail(p, "create temporary file", err)
	}
	_, err = f.Write(data)
	if err == nil && perm != nil {
		err = f.Chmod(*perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = t.root.Rename(tmp, filepath.FromSlash(p))
	}
	if err != nil {
		t.root.Remove(tmp)
		return t.fail(p, "write", err)
	}
	return nil
}

func (t *tree) remove(p string) error {
	if err := t.root.Remove(filepath.FromSlash(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return t.fail(p, "delete", err)
	}
	return nil
}

// syncDirs makes renames and deletions in dirs durable before the index
// that describes them is written. It is best effort: file contents are
// already synced, and some file systems cannot sync a directory.
func (t *tree) syncDirs(dirs map[string]bool) {
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if f, err := t.root.Open(filepath.FromSlash(d)); err == nil {
			f.Sync()
			f.Close()
		}
	}
}

// leftovers finds the temporary files of an interrupted build: anywhere
// inside the scope, and next to each pipeline's index.
func (t *tree) leftovers(scope, pipelines []string) ([]string, error) {
	if t.root == nil {
		return nil, nil
	}
	fsys := t.root.FS()
	found := map[string]bool{}
	for _, dir := range scope {
		if info, err := fs.Stat(fsys, dir); err != nil || !info.IsDir() {
			continue
		}
		err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return t.fail(p, "look for temporary files", err)
			}
			if !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
				found[p] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, dir := range pipelines {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			// Not a directory yet: nothing was left there.
			continue
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) {
				found[path.Join(dir, e.Name())] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(found)), nil
}

// removeEmptyDirs removes each of dirs that is empty, and then its parents
// while they are empty, staying inside the scope.
func (t *tree) removeEmptyDirs(dirs map[string]bool, scope []string) error {
	// Deepest first, so that a parent is looked at after its children.
	order := slices.SortedFunc(maps.Keys(dirs), func(a, b string) int {
		if n, m := strings.Count(a, "/"), strings.Count(b, "/"); n != m {
			return m - n
		}
		return strings.Compare(a, b)
	})
	for _, d := range order {
		for ; d != "." && inScope(scope, d); d = path.Dir(d) {
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
