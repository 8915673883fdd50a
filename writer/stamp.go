package writer

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A stamp records what a pipeline's directory looked like right after a
// build left it: the identity, size and times of every file and directory
// in it. A later build with the same inputs, which would generate the same
// files, can then tell that nothing there changed from one lstat per entry,
// without reading a file. Any write to a file changes its ctime, which no
// one can set back; any file created, removed or renamed in a directory
// changes the directory's mtime; a file replaced by another (a git
// checkout, a copy) has a new inode. Whatever the stamp cannot vouch for
// is read and compared as usual.
//
// Stamps are kept outside the output directory, by the caller: they name
// inodes and times of one machine, and have no place in git.

const stampHeader = "pipec-stamp 1\n"

// racyWindow is how recent an entry's modification time may be for a
// stamp to vouch for it. A file system takes times from a clock that
// advances in ticks (1/HZ of a second on Linux), so a file written again
// within the tick of its last write may keep the same mtime; a stamp is
// taken only of entries whose mtime is older than the current tick, by a
// wide margin. Git calls such entries "racily clean" and handles them the
// same way. The ctime may be recent: a build's renames set it, and any
// later write sets the mtime as well, which the stamp then sees changed.
const racyWindow = 100 * time.Millisecond

// stampEntry is one file or directory of a stamp.
type stampEntry struct {
	path string // relative to the output root, slash-separated
	stat fileStat
	// generated is set for the files the pipeline's index lists and for
	// the index itself: the files a build reports as unchanged.
	generated bool
}

// fileStat is what a stamp compares of an entry.
type fileStat struct {
	dev, ino     uint64
	mode         uint32
	size         int64
	mtime, ctime int64 // nanoseconds since the epoch
}

// stampPipeline takes the stamp of pipeline's directory, or returns nil
// where a stamp could not be trusted: entries written too recently, file
// systems whose times are coarse or set by a server, systems without
// inode numbers, or a directory that is not what the build left.
func (t *tree) stampPipeline(pipeline string, now time.Time) []byte {
	if t.root == nil {
		return nil
	}
	data, err := t.readFile(pipeline + "/" + indexName)
	if err != nil {
		return nil
	}
	ix, err := parseIndex(t.display(pipeline), pipeline, data)
	if err != nil {
		return nil
	}
	s := &stamper{t: t, horizon: now.Add(-racyWindow).UnixNano(), index: ix, trusted: map[uint64]bool{}}
	info, err := t.root.Lstat(pipeline)
	if err != nil || !info.IsDir() || !s.add(pipeline, info) {
		return nil
	}
	d, err := t.root.OpenRoot(pipeline)
	if err != nil {
		return nil
	}
	defer d.Close()
	if !s.walk(d, pipeline) {
		return nil
	}
	found := 0
	for _, e := range s.entries {
		if e.generated {
			found++
		}
	}
	if found != len(ix.hashes)+1 { // a listed file is missing, or is not a file
		return nil
	}
	return encodeStamp(s.entries)
}

// stampFresh takes the stamp of a fresh directory once published, from
// what was noted as it was written, and the directory itself.
func (t *tree) stampFresh(f *freshDir, now time.Time) []byte {
	horizon := now.Add(-racyWindow).UnixNano()
	if !f.stampable || f.tmp != "" || f.newest >= horizon {
		return nil
	}
	info, err := t.root.Lstat(f.pipeline)
	if err != nil || !info.IsDir() {
		return nil
	}
	st, ok := statOf(info)
	s := &stamper{t: t, horizon: horizon, trusted: map[uint64]bool{}}
	if !ok || !s.vouches(f.pipeline, st) {
		return nil
	}
	b := stampEntry{path: f.pipeline, stat: st}.appendLine([]byte(stampHeader))
	return append(b, f.stampLines...)
}

type stamper struct {
	t       *tree
	horizon int64
	index   *index
	trusted map[uint64]bool // file systems by device: whether their times can be trusted
	entries []stampEntry
}

// walk adds every entry below the directory d, at p.
func (s *stamper) walk(d *os.Root, p string) bool {
	f, err := d.Open(".")
	if err != nil {
		return false
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return false
	}
	slices.Sort(names)
	for _, name := range names {
		info, err := d.Lstat(name)
		if err != nil || !s.add(p+"/"+name, info) {
			return false
		}
		if info.IsDir() {
			sub, err := d.OpenRoot(name)
			if err != nil {
				return false
			}
			ok := s.walk(sub, p+"/"+name)
			sub.Close()
			if !ok {
				return false
			}
		}
	}
	return true
}

