// Package buildcache remembers what each pipeline compiled to, keyed by a
// hash of everything the result depends on, so that rebuilding an unchanged
// repository does no compiling at all. The cache lives in the user's cache
// directory, is safe to delete at any time, and is never stale: any change
// to a pipeline's files, to pipec itself or to the build's options gives a
// new key.
package buildcache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/targets"
)

// Entry is a pipeline's build result: its name (for cross-pipeline checks),
// its files and its warnings.
type Entry struct {
	Name     string
	Files    []targets.File
	Warnings compiler.Diagnostics
}

// Cache is a directory of entries.
type Cache struct {
	dir string
}

// Open returns the cache in dir, or in the user's cache directory when dir
// is empty.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(base, "pipec", "build")
	}
	return &Cache{dir: dir}, nil
}

// Key hashes what a pipeline's build depends on: every file of the spec
// directory (specs, the lock, image sources the compiler checks), the CUE
// module around it if any, the spec directory as headers name it, and
// pipec's own executable, which holds the schema, the compiler and the
// targets.
func Key(specDir, headerDir string) (string, error) {
	return keyOf(specDir, headerDir, "")
}

// Key is the package's Key, with the hash of pipec's executable kept in
// the cache: hashing the executable costs more than a small build.
func (c *Cache) Key(specDir, headerDir string) (string, error) {
	return keyOf(specDir, headerDir, c.dir)
}

func keyOf(specDir, headerDir, cacheDir string) (string, error) {
	h := sha256.New()
	self, err := selfHash(cacheDir)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "pipec %s\nheader %s\n", self, headerDir)
	if err := hashTree(h, specDir, specDir); err != nil {
		return "", err
	}
	if mod := moduleRoot(specDir); mod != "" {
		if err := hashTree(h, filepath.Join(mod, "cue.mod"), mod); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashTree writes the relative path, mode and content of every file below
// dir, in a fixed order.
func hashTree(h io.Writer, dir, rel string) error {
	var paths []string
	regular := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			paths = append(paths, p)
			if d.Type().IsRegular() {
				regular[p] = true
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	// One buffer for every file's line and content: a key is taken for
	// every pipeline of every build, and the per-file allocations of
	// fmt and io.Copy were most of its cost.
	buf := make([]byte, 0, 32<<10)
	for _, p := range paths {
		name, _ := filepath.Rel(rel, p)
		name = filepath.ToSlash(name)
		// A file the directory lists as regular is read through one
		// descriptor where the system allows; anything else (a link, a
		// pipe) is described by os.Stat, following links, and read only
		// if it is a regular file.
		if regular[p] {
			if done, err := hashRegularFile(h, p, name, buf[:cap(buf)]); done || err != nil {
				if err != nil {
					return err
				}
				continue
			}
		}
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		h.Write(fileLine(buf[:0], name, info.Mode().Perm(), info.Size()))
		if !info.Mode().IsRegular() {
			continue
		}
		if err := hashFileInto(h, p, buf[:cap(buf)]); err != nil {
			return err
		}
	}
	return nil
}

// fileLine appends the line a file's key starts with: its name, mode and
// size.
func fileLine(b []byte, name string, perm fs.FileMode, size int64) []byte {
	b = append(b, "file "...)
	b = strconv.AppendQuote(b, name)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(perm), 8)
	b = append(b, ' ')
	b = strconv.AppendInt(b, size, 10)
	return append(b, '\n')
}

// hashFileInto writes the content of the file at p to h through buf.
func hashFileInto(h io.Writer, p string, buf []byte) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// moduleRoot is the nearest directory above dir holding a cue.mod.
func moduleRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if info, err := os.Stat(filepath.Join(d, "cue.mod")); err == nil && info.IsDir() {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

var (
	selfOnce sync.Once
	selfSum  string
	selfErr  error
)

// selfHash identifies this build of pipec by its executable's content, so
// a new pipec never reuses an old one's results, whatever its version says:
// by the build ID go build wrote into it, which hashes that content, or
// else by hashing the file. With a cache directory, that hash is kept
// there under the executable's path, device, inode, size, mtime and ctime:
// replacing or rewriting the file changes some of them, and the hash is
// taken again.
func selfHash(cacheDir string) (string, error) {
	selfOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			selfErr = err
			return
		}
		if id, ok := goBuildID(exe); ok {
			selfSum = "go build ID " + id
			return
		}
		selfSum, selfErr = hashFile(exe, cacheDir)
	})
	return selfSum, selfErr
}

// hashFile returns the hex SHA-256 of the file at p, kept in cacheDir, if
// not empty, under the file's identity.
func hashFile(p, cacheDir string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var kept string
	if info, err := f.Stat(); err == nil && cacheDir != "" {
		if id, ok := fileIdentity(info); ok {
			name := sha256.Sum256([]byte(p + "\x00" + id))
			kept = filepath.Join(cacheDir, "self", hex.EncodeToString(name[:]))
		}
	}
	if kept != "" {
		if data, err := os.ReadFile(kept); err == nil && len(data) == 2*sha256.Size {
			return string(data), nil
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if kept != "" {
		writeAtomic(kept, []byte(sum)) // a failure costs the next build the hashing
	}
	return sum, nil
}

func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".gob")
}

// Get returns the entry stored under key. A missing, unreadable or damaged
// entry is a miss: the cache only ever saves work.
func (c *Cache) Get(key string) (*Entry, bool) {
	payload, err := readSealed(c.path(key))
	if err != nil {
		return nil, false
	}
	e, err := decodeEntry(payload)
	return e, err == nil
}

// Put stores an entry atomically; failing to store is not an error a build
// should fail on, so it is returned for the caller to ignore or log.
func (c *Cache) Put(key string, e *Entry) error {
	b, err := encodeEntry(e)
	if err != nil {
		return err
	}
	return writeAtomic(c.path(key), b)
}

// writeAtomic writes data to p through a temporary file renamed over it.
func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Stamp is what a build that wrote a pipeline's files keeps of them: the
// pipeline's name and warnings, and the writer's stamp of its directory
// (writer.Session.AddUnchanged), so that a build with the same inputs can
// tell the files are still there without reading them or the entry.
type Stamp struct {
	Name     string
	Warnings compiler.Diagnostics
	Tree     []byte
}

// stampPath is where the stamp of what key built is kept for the output
// directory out, an absolute path: a build of another output directory
// stamps its own.
func (c *Cache) stampPath(key, out string) string {
	h := sha256.Sum256([]byte(key + "\x00" + out))
	name := hex.EncodeToString(h[:])
	return filepath.Join(c.dir, "stamps", name[:2], name)
}

// GetStamp returns the stamp of what key built in out. Like an entry, a
// missing, unreadable or damaged stamp is only a miss.
func (c *Cache) GetStamp(key, out string) (*Stamp, bool) {
	payload, err := readSealed(c.stampPath(key, out))
	if err != nil {
		return nil, false
	}
	s, err := decodeStamp(payload)
	if err != nil {
		return nil, false
	}
	return s, true
}

// PutStamp keeps the stamp of what key built in out.
func (c *Cache) PutStamp(key, out string, s *Stamp) error {
	b, err := encodeStamp(s)
	if err != nil {
		return err
	}
	return writeAtomic(c.stampPath(key, out), b)
}
