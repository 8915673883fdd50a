package writer

import (
	"crypto/rand"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// freshDir is the directory of a pipeline that had none, built whole
// under a temporary name at the output root and published by renaming it:
// the pipeline appears at once with all its files and its index, where
// renaming each file into place would cost one rename per file. A build
// cut short leaves only the temporary directory, which the next build
// removes. Nothing else is at the pipeline's place, so nothing is replaced
// and the pending index that makes replacing files safe is not needed.
type freshDir struct {
	pipeline string
	tmp      string // the temporary directory's name at the root while it exists

	// stampLines are the lines of the directory's stamp for everything
	// below its top, taken as it was written: nobody else knows the
	// temporary directory, so nothing changes them before the build ends.
	// newest is the latest modification time among them, and stampable
	// is unset when the directory cannot be stamped.
	stampLines []byte
	newest     int64
	stampable  bool
}

// noteStat adds an entry to the directory's stamp; ok is unset when its
// stat could not be taken.
func (f *freshDir) noteStat(rel string, st fileStat, ok, generated bool) {
	if !ok || strings.ContainsAny(rel, "\n\r") {
		f.stampable = false
		return
	}
	f.newest = max(f.newest, st.mtime)
	// The line of pipeline/rel, without making that path a string.
	f.stampLines = stampEntry{stat: st, generated: generated}.appendFields(f.stampLines)
	f.stampLines = append(f.stampLines, f.pipeline...)
	f.stampLines = append(f.stampLines, '/')
	f.stampLines = append(f.stampLines, rel...)
	f.stampLines = append(f.stampLines, '\n')
}

// stageFresh writes the new files of pipeline, which has no directory yet,
// and its final index into a temporary directory. It returns nil, having
// removed what it wrote, if that fails: the files are then staged one by
// one, which reports the failure where it happens.
func (t *tree) stageFresh(part *build, pipeline string) *freshDir {
	var writes []*change
	for i := range part.writes {
		if pipelineOf(part.writes[i].path) == pipeline {
			writes = append(writes, &part.writes[i])
		}
	}
	var ix *pipelineIndex
	for _, x := range part.indexes {
		if pipelineOf(x.path) == pipeline {
			ix = x
		}
	}
	if ix == nil || ix.final == nil || len(writes) == 0 || t.create() != nil {
		return nil
	}
	f := &freshDir{pipeline: pipeline, tmp: tmpPrefix + rand.Text(), stampable: true}
	// The lines are kept until the build ends: a thousand pipelines' are
	// most of its live heap. A line is its path and about 70 bytes of
	// numbers; the directories' lines fit in the slack, or in the copy
	// writeFresh makes once it knows their size.
	size := 0
	for _, c := range writes {
		size += len(c.path) + 1 + stampFieldsSize
	}
	f.stampLines = make([]byte, 0, size+size/16)
	if err := t.root.Mkdir(f.tmp, 0o755); err != nil {
		return nil
	}
	if !t.writeFresh(f, writes, ix) {
		t.root.RemoveAll(f.tmp)
		return nil
	}
	for _, c := range writes {
		c.bundled = true
	}
	// The final index is in the directory; no pending one is needed.
	ix.pendingFile, ix.finalFile = nil, nil
	return f
}

func (t *tree) writeFresh(f *freshDir, writes []*change, ix *pipelineIndex) bool {
	defer t.creating()()
	top, err := t.root.OpenRoot(f.tmp)
	if err != nil {
		return false
	}
	defer top.Close()
	t.noteFileSystem(top)
	d, err := newFreshDirs(top)
	if err != nil {
		return false
	}
	defer d.close()
	write := func(rel string, data []byte) bool {
		st, ok, err := d.create(rel, data)
		if err != nil {
			return false
		}
		if f.stampable {
			f.noteStat(rel, st, ok, true)
		}
		return true
	}
	for _, c := range writes {
		if !write(strings.TrimPrefix(c.path, f.pipeline+"/"), c.new) {
			return false
		}
	}
	if !write(indexName, ix.final) {
		return false
	}
	// The directories are described once all their files are in.
	type dirStat struct {
		rel string
		st  fileStat
		ok  bool
	}
	var dirs []dirStat
	if err := d.dirs(func(rel string, st fileStat, ok bool) { dirs = append(dirs, dirStat{rel, st, ok}) }); err != nil {
		return false
	}
	slices.SortFunc(dirs, func(a, b dirStat) int { return strings.Compare(a.rel, b.rel) })
	for _, e := range dirs {
		if !f.stampable {
			break
		}
		f.noteStat(e.rel, e.st, e.ok, false)
	}
	if cap(f.stampLines) > len(f.stampLines)+len(f.stampLines)/8 {
		f.stampLines = slices.Clone(f.stampLines)
	}
	return true
}

// stampFieldsSize is about how long a stamp line's numbers are
// (stampEntry.appendFields): a device and an inode number, a mode, a size
// and two times in nanoseconds.
const stampFieldsSize = 72

// syncFresh makes a fresh directory's files and directories durable one
// by one, where the file system cannot be synced as a whole.
func (t *tree) syncFresh(f *freshDir) error {
	return fs.WalkDir(t.root.FS(), f.tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		file, err := t.root.Open(filepath.FromSlash(p))
		if err != nil {
			return err
		}
		err = file.Sync()
		if d.IsDir() {
			err = nil // best effort, as for any directory
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// publishFresh renames fresh directories into place. A directory that
// appeared at a pipeline's place since the build looked is not replaced,
// unless it is empty.
func (t *tree) publishFresh(fresh []*freshDir) error {
	for _, f := range fresh {
		if err := t.root.Rename(f.tmp, f.pipeline); err != nil {
			return t.fail(f.pipeline, "write", err)
		}
		f.tmp = ""
	}
	return nil
}

// discardFresh removes the fresh directories not published.
func (t *tree) discardFresh(fresh []*freshDir) {
	for _, f := range fresh {
		if f.tmp != "" {
			t.root.RemoveAll(f.tmp)
			f.tmp = ""
		}
	}
}

// rootLeftovers removes what an interrupted build left at the output
// root: fresh directories it had not published. keep names the current
// build's own.
func (t *tree) rootLeftovers(keep []*freshDir) error {
	if t.root == nil {
		return nil
	}
	own := map[string]bool{}
	for _, f := range keep {
		own[f.tmp] = true
	}
	entries, err := readDir(t.root)
	if err != nil {
		return t.fail(".", "look for temporary files", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) && !own[e.Name()] {
			if err := t.root.RemoveAll(e.Name()); err != nil {
				return t.fail(e.Name(), "delete", err)
			}
		}
	}
	return nil
}