// add records one entry, unless the stamp cannot vouch for it.
func (s *stamper) add(p string, info fs.FileInfo) bool {
	st, ok := statOf(info)
	if !ok || strings.ContainsAny(p, "\n\r") || strings.HasPrefix(path.Base(p), tmpPrefix) {
		return false
	}
	_, listed := s.index.hashes[p]
	generated := info.Mode().IsRegular() && (listed || path.Base(p) == indexName && pipelineOf(p) == path.Dir(p))
	return s.vouches(p, st) && s.record(stampEntry{path: p, stat: st, generated: generated})
}

// vouches reports whether the stamp can vouch for an entry at p with st.
func (s *stamper) vouches(p string, st fileStat) bool {
	if st.mtime >= s.horizon {
		return false
	}
	trusted, seen := s.trusted[st.dev]
	if !seen {
		trusted = s.trustedFileSystem(p)
		s.trusted[st.dev] = trusted
	}
	return trusted
}

func (s *stamper) record(e stampEntry) bool {
	s.entries = append(s.entries, e)
	return true
}

// trustedFileSystem reports whether the file system holding p keeps fine
// times from the local clock: the local file systems that syncfs trusts.
func (s *stamper) trustedFileSystem(p string) bool {
	dir := p
	if info, err := s.t.root.Lstat(filepath.FromSlash(p)); err != nil || !info.IsDir() {
		dir = path.Dir(p)
	}
	f, err := s.t.root.Open(filepath.FromSlash(dir))
	if err != nil {
		return false
	}
	defer f.Close()
	_, local := fileSystemOf(f)
	return local
}

func encodeStamp(entries []stampEntry) []byte {
	b := []byte(stampHeader)
	for _, e := range entries {
		b = e.appendLine(b)
	}
	return b
}

// appendLine appends the entry's line of a stamp to b.
func (e stampEntry) appendLine(b []byte) []byte {
	b = e.appendFields(b)
	b = append(b, e.path...)
	return append(b, '\n')
}

// appendFields appends the line's fields before the path, and the space
// that ends them.
func (e stampEntry) appendFields(b []byte) []byte {
	g := byte('-')
	if e.generated {
		g = 'g'
	}
	st := e.stat
	b = append(b, g, ' ')
	b = strconv.AppendUint(b, st.dev, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, st.ino, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(st.mode), 8)
	b = append(b, ' ')
	b = strconv.AppendInt(b, st.size, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, st.mtime, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, st.ctime, 10)
	return append(b, ' ')
}

// cutStampLine splits a line that appendLine wrote into its fields, with
// the space that ends them, and its path.
func cutStampLine(line string) (fields, p string, ok bool) {
	spaces := 0
	for i := 0; i < len(line); i++ {
		if line[i] == ' ' {
			if spaces++; spaces == 7 {
				return line[:i+1], line[i+1:], cleanRelative(line[i+1:])
			}
		}
	}
	return "", "", false
}

// unchangedSince reports whether pipeline's directory is exactly as stamp
// recorded it, and if so returns the generated files in it. The stamp is
// checked as it is read; the directories stay open until it is done, since
// its entries come a directory at a time but the directories themselves
// come last.
func (t *tree) unchangedSince(pipeline string, stamp []byte) ([]string, bool) {
	text, ok := strings.CutPrefix(string(stamp), stampHeader)
	if !ok || t.root == nil {
		return nil, false
	}
	st := newStatter(t.root)
	defer st.close()
	var generated []string
	var now []byte
	first := true
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		fields, p, ok := cutStampLine(line)
		if !ok || pipelineOf(p) != pipeline || first && p != pipeline {
			return nil, false
		}
		first = false
		// The entry as it is now, written as the stamp wrote it: comparing
		// the text costs less than reading the stamp's six numbers back.
		// A line that is not exactly what appendLine writes (another
		// kind, a leading zero) never matches, and the files are read.
		stat, ok := st.lstat(p)
		if !ok {
			return nil, false
		}
		e := stampEntry{stat: stat, generated: line[0] == 'g'}
		if now = e.appendFields(now[:0]); string(now) != fields {
			return nil, false
		}
		if e.generated {
			generated = append(generated, p)
		}
	}
	return generated, true
}
