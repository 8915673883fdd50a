package writer

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
)

// staged is a file whose content is written to a temporary file next to
// it, to be renamed over it once that content is durable.
type staged struct {
	path string // slash-separated, relative to the output root
	data []byte
	perm *fs.FileMode // of the file it replaces; nil for a new file
	tmp  string       // the temporary file's name while it exists
}

// stage writes each file's content to a temporary file in its directory,
// creating directories as needed. It does not sync: durability comes once
// for the whole build, from syncData. A replaced file keeps its
// permissions. If it fails, the caller discards what was staged.
func (t *tree) stage(files []*staged) error {
	if err := t.create(); err != nil {
		return err
	}
	return t.inDirs(pathsOf(files), true, func(d *os.Root, i int) error {
		f := files[i]
		name := tmpPrefix + rand.Text()
		tmp, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return t.fail(f.path, "create temporary file", err)
		}
		f.tmp = name
		_, err = tmp.Write(f.data)
		if err == nil && f.perm != nil {
			err = tmp.Chmod(*f.perm)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return t.fail(f.path, "write", err)
		}
		return nil
	})
}

// syncData makes the content of staged files durable before any of them
// replaces a file: with one sync of each file system the build writes to,
// or, where that is not possible, by syncing each file.
func (t *tree) syncData(files []*staged, fresh []*freshDir) error {
	if t.syncFileSystems() {
		return nil
	}
	for _, f := range fresh {
		if err := t.syncFresh(f); err != nil {
			return t.fail(f.pipeline, "write", err)
		}
	}
	return t.inDirs(pathsOf(files), false, func(d *os.Root, i int) error {
		f := files[i]
		tmp, err := d.Open(f.tmp)
		if err == nil {
			err = tmp.Sync()
			tmp.Close()
		}
		if err != nil {
			return t.fail(f.path, "write", err)
		}
		return nil
	})
}

// publish renames each staged file over its target. Each rename is atomic,
// so a file holds its old or its new content whenever the build stops.
func (t *tree) publish(files []*staged) error {
	return t.inDirs(pathsOf(files), false, func(d *os.Root, i int) error {
		f := files[i]
		if err := d.Rename(f.tmp, path.Base(f.path)); err != nil {
			return t.fail(f.path, "write", err)
		}
		f.tmp = ""
		return nil
	})
}

// discard removes the temporary files of a build that failed before
// renaming them all.
func (t *tree) discard(files []*staged) {
	for _, f := range files {
		if f.tmp != "" {
			t.root.Remove(filepath.FromSlash(path.Join(path.Dir(f.path), f.tmp)))
			f.tmp = ""
		}
	}
}

// removeFiles deletes each of paths that exists.
func (t *tree) removeFiles(paths []string) error {
	return t.inDirs(paths, false, func(d *os.Root, i int) error {
		if err := d.Remove(path.Base(paths[i])); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return t.fail(paths[i], "delete", err)
		}
		return nil
	})
}

// inDirs calls fn for each of paths, with d open on the path's directory,
// which it first creates if create is set. Directories are handled in
// parallel, each file in one system call rather than a walk from the
// root; fn creates files when create is set, and as many directories at
// once as CreatorLimit allows. It returns the error of the first failing directory in path order.
func (t *tree) inDirs(paths []string, create bool, fn func(d *os.Root, i int) error) error {
	byDir := map[string][]int{}
	for i, p := range paths {
		byDir[path.Dir(p)] = append(byDir[path.Dir(p)], i)
	}
	dirs := slices.Sorted(maps.Keys(byDir))
	return parallel(len(dirs), func(k int) error {
		dir := filepath.FromSlash(dirs[k])
		if create {
			defer t.creating()()
			if err := t.root.MkdirAll(dir, 0o755); err != nil {
				return t.fail(dirs[k], "create directory", err)
			}
		}
		d, err := t.root.OpenRoot(dir)
		if err != nil {
			return t.fail(dirs[k], "open directory", err)
		}
		defer d.Close()
		t.noteFileSystem(d)
		for _, i := range byDir[dirs[k]] {
			if err := fn(d, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// noteFileSystem keeps the directory d open if it is the first the build
// touches on its file system, so that syncFileSystems can sync them all:
// a directory inside the output may be a mount point. A file system that
// cannot be synced as a whole makes the build sync each file instead.
func (t *tree) noteFileSystem(d *os.Root) {
	if t.perFile.Load() {
		return
	}
	f, err := d.Open(".")
	if err != nil {
		t.perFile.Store(true)
		return
	}
	dev, syncable := fileSystemOf(f)
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !syncable:
		t.perFile.Store(true)
	case t.fileSystems[dev] == nil:
		t.fileSystems[dev] = f
		return
	}
	f.Close()
}

// syncFileSystems syncs every file system the build touched, and reports
// whether that worked. Once it fails, the build syncs each file and
// directory instead, as it does where file systems cannot be synced.
func (t *tree) syncFileSystems() bool {
	if t.perFile.Load() {
		return false
	}
	for _, f := range t.fileSystems {
		if syncFileSystem(f) != nil {
			t.perFile.Store(true)
			return false
		}
	}
	return true
}

// syncNames makes renames and deletions in dirs durable before the index
// that describes them is written.
func (t *tree) syncNames(dirs map[string]bool) {
	if len(dirs) > 0 && !t.syncFileSystems() {
		t.syncDirs(dirs)
	}
}

// syncDirs syncs each of dirs. It is best effort: file contents are
// already synced, and some file systems cannot sync a directory.
func (t *tree) syncDirs(dirs map[string]bool) {
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if f, err := t.root.Open(filepath.FromSlash(d)); err == nil {
			f.Sync()
			f.Close()
		}
	}
}

// parallel calls fn for 0 <= i < n on a few goroutines and returns the
// error of the smallest i that failed. Creating and reading small files
// waits on the kernel, not the CPU, so it uses more goroutines than cores.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, 8) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				errs[i] = fn(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func pathsOf(files []*staged) []string {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	return paths
}
